"""Support plans (R7, R18): promises and internal targets per classification on a working calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from shared.platform.domain import ANY_SERVICE, CLASSIFICATIONS, DESK_TIMEZONE, UNCLASSIFIED
from shared.platform.durations import format_duration, parse_duration
from shared.sla.calendars import MAX_CLOSED_DAYS, WEEKDAYS, Calendar

STAFF_ROLES = frozenset({"agent", "manager"})


ClockName = Literal["reaction", "resolution"]


ClockPhase = Literal["running", "paused", "met", "stopped"]


SegmentKind = Literal["counted", "paused", "outside_hours"]


TimerKind = Literal[
    "reaction_warning", "reaction_breach", "resolution_warning", "resolution_breach", "reminder", "auto_close"
]


# Ties between timers at the same instant go in this order: warnings before breaches, the clocks before housekeeping.
TIMER_ORDER: tuple[TimerKind, ...] = (
    "reaction_warning",
    "reaction_breach",
    "resolution_warning",
    "resolution_breach",
    "reminder",
    "auto_close",
)


@dataclass(frozen=True)
class Target:
    """A customer-facing promise and the internal target the team works to, both in working time (R18)."""

    promise: timedelta
    internal: timedelta

    def __post_init__(self) -> None:
        if self.internal <= timedelta(0):
            raise ValueError(f"internal target {self.internal} must be positive")
        if self.internal >= self.promise:
            raise ValueError(
                f"internal target {format_duration(self.internal)} must be shorter than the promise "
                f"{format_duration(self.promise)} (R18: about a third of it)"
            )

    @classmethod
    def from_json(cls, data: Any, where: str) -> Target:
        if not isinstance(data, Mapping):
            raise ValueError(f"{where} must be an object with 'promise' and 'internal'")
        promise = _duration(data.get("promise"), f"{where}.promise")
        internal = _duration(data.get("internal"), f"{where}.internal")
        try:
            return cls(promise, internal)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    def to_json(self) -> dict[str, str]:
        return {"promise": format_duration(self.promise), "internal": format_duration(self.internal)}


@dataclass(frozen=True)
class ClassTargets:
    """Reaction and resolution targets of one classification; no resolution target for improvements (R7)."""

    reaction: Target
    resolution: Target | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "reaction": self.reaction.to_json(),
            "resolution": self.resolution.to_json() if self.resolution else None,
        }


@dataclass(frozen=True)
class SupportPlan:
    """What a customer organisation bought (R17): a calendar and targets per service and classification.

    `targets` is keyed by service key or "*" (any service), then by classification or "unclassified" (until L1
    classifies). `reminder_after` is working time after the ball went to the customer; `auto_close_after_days`
    counts working days (`add_working_days`), R21.
    """

    name: str
    calendar: Calendar
    targets: Mapping[str, Mapping[str, ClassTargets]]
    reminder_after: timedelta = timedelta(hours=16)
    auto_close_after_days: int = 3

    def __post_init__(self) -> None:
        known = (*CLASSIFICATIONS, UNCLASSIFIED)
        for service, by_class in self.targets.items():
            for classification in by_class:
                if classification not in known:
                    raise ValueError(
                        f"plan {self.name}: unknown classification {classification!r} under {service!r}; "
                        f"use one of {', '.join(known)}"
                    )
        if self.reminder_after <= timedelta(0):
            raise ValueError(f"plan {self.name}: reminder_after must be positive")
        if self.auto_close_after_days < 1:
            raise ValueError(f"plan {self.name}: auto_close_after_days must be at least 1")

    def targets_for(self, service: str, classification: str) -> ClassTargets:
        """The service's own targets first, then the plan-wide ("*") ones; KeyError when neither has them."""
        for key in (service, ANY_SERVICE):
            found = self.targets.get(key, {}).get(classification)
            if found is not None:
                return found
        raise KeyError(
            f"plan {self.name!r} has no targets for classification {classification!r} of service {service!r} "
            f"(looked under {service!r} and {ANY_SERVICE!r})"
        )

    @classmethod
    def from_json(cls, data: Any) -> SupportPlan:
        """Build from the stored JSON shape; every problem is a ValueError that names the offending field."""
        if not isinstance(data, Mapping):
            raise ValueError("plan must be a JSON object")
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("plan needs a 'name'")
        try:
            calendar = Calendar.from_json(data.get("calendar"))
        except ValueError as exc:
            raise ValueError(f"plan calendar: {exc}") from None
        raw_targets = data.get("targets")
        if not isinstance(raw_targets, Mapping) or not raw_targets:
            raise ValueError("plan needs 'targets': {service or '*': {classification: {reaction, resolution}}}")
        targets: dict[str, dict[str, ClassTargets]] = {}
        for service, by_class in raw_targets.items():
            if not isinstance(by_class, Mapping):
                raise ValueError(f"targets.{service} must be an object keyed by classification")
            targets[service] = {}
            for classification, raw in by_class.items():
                where = f"targets.{service}.{classification}"
                if not isinstance(raw, Mapping):
                    raise ValueError(f"{where} must be an object with 'reaction' and 'resolution'")
                resolution = raw.get("resolution")
                targets[service][classification] = ClassTargets(
                    Target.from_json(raw.get("reaction"), f"{where}.reaction"),
                    None if resolution is None else Target.from_json(resolution, f"{where}.resolution"),
                )
        days = data.get("auto_close_after_days", 3)
        if not isinstance(days, int) or isinstance(days, bool):
            raise ValueError("'auto_close_after_days' must be a whole number of working days")
        return cls(
            name=name,
            calendar=calendar,
            targets=targets,
            reminder_after=_duration(data.get("reminder_after", "PT16H"), "reminder_after"),
            auto_close_after_days=days,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON shape `from_json` reads back into an equal plan."""
        return {
            "name": self.name,
            "calendar": self.calendar.to_json(),
            "targets": {
                service: {classification: t.to_json() for classification, t in by_class.items()}
                for service, by_class in self.targets.items()
            },
            "reminder_after": format_duration(self.reminder_after),
            "auto_close_after_days": self.auto_close_after_days,
        }


def _duration(value: Any, where: str) -> timedelta:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be an ISO 8601 duration such as PT4H")
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _t(promise: str, internal: str) -> Target:
    return Target(parse_duration(promise), parse_duration(internal))


PRAGUE_OFFICE = Calendar.from_json(
    {
        "timezone": DESK_TIMEZONE,
        "hours": {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]},
        "holidays": {"country": "CZ"},
    }
)


DEFAULT_PLAN = SupportPlan(
    name="default",
    calendar=PRAGUE_OFFICE,
    targets={
        ANY_SERVICE: {
            UNCLASSIFIED: ClassTargets(_t("PT4H", "PT1H20M")),
            "question": ClassTargets(_t("PT4H", "PT1H20M"), _t("PT16H", "PT5H20M")),
            "bug": ClassTargets(_t("PT2H", "PT40M"), _t("PT24H", "PT8H")),
            "critical_bug": ClassTargets(_t("PT30M", "PT10M"), _t("PT2H", "PT40M")),
            "improvement": ClassTargets(_t("PT8H", "PT2H40M")),
        }
    },
)


# For important customers (R15): the same office hours, every target about twice as fast.
VIP_PLAN = SupportPlan(
    name="vip",
    calendar=PRAGUE_OFFICE,
    targets={
        ANY_SERVICE: {
            UNCLASSIFIED: ClassTargets(_t("PT1H", "PT20M")),
            "question": ClassTargets(_t("PT1H", "PT20M"), _t("PT8H", "PT2H40M")),
            "bug": ClassTargets(_t("PT1H", "PT20M"), _t("PT12H", "PT4H")),
            "critical_bug": ClassTargets(_t("PT15M", "PT5M"), _t("PT1H", "PT20M")),
            "improvement": ClassTargets(_t("PT4H", "PT1H20M")),
        }
    },
)


PLANS: dict[str, SupportPlan] = {plan.name: plan for plan in (DEFAULT_PLAN, VIP_PLAN)}


def plan_named(name: str | None) -> SupportPlan:
    """The plan assigned to an organisation by name; organisations without one get the default."""
    if name is None:
        return DEFAULT_PLAN
    try:
        return PLANS[name]
    except KeyError:
        raise KeyError(f"no support plan {name!r}; known plans: {', '.join(sorted(PLANS))}") from None


def aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")
    return moment


def is_working_day(calendar: Calendar, day: date) -> bool:
    """A local day with any opening that is not a holiday (every day on a 24x7 calendar)."""
    return calendar.twenty_four_seven or (bool(calendar.hours[day.weekday()]) and not calendar.is_holiday(day))


def add_working_days(calendar: Calendar, moment: datetime, days: int) -> datetime:
    """The same local wall-clock time on the `days`-th following working day, or that day's next opening if closed.

    R21 says "3 days"; counting working days keeps a Friday resolution from closing over the weekend before the
    customer could read it. A wall time skipped by a DST jump is read with the offset from before the jump
    (zoneinfo's fold=0). The result is in the calendar's zone, like `Calendar.add`.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    local = aware(moment, "moment").astimezone(calendar.zone)
    day, searched = local.date(), 0
    for _ in range(days):
        day += timedelta(days=1)
        while not is_working_day(calendar, day):
            day += timedelta(days=1)
            searched += 1
            if searched > MAX_CLOSED_DAYS:
                raise ValueError(f"calendar has no working day in the {MAX_CLOSED_DAYS} days after {local.date()}")
    wall = datetime.combine(day, local.time()).replace(tzinfo=calendar.zone)
    return calendar.next_opening(wall)
