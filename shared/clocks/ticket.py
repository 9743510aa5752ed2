"""A ticket's SLA clocks: its plan, its ledger from its own log, and what the ledger sets on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.clocks.plans import plan_of_organisation
from shared.platform import clock
from shared.platform.domain import Status
from shared.sla.ledger import ClockState, Ledger, ledger
from shared.sla.plans import SupportPlan
from shared.tickets.items import Event, Ticket
from shared.tickets.readers import ENGLISH_READER, Reader
from shared.tickets.views import event_view


def plan_for(ticket: Ticket) -> SupportPlan:
    """The support plan of the ticket's organisation, as stored now (shared.clocks.plans)."""
    return plan_of_organisation(ticket.organisation_id)


def history(items: list[Any]) -> list[dict[str, Any]]:
    return [event_view(e) for e in sorted((i for i in items if isinstance(i, Event)), key=lambda e: e.event_id)]


def ledger_of(
    ticket: Ticket, items: list[Any], now: datetime | None = None, *writing: Event, plan: SupportPlan | None = None
) -> Ledger:
    """The ledger a step acts on: the log as read (`items`) and the events the step is writing (`writing`), at
    `now` (default: the clock), the instant the step read once and stamps its writes with.

    Nothing of the log is ever left out: the replay runs up to the latest of `now` and every event's own instant,
    so an event stamped a moment after `now` (by this step's own clock read, or by another machine whose clock is
    a little ahead) still counts. For the clocks as they stood at a past instant, use `ledger_as_of`. `plan`:
    the ticket's own (default), or another to compare with (re-timing: the old and the new version).
    """
    now = now or clock.now()
    entries = history([*items, *writing])
    latest = max((_instant(e["at"]) for e in entries), default=now)
    return ledger(plan or plan_for(ticket), entries, ticket.service, max(now, latest))


def ledger_as_of(ticket: Ticket, items: list[Any], at: datetime) -> Ledger:
    """The clocks as they stood at a past instant `at` (e.g. when the ticket was resolved): later events do not
    count."""
    return ledger(plan_for(ticket), history(items), ticket.service, at)


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def customer_time(moment: datetime, plan: SupportPlan, reader: Reader = ENGLISH_READER) -> str:
    """An SLA instant as the customer reads it: in their language (month and day names too), in their
    organisation's time zone, else the plan calendar's, the zone named."""
    return reader.time(moment, plan.calendar.timezone)


def apply_ledger(ticket: Ticket, state: Ledger) -> None:
    """The ticket's next-step date (R10) and due date (the open-tickets index) from the ledger: the automatic
    close while the customer has the ball, otherwise the running promise (reaction first, then resolution).
    A closed ticket has neither."""
    if ticket.status == Status.CLOSED.value:
        ticket.next_step_at = ticket.due_at = ticket.sla = None
        return
    ticket.sla = sla_summary(state)
    ticket.next_step_at = clock.iso(state.next_step_at) if state.next_step_at else None
    if ticket.status in (Status.RESOLVED.value, Status.WAITING_FOR_CUSTOMER.value) and state.auto_close_at:
        due = state.auto_close_at
    elif state.reaction.phase == "running":
        due = state.reaction.due
    elif state.resolution is not None and state.resolution.phase in ("running", "paused"):
        due = state.resolution.due
    else:
        due = None
    ticket.due_at = clock.iso(due) if due else None


def sla_summary(state: Ledger) -> dict[str, Any]:
    """What an SLA badge shows without the calendars (the API and the browser have none): the customer's promise
    that matters now (the reaction while it runs, then the resolution) and its internal target (R18), each with
    its due instant and the working time left when computed. The browser judges warned and breached against its
    own clock from these dues; while paused, the dues are projections and the time left is what counts."""
    name, running = _current_clock(state)
    return {
        "clock": name,
        "phase": running.phase,
        "promise_due_at": clock.iso(running.due),
        "internal_due_at": clock.iso(running.internal_due),
        "promise_left_seconds": int(running.remaining.total_seconds()),
        "internal_left_seconds": max(int((running.target.internal - running.consumed).total_seconds()), 0),
        "breached": running.breached,
        "met_at": clock.iso(running.met_at) if running.met_at else None,
        "computed_at": clock.iso(state.now),
    }


def _current_clock(state: Ledger) -> tuple[str, ClockState]:
    if state.reaction.phase == "running" or state.resolution is None:
        return "reaction", state.reaction
    return "resolution", state.resolution
