"""Re-timing: a calendar or plan changed, so every open ticket on it gets its running timer re-armed (issue 12).

The ledger is a pure function of plan, calendar and log, so the worker replays each affected ticket's log on the
version before the change and on the new one: the deadlines that moved go into the ticket's log (internal,
`SlaRetimed`, with the old and the new instants), its next-step and due dates and its waiting task's due date
follow, and the route's wait is replaced. A support route waits on its human step's task token with a timeout
from the ledger; the worker fails that token with `Caseway.Retime`, which the route catches like a timeout: its
timer step asks the ledger again (on the new plan) and the step waits anew, on the new instant. A route waiting
in its follow-up Wait state (no task to hold a token) re-checks the ledger when it wakes and waits again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from shared.clocks import plans as clock_plans
from shared.clocks.ticket import apply_ledger, ledger_of
from shared.directory import items as directory
from shared.directory import plans as stored
from shared.platform import clock, workflows
from shared.platform.domain import OPEN_STATUSES, TaskStatus
from shared.platform.store import with_retries
from shared.platform.table import Entity
from shared.routes.support import STEPS, next_timer
from shared.sla.ledger import ClockState, Ledger
from shared.sla.plans import SupportPlan
from shared.tasks import priority
from shared.tickets import items as ticket_items
from shared.tickets.items import Task, Ticket, load_ticket
from shared.tickets.log import new_event, save_ticket

logger = logging.getLogger(__name__)

# The error the route catches to re-arm a human step's timer (statemachines/support.asl.json).
RETIME_ERROR = "Caseway.Retime"
RETIME_ACTION = stored.RETIME_ACTION
RETIME_ORGANISATION_ACTION = stored.RETIME_ORGANISATION_ACTION
SUPPORT_ROUTE = "support"
STEP_TYPES = frozenset(spec["type"] for spec in STEPS.values())


def retime_terms(kind: stored.TermsKind, terms_id: str, number: int) -> dict[str, Any]:
    """Re-time every open ticket on version `number` of the calendar or plan `terms_id` (the worker's action)."""
    clock_plans.new_invocation()
    previous = stored.get_version(kind, terms_id, number - 1) if number > 1 else None
    old_body = previous.body if previous is not None else None

    def read_before(k: str, i: str) -> dict[str, Any] | None:
        return old_body if (k, i) == (kind, terms_id) else clock_plans.stored_body(k, i)

    on_terms: dict[str | None, tuple[str, str | None] | None] = {}
    retimed, rearmed = [], []
    for ticket in open_tickets():
        if ticket.organisation_id not in on_terms:
            on_terms[ticket.organisation_id] = _terms_if_affected(ticket.organisation_id, kind, terms_id)
        terms = on_terms[ticket.organisation_id]
        if terms is None:
            continue
        before = clock_plans.plan_from(*terms, read_before)
        after = clock_plans.plan_named(*terms)
        outcome = retime_ticket(ticket.ticket_id, before, after, f"{kind} {terms_id} version {number}")
        if outcome is not None:
            retimed.append(ticket.ticket_id)
            if outcome["rearmed"]:
                rearmed.append(ticket.ticket_id)
    logger.info("re-timed %d tickets on %s %s v%d", len(retimed), kind, terms_id, number)
    return {"retimed": retimed, "rearmed": rearmed}


def retime_organisation(org_id: str, before: tuple[str, str | None]) -> dict[str, Any]:
    """Re-time an organisation's open tickets after its plan or calendar assignment changed (`before`: the old)."""
    clock_plans.new_invocation()
    after = stored.terms_of_organisation(org_id)
    if after == before:
        return {"retimed": [], "rearmed": []}
    old, new = clock_plans.plan_named(*before), clock_plans.plan_named(*after)
    change = f"organisation {org_id}: plan {after[0]}" + (f" on calendar {after[1]}" if after[1] else "")
    retimed, rearmed = [], []
    for ticket in open_tickets():
        if ticket.organisation_id != org_id:
            continue
        outcome = retime_ticket(ticket.ticket_id, old, new, change)
        if outcome is not None:
            retimed.append(ticket.ticket_id)
            if outcome["rearmed"]:
                rearmed.append(ticket.ticket_id)
    return {"retimed": retimed, "rearmed": rearmed}


def open_tickets() -> list[Ticket]:
    """Every open ticket, from the sparse open_index (what is open, not everything ever stored)."""
    found: list[Ticket] = []
    for status in sorted(s.value for s in OPEN_STATUSES):
        found += [i for i in Entity.open_index.query(ticket_items.open_pk(status)) if isinstance(i, Ticket)]
    return found


def _terms_if_affected(org_id: str | None, kind: str, terms_id: str) -> tuple[str, str | None] | None:
    """The organisation's (plan id, calendar override) when the changed calendar or plan is the one it runs on."""
    plan_id, calendar_id = stored.terms_of_organisation(org_id)
    if kind == "plan":
        return (plan_id, calendar_id) if plan_id == terms_id else None
    return (plan_id, calendar_id) if clock_plans.calendar_id_of(plan_id, calendar_id) == terms_id else None


def _moved(before: ClockState | None, after: ClockState | None) -> dict[str, str] | None:
    if before is None or after is None or after.phase not in ("running", "paused"):
        return None
    if (before.due, before.internal_due) == (after.due, after.internal_due):
        return None
    return {
        "old_due": clock.iso(before.due),
        "new_due": clock.iso(after.due),
        "old_internal_due": clock.iso(before.internal_due),
        "new_internal_due": clock.iso(after.internal_due),
    }


def retime_ticket(ticket_id: str, before: SupportPlan, after: SupportPlan, change: str) -> dict[str, Any] | None:
    """Replay the ticket on both plans; if a deadline or the next timer moved, log it and re-arm the route."""
    result: dict[str, Any] = {}

    def attempt() -> None:
        result.clear()
        ticket, items = load_ticket(ticket_id)
        if ticket.submitted_at is None or ticket.status not in {s.value for s in OPEN_STATUSES}:
            return
        now = clock.now()
        old, new = (ledger_of(ticket, items, now, plan=plan) for plan in (before, after))
        old_timer, new_timer = next_timer(old, items, now), next_timer(new, items, now)
        clocks = {
            n: m
            for n, m in (
                ("reaction", _moved(old.reaction, new.reaction)),
                ("resolution", _moved(old.resolution, new.resolution)),
            )
            if m
        }
        if not clocks and old_timer["at"] == new_timer["at"]:
            return
        event = new_event(
            ticket,
            None,
            "SlaRetimed",
            _summary(change, clocks, old_timer, new_timer, after),
            public=False,
            change=change,
            clocks=clocks,
            old_timer=old_timer,
            new_timer=new_timer,
        )
        apply_ledger(ticket, new)
        save_ticket(ticket, event)
        result.update(ticket=ticket, items=items, ledger=new, timer=new_timer)

    with_retries("This ticket", attempt)
    if not result:
        return None
    waiting = _waiting_step(result["ticket"], result["items"])
    if waiting is not None:
        _move_task_due(waiting, result["ledger"])
        workflows.task_failure(waiting.task_token, RETIME_ERROR, f"re-timed: {change}")
    return {"rearmed": waiting is not None, "timer": result["timer"]}


def _summary(
    change: str, clocks: dict[str, dict[str, str]], old: dict[str, Any], new: dict[str, Any], plan: SupportPlan
) -> str:
    def local(text: str) -> str:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(plan.calendar.zone)
        return f"{moment:%a %d %b %H:%M}"

    moved = "; ".join(f"{name} due {local(m['old_due'])} -> {local(m['new_due'])}" for name, m in clocks.items())
    timer = f"next timer {local(old['at'])} -> {local(new['at'])} ({new['kind']})"
    return f"SLA re-timed after a change of {change}: " + (f"{moved}; {timer}" if moved else timer)


def _waiting_step(ticket: Ticket, items: list[Any]) -> Task | None:
    """The support route's human step the route waits on (its task holds the token), if it waits on one."""
    service = directory.get_service(ticket.service)
    if service is None or service.route != SUPPORT_ROUTE:
        return None
    return next(
        (
            i
            for i in items
            if isinstance(i, Task) and i.task_token and i.task_type in STEP_TYPES and i.status != TaskStatus.DONE.value
        ),
        None,
    )


def _move_task_due(task: Task, state: Ledger) -> None:
    """The waiting task is due at its clock's new internal target (R18), and sits in its queue accordingly."""
    step = next((spec for spec in STEPS.values() if spec["type"] == task.task_type), None)
    name = step["clock"] if step else ""
    clock_state = state.reaction if name == "reaction" else state.resolution if name == "resolution" else None
    due = clock.iso(clock_state.internal_due) if clock_state is not None else task.due_at
    if due == task.due_at:
        return
    task.due_at = due
    if task.priority_basis:
        basis = priority.Basis.from_dict({**task.priority_basis, "due_at": due})
        task.priority_basis = basis.as_dict()
        if task.queue_pk:
            task.queue_sk = priority.queue_key(basis, task.task_id)
    _save_quietly(task.save)


def _save_quietly(save: Callable[[], Any]) -> None:
    try:
        save()
    except PutError:
        logger.info("the waiting task changed while it was re-timed; its due date stays")  # taken or done meanwhile
