"""Why a ticket's deadlines are what they are (issue 14): its promises and the intervals of its ledger, each with
a reason a person reads (counted, paused with the customer, outside working hours, a holiday by name). The same
ledger `caseway sla explain` prints; computed in the route worker (the API asks it: workflows.ask_worker)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

import holidays

from shared.clocks import plans as clock_plans
from shared.clocks.ticket import ledger_of, plan_for
from shared.directory import plans as stored
from shared.platform import clock
from shared.sla.calendars import Calendar
from shared.sla.ledger import ClockState, Ledger, Segment
from shared.tickets import items as ticket_items

EXPLAIN_ACTION = "sla_explain"
WAITING = "waiting for the customer"
COUNTED = "our move, within working hours"
AFTER_HOURS = "outside working hours"
DAY_OFF = "day off"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    kind: str  # counted | paused | outside_hours | holiday
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "start": clock.iso(self.start),
            "end": clock.iso(self.end),
            "kind": self.kind,
            "reason": self.reason,
            "seconds": int((self.end - self.start).total_seconds()),
        }


def explain_ticket(ticket_id: str) -> dict[str, Any]:
    """The SLA explanation of a ticket now, from its own log (what GET /tickets/{id}/sla answers)."""
    ticket, items = ticket_items.load_ticket(ticket_id)
    plan = plan_for(ticket)
    state = ledger_of(ticket, items)
    plan_id, calendar_id = stored.terms_of_organisation(ticket.organisation_id)
    body = clock_plans.stored_body("plan", plan_id) or {}
    return {
        "reference": ticket.reference,
        "plan": {"id": plan_id, "name": body.get("title") or clock_plans.PLAN_TITLES.get(plan_id) or plan_id},
        "calendar": {"id": clock_plans.calendar_id_of(plan_id, calendar_id), "time_zone": plan.calendar.timezone},
        "classification": state.classification,
        "now": clock.iso(state.now),
        "promises": promises(state),
        "intervals": [i.to_json() for i in intervals(state, plan.calendar)],
    }


def promises(state: Ledger) -> list[dict[str, Any]]:
    """The reaction and resolution promises, and the internal target (R18) of the clock that runs now (the
    resolution once there is one)."""
    found = [_promise("reaction", state.reaction, state.now)]
    if state.resolution is not None:
        found.append(_promise("resolution", state.resolution, state.now))
    if state.resolution is not None:
        found.append(_internal("resolution", state.resolution, state.now))
    else:
        found.append(_internal("reaction", state.reaction, state.now))
    return found


def _promise(kind: str, state: ClockState, now: datetime) -> dict[str, Any]:
    if state.breached:
        verdict = "breached"
    elif state.phase in ("met", "stopped"):
        verdict = "met"
    elif state.phase == "paused":
        verdict = "paused"
    else:
        verdict = "warned" if now >= state.internal_due else "running"
    return {
        "kind": kind,
        "due_at": clock.iso(state.due),
        "state": verdict,
        "allowed_seconds": int(state.target.promise.total_seconds()),
        "counted_seconds": int(state.consumed.total_seconds()),
    }


def _internal(clock_name: str, state: ClockState, now: datetime) -> dict[str, Any]:
    """The internal target: met when the clock stopped before it, breached once it passed, else as the clock."""
    if state.phase in ("met", "stopped"):
        verdict = "met" if state.met_at is None or state.met_at <= state.internal_due else "breached"
    elif now >= state.internal_due:
        verdict = "breached"
    else:
        verdict = "paused" if state.phase == "paused" else "running"
    return {
        "kind": "internal",
        "clock": clock_name,  # whose internal target it is
        "due_at": clock.iso(state.internal_due),
        "state": verdict,
        "allowed_seconds": int(state.target.internal.total_seconds()),
        "counted_seconds": int(state.consumed.total_seconds()),
    }


def intervals(state: Ledger, calendar: Calendar) -> list[Interval]:
    """The ledger's stretches of the clock that runs now (the resolution's cover the reaction's too), outside
    hours cut at local midnights to name each day, then neighbours with the same reason joined."""
    clock_name = "resolution" if any(s.clock == "resolution" for s in state.explanation) else "reaction"
    pieces: list[Interval] = []
    for segment in (s for s in state.explanation if s.clock == clock_name and s.end > s.start):
        pieces += _named(segment, calendar)
    joined: list[Interval] = []
    for piece in pieces:
        last = joined[-1] if joined else None
        if last is not None and last.end == piece.start and (last.kind, last.reason) == (piece.kind, piece.reason):
            joined[-1] = Interval(last.start, piece.end, last.kind, last.reason)
        else:
            joined.append(piece)
    return joined


def _named(segment: Segment, calendar: Calendar) -> list[Interval]:
    if segment.kind == "counted":
        return [Interval(segment.start, segment.end, "counted", COUNTED)]
    if segment.kind == "paused":
        return [Interval(segment.start, segment.end, "paused", WAITING)]
    named = []
    for start, end in _days(segment.start, segment.end, calendar):
        day = start.astimezone(calendar.zone).date()
        if calendar.is_holiday(day):
            kind, closed = "holiday", holiday_name(calendar, day)
        elif not calendar.hours[day.weekday()]:
            kind, closed = "outside_hours", WEEKDAYS[day.weekday()]
        else:
            kind, closed = "outside_hours", AFTER_HOURS
        if segment.paused:  # the ball was on the customer's side: a person sees the pause, and why the desk was shut
            named.append(Interval(start, end, "paused", f"{WAITING}; {closed}"))
        else:
            named.append(Interval(start, end, kind, closed))
    return named


def _days(start: datetime, end: datetime, calendar: Calendar) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at the calendar zone's midnights."""
    cuts = []
    cursor = start
    while cursor < end:
        local = cursor.astimezone(calendar.zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=calendar.zone)
        following = min(midnight, end)
        cuts.append((cursor, following))
        cursor = following
    return cuts


def holiday_name(calendar: Calendar, day: date) -> str:
    """The public holiday's English name (e.g. "Christmas Day"); a date the calendar closes by hand: "day off"."""
    if day in calendar.extra_holidays or calendar.country is None:
        return DAY_OFF
    return _holiday_names(calendar.country, calendar.subdivision, day.year).get(day) or DAY_OFF


@cache
def _holiday_names(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=year, language="en_US")
    except (NotImplementedError, ValueError):
        found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return dict(found.items())
