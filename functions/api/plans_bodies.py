"""Request bodies of the calendars and support plans (functions.api.plans); the deep checks (R18, overlapping
hours, known holiday countries) are shared.directory.plan_terms', so a manager gets them all at once."""

from __future__ import annotations

from pydantic import Field

from functions.api.bodies import Body


class SlaHolidays(Body):
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 country of the public holidays, e.g. CZ")
    subdivision: str | None = Field(default=None, description="A subdivision of that country, e.g. BY for DE")
    dates: list[str] = Field(default_factory=list, max_length=400, description="Extra days off, YYYY-MM-DD")


class SlaCalendar(Body):
    title: str | None = Field(default=None, max_length=200)
    timezone: str = Field(min_length=1, max_length=64, description="IANA time zone, e.g. Europe/Prague")
    always_open: bool = Field(default=False, description="24x7: no hours, no holidays")
    hours: dict[str, list[list[str]]] | None = Field(
        default=None,
        description='Opening intervals per weekday (mon..sun); breaks are the gaps: {"mon": '
        '[["09:00", "12:00"], ["13:00", "17:00"]]}',
    )
    holidays: SlaHolidays | None = None


class SlaTarget(Body):
    promise: str = Field(description="What the customer is promised, ISO 8601 working time, e.g. PT4H")
    internal: str = Field(description="The team's internal target, shorter than the promise (R18), e.g. PT1H20M")


class SlaClassTargets(Body):
    reaction: SlaTarget
    resolution: SlaTarget | None = None


class SlaPlan(Body):
    title: str | None = Field(default=None, max_length=200)
    calendar_id: str = Field(min_length=1, max_length=63, description="The calendar the plan's clocks run on")
    targets: dict[str, dict[str, SlaClassTargets]] = Field(
        description='Per service key ("*": any service), per classification (unclassified, question, bug, '
        "critical_bug, improvement): reaction and resolution targets"
    )
    reminder_after: str = Field(default="PT16H", description="Working time before a silent customer is reminded")
    auto_close_after_days: int = Field(default=3, description="Working days of silence before closing (R21)")
