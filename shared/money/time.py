"""R25: time logged on tickets, checked against the day and the contract."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.money.contracts import get_contract, hours, period_of, today_for
from shared.money.incidents import raise_incident
from shared.money.items import TimeEntry
from shared.money.usage import check_thresholds, usage
from shared.platform import bus, clock, store
from shared.platform.domain import Status
from shared.platform.errors import Conflict, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets import items as ticket_items
from shared.tickets.access import load_for
from shared.tickets.items import Task, Ticket
from shared.tickets.log import new_event, ticket_detail

MAX_MINUTES_PER_DAY = 24 * 60


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Unprocessable(
            f"{field} must be a date like 2026-11-23.", errors=[{"field": field, "message": "YYYY-MM-DD"}]
        ) from None


def _entry_id(caller: Caller, ticket: Ticket, idempotency_key: str | None) -> str:
    """The same key on the same ticket by the same person names the same entry."""
    if idempotency_key:
        return hashlib.sha256(f"{caller.sub}#{ticket.ticket_id}#{idempotency_key}".encode()).hexdigest()[:26].upper()
    return store.new_id()


def _check_entry(ticket: Ticket, items: list[Entity], minutes: int, task_id: str | None) -> None:
    if ticket.status == Status.DRAFT.value:
        raise Conflict(f"Ticket {ticket.reference} is a draft; time is logged on submitted tickets.")
    if not 1 <= minutes <= MAX_MINUTES_PER_DAY:
        raise Unprocessable("minutes must be 1..1440.", errors=[{"field": "minutes", "message": "1..1440"}])
    if task_id is not None and not any(isinstance(i, Task) and i.task_id == task_id for i in items):
        raise Unprocessable(
            f"Task {task_id} is not a task of ticket {ticket.reference}.",
            errors=[{"field": "task_id", "message": "not a task of this ticket"}],
        )


def _work_day(ticket: Ticket, work_date: str | None) -> date:
    """The day the time was spent: today in the organisation's zone unless given; not future, not before the ticket."""
    today = today_for(ticket.organisation_id)
    day = parse_date(work_date, "work_date") if work_date else today
    if day > today:
        raise Unprocessable(
            f"work_date {day} is in the future; log time once it is spent.",
            errors=[{"field": "work_date", "message": f"not after {today}"}],
        )
    opened = datetime.fromisoformat(ticket.created_at.replace("Z", "+00:00"))
    if day < today_for(ticket.organisation_id, opened) - timedelta(days=1):
        raise Unprocessable(
            f"work_date {day} is before the ticket was opened ({ticket.created_at[:10]}).",
            errors=[{"field": "work_date", "message": "before the ticket existed"}],
        )
    return day


def _started_at(started_at: str | None) -> str | None:
    """An ISO 8601 instant with a zone, not in the future, written the store's way."""
    if started_at is None:
        return None
    try:
        start = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
        if start.tzinfo is None:
            raise ValueError
    except ValueError:
        raise Unprocessable(
            "started_at must be an ISO 8601 instant with a zone, like 2026-11-23T09:30:00Z.",
            errors=[{"field": "started_at", "message": "ISO 8601 with zone"}],
        ) from None
    if start > clock.now():
        raise Unprocessable("started_at is in the future.", errors=[{"field": "started_at", "message": "future"}])
    return clock.iso(start)


def _check_day_total(caller: Caller, day: date, minutes: int) -> None:
    """A person logs at most a day's minutes on one day, over all tickets: one Query (TIMEBY#<sub>)."""
    same_day = Entity.requester_index.query(f"TIMEBY#{caller.sub}", Entity.gsi1sk.startswith(f"{day.isoformat()}#"))
    logged = sum(int(e.minutes) for e in same_day if isinstance(e, TimeEntry))
    if logged + minutes > MAX_MINUTES_PER_DAY:
        raise Unprocessable(
            f"You already logged {logged} minutes on {day}; a day has {MAX_MINUTES_PER_DAY}.",
            errors=[{"field": "minutes", "message": f"at most {MAX_MINUTES_PER_DAY - logged} more on {day}"}],
        )


def log_time(
    caller: Caller,
    ticket_id: str,
    *,
    minutes: int,
    billable: bool,
    task_id: str | None,
    work_date: str | None,
    started_at: str | None,
    note: str | None,
    idempotency_key: str | None = None,
) -> tuple[TimeEntry, bool]:
    """An agent's or manager's time on a ticket. Returns (entry, replayed)."""

    caller.require_staff()
    ticket, items = load_for(caller, ticket_id)
    entry_id = _entry_id(caller, ticket, idempotency_key)
    previous = next((i for i in items if isinstance(i, TimeEntry) and i.entry_id == entry_id), None)
    if previous is not None:
        return previous, True
    _check_entry(ticket, items, minutes, task_id)
    day = _work_day(ticket, work_date)
    started_at = _started_at(started_at)
    _check_day_total(caller, day, minutes)
    entry = TimeEntry(
        ticket_items.ticket_pk(ticket.ticket_id),
        f"TIME#{entry_id}",
        entry_id=entry_id,
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        task_id=task_id,
        organisation_id=ticket.organisation_id,
        service=ticket.service,
        agent_sub=caller.sub,
        minutes=minutes,
        billable=billable,
        work_date=day.isoformat(),
        started_at=started_at,
        note=note,
        created_at=clock.now_iso(),
        gsi1pk=f"TIMEBY#{caller.sub}",
        gsi1sk=f"{day.isoformat()}#{entry_id}",
        gsi2pk=f"TIMEORG#{ticket.organisation_id}",
        gsi2sk=f"{day.isoformat()}#{entry_id}",
    )
    event = new_event(
        ticket,
        caller,
        "TimeLogged",
        f"{minutes} min logged" + ("" if billable else " (not billable)"),
        public=False,
        entry_id=entry_id,
        minutes=minutes,
        billable=billable,
    )
    try:
        store.transact([(entry, TimeEntry.pk.does_not_exist()), (event, None)])
    except TransactWriteError:
        existing = TimeEntry.get(ticket_items.ticket_pk(ticket.ticket_id), f"TIME#{entry_id}")
        return existing, True
    bus.publish(
        "TimeLogged",
        {**ticket_detail(ticket), "entry_id": entry_id, "minutes": minutes, "billable": billable, "agent": caller.sub},
    )
    after_time(ticket, [*(i for i in items if isinstance(i, TimeEntry)), entry])
    return entry, False


def after_time(ticket: Ticket, entries: list[TimeEntry]) -> None:
    """R24: more than the contract's (default 10) specialist hours on one ticket; the period's hour limits."""
    contract = get_contract(ticket.organisation_id)
    threshold = int(contract.ticket_hours_incident) if contract else 10
    total = sum(int(e.minutes) for e in entries)
    if total > threshold * 60:
        raise_incident(
            "ticket_hours",
            ticket.ticket_id,
            f"More than {threshold} specialist hours on {ticket.reference} ({ticket.subject})",
            organisation_id=ticket.organisation_id,
            ticket_id=ticket.ticket_id,
            reference=ticket.reference,
            threshold_hours=threshold,
            hours=str(hours(total)),
        )
    if contract is not None:
        period = period_of(contract.period, today_for(ticket.organisation_id))
        check_thresholds(contract, period, usage(contract, period))


def ticket_time(caller: Caller, ticket_id: str) -> tuple[Ticket, list[TimeEntry]]:

    caller.require_staff()
    ticket, items = load_for(caller, ticket_id)
    entries = sorted((i for i in items if isinstance(i, TimeEntry)), key=lambda e: (e.work_date, e.created_at))
    return ticket, entries


def entry_view(entry: TimeEntry) -> dict[str, Any]:
    return {
        "id": entry.entry_id,
        "ticket_id": entry.ticket_id,
        "reference": entry.reference,
        "task_id": entry.task_id,
        "organisation_id": entry.organisation_id,
        "service": entry.service,
        "agent": entry.agent_sub,
        "minutes": int(entry.minutes),
        "billable": entry.billable,
        "work_date": entry.work_date,
        "started_at": entry.started_at,
        "note": entry.note,
        "created_at": entry.created_at,
    }
