"""What runs on a schedule. One definition for both clouds: the CDK app creates an EventBridge
Scheduler schedule from each entry, and the local stack (where moto never fires schedules) fires
them itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str  # EventBridge Scheduler syntax: rate(...) or cron(...)
    timezone: str
    function: str  # short name of the Lambda function it invokes
    payload: dict[str, Any] = field(default_factory=dict)
    description: str = ""


SCHEDULES: tuple[Schedule, ...] = (
    Schedule(
        name="close-silent-resolved",
        expression="rate(15 minutes)",
        timezone="UTC",
        function="housekeeping",
        payload={"action": "close_resolved_after_silence"},
        description="R21: close resolved tickets whose customer stayed silent past the auto-close time",
    ),
    Schedule(
        name="daily-review",
        expression="cron(0 8 ? * MON-FRI *)",
        timezone="Europe/Prague",
        function="housekeeping",
        payload={"action": "daily_review", "idle_working_hours": 4},
        description="R20: every working-day morning, one review task per support group for the open tickets "
        "that need a nudge (none on a holiday of the plan calendar)",
    ),
    Schedule(
        name="weekly-review",
        expression="cron(30 7 ? * MON *)",
        timezone="Europe/Prague",
        function="housekeeping",
        payload={"action": "weekly_review"},
        description="R22: every Monday morning, a review task for the managers for each case open more than a week",
    ),
    Schedule(
        name="billing-check",
        expression="cron(0 6 * * ? *)",
        timezone="Europe/Prague",
        function="housekeeping",
        payload={"action": "billing_check"},
        description="R23-R25: contract usage, 80 %/100 % incidents, invoice drafts before the period ends, overdue",
    ),
)

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int:
    """Seconds between firings of a rate() expression."""
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"not a rate expression: {expression!r}")
    value, unit = int(match.group(1)), match.group(2).rstrip("s")
    if value < 1 or (value == 1) != (match.group(2) == unit):
        raise ValueError(f"{expression!r}: use 'rate(1 {unit})' or 'rate(N {unit}s)' with N > 1")
    return value * _UNIT_SECONDS[unit]


def by_name(name: str) -> Schedule:
    for schedule in SCHEDULES:
        if schedule.name == name:
            return schedule
    raise KeyError(f"no schedule {name!r}; known: {', '.join(s.name for s in SCHEDULES)}")


# --- cron(): EventBridge Scheduler's cron syntax, computed locally ---------------------------------------------
#
# cron(minutes hours day-of-month month day-of-week year), evaluated as wall-clock time in the schedule's time
# zone (ScheduleExpressionTimezone). Day-of-week 1-7 is SUN-SAT; one of day-of-month / day-of-week must be "?".
# Supported: numbers, names (JAN-DEC, SUN-SAT), "*", "?", lists "a,b", ranges "a-b", steps "*/n" and "a/n",
# "a-b/n". Not supported locally (ValueError): L, W and # (no schedule here uses them).
# Daylight saving: a wall time the spring-forward jump skips does not fire that day; a wall time the fall-back
# repeats fires once, at its first occurrence.

_CRON = re.compile(r"^cron\((.+)\)$")
_MONTHS = {
    m: i
    for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_FIELDS = (  # name, low, high, names
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)
# How far ahead next_firing looks before deciding a cron expression never fires (e.g. cron(0 0 31 2 ? *)).
_CRON_HORIZON_DAYS = 5 * 366


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: "?" (any)
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # None: "?" (any); 1 = Sunday ... 7 = Saturday
    years: frozenset[int]

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.days_of_month is not None and day.day not in self.days_of_month:
            return False
        eventbridge_weekday = (day.weekday() + 1) % 7 + 1  # Python Monday=0 -> EventBridge MON=2
        return self.days_of_week is None or eventbridge_weekday in self.days_of_week


def _cron_value(text: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        hint = f" or one of {', '.join(names)}" if names else ""
        raise ValueError(f"cron {name}: {text!r} is not a number{hint} (L, W and # are not supported locally)")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"cron {name}: {value} is outside {low}-{high}")
    return value


def _cron_field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> frozenset[int] | None:
    if text == "?":
        if name not in ("day-of-month", "day-of-week"):
            raise ValueError(f"cron {name}: '?' is allowed only in day-of-month or day-of-week")
        return None
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"cron {name}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = (_cron_value(first, name, low, high, names), _cron_value(last, name, low, high, names))
            if start > end:
                raise ValueError(f"cron {name}: range {base!r} runs backwards")
        else:
            start = _cron_value(base, name, low, high, names)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> Cron:
    """The six fields of an EventBridge Scheduler cron() expression; ValueError names the bad field."""
    match = _CRON.match(expression.strip())
    if not match:
        raise ValueError(f"not a cron expression: {expression!r}")
    parts = match.group(1).split()
    if len(parts) != 6:
        raise ValueError(f"{expression!r}: cron takes 6 fields (minutes hours day-of-month month day-of-week year)")
    fields = [_cron_field(text, *spec) for text, spec in zip(parts, _FIELDS, strict=True)]
    minutes, hours, dom, months, dow, years = fields
    if (dom is None) == (dow is None):
        raise ValueError(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
    assert minutes is not None and hours is not None and months is not None and years is not None
    return Cron(minutes, hours, dom, months, dow, years)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("use an aware datetime (e.g. tzinfo=UTC)")
    return moment.astimezone(UTC)


def next_firing(expression: str, timezone: str, after: datetime) -> datetime:
    """The first instant (UTC) strictly after `after` at which the schedule fires.

    rate(): `after` plus the rate (the local scheduler counts a rate from its previous firing, or from its start).
    cron(): the next wall-clock time in `timezone` that the six fields allow."""
    after = _utc(after)
    if expression.strip().startswith("rate("):
        return after + timedelta(seconds=rate_seconds(expression))
    cron = parse_cron(expression)
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    day = local.date()
    for _ in range(_CRON_HORIZON_DAYS):
        if cron.matches_day(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    wall = datetime.combine(day, time(hour, minute)).replace(tzinfo=zone)
                    instant = wall.astimezone(UTC)
                    if instant.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
                        continue  # skipped by a spring-forward jump
                    if instant > after:
                        return instant
        day += timedelta(days=1)
    raise ValueError(f"{expression!r} does not fire within {_CRON_HORIZON_DAYS} days after {after.isoformat()}")


def check_expression(expression: str) -> None:
    """ValueError unless the expression is a rate() or cron() the local scheduler can compute."""
    if expression.strip().startswith("rate("):
        rate_seconds(expression)
    else:
        parse_cron(expression)
