"""`caseway`: the ops command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.calendars import Calendar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caseway", description="Caseway helpdesk operations")
    sub = parser.add_subparsers(dest="command", required=True)
    local = sub.add_parser("local", help="run the whole helpdesk locally on emulated AWS, with demo data")
    local.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    _add_sla_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "local":
        from infra.local import run

        run(args.port)
    if args.command == "sla":
        return _sla(args)
    return 0


def _add_sla_parser(sub: argparse._SubParsersAction) -> None:
    sla = sub.add_parser("sla", help="SLA clocks on a working calendar (R4, R17)")
    commands = sla.add_subparsers(dest="sla_command", required=True)
    deadline = commands.add_parser(
        "deadline", help="when DURATION of working time has passed after START: prints ISO 8601 with offset"
    )
    deadline.add_argument("--calendar", required=True, help="calendar JSON file")
    deadline.add_argument("--start", required=True, help="ISO 8601 date-time with offset, e.g. 2026-12-23T16:00+01:00")
    deadline.add_argument(
        "--duration", required=True, help="ISO 8601 duration in hours/minutes/seconds, e.g. PT4H (days are refused)"
    )
    between = commands.add_parser(
        "between", help="working time from A to B: prints an ISO 8601 duration in hours, e.g. PT27H30M"
    )
    between.add_argument("--calendar", required=True, help="calendar JSON file")
    between.add_argument("--from", dest="from_", required=True, metavar="A", help="ISO 8601 date-time with offset")
    between.add_argument("--to", required=True, metavar="B", help="ISO 8601 date-time with offset")


def _sla(args: argparse.Namespace) -> int:
    """Run one `sla` command; bad input is one argparse-style line on stderr and exit code 2, never a traceback."""
    from shared.calendars import format_duration, parse_duration

    try:
        calendar = _load_calendar(args.calendar)
        if args.sla_command == "deadline":
            print(calendar.add(_instant(args.start, "--start"), parse_duration(args.duration)).isoformat())
        else:
            print(format_duration(calendar.between(_instant(args.from_, "--from"), _instant(args.to, "--to"))))
    except ValueError as exc:
        print(f"caseway sla {args.sla_command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    return 0


def _load_calendar(path: str) -> Calendar:
    """The calendar in the JSON file at `path`; every failure is a ValueError that names the file."""
    from shared.calendars import Calendar

    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except OSError as exc:
        raise ValueError(f"cannot read calendar {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"calendar {path} is not valid JSON: {exc}") from None
    try:
        return Calendar.from_json(data)
    except ValueError as exc:
        raise ValueError(f"calendar {path}: {exc}") from None


def _instant(text: str, option: str) -> datetime:
    """An aware date-time from the command line: without an offset the instant would depend on the machine."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option} {text!r} is not an ISO 8601 date-time such as 2026-12-23T16:00:00+01:00") from None
    if moment.tzinfo is None:
        raise ValueError(f"{option} {text!r} needs a UTC offset, e.g. 2026-12-23T16:00:00+01:00")
    return moment


if __name__ == "__main__":
    raise SystemExit(main())
