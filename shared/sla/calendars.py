"""Working calendars: the clock SLAs run on (R17), and where a request made after hours starts (R4).

A calendar is a time zone, opening intervals per weekday in local wall-clock time, and days off (public holidays
of a country from the `holidays` package, plus explicit dates). Everything here is pure: no AWS, no current time.

Semantics, chosen once so every caller agrees:

* Opening intervals are half-open, ``[open, close)``: at the closing instant the desk is closed.
* Wall-clock boundaries become instants per day. A boundary at wall time T is *the first instant at which the local
  clock shows T or later*. So on a spring-forward night a time that does not exist (02:30 in Prague on 2026-03-29)
  becomes the jump itself (03:00 CEST): an office "open 02:30-05:00" is open as soon as the clock has passed 02:30.
  On a fall-back night an ambiguous time is its first occurrence (the summer-time one). This mapping never goes
  backwards, so a day's intervals stay ordered and never overlap; one that the jump swallows whole is dropped.
  Working time is then measured in real elapsed time: 01:00-04:00 is 2 h on the spring night and 4 h on the
  autumn one.
* A holiday closes the whole local day.
* Durations are exact real time (``timedelta``); there is no "working day" unit, because a day's length depends on
  the calendar. All arithmetic is done on UTC instants: Python compares and subtracts two datetimes that share a
  tzinfo by their wall clocks, which is wrong across DST changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
# A calendar that stays closed this long is broken; searching further would only hide the bug.
MAX_CLOSED_DAYS = 3 * 366
# Days of openings memoised per calendar before the memo starts over, to bound memory in a long-lived process.
DAY_CACHE_SIZE = 20 * 366

Interval = tuple[int, int]
"""Opening interval as minutes since local midnight, ``0 <= open < close <= 1440`` (1440 is "24:00")."""

_CLOCK = re.compile(r"(\d{2}):(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Calendar:
    """Contractual hours in one IANA time zone, with days off; or 24x7 when `twenty_four_seven` is set."""

    timezone: str
    hours: tuple[tuple[Interval, ...], ...] = ((),) * 7
    country: str | None = None
    subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()
    twenty_four_seven: bool = False
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    # Per-day openings memo. Not part of the value (compare=False); a plain dict is safe to share across threads.
    _days: dict[date, list[tuple[datetime, datetime]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _zone(self.timezone))
        object.__setattr__(self, "hours", _checked_hours(self.hours))
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        if self.twenty_four_seven:
            if any(self.hours) or self.country or self.extra_holidays:
                raise ValueError("an always-open calendar takes no hours and no holidays")
            return
        if not any(self.hours):
            raise ValueError("calendar has no opening hours on any weekday")
        if self.subdivision and not self.country:
            raise ValueError("holiday subdivision given without a country")
        if self.country:
            _check_country(self.country, self.subdivision)

    # --- construction -------------------------------------------------------------------------------------------

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> Calendar:
        """24x7: working time is real time. The zone only decides how results are shown."""
        return cls(timezone=timezone, twenty_four_seven=True)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calendar:
        """Build from the stored JSON shape; every problem is a ValueError that names the offending field.

        Weekdays missing from ``hours`` are closed. Unknown top-level fields are ignored so the document can carry
        more (a name, a description) than the clock needs.
        """
        if not isinstance(data, Mapping):
            raise ValueError("calendar must be a JSON object")
        timezone = data.get("timezone")
        if not isinstance(timezone, str) or not timezone:
            raise ValueError("calendar needs a 'timezone' such as 'Europe/Prague'")
        always = data.get("always_open", False)
        if not isinstance(always, bool):
            raise ValueError("'always_open' must be true or false")
        if always:
            if data.get("hours") or data.get("holidays"):
                raise ValueError("an always-open calendar takes no 'hours' and no 'holidays'")
            return cls.always_open(timezone)
        country, subdivision, dates = _parse_holidays(data.get("holidays") or {})
        return cls(
            timezone=timezone,
            hours=_parse_hours(data.get("hours")),
            country=country,
            subdivision=subdivision,
            extra_holidays=dates,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON shape `from_json` reads back into an equal calendar."""
        if self.twenty_four_seven:
            return {"timezone": self.timezone, "always_open": True}
        return {
            "timezone": self.timezone,
            "hours": {
                name: [[_clock_text(start), _clock_text(end)] for start, end in intervals]
                for name, intervals in zip(WEEKDAYS, self.hours, strict=True)
            },
            "holidays": {
                "country": self.country,
                "subdivision": self.subdivision,
                "dates": sorted(day.isoformat() for day in self.extra_holidays),
            },
        }

    # --- queries ------------------------------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of working time has passed since `start` (R4, R17).

        From a closed instant the clock starts at the next opening, so a zero duration from a closed instant is the
        next opening (the moment the clock would start) and from an open instant is `start` itself. A duration that
        runs out exactly at a closing time gives that closing instant, not the next opening: the deadline is when
        the work had to be done, not when someone is next there to notice.
        """
        moment = _utc(start, "start")
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        if duration > datetime.max.replace(tzinfo=UTC) - moment:  # working time never runs faster than real time
            raise ValueError(f"duration {duration} from {start.isoformat()} runs past the year 9999")
        if self.twenty_four_seven:
            return (moment + duration).astimezone(self._zone)
        remaining = duration
        for opens, closes in self._openings_from(moment):
            if remaining <= closes - opens:
                return (opens + remaining).astimezone(self._zone)
            remaining -= closes - opens
        raise AssertionError("unreachable: _openings_from is endless or raises")  # pragma: no cover

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in ``[a, b)``; zero when `b` is not after `a`."""
        start, end = _utc(a, "a"), _utc(b, "b")
        if end <= start:
            return timedelta(0)
        if self.twenty_four_seven:
            return end - start
        total = timedelta(0)
        for opens, closes in self._openings_from(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when open, else the instant the desk next opens: where an SLA clock started at `at` runs."""
        return self.add(at, timedelta(0))

    def is_open(self, at: datetime) -> bool:
        """Whether `at` lies inside an opening interval (closing instants are closed)."""
        # Compared in UTC: PEP 495 makes an inter-zone == False for any instant in a DST fold or gap.
        return _utc(self.next_opening(at), "at") == _utc(at, "at")

    def is_holiday(self, day: date) -> bool:
        """Whether the local day `day` is a day off (public holiday of the country, or an explicit date)."""
        if day in self.extra_holidays:
            return True
        return self.country is not None and day in _public_holidays(self.country, self.subdivision, day.year)

    # --- internals ----------------------------------------------------------------------------------------------

    def _openings_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The local day's opening intervals as UTC instants, memoised: long SLAs and reports walk the same days."""
        if (openings := self._days.get(day)) is None:
            if len(self._days) >= DAY_CACHE_SIZE:
                self._days.clear()
            openings = self._days[day] = self._compute_openings_on(day)
        return openings

    def _compute_openings_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The local day's opening intervals as UTC instants, empty ones (swallowed by a DST jump) dropped."""
        if self.is_holiday(day):
            return []
        midnight = datetime.combine(day, time())
        openings = []
        for start, end in self.hours[day.weekday()]:
            opens = _first_instant(midnight + timedelta(minutes=start), self._zone)
            closes = _first_instant(midnight + timedelta(minutes=end), self._zone)
            if opens < closes:
                openings.append((opens, closes))
        return openings

    def _openings_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals that close after `moment`, in order, the first clipped to open no earlier than it.

        Walks day by day (never minute by minute) and gives up with a ValueError after `MAX_CLOSED_DAYS` days in a
        row without an opening, so a calendar closed by its holidays cannot loop forever.
        """
        # Start a day early: around DST changes a UTC instant's local date and its day's intervals can disagree.
        day = moment.astimezone(self._zone).date() - timedelta(days=1)
        since, closed_days = day, 0
        while True:
            try:
                today = self._openings_on(day)
                day += timedelta(days=1)
            except OverflowError:
                raise ValueError("working time runs past the year 9999") from None
            openings = [(max(opens, moment), closes) for opens, closes in today if closes > moment]
            if openings:
                since, closed_days = day, 0
                yield from openings
            else:
                closed_days += 1
                if closed_days > MAX_CLOSED_DAYS:
                    raise ValueError(f"calendar has no working time in the {MAX_CLOSED_DAYS} days from {since}")


# --- helpers ----------------------------------------------------------------------------------------------------


def _utc(moment: datetime, name: str) -> datetime:
    """`moment` as a UTC instant; naive datetimes are refused because their instant is unknown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")
    return moment.astimezone(UTC)


def _first_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the clock in `zone` shows the naive wall time `local` or later.

    For an ambiguous time that is its first occurrence (``fold=0``). For a time skipped by a spring-forward jump it
    is the jump itself, found by bisecting between the readings with the offsets from before and after the jump.
    """
    guess = local.replace(tzinfo=zone).astimezone(UTC)
    if _wall(guess, zone) == local:
        return guess
    # Nonexistent: fold=0 reads it with the old offset (an instant after the jump), fold=1 with the new one (before).
    before, after = local.replace(tzinfo=zone, fold=1).astimezone(UTC), guess
    # Offsets and transitions are whole seconds, so bisecting whole seconds lands exactly on the jump.
    while (gap := (after - before) // timedelta(seconds=1)) > 1:
        middle = before + timedelta(seconds=gap // 2)
        if _wall(middle, zone) >= local:
            after = middle
        else:
            before = middle
    return after


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None, fold=0)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Prague'") from None


def _check_country(country: str, subdivision: str | None) -> None:
    if country not in holidays.list_supported_countries():
        raise ValueError(f"unknown holiday country {country!r}; use an ISO 3166-1 alpha-2 code such as 'CZ'")
    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        raise ValueError(f"unknown holiday subdivision {subdivision!r} for country {country!r}") from None


@lru_cache(maxsize=512)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """One year's public holidays, cached: the package computes them (Easter and all) on every construction."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _checked_hours(hours: tuple[tuple[Interval, ...], ...]) -> tuple[tuple[Interval, ...], ...]:
    """Hours sorted per weekday, after checking they are valid, ordered and non-overlapping (touching is fine)."""
    if len(hours) != 7:
        raise ValueError(f"hours need one entry per weekday (7), got {len(hours)}")
    checked = []
    for name, intervals in zip(WEEKDAYS, hours, strict=True):
        ordered = tuple(sorted((int(start), int(end)) for start, end in intervals))
        for start, end in ordered:
            if not 0 <= start < DAY_MINUTES or not 0 < end <= DAY_MINUTES:
                raise ValueError(f"{name}: interval {start}-{end} minutes is outside 00:00-24:00")
            if end <= start:
                raise ValueError(f"{name}: interval {_clock_text(start)}-{_clock_text(end)} ends before it starts")
        for (start, end), (next_start, next_end) in pairwise(ordered):
            if next_start < end:
                raise ValueError(
                    f"{name}: intervals {_clock_text(start)}-{_clock_text(end)} and "
                    f"{_clock_text(next_start)}-{_clock_text(next_end)} overlap"
                )
        checked.append(ordered)
    return tuple(checked)


def _parse_hours(raw: Any) -> tuple[tuple[Interval, ...], ...]:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ValueError("'hours' must be an object keyed by weekday (mon..sun)")
    unknown = sorted(str(key) for key in raw if key not in WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday {unknown[0]!r} in 'hours'; use {', '.join(WEEKDAYS)}")
    return tuple(tuple(_parse_interval(name, item) for item in _as_list(raw.get(name, []), name)) for name in WEEKDAYS)


def _parse_interval(day: str, item: Any) -> Interval:
    if not isinstance(item, list | tuple) or len(item) != 2:
        raise ValueError(f'{day}: each interval must be a pair ["HH:MM", "HH:MM"], got {item!r}')
    start, end = _parse_clock(day, item[0]), _parse_clock(day, item[1])
    if start == DAY_MINUTES:
        raise ValueError(f"{day}: an interval cannot start at 24:00")
    if end <= start:
        raise ValueError(f"{day}: interval {item[0]}-{item[1]} ends before it starts")
    return start, end


def _parse_clock(day: str, text: Any) -> int:
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if (hour < 24 and minute < 60) or (hour, minute) == (24, 0):
            return hour * 60 + minute
    raise ValueError(f"{day}: {text!r} is not a time of day HH:MM (00:00 to 24:00)")


def _parse_holidays(raw: Any) -> tuple[str | None, str | None, frozenset[date]]:
    if not isinstance(raw, Mapping):
        raise ValueError("'holidays' must be an object with 'country', 'subdivision' and 'dates'")
    country, subdivision = raw.get("country"), raw.get("subdivision")
    for name, value in (("country", country), ("subdivision", subdivision)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"holidays '{name}' must be a string or null")
    dates = set()
    for text in _as_list(raw.get("dates", []), "holidays 'dates'"):
        try:
            dates.add(date.fromisoformat(text if _DATE.fullmatch(text) else ""))
        except (TypeError, ValueError):
            raise ValueError(f"holiday date {text!r} is not a date YYYY-MM-DD") from None
    return country or None, subdivision or None, frozenset(dates)


def _as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list, got {value!r}")
    return value


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
