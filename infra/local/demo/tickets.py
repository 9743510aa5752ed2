"""The demo tickets of `make run`: one in every state a page shows, worked by the demo users through the API (the
gateway in front of the real handler, as a browser calls it) while the routes run, on a virtual clock that moves
through the last working days. Nothing is written by hand, so the tickets, their tasks and histories, the time
entries, the SLA warnings, breaches and incidents, the customers' e-mails and the manager's figures agree by
construction.

Each step happens a number of working hours (on the default plan's calendar) before the moment the stack starts,
so the states hold on any day and at any hour: a ticket resolved 11 working hours ago is not yet closed
automatically (3 working days), a customer silent for 21 working hours has been reminded (after 16) and not yet
closed (after 24), an important customer's ticket nobody classified for 3 working hours has breached its reaction
promise (1 hour). After the last step the clock catches up with the real time and follows it (the stack then runs
on the real clock, its routes still waiting where they were).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from infra.local.demo.directory import claims_for, user_by_email
from infra.local.gateway import Gateway, issue_token
from infra.local.virtual_time import VirtualClock
from shared.platform import clock
from shared.sla.calendars import Calendar
from shared.sla.plans import DEFAULT_PLAN

BOB, ALICE, VERA, GUS, JANA = (
    "bob@acme.example",
    "alice@acme.example",
    "vera@globex.example",
    "gus@globex.example",
    "jana@novak.example",
)
LENA, PETR, DANA = "lena.l1@caseway.example", "petr.l1@caseway.example", "dev.l2@caseway.example"
WEB_FORM_REQUESTER = "nora.new@example.org"

# The earliest step, in working hours before the start: where the virtual clock starts (the demo desk too).
HISTORY_HOURS = 35.0

# What each demo ticket shows on first sight (the tests read it: tests/local/test_demo.py).
STATES = {
    "closed_rated": "closed, rated 5 by the customer",
    "closed_low_rating": "a VIP bug fixed by L2, closed and rated 2 with a comment",
    "resolved": "resolved, waiting for the automatic close",
    "reminded": "waiting for the customer, who was reminded",
    "waiting": "waiting for the customer (a Czech organisation)",
    "at_l2": "classified as a bug, at L2 with the fix task taken",
    "breached": "a VIP's ticket nobody classified: its reaction promise breached, an incident raised",
    "new": "new, in the L1 queue",
    "web_form": "new, from the web form (a follow link)",
}


class DemoSeedError(RuntimeError):
    """A demo step was refused: the demo no longer matches the API."""


@dataclass
class Desk:
    """The API as the demo users call it: the gateway in front of the real handler, with each user's token."""

    gateway: Gateway
    clock: VirtualClock
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)  # demo key -> the ticket as created
    follow_keys: dict[str, str] = field(default_factory=dict)  # demo key -> the web form's follow key
    _tokens: dict[str, str] = field(default_factory=dict)

    def __call__(self, user: str | None, method: str, path: str, body: dict | None = None) -> Any:
        headers = {"content-type": "application/json", "user-agent": "caseway-demo"}
        if user is not None:
            if user not in self._tokens:
                known = user_by_email(user)
                if known is None:
                    raise DemoSeedError(f"{user} is not a demo user")
                self._tokens[user] = issue_token(claims_for(known))
            headers["authorization"] = f"Bearer {self._tokens[user]}"
        data = json.dumps(body).encode() if body is not None else b""
        status, _, text = self.gateway.handle(method, path, headers, data, "127.0.0.1")
        if status >= 300:
            raise DemoSeedError(f"{method} {path} as {user}: {status} {text[:500]!r}")
        return json.loads(text) if text else {}

    def id(self, key: str) -> str:
        return self.tickets[key]["id"]

    def task(self, key: str, task_type: str, group: str, agent: str, timeout: float = 20.0) -> dict[str, Any]:
        """The task the ticket's route put into the group's queue (the route runs in the background)."""
        ticket_id = self.id(key)
        deadline = time.monotonic() + timeout
        while True:
            items = self(agent, "GET", f"/tasks?group={group}")["items"]
            found = next((t for t in items if t["ticket_id"] == ticket_id and t["type"] == task_type), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise DemoSeedError(f"the route of {key} put no {task_type} task into {group} within {timeout} s")
            time.sleep(0.02)

    def take(self, agent: str, task: dict[str, Any]) -> None:
        self(agent, "POST", f"/tasks/{task['id']}/take")

    def complete(self, agent: str, task: dict[str, Any], outcome: str, note: str | None = None) -> None:
        self(agent, "POST", f"/tasks/{task['id']}/complete", {"outcome": outcome, **({"note": note} if note else {})})

    def log_time(self, agent: str, key: str, minutes: int, note: str, task: dict[str, Any] | None = None) -> None:
        started = self.clock.now() - timedelta(minutes=minutes)  # the work ends as it is logged
        body: dict[str, Any] = {"minutes": minutes, "note": note, "started_at": clock.iso(started)}
        if task is not None:
            body["task_id"] = task["id"]
        self(agent, "POST", f"/tickets/{self.id(key)}/time", body)


def _question(subject: str, description: str, problem: str, contact: str) -> dict[str, Any]:
    return {
        "service": "functionality-question",
        "subject": subject,
        "description": description,
        "fields": {"problem": problem, "contact": contact},
    }


def _open(key: str, user: str, body: dict[str, Any]) -> Callable[[Desk], None]:
    def step(desk: Desk) -> None:
        desk.tickets[key] = desk(user, "POST", "/tickets", body)

    return step


def _classify(key: str, agent: str, outcome: str, note: str | None = None) -> Callable[[Desk], None]:
    def step(desk: Desk) -> None:
        task = desk.task(key, "classify", "L1", agent)
        desk.take(agent, task)
        desk.complete(agent, task, outcome, note)

    return step


def _answer_and_resolve(
    key: str, agent: str, reply: str, minutes: int, resolve: dict[str, Any]
) -> Callable[[Desk], None]:
    def step(desk: Desk) -> None:
        task = desk.task(key, "answer", "L1", agent)
        desk.take(agent, task)
        desk(agent, "POST", f"/tickets/{desk.id(key)}/messages", {"body": reply})
        desk.log_time(agent, key, minutes, "Answered the question", task)
        desk(agent, "POST", f"/tickets/{desk.id(key)}/resolve", resolve)

    return step


def _ask_customer(key: str, agent: str, question: str, minutes: int) -> Callable[[Desk], None]:
    def step(desk: Desk) -> None:
        task = desk.task(key, "answer", "L1", agent)
        desk.take(agent, task)
        desk.log_time(agent, key, minutes, "Looked into it, asked the customer", task)
        desk(agent, "POST", f"/tickets/{desk.id(key)}/messages", {"body": question})

    return step


def _take_fix(key: str, minutes: int, note: str) -> Callable[[Desk], None]:
    def step(desk: Desk) -> None:
        task = desk.task(key, "fix", "L2", DANA)
        desk.take(DANA, task)
        desk(DANA, "POST", f"/tickets/{desk.id(key)}/messages", {"body": note, "internal": True})
        desk.log_time(DANA, key, minutes, "Reproduced and found the cause", task)

    return step


def _finish_fix(key: str, minutes: int, note: str) -> Callable[[Desk], None]:
    def step(desk: Desk) -> None:
        task = desk.task(key, "fix", "L2", DANA)
        desk.log_time(DANA, key, minutes, "Fixed and released", task)
        desk.complete(DANA, task, "fixed", note)

    return step


def _tell_and_resolve(key: str, agent: str, reply: str, resolve: dict[str, Any]) -> Callable[[Desk], None]:
    def step(desk: Desk) -> None:
        task = desk.task(key, "tell", "L1", agent)
        desk.take(agent, task)
        desk(agent, "POST", f"/tickets/{desk.id(key)}/messages", {"body": reply})
        desk.log_time(agent, key, 15, "Told the customer", task)
        desk.complete(agent, task, "told")
        desk(agent, "POST", f"/tickets/{desk.id(key)}/resolve", resolve)

    return step


def _close_and_rate(key: str, user: str, rating: int, comment: str) -> Callable[[Desk], None]:
    def step(desk: Desk) -> None:
        desk(user, "POST", f"/tickets/{desk.id(key)}/close", {"reason": "Solved"})
        desk(user, "POST", f"/tickets/{desk.id(key)}/feedback", {"rating": rating, "comment": comment})

    return step


def _web_form(key: str) -> Callable[[Desk], None]:
    def step(desk: Desk) -> None:
        body = {
            "service": "functionality-question",
            "email": WEB_FORM_REQUESTER,
            "name": "Nora New",
            "subject": "Cannot log in after changing my password",
            "description": "Since this morning the portal rejects my new password.",
            "fields": {"problem": "Login rejected", "contact": "+420 777 000 111"},
        }
        created = desk(None, "POST", "/public/tickets", body)
        desk.tickets[key] = created
        desk.follow_keys[key] = created["follow_url"].split("key=", 1)[1]

    return step


# (working hours before the start, step): the demo's history, in order.
SCRIPT: list[tuple[float, Callable[[Desk], None]]] = [
    # closed and rated: a question answered the same morning
    (34.0, _open("closed_rated", BOB, _question(
        "Monthly report totals differ from the dashboard",
        "The October report shows 1 204 orders, the dashboard 1 198.",
        "Report and dashboard totals differ", "+420 601 111 222"))),
    (33.5, _classify("closed_rated", LENA, "question")),
    (33.0, _answer_and_resolve(
        "closed_rated", LENA,
        "The report counts cancelled orders of the month, the dashboard does not: six were cancelled in October.",
        35,
        {"resolution": "Explained that the report counts cancelled orders",
         "preventive_measure": "The report's footer now says it includes cancelled orders",
         "articles": ["export-report-to-csv"]})),
    (32.0, _close_and_rate("closed_rated", BOB, 5, "Clear answer within the hour, thank you.")),
    # a VIP's bug through L2, closed with a low rating
    (30.0, _open("closed_low_rating", VERA, _question(
        "Payment batch import rejects valid IBANs",
        "The nightly batch rejects about 40 payments with 'invalid IBAN'; the IBANs are correct.",
        "Valid IBANs rejected by the import", "+48 22 555 0101"))),
    (29.8, _classify("closed_low_rating", PETR, "bug",
                     "Reproduced: IBANs written in lower case are rejected by the import")),
    (29.5, _take_fix("closed_low_rating", 60, "The import checks IBANs case-sensitively.")),
    (26.5, _finish_fix("closed_low_rating", 120, "Fixed in 4.2.1: the IBAN check ignores case")),
    (26.2, _tell_and_resolve(
        "closed_low_rating", LENA,
        "Fixed in 4.2.1, released today: lower-case IBANs are accepted. Please run the batch again.",
        {"resolution": "Import accepts IBANs in any case (4.2.1)",
         "preventive_measure": "Regression test with lower-case IBANs"})),
    (25.0, _close_and_rate("closed_low_rating", VERA, 2,
                           "Fixed, but we re-entered 40 payments by hand while waiting.")),
    # waiting for the customer since yesterday: reminded after 16 working hours
    (22.0, _open("reminded", BOB, _question(
        "Invoice PDF shows our old address",
        "The invoices we download still show the address we moved from in September.",
        "Old address on invoice PDFs", "bob@acme.example"))),
    (21.5, _classify("reminded", LENA, "question")),
    (21.0, _ask_customer("reminded", LENA,
                         "Which invoice numbers show the old address? New invoices use the address of your profile.",
                         10)),
    # resolved, waiting for the automatic close
    (12.0, _open("resolved", ALICE, _question(
        "Add a colleague to the approval workflow",
        "How do I add Bob as a second approver for purchase orders?",
        "Second approver for purchase orders", "alice@acme.example"))),
    (11.5, _classify("resolved", PETR, "question")),
    (11.0, _answer_and_resolve(
        "resolved", PETR,
        "Open Settings, Approval workflow, Purchase orders, and add Bob under Approvers.",
        25,
        {"resolution": "Explained where approvers are added",
         "preventive_measure": "Approvers described in the onboarding guide"})),
    # at L2: a bug classified this morning, the fix task taken
    (7.0, _open("at_l2", ALICE, _question(
        "Scheduled export stops at 10 000 rows",
        "The nightly CSV export of orders ends after 10 000 rows; we have about 14 000.",
        "Export cut at 10 000 rows", "alice@acme.example"))),
    (6.5, _classify("at_l2", PETR, "bug", "Reproduced: every export over 10 000 rows stops at the first page")),
    (6.0, _take_fix("at_l2", 90, "The exporter reads only the first page of the query.")),
    # waiting for the customer, not yet reminded (a Czech organisation: the desk writes to it in Czech)
    (6.0, _open("waiting", JANA, _question(
        "Tisk dodacích listů se zasekne",
        "Při tisku více než 20 dodacích listů najednou se tisk zastaví.",
        "Tisk se zastaví po 20 listech", "+420 602 333 444"))),
    (5.5, _classify("waiting", LENA, "question")),
    (5.0, _ask_customer("waiting", LENA, "Dobrý den, pošlete nám prosím snímek obrazovky s chybou.", 15)),
    # breached: a VIP's ticket nobody classified (reaction promise: 1 working hour)
    (3.0, _open("breached", GUS, _question(
        "Card payments declined since this morning",
        "Every card payment in the web shop is declined since 09:00.",
        "All card payments declined", "+48 22 555 0199"))),
    # new
    (0.5, _open("new", BOB, _question(
        "Add our new cost centre to the report filter",
        "We opened cost centre 4711 this month; the report filter does not offer it.",
        "Cost centre missing in the filter", "+420 601 111 222"))),
    (0.25, _web_form("web_form")),
]  # fmt: skip


def working_hours_before(calendar: Calendar, end: datetime, hours: float) -> datetime:
    """The latest instant from which `hours` of working time pass until `end` (found to the second, given to the
    nearest minute)."""
    wanted = timedelta(hours=hours)
    low, high = end - timedelta(days=60), end
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if calendar.between(middle, end) >= wanted:
            low = middle
        else:
            high = middle
    return (low + timedelta(seconds=30)).replace(second=0, microsecond=0)  # to the minute, as people work


def start_instant(now: datetime, calendar: Calendar = DEFAULT_PLAN.calendar) -> datetime:
    """Where the virtual clock starts: a minute before the first step."""
    return working_hours_before(calendar, now, HISTORY_HOURS) - timedelta(minutes=1)


@dataclass
class Progress:
    """How far the demo's preparation is: the local stack answers GET /local/demo with `view()`, and refuses the
    API while it prepares (every answer then would be of a desk half-way through its history)."""

    state: str = "preparing"  # preparing | ready | failed
    done: int = 0
    total: int = len(SCRIPT)
    error: str | None = None
    seconds: float | None = None
    tickets: dict[str, str] = field(default_factory=dict)  # demo key -> reference
    started: float = field(default_factory=time.monotonic)

    @property
    def preparing(self) -> bool:
        return self.state == "preparing"

    def finish(self, error: BaseException | None = None) -> None:
        self.seconds = round(time.monotonic() - self.started, 1)
        self.error = None if error is None else f"{type(error).__name__}: {error}"
        self.state = "ready" if error is None else "failed"

    def view(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "steps_done": self.done,
            "steps": self.total,
            "seconds": self.seconds,
            "error": self.error,
            "tickets": [
                {"key": key, "reference": reference, "shows": STATES[key]} for key, reference in self.tickets.items()
            ],
        }


def seed(
    gateway: Gateway,
    vclock: VirtualClock,
    now: datetime,
    progress: Progress | None = None,
    calendar: Calendar = DEFAULT_PLAN.calendar,
) -> Desk:
    """Play the script on the virtual clock (installed, at `start_instant(now)`), then catch up with the real time
    and follow it. Returns the desk with the tickets it made."""
    desk = Desk(gateway, vclock)
    progress = progress or Progress()
    for hours, step in SCRIPT:
        vclock.advance_to(working_hours_before(calendar, now, hours))
        step(desk)
        progress.done += 1
        progress.tickets = {key: ticket["reference"] for key, ticket in desk.tickets.items()}
    vclock.follow_real_time()
    return desk
