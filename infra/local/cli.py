"""`caseway`: the ops command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from infra import invite
from infra.local import telegram_setup
from shared.platform.durations import format_duration, parse_duration
from shared.sla.calendars import Calendar
from shared.sla.ledger import ledger
from shared.sla.plans import PLANS, SupportPlan, plan_named


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caseway", description="Caseway helpdesk operations")
    sub = parser.add_subparsers(dest="command", required=True)
    local = sub.add_parser("local", help="run the whole helpdesk locally on emulated AWS, with demo data")
    local.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    local.add_argument(
        "--rehearsal",
        action="store_true",
        help="run each function of the dev template as a process of its own, as Lambda would (tests/rehearsal)",
    )
    _add_sla_parser(sub)
    _add_stage_parsers(sub)
    invite.add_parser(sub)
    telegram_setup.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "local":
        from infra.local.stack import run  # only `caseway local` loads moto, the API and the demo

        run(args.port, rehearsal=args.rehearsal)
    if args.command == "sla":
        return _sla(args)
    if args.command in ("setup", "doctor"):
        return _stage_command(args)
    if args.command == "invite":
        return invite.run(args)
    if args.command == "telegram":
        return telegram_setup.run(args)
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
    explain = commands.add_parser(
        "explain",
        help="a ticket's SLA ledger and why: from the local stack (--ticket) or an event log file (--events, what-if)",
    )
    source = explain.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--events", help="JSON file: a list of history entries, or a ticket as GET /tickets/{id} returns it"
    )
    source.add_argument("--ticket", help="reference or id of a ticket on the local stack, e.g. CW-1001")
    explain.add_argument("--service", help="service key, e.g. functionality-question (default: the ticket's)")
    explain.add_argument(
        "--plan",
        help="support plan: a built-in name (default, vip), a plan JSON file, or stored:ID for the plan stored on "
        "the stack at --url (its current version, on its calendar)",
    )
    explain.add_argument(
        "--calendar", help="calendar that replaces the plan's (what-if): a JSON file, or stored:ID from the stack"
    )
    explain.add_argument("--at", help="ISO 8601 date-time with offset: explain as of then (default: now)")
    explain.add_argument("--json", action="store_true", help="print the ledger as JSON")
    explain.add_argument(
        "--url",
        default=f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}",
        help="the local stack (with --ticket; default http://127.0.0.1:$PORT, PORT defaulting to 8000 as for `local`)",
    )
    explain.add_argument(
        "--user", default="lena.l1@caseway.example", help="demo user whose token reads the ticket (with --ticket)"
    )


def _sla(args: argparse.Namespace) -> int:
    """Run one `sla` command; bad input is one argparse-style line on stderr and exit code 2, never a traceback."""
    if args.sla_command == "explain":
        return _sla_explain(args)
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


def _sla_explain(args: argparse.Namespace) -> int:
    """`sla explain`: the ledger of a ticket or of a log file; bad input or an unreachable stack is exit code 2."""
    try:
        source = (
            _fetch_ticket(args.url, args.ticket, args.user) if args.ticket else _read_json(args.events, "event log")
        )
        events, service = _history(source, args.service)
        plan = _load_plan(args.plan, args)
        calendar = _calendar_option(args.calendar, args) if args.calendar else None
        now = _instant(args.at, "--at") if args.at else datetime.now(UTC)
        result = ledger(plan, events, service, now, calendar)
    except (ValueError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"caseway sla explain: error: {' '.join(str(message).split())}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(result.render_text(), end="")
    return 0


def _history(source: Any, service: str | None) -> tuple[list[Any], str]:
    """The history entries and the service of a ticket document, or of a bare list of entries."""
    history = source
    if isinstance(source, Mapping):
        history, service = source.get("history"), service or source.get("service")
    if not isinstance(history, list):
        raise ValueError("the event log must be a list of history entries, or a ticket with a 'history' list")
    if not isinstance(service, str) or not service:
        raise ValueError("say which service the ticket is for: --service KEY (a bare event log does not name it)")
    return history, service


STORED = "stored:"


def _stored(kind: str, value: str, args: argparse.Namespace) -> dict[str, Any]:
    """The current version of a calendar or plan stored on the stack (GET /sla/calendars|plans/{id})."""
    terms_id = value.removeprefix(STORED)
    base = args.url.rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        raise ValueError(f"--url {args.url!r} must be an http:// or https:// URL")
    token = _get_json(base, f"/local/token?user={quote(args.user)}", None, f"a token for {args.user}").get("token")
    return _get_json(base, f"/sla/{kind}s/{quote(terms_id)}", token, f"the stored {kind} {terms_id}")


def _calendar_option(value: str, args: argparse.Namespace) -> Calendar:
    if not value.startswith(STORED):
        return _load_calendar(value)
    try:
        return Calendar.from_json(_stored("calendar", value, args))
    except ValueError as exc:
        raise ValueError(f"calendar {value}: {exc}") from None


def _load_plan(value: str | None, args: argparse.Namespace) -> SupportPlan:
    """A built-in plan by name (the default when none is given), a plan stored on the stack (stored:ID, on its
    calendar as stored), else the plan in the JSON file at `value`."""
    if value is None or value in PLANS:
        return plan_named(value)
    if value.startswith(STORED):
        body = _stored("plan", value, args)
        calendar = _stored("calendar", STORED + str(body.get("calendar_id")), args)
        try:
            return SupportPlan.from_json({**body, "name": body.get("id"), "calendar": calendar})
        except ValueError as exc:
            raise ValueError(f"plan {value}: {exc}") from None
    try:
        return SupportPlan.from_json(_read_json(value, "plan"))
    except ValueError as exc:
        raise ValueError(f"plan {value}: {exc}") from None


def _read_json(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except OSError as exc:
        raise ValueError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"{what} {path} is not valid JSON: {exc}") from None


def _fetch_ticket(url: str, ticket: str, user: str) -> Any:
    """The ticket as staff see it on the local stack, read with a demo user's token from /local/token."""
    base = url.rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        raise ValueError(f"--url {url!r} must be an http:// or https:// URL")
    token = _get_json(base, f"/local/token?user={quote(user)}", None, f"a token for {user}").get("token")
    if not isinstance(token, str):
        raise ValueError(f"{base}/local/token gave no token for {user}")
    return _get_json(base, f"/tickets/{quote(ticket)}", token, f"ticket {ticket}")


def _get_json(base: str, path: str, token: str | None, what: str) -> Any:
    headers = {"accept": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 - the scheme is checked to be http(s)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - as above
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise ValueError(f"cannot get {what} from {base}: HTTP {exc.code} {_problem_detail(exc)}") from None
    except urllib.error.URLError as exc:
        raise ValueError(
            f"cannot reach the stack at {base} ({exc.reason}); is `caseway local` running? "
            "Name where it runs with --url http://HOST:PORT (default: http://127.0.0.1:$PORT)"
        ) from None
    except OSError as exc:
        raise ValueError(f"cannot get {what} from {base}: {exc}") from None
    except ValueError:
        raise ValueError(f"{base}{path} did not answer with JSON") from None


def _problem_detail(error: Any) -> str:
    """The `detail` of an RFC 9457 problem body, or the HTTP reason when there is none."""
    try:
        detail = json.loads(error.read() or b"{}").get("detail")
    except (OSError, ValueError, AttributeError):
        detail = None
    return str(detail or error.reason)


# --- a deployed stage: setup, doctor ----------------------------------------------------------------------------


def _add_stage_parsers(sub: argparse._SubParsersAction) -> None:
    for name, text in (
        ("setup", "write the default desk into a deployed stage, as its deploy does (never over managers' changes)"),
        ("doctor", "check a deployed stage and say what to fix, one line per check"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--stage", required=True, help="the stage (stack caseway-<stage>), e.g. dev")
        command.add_argument("--region", help="AWS region of the stack (default: your AWS configuration)")
        command.add_argument("--profile", help="AWS profile (default: your AWS configuration)")


def _stage_command(args: argparse.Namespace) -> int:
    """`setup`: exit 0 when it ran; `doctor`: exit 0 when every check is OK, 1 when something needs fixing;
    2 when the stage cannot be reached or read."""
    from infra.local import deployed  # only these commands load boto3 and the setup's defaults

    try:
        stage = deployed.find_stage(args.stage, profile=args.profile, region=args.region)
        if args.command == "setup":
            print(deployed.setup_report(deployed.run_setup(stage)), end="")
            return 0
        checks = deployed.doctor(stage)
    except deployed.StageError as exc:
        print(f"caseway {args.command}: error: {exc}", file=sys.stderr)
        return 2
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
