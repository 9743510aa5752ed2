"""Working calendars (R4, R17): hand-computed examples, properties over 2026-2027, and the `caseway sla` CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.local.cli import main
from shared.platform.durations import format_duration, parse_duration
from shared.sla.calendars import WEEKDAYS, Calendar

FIXTURE = Path(__file__).parents[1] / "fixtures" / "calendar_prague.json"
PRAGUE_TZ = ZoneInfo("Europe/Prague")
CET, CEST = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))
H = timedelta(hours=1)

PRAGUE = Calendar.from_json(json.loads(FIXTURE.read_text()))
ALWAYS = Calendar.always_open("Europe/Prague")
ALL_DAY = Calendar.from_json({"timezone": "Europe/Prague", "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS}})
# Open over both DST nights (they fall on Sundays) and across midnight, closed on CZ holidays.
NIGHT = Calendar.from_json(
    {
        "timezone": "Europe/Prague",
        "hours": {day: [["00:00", "03:30"], ["22:00", "24:00"]] for day in WEEKDAYS[:6]}
        | {"sun": [["01:00", "04:00"]]},
        "holidays": {"country": "CZ"},
    }
)
# Round-the-clock on weekdays only, with New York State holidays.
US_WEEKDAYS = Calendar.from_json(
    {
        "timezone": "America/New_York",
        "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS[:5]},
        "holidays": {"country": "US", "subdivision": "NY"},
    }
)
NIGHT_ONLY = Calendar.from_json({"timezone": "Europe/Prague", "hours": {day: [["01:00", "04:00"]] for day in WEEKDAYS}})


def prague(*args: int) -> datetime:
    return datetime(*args, tzinfo=PRAGUE_TZ)


def utc(moment: datetime) -> datetime:
    """Compare instants in UTC: datetimes sharing a tzinfo compare by wall clock, wrong in the repeated DST hour."""
    return moment.astimezone(UTC)


# --- examples on the sample calendar: Mon-Fri 09:00-12:00 and 13:00-17:30 (7.5 h a day), CZ holidays + 2026-12-31


def test_friday_afternoon_request_lands_on_monday_morning() -> None:
    # Fri 2026-03-13 16:00-17:30 is 1.5 h; the remaining 2.5 h run Mon 09:00-11:30.
    deadline = PRAGUE.add(prague(2026, 3, 13, 16), 4 * H)
    assert deadline == datetime(2026, 3, 16, 11, 30, tzinfo=CET)
    assert deadline.tzinfo == PRAGUE_TZ
    assert deadline.isoformat() == "2026-03-16T11:30:00+01:00"


def test_lunch_break_is_skipped() -> None:
    # 11:00-12:00 is 1 h, lunch 12:00-13:00 is not counted, 13:00-14:00 is the second hour.
    assert PRAGUE.add(prague(2026, 3, 16, 11), 2 * H) == prague(2026, 3, 16, 14)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (prague(2026, 3, 16, 8), prague(2026, 3, 16, 10)),  # before opening: the clock starts at 09:00 (R4)
        (prague(2026, 3, 16, 12, 30), prague(2026, 3, 16, 14)),  # in the lunch break: starts at 13:00
        (prague(2026, 3, 16, 20), prague(2026, 3, 17, 10)),  # after closing: starts next morning
        (prague(2026, 3, 14, 10), prague(2026, 3, 16, 10)),  # Saturday: starts on Monday
    ],
)
def test_requests_outside_hours_start_at_the_next_opening(start: datetime, expected: datetime) -> None:
    assert PRAGUE.add(start, H) == expected


def test_a_duration_ending_at_a_close_returns_the_close_not_the_next_opening() -> None:
    assert PRAGUE.add(prague(2026, 3, 16, 16), timedelta(hours=1, minutes=30)) == prague(2026, 3, 16, 17, 30)
    assert PRAGUE.add(prague(2026, 3, 16, 11), H) == prague(2026, 3, 16, 12)
    assert PRAGUE.add(prague(2026, 3, 13, 9), timedelta(hours=7, minutes=30)) == prague(2026, 3, 13, 17, 30)


def test_zero_duration_is_the_start_when_open_and_the_next_opening_when_closed() -> None:
    assert PRAGUE.add(prague(2026, 3, 16, 10, 15), timedelta(0)) == prague(2026, 3, 16, 10, 15)
    assert PRAGUE.add(prague(2026, 3, 14, 10), timedelta(0)) == prague(2026, 3, 16, 9)
    # Intervals are [open, close): the closing instant itself is closed.
    assert PRAGUE.add(prague(2026, 3, 16, 17, 30), timedelta(0)) == prague(2026, 3, 17, 9)
    assert PRAGUE.add(prague(2026, 3, 16, 12), timedelta(0)) == prague(2026, 3, 16, 13)


def test_is_open_and_next_opening() -> None:
    assert PRAGUE.is_open(prague(2026, 3, 16, 9))
    assert not PRAGUE.is_open(prague(2026, 3, 16, 12))
    assert PRAGUE.is_open(prague(2026, 3, 16, 17, 29, 59))
    assert not PRAGUE.is_open(prague(2026, 3, 16, 17, 30))
    assert not PRAGUE.is_open(prague(2026, 12, 24, 10))
    assert PRAGUE.next_opening(prague(2026, 12, 23, 18)) == prague(2026, 12, 28, 9)
    assert PRAGUE.next_opening(prague(2026, 3, 16, 10)) == prague(2026, 3, 16, 10)


def test_christmas_holidays_are_skipped() -> None:
    # Wed 2026-12-23 16:00-17:30 gives 1.5 h. Thu 24, Fri 25 and Sat 26 are CZ holidays (Sat is closed anyway),
    # Sun 27 is closed, so the remaining 2.5 h run Mon 2026-12-28 09:00-11:30.
    assert PRAGUE.add(datetime(2026, 12, 23, 16, tzinfo=CET), 4 * H) == datetime(2026, 12, 28, 11, 30, tzinfo=CET)


def test_year_end_explicit_holiday_and_new_year_are_skipped() -> None:
    # Wed 2026-12-30 16:00-17:30 gives 1.5 h. Thu 31 is the calendar's own extra date, Fri 2027-01-01 is New Year,
    # then the weekend: the remaining 2.5 h run Mon 2027-01-04 09:00-11:30.
    assert PRAGUE.add(prague(2026, 12, 30, 16), 4 * H) == prague(2027, 1, 4, 11, 30)
    assert PRAGUE.is_holiday(date(2026, 12, 31))
    assert not PRAGUE.is_holiday(date(2027, 12, 31))


def test_result_is_in_the_calendar_zone_whatever_the_start_zone() -> None:
    deadline = PRAGUE.add(datetime(2026, 3, 13, 15, tzinfo=UTC), 4 * H)
    assert deadline.isoformat() == "2026-03-16T11:30:00+01:00"


def test_between_examples() -> None:
    assert PRAGUE.between(prague(2026, 3, 13, 16), prague(2026, 3, 16, 11, 30)) == 4 * H
    assert PRAGUE.between(prague(2026, 3, 16, 11), prague(2026, 3, 16, 14)) == 2 * H
    assert PRAGUE.between(prague(2026, 3, 14, 0), prague(2026, 3, 15, 23, 59)) == timedelta(0)
    assert PRAGUE.between(prague(2026, 3, 16, 14), prague(2026, 3, 16, 11)) == timedelta(0)
    assert PRAGUE.between(prague(2026, 3, 16, 14), prague(2026, 3, 16, 14)) == timedelta(0)
    # Wed 23: 1.5 h; Mon 28-Wed 30: 3 x 7.5 h; Thu 31 and Fri 1 off; Mon 4: 7.5 h; Tue 5 09:00-16:00: 6 h.
    assert PRAGUE.between(prague(2026, 12, 23, 16), prague(2027, 1, 5, 16)) == timedelta(hours=37, minutes=30)


# --- DST: Europe/Prague springs forward 2026-03-29 02:00 -> 03:00 and falls back 2026-10-25 03:00 -> 02:00


@pytest.mark.parametrize("calendar", [ALWAYS, ALL_DAY], ids=["always_open", "all_day_intervals"])
def test_24x7_counts_real_hours_across_dst(calendar: Calendar) -> None:
    spring = calendar.add(datetime(2026, 3, 28, 12, tzinfo=CET), 24 * H)
    assert spring.isoformat() == "2026-03-29T13:00:00+02:00"  # 24 real hours, the wall clock moved 25
    autumn = calendar.add(datetime(2026, 10, 24, 12, tzinfo=CEST), 24 * H)
    assert autumn.isoformat() == "2026-10-25T11:00:00+01:00"  # 24 real hours, the wall clock moved 23
    assert calendar.between(prague(2026, 3, 29, 0), prague(2026, 3, 30, 0)) == 23 * H
    assert calendar.between(prague(2026, 10, 25, 0), prague(2026, 10, 26, 0)) == 25 * H


def test_hours_spanning_the_dst_night_are_measured_in_real_time() -> None:
    # 01:00-04:00 every day: 3 h normally, 2 h on the spring night (02:00-03:00 does not exist), 4 h in autumn.
    assert NIGHT_ONLY.between(prague(2026, 3, 28, 0), prague(2026, 3, 28, 12)) == 3 * H
    assert NIGHT_ONLY.between(prague(2026, 3, 29, 0), prague(2026, 3, 29, 12)) == 2 * H
    assert NIGHT_ONLY.between(prague(2026, 10, 25, 0), prague(2026, 10, 25, 12)) == 4 * H
    assert NIGHT_ONLY.add(prague(2026, 3, 29, 0), 2 * H).isoformat() == "2026-03-29T04:00:00+02:00"
    assert NIGHT_ONLY.add(prague(2026, 3, 29, 0), timedelta(hours=2, minutes=30)).isoformat() == (
        "2026-03-30T01:30:00+02:00"
    )
    # 01:00 CEST + 3 h = 03:00 CET: the clock has shown 02:00-03:00 twice.
    assert NIGHT_ONLY.add(prague(2026, 10, 25, 0), 3 * H).isoformat() == "2026-10-25T03:00:00+01:00"
    assert NIGHT_ONLY.add(prague(2026, 10, 25, 0), 4 * H).isoformat() == "2026-10-25T04:00:00+01:00"
    assert NIGHT_ONLY.is_open(datetime(2026, 10, 25, 2, 30, tzinfo=CEST))
    assert NIGHT_ONLY.is_open(datetime(2026, 10, 25, 2, 30, tzinfo=CET))


def test_boundaries_inside_the_dst_change_are_the_first_instant_the_clock_shows_them() -> None:
    cal = Calendar.from_json({"timezone": "Europe/Prague", "hours": {day: [["02:30", "05:00"]] for day in WEEKDAYS}})
    # 02:30 does not exist on 2026-03-29: the desk opens at the jump, 03:00 CEST, once the clock is past 02:30.
    assert cal.next_opening(prague(2026, 3, 29, 0)).isoformat() == "2026-03-29T03:00:00+02:00"
    assert cal.between(prague(2026, 3, 29, 0), prague(2026, 3, 29, 12)) == 2 * H
    # 02:30 happens twice on 2026-10-25: the desk opens at the first one (CEST).
    assert cal.next_opening(prague(2026, 10, 25, 0)).isoformat() == "2026-10-25T02:30:00+02:00"
    assert cal.between(prague(2026, 10, 25, 0), prague(2026, 10, 25, 12)) == timedelta(hours=3, minutes=30)
    swallowed = Calendar.from_json(
        {"timezone": "Europe/Prague", "hours": {"sun": [["02:10", "02:50"], ["09:00", "10:00"]]}}
    )
    assert swallowed.next_opening(prague(2026, 3, 29, 0)) == prague(2026, 3, 29, 9)


def test_night_shift_across_midnight_and_dst() -> None:
    # Sat 22:00-24:00 (2 h) then Sun 01:00-04:00 CET/CEST, which lasts 2 h on the spring night.
    assert NIGHT.between(prague(2026, 3, 28, 21), prague(2026, 3, 29, 12)) == 4 * H
    assert NIGHT.add(prague(2026, 3, 28, 23), 2 * H).isoformat() == "2026-03-29T03:00:00+02:00"


# --- validation and JSON


def sample_json(**changes: Any) -> dict[str, Any]:
    return json.loads(FIXTURE.read_text()) | changes


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (sample_json(hours={"monday": [["09:00", "17:00"]]}), "unknown weekday 'monday'"),
        (sample_json(hours={"mon": [["17:00", "09:00"]]}), "ends before it starts"),
        (sample_json(hours={"mon": [["09:00", "09:00"]]}), "ends before it starts"),
        (sample_json(hours={"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}), "overlap"),
        (sample_json(hours={"mon": [["9:00", "12:00"]]}), "not a time of day"),
        (sample_json(hours={"mon": [["09:00", "24:30"]]}), "not a time of day"),
        (sample_json(hours={"mon": [["24:00", "24:00"]]}), "cannot start at 24:00"),
        (sample_json(hours={"mon": [["09:00"]]}), "must be a pair"),
        (sample_json(hours={"mon": "09:00-17:00"}), "must be a list"),
        (sample_json(hours={"sat": []}), "no opening hours"),
        (sample_json(timezone="Europe/Praha"), "unknown time zone 'Europe/Praha'"),
        (sample_json(timezone="../etc/passwd"), "unknown time zone"),
        ({"hours": {}}, "needs a 'timezone'"),
        (sample_json(holidays={"country": "XX"}), "unknown holiday country 'XX'"),
        (sample_json(holidays={"country": "CZ", "subdivision": "ZZ"}), "unknown holiday subdivision 'ZZ'"),
        (sample_json(holidays={"subdivision": "NY"}), "without a country"),
        (sample_json(holidays={"dates": ["31.12.2026"]}), "not a date YYYY-MM-DD"),
        ({"timezone": "UTC", "always_open": True, "hours": {"mon": [["09:00", "17:00"]]}}, "no 'hours'"),
        ({"timezone": "UTC", "always_open": "yes"}, "true or false"),
        ([1, 2], "JSON object"),
    ],
)
def test_invalid_calendars_are_refused_with_a_clear_message(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar.from_json(data)


def test_json_round_trip() -> None:
    for calendar in (PRAGUE, ALWAYS, NIGHT, US_WEEKDAYS):
        assert Calendar.from_json(json.loads(json.dumps(calendar.to_json()))) == calendar
    assert Calendar.from_json({"timezone": "UTC", "always_open": True}) == Calendar.always_open()
    assert PRAGUE.to_json()["hours"]["mon"] == [["09:00", "12:00"], ["13:00", "17:30"]]
    assert ALL_DAY.to_json()["hours"]["sun"] == [["00:00", "24:00"]]


def test_unordered_intervals_are_sorted() -> None:
    cal = Calendar.from_json({"timezone": "UTC", "hours": {"mon": [["13:00", "17:00"], ["09:00", "12:00"]]}})
    assert cal.hours[0] == ((540, 720), (780, 1020))


def test_naive_instants_and_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        PRAGUE.add(datetime(2026, 3, 16, 9), H)
    with pytest.raises(ValueError, match="timezone-aware"):
        PRAGUE.between(prague(2026, 3, 16, 9), datetime(2026, 3, 17, 9))
    with pytest.raises(ValueError, match="negative"):
        PRAGUE.add(prague(2026, 3, 16, 9), -H)


def test_a_calendar_closed_for_years_raises_instead_of_looping() -> None:
    mondays = [(date(2026, 1, 5) + timedelta(weeks=week)).isoformat() for week in range(4 * 53)]
    cal = Calendar.from_json(
        {"timezone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}, "holidays": {"dates": mondays}}
    )
    with pytest.raises(ValueError, match="no working time"):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), H)


def test_long_durations_walk_days_not_minutes() -> None:
    start = prague(2026, 1, 2, 10)
    deadline = PRAGUE.add(start, timedelta(hours=10_000))  # about five years of working days
    assert deadline.year == 2031
    assert PRAGUE.between(start, deadline) == timedelta(hours=10_000)


# --- properties


CALENDARS = {"prague": PRAGUE, "always": ALWAYS, "night": NIGHT, "us_weekdays": US_WEEKDAYS}
ZONES = st.sampled_from([UTC, PRAGUE_TZ, ZoneInfo("America/New_York"), timezone(timedelta(hours=5, minutes=30))])
_any_instant = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=ZONES)
# Whole minutes hit opening boundaries often; arbitrary microseconds check the arithmetic is exact.
instants = st.one_of(_any_instant, _any_instant.map(lambda moment: moment.replace(second=0, microsecond=0)))
durations = st.one_of(
    st.integers(0, 200 * 60).map(lambda minutes: timedelta(minutes=minutes)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200)),
)
PROPERTY = settings(max_examples=200, deadline=None)
by_calendar = pytest.mark.parametrize("calendar", list(CALENDARS.values()), ids=list(CALENDARS))


@by_calendar
@PROPERTY
@given(start=instants, duration=durations)
def test_between_undoes_add(calendar: Calendar, start: datetime, duration: timedelta) -> None:
    deadline = calendar.add(start, duration)
    assert calendar.between(start, deadline) == duration
    assert deadline.tzinfo == calendar.zone
    assert utc(deadline) - utc(start) >= duration


@by_calendar
@PROPERTY
@given(start=instants, first=durations, second=durations)
def test_add_is_monotonic_in_duration(calendar: Calendar, start: datetime, first: timedelta, second: timedelta) -> None:
    shorter, longer = sorted([first, second])
    assert utc(calendar.add(start, shorter)) <= utc(calendar.add(start, longer))
    if second > timedelta(0):  # adding in two steps is adding once (a zero step from a close moves to the opening)
        assert utc(calendar.add(calendar.add(start, first), second)) == utc(calendar.add(start, first + second))


@by_calendar
@PROPERTY
@given(first=instants, second=instants, duration=durations)
def test_add_is_monotonic_in_start(calendar: Calendar, first: datetime, second: datetime, duration: timedelta) -> None:
    earlier, later = sorted([first, second], key=utc)
    assert utc(calendar.add(earlier, duration)) <= utc(calendar.add(later, duration))


@by_calendar
@PROPERTY
@given(start=instants, duration=durations)
def test_deadlines_are_open_or_exactly_at_a_close(calendar: Calendar, start: datetime, duration: timedelta) -> None:
    deadline = calendar.add(start, duration)
    if duration > timedelta(0) and not calendar.is_open(deadline):
        assert calendar.is_open(utc(deadline) - timedelta(microseconds=1))  # the end of an opening interval
    opening = calendar.add(start, timedelta(0))
    assert utc(opening) == utc(calendar.next_opening(start))
    assert calendar.is_open(opening)
    assert calendar.between(start, opening) == timedelta(0)


@by_calendar
@PROPERTY
@given(a=instants, steps=st.lists(st.timedeltas(timedelta(0), timedelta(days=45)), min_size=2, max_size=2))
def test_between_is_additive_and_at_most_real_time(calendar: Calendar, a: datetime, steps: list[timedelta]) -> None:
    b = utc(a) + steps[0]
    c = b + steps[1]
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)
    assert timedelta(0) <= calendar.between(a, b) <= b - utc(a)
    assert calendar.between(b, a) == timedelta(0)


@PROPERTY
@given(start=instants, duration=durations)
def test_all_day_intervals_are_the_same_as_always_open(start: datetime, duration: timedelta) -> None:
    assert utc(ALL_DAY.add(start, duration)) == utc(ALWAYS.add(start, duration))
    assert ALL_DAY.is_open(start)


# --- ISO 8601 durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT4H", 4 * H),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("PT90M", timedelta(minutes=90)),
        ("PT0S", timedelta(0)),
        ("PT1.5S", timedelta(seconds=1.5)),
        ("pt27h", 27 * H),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("P1D", "give hours instead"),
        ("P1W", "give hours instead"),
        ("P1DT2H", "give hours instead"),
        ("PT", "not an ISO 8601 duration"),
        ("4h", "not an ISO 8601 duration"),
        ("-PT1H", "not an ISO 8601 duration"),
        ("PT1.5H", "not an ISO 8601 duration"),
        ("PT99999999999999H", "too long"),
    ],
)
def test_parse_duration_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(0), "PT0S"),
        (timedelta(hours=5, minutes=30), "PT5H30M"),
        (timedelta(hours=27), "PT27H"),
        (timedelta(days=2, seconds=1), "PT48H1S"),
        (timedelta(seconds=1, microseconds=500_000), "PT1.5S"),
    ],
)
def test_format_duration(duration: timedelta, text: str) -> None:
    assert format_duration(duration) == text
    assert parse_duration(text) == duration


# --- CLI


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["sla", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["deadline", "--calendar", str(FIXTURE), "--start", "2026-12-23T16:00:00+01:00", "--duration", "PT4H"]
    assert run_cli(capsys, *args) == (0, "2026-12-28T11:30:00+01:00\n", "")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-03-13T16:00:00+01:00", "2026-03-16T11:30:00+01:00", "PT4H"),
        # Fri, Mon and Tue (3 x 7.5 h) plus Wed 09:00-12:00: more than 24 h stays in hours.
        ("2026-03-13T09:00:00+01:00", "2026-03-18T12:00:00+01:00", "PT25H30M"),
        ("2026-03-14T09:00:00Z", "2026-03-15T09:00:00Z", "PT0S"),
        ("2026-03-16T14:00:00+01:00", "2026-03-16T09:00:00+01:00", "PT0S"),
    ],
)
def test_cli_between(capsys: pytest.CaptureFixture[str], start: str, end: str, expected: str) -> None:
    assert run_cli(capsys, "between", "--calendar", str(FIXTURE), "--from", start, "--to", end) == (
        0,
        expected + "\n",
        "",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-12-23T16:00:00+01:00", "--duration", "P1D"], "give hours instead"),
        (["--start", "2026-12-23T16:00:00", "--duration", "PT4H"], "needs a UTC offset"),
        (["--start", "tomorrow", "--duration", "PT4H"], "not an ISO 8601 date-time"),
        (["--start", "9999-12-01T00:00:00+00:00", "--duration", "PT9000H"], "past the year 9999"),
        (["--start", "9999-12-31T16:00:00+00:00", "--duration", "PT1H"], "past the year 9999"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, "deadline", "--calendar", str(FIXTURE), *args)
    assert (code, out) == (2, "")
    assert err.startswith("caseway sla deadline: error: ")
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read calendar"),
        ("{not json", "is not valid JSON"),
        ('{"timezone": "Mars/Olympus", "hours": {"mon": [["09:00", "17:00"]]}}', "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_cli_bad_calendar_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "cal.json"
    if content is not None:
        path.write_text(content)
    code, out, err = run_cli(
        capsys, "between", "--calendar", str(path), "--from", "2026-03-13T09:00Z", "--to", "2026-03-14T09:00Z"
    )
    assert (code, out) == (2, "")
    assert message in err
    assert err.count("\n") == 1


def test_cli_missing_option_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sla", "deadline", "--calendar", str(FIXTURE)])
    assert exit_info.value.code == 2
    assert "required" in capsys.readouterr().err


def test_installed_console_script() -> None:
    script = Path(sys.executable).parent / "caseway"
    result = subprocess.run(
        [
            str(script),
            "sla",
            "deadline",
            "--calendar",
            str(FIXTURE),
            "--start",
            "2026-12-23T16:00:00+01:00",
            "--duration",
            "PT4H",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "2026-12-28T11:30:00+01:00\n", "")
