"""The manager's process figures (R28) and each specialist's personal figures (R27).

Every figure is computed from stored data that does not grow with the tickets ever handled:

* counters kept as things happen (UpdateItem ADD on small items of shared.models_figures): tickets
  submitted per day, bugs classified per day, tasks planned and done per day, each specialist's tasks
  closed and SLA verdicts per day and month;
* the sparse indexes, which hold only what is open: queue_index (open tasks), open_index (open tickets),
  owner_index (a specialist's open tickets);
* time entries by day (shared.models_money.TimeEntry): TIMEBY#<sub> and TIMEORG#<org> with the work date
  leading the sort key, so a day or a week is one Query per specialist or organisation;
* a small directory of organisations and staff (FIGURES#DIRECTORY), written when they are saved.

Days are dates in the default plan calendar's zone (Europe/Prague). The hooks called by the ticket, task
and support logic never fail the change that called them: the change is already stored; a failed counter
is logged (its log entry names the figure), and the ticket's event log stays the truth to rebuild it from.

Plan/fact (R28, seed 002: "how much was planned and how much of it got done"): a task is planned for the
day its due date falls on (the internal target of its SLA clock, R18; tasks without a due date: the day
they were created), with a standard effort per task type (ESTIMATED_MINUTES) until tasks carry their own
estimate. Fact is the time specialists logged that day (time entries) and how many of the day's planned
tasks are done.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared import aws, clock, integrations, store
from shared.domain import DESK_TIMEZONE, OPEN_STATUSES, Role, Status
from shared.errors import Forbidden, NotFound
from shared.identity import Caller
from shared.models import Entity, OpenIndex, Task, Ticket
from shared.models_figures import AgentFigures, DirectoryEntry, FigureDay
from shared.models_money import TimeEntry

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
NEW_TICKETS_DAYS = 30
BUG_DAYS = 14
CUSTOMER_TIME_DAYS = 7
MARK_TTL_SECONDS = 400 * 24 * 3600
# The kanban of active tickets (R13, R28): resolved tickets only wait for the automatic close, so they are
# not on the board; they still count as overdue when their automatic close is late.
BOARD_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER)
DIRECTORY_PK = "FIGURES#DIRECTORY"
OPEN_STATUSES_ORDERED = tuple(s for s in Status if s in OPEN_STATUSES)


# --- days and keys -------------------------------------------------------------------------------


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


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday of the ISO week holding the day."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# --- writing counters ----------------------------------------------------------------------------


def _update(pk: str, sk: str, kind: str, period: str, adds: dict[str, int]) -> dict[str, Any]:
    names = {"#k": "kind", "#p": "period", **{f"#a{n}": name for n, name in enumerate(adds)}}
    values: dict[str, Any] = {":kind": {"S": kind}, ":period": {"S": period}}
    values.update({f":a{n}": {"N": str(int(v))} for n, v in enumerate(adds.values())})
    additions = ", ".join(f"#a{n} :a{n}" for n in range(len(adds)))
    return {
        "TableName": Entity.Meta.table_name,
        "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
        "UpdateExpression": f"ADD {additions} SET #k = :kind, #p = :period",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _day_update(day: date, adds: dict[str, int]) -> dict[str, Any]:
    pk, sk = day_key(day)
    return _update(pk, sk, "figure_day", day.isoformat(), adds)


def _agent_updates(sub: str, day: date, adds: dict[str, int]) -> list[dict[str, Any]]:
    return [
        _update(agent_pk(sub), f"DAY#{day.isoformat()}", "agent_figures", day.isoformat(), adds),
        _update(agent_pk(sub), f"MONTH#{day:%Y-%m}", "agent_figures", f"{day:%Y-%m}", adds),
    ]


def _count(updates: list[dict[str, Any]], *, once: str | None = None) -> bool:
    """Apply counter updates atomically; with `once`, only the first time for that key (a retried route
    step or request must not count twice). False when it had been counted already."""
    dynamodb = aws.client("dynamodb")
    if once is None and len(updates) == 1:
        dynamodb.update_item(**updates[0])
        return True
    items: list[dict[str, Any]] = []
    if once is not None:
        items.append(
            {
                "Put": {
                    "TableName": Entity.Meta.table_name,
                    "Item": {
                        "pk": {"S": f"FIGMARK#{once}"},
                        "sk": {"S": "MARK"},
                        "kind": {"S": "figure_mark"},
                        "expires_at": {"N": str(int(clock.now().timestamp()) + MARK_TTL_SECONDS)},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
    items += [{"Update": u} for u in updates]
    try:
        dynamodb.transact_write_items(TransactItems=items)
    except dynamodb.exceptions.TransactionCanceledException as error:
        reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
        if once is not None and reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        raise
    return True


def _safely(what: str, fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        logger.exception("figure not counted: %s %s", what, args[:1])


# --- hooks: called by the ticket, task and support logic after their change is stored -------------


def ticket_submitted(ticket: Ticket) -> None:
    """New tickets per day (R28): counted once per ticket, on the day it was submitted."""
    _safely("ticket submitted", _ticket_submitted, ticket)


def _ticket_submitted(ticket: Ticket) -> None:
    day = local_day(ticket.submitted_at or ticket.created_at)
    _count([_day_update(day, {"submitted": 1})], once=f"submitted#{ticket.ticket_id}")


def ticket_classified(ticket_id: str, classification: str) -> None:
    """Bugs registered per day (R28): a ticket classified as a bug or critical bug counts once."""
    if classification in BUG_CLASSES:
        _safely("bug classified", _bug_classified, ticket_id, classification)


def _bug_classified(ticket_id: str, classification: str) -> None:
    field = "critical_bugs" if classification == "critical_bug" else "bugs"
    _count([_day_update(today(), {field: 1})], once=f"bug#{ticket_id}")


def planned_day(task: Task) -> date:
    return local_day(task.due_at or task.created_at)


def estimate_minutes(task: Task) -> int:
    return ESTIMATED_MINUTES.get(task.task_type, DEFAULT_ESTIMATE_MINUTES)


def task_created(task: Task) -> None:
    """Plan (R28): the task's standard effort is planned for the day it is due."""
    _safely("task planned", _task_created, task)


def _task_created(task: Task) -> None:
    adds = {"planned_tasks": 1, "planned_minutes": estimate_minutes(task)}
    _count([_day_update(planned_day(task), adds)], once=f"planned#{task.task_id}")


def task_finished(task: Task) -> None:
    """Fact (R28) and the specialist's tasks closed (R27): a done task counts on the day it was planned for,
    and for whoever it was assigned to on the day it was done."""
    _safely("task done", _task_finished, task)


def _task_finished(task: Task) -> None:
    updates = [_day_update(planned_day(task), {"done_tasks": 1, "done_minutes": estimate_minutes(task)})]
    if task.assignee:
        updates += _agent_updates(task.assignee, local_day(task.completed_at), {"tasks_closed": 1})
    _count(updates, once=f"done#{task.task_id}")


def ticket_resolved(ticket: Ticket, resolver: Caller) -> None:
    """SLA met ratio (R27, R18): the owner (else the resolver) gets the resolution, met when no promise made
    to the customer had run out by then (the ledger replayed from the ticket's own log). The ledger needs the
    calendars, which only the route worker has: the API hands the count over to it."""
    who = ticket.owner or (resolver.sub if resolver.is_staff else None)
    if who and ticket.resolved_at:
        integrations.hand_over("figures_resolved", ticket.ticket_id, who=who, resolved_at=ticket.resolved_at)


def resolved_from_worker(event: dict[str, Any]) -> None:
    """The worker's half of ticket_resolved."""
    ticket = store.get_ticket(event["ticket_id"])
    if ticket is not None:
        _safely("ticket resolved", _ticket_resolved, ticket, event["who"], event["resolved_at"])


def sla_met(ticket: Ticket, items: list[Any], at: datetime) -> bool:
    from shared.support import ledger_of  # the support route imports the ticket logic, which calls this module

    state = ledger_of(ticket, items, at)
    return not state.reaction.breached and (state.resolution is None or not state.resolution.breached)


def _ticket_resolved(ticket: Ticket, who: str, resolved_iso: str) -> None:
    resolved_at = datetime.fromisoformat(resolved_iso.replace("Z", "+00:00"))
    met = sla_met(ticket, store.load_ticket_partition(ticket.ticket_id), resolved_at)
    adds = {"resolved": 1, "sla_met" if met else "sla_missed": 1}
    _count(_agent_updates(who, local_day(resolved_at), adds), once=f"resolved#{ticket.ticket_id}#{resolved_iso}")


def register_organisation(org_id: str, name: str) -> None:
    """The organisations whose time the manager sees per day (TIMEORG#<org>)."""
    DirectoryEntry(DIRECTORY_PK, f"ORG#{org_id}", ident=org_id, name=name).save()


def register_person(sub: str, name: str, role: str, line: str | None, groups: Iterable[str]) -> None:
    """Staff appear on the specialists' day map; L2 staff's groups are the L2 queues (R15)."""
    if role not in (Role.AGENT.value, Role.MANAGER.value):
        return
    DirectoryEntry(DIRECTORY_PK, f"STAFF#{sub}", ident=sub, name=name, role=role, line=line, groups=list(groups)).save()


# --- reading -------------------------------------------------------------------------------------


def _directory() -> tuple[list[DirectoryEntry], list[DirectoryEntry]]:
    entries = [e for e in Entity.query(DIRECTORY_PK) if isinstance(e, DirectoryEntry)]
    organisations = sorted((e for e in entries if e.sk.startswith("ORG#")), key=lambda e: e.ident)
    staff = sorted((e for e in entries if e.sk.startswith("STAFF#")), key=lambda e: e.ident)
    return organisations, staff


def _day_counters(first: date, last: date) -> dict[date, FigureDay]:
    """The counters of every day from first to last: one Query per calendar month touched."""
    found: dict[date, FigureDay] = {}
    month = first.replace(day=1)
    while month <= last:
        pk, _ = day_key(month)
        for item in Entity.query(pk, Entity.sk.between(f"DAY#{first.isoformat()}", f"DAY#{last.isoformat()}")):
            if isinstance(item, FigureDay):
                found[date.fromisoformat(item.period)] = item
        month = (month + timedelta(days=32)).replace(day=1)
    return found


def _n(item: Any, name: str) -> int:
    return int(getattr(item, name, None) or 0) if item is not None else 0


def _entries_by(sub: str, first: date, last: date) -> list[TimeEntry]:
    """A specialist's time entries of the days first..last: one Query (TIMEBY#<sub>, the date leads the key)."""
    condition = Entity.gsi1sk.between(f"{first.isoformat()}#", f"{last.isoformat()}#~")
    return [e for e in Entity.requester_index.query(f"TIMEBY#{sub}", condition) if isinstance(e, TimeEntry)]


def _entries_for(org_id: str, first: date, last: date) -> list[TimeEntry]:
    """An organisation's time entries of the days first..last: one Query (TIMEORG#<org>)."""
    condition = Entity.gsi2sk.between(f"{first.isoformat()}#", f"{last.isoformat()}#~")
    return [e for e in Entity.organisation_index.query(f"TIMEORG#{org_id}", condition) if isinstance(e, TimeEntry)]


def _minutes(entries: Iterable[TimeEntry], first: date, last: date | None = None) -> int:
    last = last or first
    return sum(int(e.minutes) for e in entries if first.isoformat() <= e.work_date <= last.isoformat())


def _entry_view(entry: TimeEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "started_at": entry.started_at,
        "minutes": int(entry.minutes),
        "ticket_id": entry.ticket_id,
        "reference": entry.reference,
        "task_id": entry.task_id,
        "organisation_id": entry.organisation_id,
        "billable": entry.billable,
        "note": entry.note,
    }


def _timeline(entries: Iterable[TimeEntry], day: date) -> list[dict[str, Any]]:
    of_day = [e for e in entries if e.work_date == day.isoformat()]
    return [_entry_view(e) for e in sorted(of_day, key=lambda e: (e.started_at or "~", e.entry_id))]


def _all(index: Any, pk: str, *conditions: Any) -> list[Entity]:
    return list(index.query(pk, *conditions))


def _card(ticket: Ticket, now: str) -> dict[str, Any]:
    return {
        "id": ticket.ticket_id,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "organisation_id": ticket.organisation_id,
        "service": ticket.service,
        "status": ticket.status,
        "ball_side": ticket.ball_side,
        "ball_since": ticket.ball_since,
        "owner": ticket.owner,
        "classification": ticket.classification,
        "due_at": ticket.due_at,
        "overdue": bool(ticket.due_at and ticket.due_at < now),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _plan_fact(counters: dict[date, FigureDay], staff_entries: dict[str, list[TimeEntry]], first: date, last: date):
    days = _days(first, last)
    planned = sum(_n(counters.get(d), "planned_tasks") for d in days)
    done = sum(_n(counters.get(d), "done_tasks") for d in days)
    logged = sum(_minutes(entries, first, last) for entries in staff_entries.values())
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "planned_tasks": planned,
        "planned_minutes": sum(_n(counters.get(d), "planned_minutes") for d in days),
        "done_tasks": done,
        "done_minutes": sum(_n(counters.get(d), "done_minutes") for d in days),
        "done_ratio": _ratio(done, planned),
        "logged_minutes": logged,
    }


def manager_figures(caller: Caller, day: date | None = None) -> dict[str, Any]:
    """R28: the process dashboard of one day; live figures (open tickets and tasks) are as of now."""
    if caller.role != Role.MANAGER:
        raise Forbidden("The process figures are for managers; your own figures are at GET /figures/me.")
    day = day or today()
    now = clock.now_iso()
    monday, sunday = week_of(day)
    first_counter = min(day - timedelta(days=NEW_TICKETS_DAYS - 1), monday)
    counters = _day_counters(first_counter, max(day, sunday))
    organisations, staff = _directory()

    staff_entries = {s.ident: _entries_by(s.ident, monday, sunday) for s in staff}
    customer_first = day - timedelta(days=CUSTOMER_TIME_DAYS - 1)
    customers = []
    for org in organisations:
        entries = _entries_for(org.ident, customer_first, day)
        per_day = [{"date": d.isoformat(), "minutes": _minutes(entries, d)} for d in _days(customer_first, day)]
        customers.append(
            {
                "organisation_id": org.ident,
                "name": org.name,
                "minutes": per_day[-1]["minutes"],
                "total_minutes": sum(p["minutes"] for p in per_day),
                "days": per_day,
            }
        )

    l2_groups = sorted({"L2", *(g for s in staff if s.line == "L2" for g in s.groups)})
    overdue_tasks = [
        t
        for group in l2_groups
        for t in _all(Entity.queue_index, store.queue_pk(group))
        if isinstance(t, Task) and t.due_at and t.due_at < now
    ]

    board: dict[str, list[Ticket]] = {
        s.value: [t for t in _all(Entity.open_index, store.open_pk(s.value)) if isinstance(t, Ticket)]
        for s in BOARD_STATUSES
    }
    late_resolved = [
        t
        for t in _all(Entity.open_index, store.open_pk(Status.RESOLVED.value), OpenIndex.open_sk < f"{now}#")
        if isinstance(t, Ticket)
    ]
    overdue = [t for tickets in board.values() for t in tickets if t.due_at and t.due_at < now] + late_resolved
    active = [t for tickets in board.values() for t in tickets]
    kanban = {
        side: sorted(
            (_card(t, now) for t in active if (t.ball_side or "us") == side),
            key=lambda c: (c["ball_since"] or "", c["reference"]),
        )
        for side in ("us", "customer")
    }

    bug_days = _days(day - timedelta(days=BUG_DAYS - 1), day)
    new_days = _days(day - timedelta(days=NEW_TICKETS_DAYS - 1), day)
    return {
        "date": day.isoformat(),
        "timezone": str(ZONE),
        "as_of": now,
        "plan_fact": {
            "day": _plan_fact(counters, staff_entries, day, day),
            "week": _plan_fact(counters, staff_entries, monday, sunday),
        },
        "overdue_l2_tasks": {
            "count": len(overdue_tasks),
            "groups": l2_groups,
            "items": [
                {
                    "id": t.task_id,
                    "ticket_id": t.ticket_id,
                    "reference": t.reference,
                    "title": t.title,
                    "group": t.group,
                    "assignee": t.assignee,
                    "due_at": t.due_at,
                }
                for t in sorted(overdue_tasks, key=lambda t: (t.due_at or "", t.task_id))
            ],
        },
        "bugs_last_14_days": {
            "total": sum(_n(counters.get(d), "bugs") + _n(counters.get(d), "critical_bugs") for d in bug_days),
            "days": [
                {
                    "date": d.isoformat(),
                    "bugs": _n(counters.get(d), "bugs"),
                    "critical_bugs": _n(counters.get(d), "critical_bugs"),
                }
                for d in bug_days
            ],
        },
        "tickets_in_progress": len(board[Status.IN_PROGRESS.value]),
        "overdue_tickets": {
            "count": len(overdue),
            "by_status": {s.value: sum(1 for t in overdue if t.status == s.value) for s in OPEN_STATUSES_ORDERED},
            "items": [_card(t, now) for t in sorted(overdue, key=lambda t: (t.due_at or "", t.reference))],
        },
        "time_per_customer": {
            "from": customer_first.isoformat(),
            "to": day.isoformat(),
            "customers": customers,
        },
        "specialists_day": [
            {
                "sub": s.ident,
                "name": s.name,
                "role": s.role,
                "line": s.line,
                "minutes": _minutes(staff_entries[s.ident], day),
                "entries": _timeline(staff_entries[s.ident], day),
            }
            for s in staff
        ],
        "kanban": {side: {"count": len(cards), "items": cards} for side, cards in kanban.items()},
        "new_tickets_per_day": {
            "total": sum(_n(counters.get(d), "submitted") for d in new_days),
            "days": [{"date": d.isoformat(), "count": _n(counters.get(d), "submitted")} for d in new_days],
        },
    }


def personal_figures(caller: Caller, sub: str | None = None, day: date | None = None) -> dict[str, Any]:
    """R27: a specialist's own figures; a manager may read anyone's."""
    caller.require_staff()
    sub = sub or caller.sub
    if sub != caller.sub and caller.role != Role.MANAGER:
        raise Forbidden("Specialists see their own figures only (GET /figures/me).")
    person = store.get_user(sub)
    if person is None or person.role not in (Role.AGENT.value, Role.MANAGER.value):
        raise NotFound(f"No specialist {sub}.")
    day = day or today()
    month = f"{day:%Y-%m}"
    monday, _ = week_of(day)
    month_start = day.replace(day=1)
    keys = [(agent_pk(sub), f"DAY#{day.isoformat()}"), (agent_pk(sub), f"MONTH#{month}")]
    counters = {item.sk: item for item in AgentFigures.batch_get(keys)}
    day_counters, month_counters = counters.get(f"DAY#{day.isoformat()}"), counters.get(f"MONTH#{month}")
    entries = _entries_by(sub, min(monday, month_start), day)
    owned = [t for t in _all(Entity.owner_index, f"OWNER#{sub}") if isinstance(t, Ticket)]
    resolved = _n(month_counters, "resolved")
    met = _n(month_counters, "sla_met")
    return {
        "sub": sub,
        "name": person.name,
        "date": day.isoformat(),
        "month": month,
        "timezone": str(ZONE),
        "tasks_closed": {"day": _n(day_counters, "tasks_closed"), "month": _n(month_counters, "tasks_closed")},
        "time_logged_minutes": {
            "day": _minutes(entries, day),
            "week": _minutes(entries, monday, day),
            "month": _minutes(entries, month_start, day),
        },
        "sla_this_month": {
            "resolved": resolved,
            "met": met,
            "missed": _n(month_counters, "sla_missed"),
            "met_ratio": _ratio(met, resolved),
        },
        "owned_open_tickets": {
            "count": len(owned),
            "ball_on_our_side": sum(1 for t in owned if t.ball_side == "us"),
        },
        "day": _timeline(entries, day),
    }
