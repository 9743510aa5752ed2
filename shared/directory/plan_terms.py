"""Calendars and support plans as managers write them, checked without the calendars' code.

The API's Lambda leaves the SLA calendars (shared.sla and the `holidays` package) out, so the API checks a
calendar or a plan here, with the standard library only, and a manager gets every problem at once: one
422 problem with a `field` and a message per problem. The route worker reads what was stored with
`shared.sla` (`Calendar.from_json`, `SupportPlan.from_json`); a test keeps the two readings in agreement, and
`holiday_regions.json` (the countries and subdivisions the `holidays` package knows) in step with the package.

Shapes (what `shared.sla` reads):

    calendar: {"title", "timezone", "always_open": false,
               "hours": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], ...},
               "holidays": {"country": "CZ", "subdivision": null, "dates": ["2026-12-24"]}}
    plan:     {"title", "calendar_id", "reminder_after": "PT16H", "auto_close_after_days": 3,
               "targets": {"*" or a service key: {"unclassified" or a classification:
                           {"reaction": {"promise": "PT4H", "internal": "PT1H20M"}, "resolution": {...} or null}}}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.platform.domain import ANY_SERVICE, CLASSIFICATIONS, UNCLASSIFIED
from shared.platform.durations import format_duration, parse_duration

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TERMS_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
MAX_AUTO_CLOSE_DAYS = 60
MAX_DATES = 400
MAX_SERVICES = 100

_CLOCK = re.compile(r"(\d{2}):(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Problems = list[dict[str, str]]


@cache
def holiday_regions() -> dict[str, list[str]]:
    """Country code -> subdivision codes the `holidays` package knows (generated from it; a test checks)."""
    return json.loads((Path(__file__).parent / "holiday_regions.json").read_text(encoding="utf-8"))


def check_id(terms_id: str, what: str) -> Problems:
    if TERMS_ID.fullmatch(terms_id):
        return []
    return [{"field": "id", "message": f"a {what} id is 1-63 lower-case letters, digits and dashes, e.g. office"}]


def check_calendar(body: Mapping[str, Any]) -> tuple[dict[str, Any], Problems]:
    """The calendar in the stored shape, and every problem found (empty when it is valid)."""
    problems: Problems = []
    title = _title(body, problems)
    timezone = body.get("timezone")
    if not isinstance(timezone, str) or not _known_zone(timezone):
        problems.append({"field": "timezone", "message": "an IANA time zone such as Europe/Prague"})
    if body.get("always_open") is True:
        if body.get("hours") or body.get("holidays"):
            problems.append({"field": "always_open", "message": "an always-open calendar takes no hours or holidays"})
        return {"title": title, "timezone": timezone, "always_open": True}, problems
    hours = _hours(body.get("hours"), problems)
    holidays = _holidays(body.get("holidays") or {}, problems)
    if not problems and not any(hours.values()):
        problems.append({"field": "hours", "message": "no opening hours on any weekday; or set always_open"})
    stored = {"title": title, "timezone": timezone, "always_open": False, "hours": hours, "holidays": holidays}
    return stored, problems


def check_plan(body: Mapping[str, Any]) -> tuple[dict[str, Any], Problems]:
    """The plan in the stored shape, and every problem found. Whether its calendar exists is the store's check."""
    problems: Problems = []
    title = _title(body, problems)
    calendar_id = body.get("calendar_id")
    if not isinstance(calendar_id, str) or not TERMS_ID.fullmatch(calendar_id):
        problems.append({"field": "calendar_id", "message": "the id of a calendar, e.g. office"})
    reminder = _duration(body.get("reminder_after", "PT16H"), "reminder_after", problems)
    days = body.get("auto_close_after_days", 3)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_AUTO_CLOSE_DAYS:
        problems.append(
            {"field": "auto_close_after_days", "message": f"whole working days, 1 to {MAX_AUTO_CLOSE_DAYS} (R21)"}
        )
    targets = _targets(body.get("targets"), problems)
    stored = {
        "title": title,
        "calendar_id": calendar_id,
        "targets": targets,
        "reminder_after": format_duration(reminder) if reminder else None,
        "auto_close_after_days": days,
    }
    return stored, problems


def _title(body: Mapping[str, Any], problems: Problems) -> str | None:
    title = body.get("title")
    if title is not None and (not isinstance(title, str) or not 1 <= len(title.strip()) <= 200):
        problems.append({"field": "title", "message": "1 to 200 characters"})
        return None
    return title.strip() if isinstance(title, str) else None


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _minutes(text: Any) -> int | None:
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return hour * 60 + minute if (hour < 24 and minute < 60) or (hour, minute) == (24, 0) else None


def _hours(raw: Any, problems: Problems) -> dict[str, list[list[str]]]:
    """Opening intervals per weekday, sorted; breaks are the gaps between a day's intervals."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.append({"field": "hours", "message": 'an object keyed by weekday: {"mon": [["09:00", "17:00"]]}'})
        return {}
    for key in raw:
        if key not in WEEKDAYS:
            problems.append({"field": f"hours.{key}", "message": f"not a weekday; use {', '.join(WEEKDAYS)}"})
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        intervals = raw.get(day, [])
        if not isinstance(intervals, list):
            problems.append({"field": f"hours.{day}", "message": 'a list of ["HH:MM", "HH:MM"] pairs'})
            continue
        parsed: list[tuple[int, int, list[str]]] = []
        for index, item in enumerate(intervals):
            where = f"hours.{day}.{index}"
            pair = item if isinstance(item, list) and len(item) == 2 else None
            start, end = (_minutes(pair[0]), _minutes(pair[1])) if pair else (None, None)
            if start is None or end is None:
                problems.append({"field": where, "message": 'a pair of times of day ["HH:MM", "HH:MM"], 00:00-24:00'})
            elif end <= start:
                problems.append({"field": where, "message": f"{pair[0]}-{pair[1]} ends before it starts"})
            else:
                parsed.append((start, end, [pair[0], pair[1]]))
        parsed.sort()
        for (_, end, first), (start, _, second) in pairwise(parsed):
            if start < end:
                problems.append(
                    {"field": f"hours.{day}", "message": f"{'-'.join(first)} and {'-'.join(second)} overlap"}
                )
        hours[day] = [text for _, _, text in parsed]
    return hours


def _holidays(raw: Any, problems: Problems) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        problems.append({"field": "holidays", "message": "an object with country, subdivision and dates"})
        return {"country": None, "subdivision": None, "dates": []}
    country, subdivision = raw.get("country") or None, raw.get("subdivision") or None
    regions = holiday_regions()
    if country is not None and (not isinstance(country, str) or country not in regions):
        problems.append(
            {
                "field": "holidays.country",
                "message": f"{country!r} is not a country the holidays calendar knows (ISO 3166-1 alpha-2, e.g. CZ)",
            }
        )
    elif subdivision is not None:
        if country is None:
            problems.append({"field": "holidays.subdivision", "message": "a subdivision needs a country"})
        elif not isinstance(subdivision, str) or subdivision not in regions[country]:
            known = ", ".join(regions[country][:12]) or "none"
            problems.append(
                {
                    "field": "holidays.subdivision",
                    "message": f"{subdivision!r} is not a subdivision of {country}; "
                    f"known: {known}{'...' if len(regions[country]) > 12 else ''}",
                }
            )
    dates = raw.get("dates", [])
    if not isinstance(dates, list) or len(dates) > MAX_DATES:
        problems.append({"field": "holidays.dates", "message": f"a list of up to {MAX_DATES} dates YYYY-MM-DD"})
        dates = []
    for index, text in enumerate(dates):
        try:
            date.fromisoformat(text if isinstance(text, str) and _DATE.fullmatch(text) else "")
        except ValueError:
            problems.append({"field": f"holidays.dates.{index}", "message": f"{text!r} is not a date YYYY-MM-DD"})
    return {"country": country, "subdivision": subdivision, "dates": sorted({d for d in dates if isinstance(d, str)})}


def _duration(value: Any, where: str, problems: Problems) -> timedelta | None:
    try:
        duration = parse_duration(value) if isinstance(value, str) else None
    except ValueError as error:
        problems.append({"field": where, "message": str(error)})
        return None
    if duration is None or duration <= timedelta(0):
        problems.append({"field": where, "message": "a positive ISO 8601 duration in hours, e.g. PT4H or PT1H30M"})
        return None
    return duration


def _target(raw: Any, where: str, problems: Problems) -> dict[str, str] | None:
    """A promise and the internal target, which must be shorter (R18: about a third of the promise)."""
    if not isinstance(raw, Mapping):
        problems.append({"field": where, "message": 'an object {"promise": "PT4H", "internal": "PT1H20M"}'})
        return None
    promise = _duration(raw.get("promise"), f"{where}.promise", problems)
    internal = _duration(raw.get("internal"), f"{where}.internal", problems)
    if promise is None or internal is None:
        return None
    if internal >= promise:
        problems.append(
            {
                "field": f"{where}.internal",
                "message": f"the internal target {format_duration(internal)} must be shorter than the promise "
                f"{format_duration(promise)} (R18: about a third of it, e.g. {format_duration(promise / 3)})",
            }
        )
        return None
    return {"promise": format_duration(promise), "internal": format_duration(internal)}


def _targets(raw: Any, problems: Problems) -> dict[str, Any]:
    """Targets per service ("*": any service) and classification; "*" covers every classification."""
    known = (UNCLASSIFIED, *CLASSIFICATIONS)
    if not isinstance(raw, Mapping) or ANY_SERVICE not in raw or len(raw) > MAX_SERVICES:
        problems.append(
            {
                "field": "targets",
                "message": f'an object keyed by service, with "{ANY_SERVICE}" for any service (up to {MAX_SERVICES})',
            }
        )
        return {}
    targets: dict[str, Any] = {}
    for service, by_class in raw.items():
        if not isinstance(by_class, Mapping):
            problems.append({"field": f"targets.{service}", "message": "an object keyed by classification"})
            continue
        targets[service] = {}
        for classification, clocks in by_class.items():
            where = f"targets.{service}.{classification}"
            if classification not in known:
                problems.append({"field": where, "message": f"not a classification; use {', '.join(known)}"})
                continue
            if not isinstance(clocks, Mapping):
                problems.append({"field": where, "message": "an object with reaction and resolution"})
                continue
            reaction = _target(clocks.get("reaction"), f"{where}.reaction", problems)
            resolution = clocks.get("resolution")
            if resolution is not None:
                resolution = _target(resolution, f"{where}.resolution", problems)
            targets[service][classification] = {"reaction": reaction, "resolution": resolution}
    missing = [c for c in known if c not in targets.get(ANY_SERVICE, {})]
    if missing and isinstance(raw.get(ANY_SERVICE), Mapping):
        problems.append(
            {
                "field": f"targets.{ANY_SERVICE}",
                "message": f"every classification needs targets for any service; missing: {', '.join(missing)}",
            }
        )
    return targets
