"""R27, R28: the manager's and the specialist's figures, read from the counters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from shared.directory import items as directory
from shared.figures.counts import DIRECTORY_PK, ZONE, agent_pk, day_key, today
from shared.figures.items import AgentFigures, DirectoryEntry, FigureDay, LowRating
from shared.money.items import TimeEntry
from shared.platform import clock
from shared.platform.domain import OPEN_STATUSES, Role, Status
from shared.platform.errors import Forbidden, NotFound
from shared.platform.identity import Caller
from shared.platform.table import Entity, OpenIndex
from shared.tickets import items as ticket_items
from shared.tickets.items import Task, Ticket

NEW_TICKETS_DAYS = 30


BUG_DAYS = 14


CUSTOMER_TIME_DAYS = 7


QUALITY_WEEKS = 8  # the SLA met ratio and satisfaction per week: this week and the seven before it


RATINGS = (1, 2, 3, 4, 5)


# The kanban of active tickets (R13, R28): resolved tickets only wait for the automatic close, so they are
# not on the board; they still count as overdue when their automatic close is late.
BOARD_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER)


OPEN_STATUSES_ORDERED = tuple(s for s in Status if s in OPEN_STATUSES)


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday of the ISO week holding the day."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


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


class _MonthSoFar:
    """A specialist's month up to a day: each counter the sum of the month's day items (read by one Query)."""

    def __init__(self, days: list[AgentFigures]) -> None:
        self._days = days

    def __getattr__(self, name: str) -> int:
        if name not in ("tasks_closed", "resolved", "sla_met", "sla_missed"):
            raise AttributeError(name)
        return sum(_n(item, name) for item in self._days)


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


def _customer_time(organisations: list[DirectoryEntry], first: date, day: date) -> list[dict[str, Any]]:
    """Each organisation's minutes per day from first to day: one Query per organisation."""
    customers = []
    for org in organisations:
        entries = _entries_for(org.ident, first, day)
        per_day = [{"date": d.isoformat(), "minutes": _minutes(entries, d)} for d in _days(first, day)]
        customers.append(
            {
                "organisation_id": org.ident,
                "name": org.name,
                "minutes": per_day[-1]["minutes"],
                "total_minutes": sum(p["minutes"] for p in per_day),
                "days": per_day,
            }
        )
    return customers


def _overdue_l2_tasks(staff: list[DirectoryEntry], now: str) -> tuple[list[str], list[Task]]:
    """The second line's groups and their queued tasks past due: one Query per group."""
    l2_groups = sorted({"L2", *(g for s in staff if s.line == "L2" for g in s.groups)})
    overdue_tasks = [
        t
        for group in l2_groups
        for t in _all(Entity.queue_index, ticket_items.queue_pk(group))
        if isinstance(t, Task) and t.due_at and t.due_at < now
    ]
    return l2_groups, overdue_tasks


def _active_board(now: str) -> tuple[dict[str, list[Ticket]], list[Ticket]]:
    """The active tickets per board status, and the resolved ones whose automatic close is late."""
    board: dict[str, list[Ticket]] = {
        s.value: [t for t in _all(Entity.open_index, ticket_items.open_pk(s.value)) if isinstance(t, Ticket)]
        for s in BOARD_STATUSES
    }
    late_resolved = [
        t
        for t in _all(Entity.open_index, ticket_items.open_pk(Status.RESOLVED.value), OpenIndex.open_sk < f"{now}#")
        if isinstance(t, Ticket)
    ]
    return board, late_resolved


def _kanban(active: list[Ticket], now: str) -> dict[str, list[dict[str, Any]]]:
    return {
        side: sorted(
            (_card(t, now) for t in active if (t.ball_side or "us") == side),
            key=lambda c: (c["ball_since"] or "", c["reference"]),
        )
        for side in ("us", "customer")
    }


def _overdue_tasks_view(l2_groups: list[str], overdue_tasks: list[Task]) -> dict[str, Any]:
    return {
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
    }


def _bugs_view(counters: dict[date, FigureDay], day: date) -> dict[str, Any]:
    bug_days = _days(day - timedelta(days=BUG_DAYS - 1), day)
    return {
        "total": sum(_n(counters.get(d), "bugs") + _n(counters.get(d), "critical_bugs") for d in bug_days),
        "days": [
            {
                "date": d.isoformat(),
                "bugs": _n(counters.get(d), "bugs"),
                "critical_bugs": _n(counters.get(d), "critical_bugs"),
            }
            for d in bug_days
        ],
    }


def _overdue_tickets_view(overdue: list[Ticket], now: str) -> dict[str, Any]:
    return {
        "count": len(overdue),
        "by_status": {s.value: sum(1 for t in overdue if t.status == s.value) for s in OPEN_STATUSES_ORDERED},
        "items": [_card(t, now) for t in sorted(overdue, key=lambda t: (t.due_at or "", t.reference))],
    }


def _specialists_day(
    staff: list[DirectoryEntry], staff_entries: dict[str, list[TimeEntry]], day: date
) -> list[dict[str, Any]]:
    return [
        {
            "sub": s.ident,
            "name": s.name,
            "role": s.role,
            "line": s.line,
            "minutes": _minutes(staff_entries[s.ident], day),
            "entries": _timeline(staff_entries[s.ident], day),
        }
        for s in staff
    ]


def _new_tickets_view(counters: dict[date, FigureDay], day: date) -> dict[str, Any]:
    new_days = _days(day - timedelta(days=NEW_TICKETS_DAYS - 1), day)
    return {
        "total": sum(_n(counters.get(d), "submitted") for d in new_days),
        "days": [{"date": d.isoformat(), "count": _n(counters.get(d), "submitted")} for d in new_days],
    }


def _low_ratings(first: date, last: date) -> list[LowRating]:
    """The ratings of 1-2 of the days first..last: one Query per calendar month touched."""
    found: list[LowRating] = []
    month = first.replace(day=1)
    while month <= last:
        pk, _ = day_key(month)
        condition = Entity.sk.between(f"LOWRATING#{first.isoformat()}", f"LOWRATING#{last.isoformat()}#~")
        found += [item for item in Entity.query(pk, condition) if isinstance(item, LowRating)]
        month = (month + timedelta(days=32)).replace(day=1)
    return found


def _quality_weeks(counters: dict[date, FigureDay], low: list[LowRating], monday: date) -> list[dict[str, Any]]:
    """R18, R30: per ISO week, oldest first: tickets resolved within every promise, and the customers' ratings
    (average, distribution, the comments of the ratings of 1-2)."""
    weeks = []
    for back in range(QUALITY_WEEKS - 1, -1, -1):
        first = monday - timedelta(weeks=back)
        days = _days(first, first + timedelta(days=6))
        resolved = sum(_n(counters.get(d), "resolved") for d in days)
        met = sum(_n(counters.get(d), "sla_met") for d in days)
        rated = sum(_n(counters.get(d), "rated") for d in days)
        rating_sum = sum(_n(counters.get(d), "rating_sum") for d in days)
        comments = sorted(
            (r for r in low if days[0].isoformat() <= (r.period or "") <= days[-1].isoformat()),
            key=lambda r: (r.period or "", r.reference or ""),
        )
        weeks.append(
            {
                "from": days[0].isoformat(),
                "to": days[-1].isoformat(),
                "resolved": resolved,
                "sla_met": met,
                "sla_missed": sum(_n(counters.get(d), "sla_missed") for d in days),
                "sla_met_ratio": _ratio(met, resolved),
                "rated": rated,
                "average_rating": round(rating_sum / rated, 2) if rated else None,
                "ratings": {str(n): sum(_n(counters.get(d), f"rating_{n}") for d in days) for n in RATINGS},
                "low_ratings": [
                    {
                        "date": r.period,
                        "ticket_id": r.ticket_id,
                        "reference": r.reference,
                        "organisation_id": r.organisation_id,
                        "rating": int(r.rating or 0),
                        "comment": r.comment,
                    }
                    for r in comments
                ],
            }
        )
    return weeks


def manager_figures(caller: Caller, day: date | None = None) -> dict[str, Any]:
    """R28: the process dashboard of one day; live figures (open tickets and tasks) are as of now."""
    if caller.role != Role.MANAGER:
        raise Forbidden("The process figures are for managers; your own figures are at GET /figures/me.")
    day = day or today()
    now = clock.now_iso()
    monday, sunday = week_of(day)
    first_week = monday - timedelta(weeks=QUALITY_WEEKS - 1)
    first_counter = min(day - timedelta(days=NEW_TICKETS_DAYS - 1), first_week)
    counters = _day_counters(first_counter, max(day, sunday))
    organisations, staff = _directory()

    staff_entries = {s.ident: _entries_by(s.ident, monday, sunday) for s in staff}
    customer_first = day - timedelta(days=CUSTOMER_TIME_DAYS - 1)
    customers = _customer_time(organisations, customer_first, day)
    l2_groups, overdue_tasks = _overdue_l2_tasks(staff, now)
    board, late_resolved = _active_board(now)
    overdue = [t for tickets in board.values() for t in tickets if t.due_at and t.due_at < now] + late_resolved
    kanban = _kanban([t for tickets in board.values() for t in tickets], now)
    return {
        "date": day.isoformat(),
        "timezone": str(ZONE),
        "as_of": now,
        "plan_fact": {
            "day": _plan_fact(counters, staff_entries, day, day),
            "week": _plan_fact(counters, staff_entries, monday, sunday),
        },
        "overdue_l2_tasks": _overdue_tasks_view(l2_groups, overdue_tasks),
        "bugs_last_14_days": _bugs_view(counters, day),
        "tickets_in_progress": len(board[Status.IN_PROGRESS.value]),
        "overdue_tickets": _overdue_tickets_view(overdue, now),
        "time_per_customer": {
            "from": customer_first.isoformat(),
            "to": day.isoformat(),
            "customers": customers,
        },
        "specialists_day": _specialists_day(staff, staff_entries, day),
        "kanban": {side: {"count": len(cards), "items": cards} for side, cards in kanban.items()},
        "new_tickets_per_day": _new_tickets_view(counters, day),
        "quality_per_week": _quality_weeks(counters, _low_ratings(first_week, sunday), monday),
    }


def personal_figures(caller: Caller, sub: str | None = None, day: date | None = None) -> dict[str, Any]:
    """R27: a specialist's own figures; a manager may read anyone's."""
    caller.require_staff()
    sub = sub or caller.sub
    if sub != caller.sub and caller.role != Role.MANAGER:
        raise Forbidden("Specialists see their own figures only (GET /figures/me).")
    person = directory.get_user(sub)
    if person is None or person.role not in (Role.AGENT.value, Role.MANAGER.value):
        raise NotFound(f"No specialist {sub}.")
    day = day or today()
    month = f"{day:%Y-%m}"
    monday, _ = week_of(day)
    month_start = day.replace(day=1)
    days = [
        item
        for item in AgentFigures.query(
            agent_pk(sub), AgentFigures.sk.between(f"DAY#{month_start.isoformat()}", f"DAY#{day.isoformat()}")
        )
        if isinstance(item, AgentFigures)
    ]
    day_counters = next((item for item in days if item.sk == f"DAY#{day.isoformat()}"), None)
    month_counters = _MonthSoFar(days)
    entries = _entries_by(sub, min(monday, month_start), day)
    owned = [t for t in _all(Entity.owner_index, f"OWNER#{sub}") if isinstance(t, Ticket)]
    resolved = _n(month_counters, "resolved")
    met = _n(month_counters, "sla_met")
    return {
        "sub": sub,
        "name": person.name,
        "date": day.isoformat(),
        # The month's figures in one place (the agent workspace's card): the month itself is `month.id`.
        "month": {
            "id": month,
            "tasks_closed": _n(month_counters, "tasks_closed"),
            "minutes_logged": _minutes(entries, month_start, day),
            "sla_met_ratio": _ratio(met, resolved),
        },
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
