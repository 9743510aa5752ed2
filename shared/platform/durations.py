"""ISO 8601 durations in hours, minutes and seconds: how SLA targets are written (R17, R18).

Here, below every context, so that both the calendars (shared.sla) and the API's check of a plan
(shared.directory.plan_terms) read a duration the same way.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"PT(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)(?:[.,](?P<f>\d{1,6}))?S)?")


def parse_duration(text: str) -> timedelta:
    """Read an ISO 8601 duration of hours, minutes and seconds (``PT4H``, ``PT1H30M``, ``PT0.5S``).

    Days, weeks, months and years are refused: on a working calendar "a day" could mean 24 h or one working day,
    and an SLA must not depend on which reading someone had in mind. Write ``PT24H`` or ``PT8H`` instead.
    """
    cleaned = text.strip().upper()
    match = _DURATION.fullmatch(cleaned)
    if match and any(match.group(name) for name in ("h", "m", "s")):
        fraction = (match.group("f") or "").ljust(6, "0")
        try:
            return timedelta(
                hours=int(match.group("h") or 0),
                minutes=int(match.group("m") or 0),
                seconds=int(match.group("s") or 0),
                microseconds=int(fraction or 0),
            )
        except OverflowError:
            raise ValueError(f"duration {text!r} is too long") from None
    if re.fullmatch(r"P\d.*", cleaned):
        raise ValueError(
            f"duration {text!r} uses days, weeks, months or years, which are ambiguous on a working calendar: "
            "give hours instead, e.g. PT8H"
        )
    raise ValueError(f"duration {text!r} is not an ISO 8601 duration in hours, minutes, seconds such as PT4H30M")


def format_duration(duration: timedelta) -> str:
    """ISO 8601 in hours, minutes, seconds (``PT27H``, ``PT0S``), never days, for the reason `parse_duration` gives."""
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    seconds, micros = divmod(duration // timedelta(microseconds=1), 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micros or text == "PT":
        text += str(seconds) + (f".{micros:06d}".rstrip("0") if micros else "") + "S"
    return text
