"""R27, R28: counters kept as work happens, read by the figures."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.figures.items import DirectoryEntry, LowRating
from shared.platform import clock, store, workflows
from shared.platform.domain import DESK_TIMEZONE, Role
from shared.platform.identity import Caller
from shared.tickets.items import Task, Ticket

logger = logging.getLogger(__name__)


ZONE = ZoneInfo(DESK_TIMEZONE)  # the API's asset has no calendars: shared.sla is imported by the worker only


# Standard effort of a task, by type, in minutes: the "plan" of plan/fact until tasks carry an estimate.
ESTIMATED_MINUTES: dict[str, int] = {
    "classify": 15,
    "answer": 60,
    "reply": 30,
    "fix": 240,
    "approve": 30,
    "tell": 15,
    "manual": 30,
}


DEFAULT_ESTIMATE_MINUTES = 30


BUG_CLASSES = ("bug", "critical_bug")


MARK_TTL_SECONDS = 400 * 24 * 3600


DIRECTORY_PK = "FIGURES#DIRECTORY"


def local_day(moment: str | datetime | None = None) -> date:
    """The calendar date of an instant (ISO text or aware datetime; default now) in the plan's zone."""
    if moment is None:
        moment = clock.now()
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.astimezone(ZONE).date()


def today() -> date:
    return local_day()


def day_key(day: date) -> tuple[str, str]:
    return f"FIGURES#{day:%Y-%m}", f"DAY#{day.isoformat()}"


def agent_pk(sub: str) -> str:
    return f"FIGURES#AGENT#{sub}"


def _update(pk: str, sk: str, kind: str, period: str, adds: dict[str, int]) -> store.Count:
    return store.Count(pk, sk, adds, {"kind": kind, "period": period})


def day_update(day: date, adds: dict[str, int]) -> store.Count:
    pk, sk = day_key(day)
    return _update(pk, sk, "figure_day", day.isoformat(), adds)


def agent_updates(sub: str, day: date, adds: dict[str, int]) -> list[store.Count]:
    """A specialist's counters of the day. Their month is the sum of its days, read by one Query when asked for
    (shared/figures/report.py personal_figures): a month counter beside it would cost a write on every count."""
    return [_update(agent_pk(sub), f"DAY#{day.isoformat()}", "agent_figures", day.isoformat(), adds)]


def count(updates: list[store.Count], *, once: str | None = None) -> bool:
    """Apply counter updates atomically; with `once`, only the first time for that key (a retried route
    step or request must not count twice). False when it had been counted already."""
    mark = (f"FIGMARK#{once}", "MARK", "figure_mark", MARK_TTL_SECONDS) if once is not None else None
    return store.add_together(updates, once=mark)


def safely(what: str, fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        logger.exception("figure not counted: %s %s", what, args[:1])


def submitted_counts(detail: dict[str, Any]) -> list[store.Count]:
    """New tickets per day (R28), off the request path: the TicketSubmitted event's consumer writes it once per
    ticket (with the other counts of the submission, under one mark), on the day it was submitted (the event's
    `at`)."""
    return [day_update(local_day(detail["at"]), {"submitted": 1})]


def ticket_classified(ticket_id: str, classification: str) -> None:
    """Bugs registered per day (R28): a ticket classified as a bug or critical bug counts once."""
    if classification in BUG_CLASSES:
        safely("bug classified", _bug_classified, ticket_id, classification)


def _bug_classified(ticket_id: str, classification: str) -> None:
    field = "critical_bugs" if classification == "critical_bug" else "bugs"
    count([day_update(today(), {field: 1})], once=f"bug#{ticket_id}")


def planned_day(task: Task) -> date:
    return local_day(task.due_at or task.created_at)


def estimate_minutes(task: Task) -> int:
    return ESTIMATED_MINUTES.get(task.task_type, DEFAULT_ESTIMATE_MINUTES)


def task_created(task: Task) -> list[store.Count]:
    """Plan (R28): the task's standard effort is planned for the day it is due. Written in the task's own Put
    (shared/tickets/hooks.py task_created), so counted once."""
    adds = {"planned_tasks": 1, "planned_minutes": estimate_minutes(task)}
    return [day_update(planned_day(task), adds)]


def task_finished(task: Task) -> list[store.Count]:
    """Fact (R28) and the specialist's tasks closed (R27): a done task counts on the day it was planned for,
    and for whoever it was assigned to on the day it was done. Written in the transaction that marks the task
    done (shared/tickets/hooks.py task_finished), so counted once."""
    updates = [day_update(planned_day(task), {"done_tasks": 1, "done_minutes": estimate_minutes(task)})]
    if task.assignee:
        updates += agent_updates(task.assignee, local_day(task.completed_at), {"tasks_closed": 1})
    return updates


def ticket_resolved(ticket: Ticket, resolver: Caller) -> None:
    """SLA met ratio (R27, R18): the owner (else the resolver) gets the resolution, met when no promise made
    to the customer had run out by then (the ledger replayed from the ticket's own log). The ledger needs the
    calendars, which only the route worker has: the API hands the count over to it."""
    who = ticket.owner or (resolver.sub if resolver.is_staff else None)
    if who and ticket.resolved_at:
        workflows.call_worker("figures_resolved", ticket.ticket_id, who=who, resolved_at=ticket.resolved_at)


LOW_RATING = 2  # ratings up to this one keep their comment for the manager (R30)


def ticket_rated(ticket: Ticket, rating: int, comment: str | None) -> None:
    """Satisfaction per week (R28, R30): the rating counts once, on the day it was given; a rating of 1-2 keeps
    its comment for the manager's dashboard."""
    safely("ticket rated", _ticket_rated, ticket, rating, comment)


def _ticket_rated(ticket: Ticket, rating: int, comment: str | None) -> None:
    day = today()
    adds = {"rated": 1, "rating_sum": rating, f"rating_{rating}": 1}
    counted = count([day_update(day, adds)], once=f"rated#{ticket.ticket_id}")
    if counted and rating <= LOW_RATING:
        pk, _ = day_key(day)
        LowRating(
            pk,
            f"LOWRATING#{day.isoformat()}#{ticket.ticket_id}",
            period=day.isoformat(),
            ticket_id=ticket.ticket_id,
            reference=ticket.reference,
            organisation_id=ticket.organisation_id,
            rating=rating,
            comment=comment,
        ).save()


def register_organisation(org_id: str, name: str) -> None:
    """The organisations whose time the manager sees per day (TIMEORG#<org>)."""
    DirectoryEntry(DIRECTORY_PK, f"ORG#{org_id}", ident=org_id, name=name).save()


def register_person(sub: str, name: str, role: str, line: str | None, groups: Iterable[str]) -> None:
    """Staff appear on the specialists' day map; L2 staff's groups are the L2 queues (R15)."""
    if role not in (Role.AGENT.value, Role.MANAGER.value):
        return
    DirectoryEntry(DIRECTORY_PK, f"STAFF#{sub}", ident=sub, name=name, role=role, line=line, groups=list(groups)).save()
