"""The support route's steps (R7), driven by the SLA ledger.

The route (statemachines/support.asl.json) calls these through functions/route_tasks.py. Each step
reads the ticket's own log, asks the ledger where the clocks stand, writes what happened back into
the log, and tells the route how long to wait before it must look again (`timer`): the timeouts of
its human steps come from the ledger, never from constants in the route.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Any

from shared.clocks.ticket import apply_ledger, customer_time, ledger_of, plan_for
from shared.directory import items as directory
from shared.directory import mail_settings
from shared.figures import counts as figures
from shared.money import incidents
from shared.platform import bus, clock, metrics, store
from shared.platform.domain import Role, Status
from shared.platform.errors import Conflict
from shared.platform.identity import Caller
from shared.platform.store import with_retries
from shared.platform.words import Phrase
from shared.sla.ledger import Ledger
from shared.sla.plans import CLASSIFICATIONS
from shared.tasks.priority import base_priority
from shared.tasks.work import handle_by_hand
from shared.tickets import items as ticket_items
from shared.tickets.conversation import PORTAL_TICKET_PATH, notify_customer, site_url, system_message
from shared.tickets.items import Event, Message, Ticket, load_ticket
from shared.tickets.lifecycle import close_ticket
from shared.tickets.log import new_event, save_ticket, ticket_detail
from shared.tickets.readers import reader_of

logger = logging.getLogger(__name__)


# How long a human step waits when no SLA timer is pending (an improvement without a resolution target,
# every timer already acted on): the route looks again then.
IDLE_RECHECK = timedelta(days=7)


# The human steps of the route: who works on them and which clock their due date follows.
STEPS: dict[str, dict[str, str]] = {
    "classify": {"type": "classify", "group": "L1", "title": "Classify the request", "clock": "reaction"},
    "answer": {"type": "answer", "group": "L1", "title": "Answer the customer's question", "clock": "resolution"},
    "fix": {"type": "fix", "group": "L2", "title": "Fix the bug", "clock": "resolution"},
    "approve": {"type": "approve", "group": "managers", "title": "Approve or decline the improvement", "clock": ""},
    "tell": {"type": "tell", "group": "L1", "title": "Tell the customer the outcome", "clock": "resolution"},
}


LABELS = {"question": "question", "bug": "bug", "critical_bug": "critical bug", "improvement": "improvement proposal"}


def task_priority(classification: str | None, importance: str) -> tuple[int, str]:
    """R15, R19: a task's base priority with its reason; the formula (and its time parts) is shared.priority."""

    points, parts = base_priority(classification, importance)
    return points, " + ".join(f"{p['why']} {p['points']}" for p in parts)


def is_closed(ticket_id: str) -> bool:
    ticket = ticket_items.get_ticket(ticket_id)
    return ticket is None or ticket.status == Status.CLOSED.value


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _handled(items: list[Any]) -> set[tuple[str, str]]:
    """SLA timers already acted on, from the log: (clock, warning|breach)."""
    return {
        (i.data.get("clock"), i.data.get("level"))
        for i in items
        if isinstance(i, Event) and i.type in ("SlaWarning", "SlaBreached")
    }


def next_timer(state: Ledger, items: list[Any], now: datetime) -> dict[str, Any]:
    """When the route must look again: the earliest SLA instant not yet acted on, after now.

    A paused clock's dues are projected as if it resumed now; the real ones can only be later (the pause goes on
    for as long as it lasts), so looking again at the projection is never late once the customer answers.
    """
    handled = _handled(items)
    candidates: list[tuple[datetime, str]] = []
    for name, clock_state in (("reaction", state.reaction), ("resolution", state.resolution)):
        if clock_state is None or clock_state.phase not in ("running", "paused"):
            continue
        if (name, "warning") not in handled and (name, "breach") not in handled:
            candidates.append((clock_state.internal_due, f"{name}_warning"))
        if (name, "breach") not in handled:
            candidates.append((clock_state.due, f"{name}_breach"))
    if state.reminder_at is not None and not _reminded(items):
        candidates.append((state.reminder_at, "reminder"))
    if state.auto_close_at is not None:
        candidates.append((state.auto_close_at, "auto_close"))
    future = [(at, kind) for at, kind in candidates if at > now]
    at, kind = min(future, default=(now + IDLE_RECHECK, "recheck"))
    return {"seconds": _seconds_until(at, now), "at": clock.iso(at), "kind": kind}


def _reminded(items: list[Any]) -> bool:
    """Whether the customer was reminded since the ball last went to their side."""
    events = sorted((i for i in items if isinstance(i, Event)), key=lambda e: e.event_id)
    last_wait = max(
        (e.event_id for e in events if e.type == "StatusChanged" and e.data.get("after") == "waiting_for_customer"),
        default="",
    )
    return any(e.type == "ReminderSent" and e.event_id > last_wait for e in events)


def customer_side(ticket: Ticket, items: list[Any], state: Ledger, now: datetime) -> str | None:
    """R21 while the customer has the ball: remind once, then close after the silent working days.
    Returns "closed" or "reminded" when it acted."""
    if state.auto_close_at is not None and now >= state.auto_close_at:
        try:
            close_ticket(
                Caller.system(),
                ticket.ticket_id,
                reason=Phrase("reason.no_reply_working_days", {"days": plan_for(ticket).auto_close_after_days}),
            )
        except Conflict:
            logger.info("ticket %s changed before it could be closed", ticket.ticket_id)
        return "closed"
    if state.reminder_at is not None and now >= state.reminder_at and not _reminded(items):
        reader = reader_of(ticket)
        if state.auto_close_at:
            text = reader.say("reminder.text_closing", at=customer_time(state.auto_close_at, plan_for(ticket), reader))
        else:
            text = reader.say("reminder.text")
        said = "Reminder sent: we are waiting for your answer"
        event = new_event(ticket, None, "ReminderSent", said, public=True, at=clock.iso(now))
        store.transact([(event, None)])

        notify_customer(ticket, "waiting", text, reader)
        return "reminded"
    return None


def intake(ticket_id: str) -> dict[str, Any]:
    """R7, R10: compute the reaction deadline and tell the customer; the route then creates the L1 task."""
    result: dict[str, Any] = {}

    def attempt() -> None:
        ticket, items = load_ticket(ticket_id)
        plan = plan_for(ticket)
        state = ledger_of(ticket, items, clock.now())
        now, at = state.now, clock.iso(state.now)  # the step's one instant: every write is stamped with it
        if not any(isinstance(i, Message) and i.automatic for i in items):
            reader = reader_of(ticket)
            text = reader.say("support.received", due=customer_time(state.reaction.due, plan, reader))
            message, event = system_message(ticket, text, at)
            state = ledger_of(ticket, items, now, event)
            apply_ledger(ticket, state)
            save_ticket(ticket, message, event, now=at)
            items = [*items, event]
            result["message"] = text
        result["timer"] = next_timer(state, items, now)

    with_retries("This ticket", attempt)
    return result


def step_task_fields(ticket_id: str, step: str) -> dict[str, Any]:
    """Due date (the internal target, R18), priority and the notes a step's task carries (R27)."""
    spec = STEPS[step]
    ticket, items = load_ticket(ticket_id)
    state = ledger_of(ticket, items, clock.now())
    organisation = directory.get_organisation(ticket.organisation_id)
    importance = organisation.importance if organisation else "standard"
    clock_state = state.reaction if spec["clock"] == "reaction" else state.resolution if spec["clock"] else None
    due = clock.iso(clock_state.internal_due) if clock_state is not None else None
    priority, reason = task_priority(ticket.classification, importance)
    if spec["group"] == "L1" and step in ("classify", "answer"):
        priority, reason = 0, "first line works in order of arrival (R19)"
    return {
        "task_type": spec["type"],
        "title": spec["title"],
        "group": spec["group"],
        "due_at": due,
        "priority": priority,
        "priority_reason": reason,
    }


def classified(ticket_id: str, classification: str, note: str | None, by: str | None) -> dict[str, Any]:
    """R7, R9: the classification sets the resolution deadline and the way on; the milestone is public."""
    if classification not in CLASSIFICATIONS:
        return {"branch": "done", "timer": None}  # the task ended otherwise (ticket resolved or closed)
    result: dict[str, Any] = {"branch": classification}

    def attempt() -> None:
        ticket, items = load_ticket(ticket_id)
        plan = plan_for(ticket)
        now = clock.now()
        at = clock.iso(now)  # the step's one instant: the milestone, the message and the ledger all use it
        ticket.classification = classification
        staff = directory.get_user(by) if by else None
        actor = Caller(sub=staff.sub, email=staff.email, role=Role(staff.role)) if staff else Caller.system()
        label = LABELS[classification]
        reader = reader_of(ticket)
        told = reader.say(f"classification.{classification}")
        milestone = new_event(
            ticket,
            actor,
            "TicketClassified",
            f"Classified as {label}",
            public=True,
            at=at,
            classification=classification,
        )
        state = ledger_of(ticket, items, now, milestone)  # the classification being written counts
        if state.resolution is not None:
            text = reader.say("support.classified", label=told, due=customer_time(state.resolution.due, plan, reader))
        else:
            text = reader.say("support.classified_approval", label=told)
        message, said = system_message(ticket, text, at)
        state = ledger_of(ticket, items, now, milestone, said)
        apply_ledger(ticket, state)
        save_ticket(ticket, milestone, message, said, now=at)
        if note:
            result["l1_note"] = note
        result["timer"] = next_timer(state, [*items, milestone, said], state.now)

    with_retries("This ticket", attempt)
    figures.ticket_classified(ticket_id, classification)  # R28: bugs per day
    return result


def on_timer(ticket_id: str) -> dict[str, Any]:
    """A human step's timeout fired: ask the ledger again (a pause may have moved the deadline), warn at
    the internal target, breach at the promise; the task stays open and the route keeps waiting."""
    ticket, items = load_ticket(ticket_id)
    plan = plan_for(ticket)
    state = ledger_of(ticket, items, clock.now())
    now, at = state.now, clock.iso(state.now)  # the step's one instant: every event it raises is stamped with it
    handled = _handled(items)
    raised: list[Event] = []
    for name, clock_state in (("reaction", state.reaction), ("resolution", state.resolution)):
        if clock_state is None or clock_state.phase != "running":
            continue
        if now >= clock_state.due and (name, "breach") not in handled:
            raised.append(
                new_event(
                    ticket,
                    None,
                    "SlaBreached",
                    f"{name.capitalize()} promise breached",
                    public=False,
                    at=at,
                    clock=name,
                    level="breach",
                    due=clock.iso(clock_state.due),
                )
            )
        elif now >= clock_state.internal_due and not {(name, "warning"), (name, "breach")} & handled:
            if not plan.calendar.is_open(now):
                # Never warn outside working hours: look again at the next opening.
                opening = plan.calendar.next_opening(now)
                return {
                    "timer": {
                        "seconds": _seconds_until(opening, now),
                        "at": clock.iso(opening),
                        "kind": f"{name}_warning",
                    },
                    "raised": [],
                }
            raised.append(
                new_event(
                    ticket,
                    None,
                    "SlaWarning",
                    f"{name.capitalize()} internal target passed",
                    public=False,
                    at=at,
                    clock=name,
                    level="warning",
                    due=clock.iso(clock_state.internal_due),
                )
            )
    if raised:
        store.transact([(e, None) for e in raised])
        for event in raised:
            tell_staff(ticket, event)
    acted = customer_side(ticket, items, state, now)
    if acted == "reminded":
        ticket, items = load_ticket(ticket_id)
    return {
        "timer": next_timer(state, [*items, *raised], now),
        "raised": [e.type for e in raised] + ([acted] if acted else []),
    }


def tell_staff(ticket: Ticket, event: Event) -> None:
    """The owner is told of a warning or breach; a breach is also a manager incident (R24 builds on it)."""
    owner = directory.get_user(ticket.owner) if ticket.owner else None
    subject = f"[{ticket.reference}] {event.summary}"
    due = event.data.get("due")
    when = customer_time(datetime.fromisoformat(due), plan_for(ticket)) if due else "(no due date)"
    body = (
        f"{event.summary} on {ticket.reference} ({ticket.subject}), which you own; it was due {when}.\n\n"
        f"Open the ticket: {site_url(PORTAL_TICKET_PATH + ticket.reference)}\n"
    )
    mail_settings.tell(owner, "sla_breach" if event.type == "SlaBreached" else "sla_warning", subject, body)
    if event.type == "SlaBreached":
        metrics.count(metrics.SLA_BREACHES)
        pass

        incidents.sla_breached(ticket, event.data.get("clock"), event.data.get("due"))
        bus.publish("TicketUpdated", {**ticket_detail(ticket), "sla_breach": event.data.get("clock")})


def fault(ticket_id: str, error: str, cause: str | None) -> dict[str, Any]:
    """Anything a route step could not do becomes a manual task for a person (R6) and an incident."""

    ticket, _ = load_ticket(ticket_id)
    task = handle_by_hand(
        ticket, error, cause, title=f"Handle by hand: the route failed ({error})", group="L1", priority=900
    )
    return {"task_id": task.task_id}


def follow_up(ticket_id: str) -> dict[str, Any]:
    """After the last human step: close a ticket whose customer stayed silent (R21, working days)."""
    ticket, items = load_ticket(ticket_id)
    if ticket.status == Status.CLOSED.value:
        return {"closed": True, "timer": None}
    state = ledger_of(ticket, items, clock.now())
    now = state.now
    acted = customer_side(ticket, items, state, now)
    if acted == "closed":
        return {"closed": True, "timer": None}
    if acted == "reminded":
        ticket, items = load_ticket(ticket_id)
    pending = [
        at for at in (state.reminder_at if not _reminded(items) else None, state.auto_close_at) if at and at > now
    ]
    at = min(pending, default=now + IDLE_RECHECK)
    return {"closed": False, "timer": {"seconds": _seconds_until(at, now), "at": clock.iso(at), "kind": "follow"}}
