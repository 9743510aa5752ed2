"""What runs on a schedule. One definition for both clouds: the CDK app creates an EventBridge
Scheduler schedule from each entry, and the local stack (where moto never fires schedules) fires
them itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


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
        name="billing-check",
        expression="rate(1 day)",
        timezone="UTC",
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
