"""The routes on the REAL clock: `caseway local` on a free port (no virtual clock, no fixed clock), driven over HTTP
as people would. Steps happen as fast as the stack runs them, so time moves between every read of the clock: each
message the customer gets is checked word for word, and each next-step date against the ledger replayed from the
ticket's own history (as `caseway sla explain` does) or, for a catalog route's own promise, against its working
days counted from the instant the step stamped on its message.

The expected texts are computed from the history the stack returns, so the tests hold on any day and at any hour.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.clocks.ticket import customer_time
from shared.sla.ledger import Ledger, ledger
from shared.sla.plans import DEFAULT_PLAN, add_working_days
from tests.local.process import running_stack
from tests.local.test_scenario_local_stack import Http

ROOT = Path(__file__).resolve().parents[2]
PLAN = DEFAULT_PLAN  # Acme is a standard organisation
CALENDAR = DEFAULT_PLAN.calendar
KEY = r"[A-HJ-NP-Z2-9]{5}(?:-[A-HJ-NP-Z2-9]{5}){4}"

BOB, LENA, DANA = "bob@acme.example", "lena.l1@caseway.example", "dev.l2@caseway.example"
OLGA, MARIA = "office@caseway.example", "maria.manager@caseway.example"


@pytest.fixture(scope="module")
def http() -> Iterator[Http]:
    """`caseway local` as `make run` starts it: the real clock."""
    with running_stack() as (url, _):
        yield Http(url)


class Desk:
    """The stack seen by its demo users."""

    def __init__(self, http: Http) -> None:
        self.http = http
        self.tokens: dict[str, str] = {}

    def __call__(self, user: str | None, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        if user is not None and user not in self.tokens:
            self.tokens[user] = self.http.token(user)
        return self.http(method, path, body, self.tokens.get(user) if user else None)

    def ok(self, user: str, method: str, path: str, body: dict | None = None) -> Any:
        status, answer = self(user, method, path, body)
        assert status in (200, 201), (method, path, status, answer)
        return answer

    def seen(self, ticket_id: str, user: str = BOB) -> dict:
        return self.ok(user, "GET", f"/tickets/{ticket_id}")

    def task(self, group: str, user: str, ticket_id: str, task_type: str) -> dict:
        def find() -> dict | None:
            queue = self.ok(user, "GET", f"/tasks?group={group}")["items"]
            return next((t for t in queue if t["ticket_id"] == ticket_id and t["type"] == task_type), None)

        return poll(find, f"the {task_type} task of {ticket_id} in {group}")

    def finish(self, user: str, task: dict, outcome: str, note: str | None = None) -> None:
        self.ok(user, "POST", f"/tasks/{task['id']}/take")
        self.ok(user, "POST", f"/tasks/{task['id']}/complete", {"outcome": outcome, **({"note": note} if note else {})})

    def ledger(self, ticket_id: str) -> Ledger:
        """The ledger of the ticket's whole history now, as `caseway sla explain --ticket` computes it."""
        staff = self.seen(ticket_id, LENA)
        return ledger(PLAN, staff["history"], staff["service"], datetime.now(UTC))

    def mails(self, reference: str, count: int) -> list[tuple[str, str]]:
        """(headline, text) of every e-mail the customer got about the ticket, in order, once there are `count` (an
        e-mail leaves after its change is committed: the ticket may show the change a moment before)."""

        def ours() -> list[dict] | None:
            items = self.ok(BOB, "GET", f"/local/mailbox?to={BOB}")["items"]
            found = [m for m in items if m["subject"].startswith(f"[{reference}] ")]
            return found if len(found) >= count else None

        found = poll(ours, f"{count} e-mails about {reference}")
        return [(m["subject"].split("] ", 1)[1].split(":", 1)[0], m["body"].split("\n\nTicket ", 1)[0]) for m in found]

    def mail_next_steps(self, reference: str) -> list[str | None]:
        """The "Next step by" line of each of the ticket's e-mails (None: the e-mail shows none)."""
        items = self.ok(BOB, "GET", f"/local/mailbox?to={BOB}")["items"]
        ours = [m["body"] for m in items if m["subject"].startswith(f"[{reference}] ")]
        found = [re.search(r"^Next step by: (.+)$", body, re.MULTILINE) for body in ours]
        return [m.group(1) if m else None for m in found]


@pytest.fixture(scope="module")
def desk(http: Http) -> Desk:
    return Desk(http)


def poll(fn: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def bodies(view: dict) -> list[str]:
    return [m["body"] for m in view["messages"]]


def seen_when(desk: Desk, ticket_id: str, ready: Callable[[dict], bool], what: str) -> dict:
    """The customer's view of the ticket once `ready` holds for it."""

    def attempt() -> dict | None:
        view = desk.seen(ticket_id)
        return view if ready(view) else None

    return poll(attempt, what)


def messages(desk: Desk, ticket_id: str, count: int) -> dict:
    """The customer's view once it holds `count` messages (never more)."""
    view = seen_when(desk, ticket_id, lambda v: len(v["messages"]) >= count, f"{count} messages")
    assert len(view["messages"]) == count, bodies(view)
    return view


def settled_next_step(desk: Desk, ticket_id: str, status: str | None = None) -> tuple[dict, Ledger]:
    """The customer's view once the route worker's refresh (asynchronous after a status change) has run: its
    next-step date is the ledger's (and its status `status`, when the step that sets it may still be running).
    Fails when they never agree."""
    last: dict[str, Any] = {}

    def agree() -> bool:
        view, state = desk.seen(ticket_id), desk.ledger(ticket_id)
        last.update(view=view, state=state)
        return view["next_step_at"] == iso(state.next_step_at) and status in (None, view["status"])

    try:
        poll(agree, "the next step to be the ledger's")
    except AssertionError:
        raise AssertionError(
            f"next_step_at {last['view']['next_step_at']} but the ledger says {iso(last['state'].next_step_at)}"
        ) from None
    return last["view"], last["state"]


def received_mail(reference: str) -> tuple[str, str]:
    return (
        "Request received",
        f"We have received your request {reference} and a specialist will pick it up. "
        "You can write into the ticket at any time.",
    )


def resolved_mail(resolution: str) -> tuple[str, str]:
    return (
        "Resolved",
        f"Your request has been resolved:\n\n{resolution}\n\n"
        "If this does not solve it, just reply in the ticket and it reopens.",
    )


def closed_mail(reason: str | None = None) -> tuple[str, str]:
    """The closing e-mail: by the customer (no reason shown), or by the desk with its reason."""
    return (
        "Closed",
        f"Your ticket is closed{f': {reason}' if reason else ''}. Thank you for working with us.\n\n"
        "How did we do? Rate us from 1 (poor) to 5 (excellent) and tell us why, on the ticket's page.",
    )


def created(view: dict, index: int) -> datetime:
    """The instant the step stamped on the customer's message `index` (and on every event it wrote)."""
    return z(view["messages"][index]["created_at"])


def submitted_at(desk: Desk, ticket_id: str) -> datetime:
    history = desk.seen(ticket_id, LENA)["history"]
    return z(next(e["at"] for e in history if e["type"] == "TicketSubmitted"))


# --- support ------------------------------------------------------------------------------------------------------


def test_support_bug_on_the_real_clock(desk: Desk) -> None:
    # Given Bob asks a question on the real clock
    ticket = desk.ok(
        BOB,
        "POST",
        "/tickets",
        {
            "service": "functionality-question",
            "subject": "CSV export fails",
            "description": "Exporting the monthly report to CSV ends with an error page.",
            "fields": {"problem": "Export button shows an error", "contact": "+420 123 456 789"},
        },
    )
    tid, reference = ticket["id"], ticket["reference"]
    submitted = submitted_at(desk, tid)

    # Then he is told when we react: 4 working hours from the submission (R7, R10), the ledger's reaction due
    view = messages(desk, tid, 1)
    state = desk.ledger(tid)
    reaction_due = CALENDAR.add(submitted, timedelta(hours=4))
    assert state.reaction.due == reaction_due
    assert bodies(view) == [f"We have received your request and will respond by {customer_time(reaction_due, PLAN)}."]
    assert view["next_step_at"] == iso(state.next_step_at) == iso(reaction_due)

    # When L1 classifies it as a bug
    desk.finish(LENA, desk.task("L1", LENA, tid, "classify"), "bug")

    # Then he is told the bug's resolution date (24 working hours from the submission), which is the next step
    view = messages(desk, tid, 2)
    state = desk.ledger(tid)
    resolution_due = CALENDAR.add(submitted, timedelta(hours=24))
    assert state.classification == "bug" and state.resolution is not None
    assert state.resolution.due == resolution_due
    assert bodies(view)[1] == f"Classified as bug: we will resolve it by {customer_time(resolution_due, PLAN)}."
    assert view["next_step_at"] == iso(state.next_step_at) == iso(resolution_due)

    # When L2 takes the fix and asks Bob something: the ball goes to him
    desk.ok(DANA, "POST", f"/tasks/{desk.task('L2', DANA, tid, 'fix')['id']}/take")
    desk.ok(DANA, "POST", f"/tickets/{tid}/messages", {"body": "Which version do you run?"})

    # Then the next step is the ledger's while he has the ball: the automatic close after his silence (R21)
    view, state = settled_next_step(desk, tid, "waiting_for_customer")
    assert view["status"] == "waiting_for_customer" and state.resolution.phase == "paused"
    assert state.next_step_at == state.auto_close_at is not None
    assert bodies(view)[2:] == ["Which version do you run?"]

    # When Bob answers: the ball is ours again, the resolution runs on, moved by the paused working time
    desk.ok(BOB, "POST", f"/tickets/{tid}/messages", {"body": "Version 4.2."})
    view, state = settled_next_step(desk, tid, "in_progress")
    assert view["status"] == "in_progress" and state.resolution.phase == "running"
    assert state.next_step_at == state.resolution.due >= resolution_due
    assert bodies(view)[3:] == ["Version 4.2."]

    # When L2 resolves it
    desk.ok(
        DANA,
        "POST",
        f"/tickets/{tid}/resolve",
        {"resolution": "Fixed the CSV export in 4.2.1", "preventive_measure": "A test for every export format"},
    )
    view, state = settled_next_step(desk, tid, "resolved")
    assert view["status"] == "resolved" and state.next_step_at == state.auto_close_at is not None

    # When Bob confirms by closing it: a closed ticket shows no next step
    closed = desk.ok(BOB, "POST", f"/tickets/{tid}/close", {"reason": "Works now"})
    assert closed["status"] == "closed" and closed["next_step_at"] is None
    view = desk.seen(tid)
    assert view["next_step_at"] is None
    assert desk.ledger(tid).next_step_at is None

    # Every message Bob got in the ticket, and by e-mail; closing it himself, on the page that asks for his rating,
    # sends him no e-mail about what he just did
    assert len(view["messages"]) == 4
    assert desk.mails(reference, 3) == [
        received_mail(reference),
        ("New reply", "Support replied:\n\nWhich version do you run?"),
        resolved_mail("Fixed the CSV export in 4.2.1"),
    ]


# --- licence key --------------------------------------------------------------------------------------------------


LICENCE = {
    "service": "licence-key",
    "subject": "Key for the new laptop",
    "description": "A second seat for our accountant.",
    "fields": {"licence_product": "Caseway Desktop", "licence_seats": 1},
}


def test_licence_keys_within_and_over_the_limit_on_the_real_clock(desk: Desk) -> None:
    # Given Acme holds 2 of its 3 keys; Bob asks for one
    assert desk.ok(MARIA, "GET", "/organisations/acme/licences") == {"organisation_id": "acme", "limit": 3, "issued": 2}
    first = desk.ok(BOB, "POST", "/tickets", LICENCE)

    # Then the key is posted and the ticket closed, with no next step
    view = seen_when(desk, first["id"], lambda v: v["status"] == "closed", "the key")
    assert len(view["messages"]) == 1
    assert re.fullmatch(
        rf"Your licence key for Caseway Desktop \(1 seats\): {KEY}\nYour organisation now holds 3 of 3 keys\.",
        view["messages"][0]["body"],
    )
    assert view["next_step_at"] is None
    # and Bob gets one e-mail, the key itself, which says the ticket is closed (no "received", no "resolved ...
    # reply and it reopens" that the close would take back)
    key_mail = ("Your licence key", f"{view['messages'][0]['body']}\n\n{closed_mail('licence key issued')[1]}")
    assert desk.mails(first["reference"], 1) == [key_mail]
    assert desk.mail_next_steps(first["reference"]) == [None]

    # When Bob asks for another one: over the limit
    second = desk.ok(BOB, "POST", "/tickets", LICENCE)
    tid = second["id"]
    view = messages(desk, tid, 1)

    # Then he is told why and by when he hears from us: one working day from the step's instant
    due = add_working_days(CALENDAR, created(view, 0), 1)
    assert bodies(view) == [
        "Your organisation has already been issued 3 licence keys, its limit is 3, so we cannot issue another one "
        "automatically. We have asked your account manager to extend the limit; you will hear from us by "
        f"{customer_time(due, PLAN)}."
    ]
    assert view["next_step_at"] == iso(due)

    # When the account manager extends the limit
    desk.finish(MARIA, desk.task("accounts", MARIA, tid, "licence_limit"), "extend")

    # Then the key follows and the ticket is closed, with no next step
    view = seen_when(desk, tid, lambda v: v["status"] == "closed", "the second key")
    assert len(view["messages"]) == 2
    assert re.fullmatch(
        rf"Your licence key for Caseway Desktop \(1 seats\): {KEY}\nYour organisation now holds 4 of 4 keys\.",
        view["messages"][1]["body"],
    )
    assert view["next_step_at"] is None
    assert desk.ledger(tid).next_step_at is None
    # Bob got two e-mails: why there was no key yet and by when he hears, then the key
    assert desk.mails(second["reference"], 2) == [
        ("Licence limit reached", bodies(view)[0]),
        ("Your licence key", f"{view['messages'][1]['body']}\n\n{closed_mail('licence key issued')[1]}"),
    ]
    assert desk.mail_next_steps(second["reference"]) == [customer_time(due, PLAN), None]


# --- document request ---------------------------------------------------------------------------------------------


def test_document_request_on_the_real_clock(desk: Desk) -> None:
    # Given Bob asks for a copy of an invoice
    ticket = desk.ok(
        BOB,
        "POST",
        "/tickets",
        {
            "service": "document-request",
            "subject": "Copy of the October invoice",
            "description": "Our accounting lost it.",
            "fields": {"document_type": "invoice"},
        },
    )
    tid, reference = ticket["id"], ticket["reference"]

    # Then he is told by when: 3 working days from the step's instant, the next step
    view = messages(desk, tid, 1)
    due = add_working_days(CALENDAR, created(view, 0), 3)
    assert bodies(view) == [
        f"We have received your request: we will send you the document (invoice) by {customer_time(due, PLAN)}."
    ]
    assert view["next_step_at"] == iso(due)

    # When the office sends it
    desk.finish(OLGA, desk.task("office", OLGA, tid, "prepare_document"), "sent")

    # Then he is told, the ticket is resolved and its next step is the ledger's automatic close (R21)
    view = messages(desk, tid, 2)
    assert bodies(view)[1] == (
        "Your invoice is ready. Please confirm by closing the ticket, or reply if something is missing."
    )
    view, state = settled_next_step(desk, tid, "resolved")
    assert view["status"] == "resolved" and state.next_step_at == state.auto_close_at is not None

    # When Bob confirms: closed, no next step
    assert desk.ok(BOB, "POST", f"/tickets/{tid}/close")["next_step_at"] is None
    assert desk.seen(tid)["next_step_at"] is None
    assert desk.mails(reference, 2) == [
        received_mail(reference),
        ("Resolved", "Your invoice is ready. Please confirm by closing the ticket, or reply if something is missing."),
    ]


# --- change request -----------------------------------------------------------------------------------------------


def test_change_request_on_the_real_clock(desk: Desk) -> None:
    # Given Bob asks for a change
    ticket = desk.ok(
        BOB,
        "POST",
        "/tickets",
        {
            "service": "change-request",
            "subject": "Export to XLSX",
            "description": "We need the monthly report as XLSX.",
            "fields": {"change_description": "Add an XLSX export next to CSV"},
        },
    )
    tid, reference = ticket["id"], ticket["reference"]

    # Then he is told when the estimate comes: 5 working days from the step's instant
    view = messages(desk, tid, 1)
    due = add_working_days(CALENDAR, created(view, 0), 5)
    assert bodies(view) == [
        "We have received your request: a specialist will evaluate the change and send you an estimate to approve "
        f"by {customer_time(due, PLAN)}."
    ]
    assert view["next_step_at"] == iso(due)

    # When L2 estimates it at 12 hours
    task = desk.task("L2", DANA, tid, "evaluate")
    desk.ok(DANA, "POST", f"/tasks/{task['id']}/take")
    desk.ok(DANA, "POST", f"/tasks/{task['id']}/estimate", {"hours": 12, "note": "export + tests"})

    # Then he gets the estimate to decide on within the plan's 3 working days, the next step
    view = messages(desk, tid, 2)
    decide_by = add_working_days(CALENDAR, created(view, 1), PLAN.auto_close_after_days)
    assert bodies(view)[1] == (
        "We estimate the change at 12 hours (export + tests). Nothing is done before you approve it: approve or "
        f"decline the estimate on the ticket's page by {customer_time(decide_by, PLAN)}; "
        "without a decision the request is closed then."
    )
    assert view["status"] == "waiting_for_customer" and view["next_step_at"] == iso(decide_by)

    # When he approves it
    desk.ok(BOB, "POST", f"/tickets/{tid}/approval", {"decision": "approve"})

    # Then he is told when the change is done: 12 hours are 2 working days from the step's instant
    view = messages(desk, tid, 3)
    done_by = add_working_days(CALENDAR, created(view, 2), math.ceil(12 / 8))
    assert bodies(view)[2] == (
        "Thank you for approving the estimate. We are making the change and will finish it by "
        f"{customer_time(done_by, PLAN)}."
    )
    assert view["next_step_at"] == iso(done_by)

    # When L2 makes the change
    desk.finish(DANA, desk.task("L2", DANA, tid, "change_work"), "done", "XLSX export released in 4.2")

    # Then he is told, the ticket is resolved and its next step is the ledger's automatic close
    view = messages(desk, tid, 4)
    assert bodies(view)[3] == (
        "The change is done: XLSX export released in 4.2 Please confirm by closing the ticket, or reply if something "
        "is not right."
    )
    view, state = settled_next_step(desk, tid, "resolved")
    assert view["status"] == "resolved" and state.next_step_at == state.auto_close_at is not None

    # When he confirms: closed, no next step
    assert desk.ok(BOB, "POST", f"/tickets/{tid}/close")["next_step_at"] is None
    assert desk.seen(tid)["next_step_at"] is None
    assert desk.mails(reference, 3) == [
        received_mail(reference),
        ("Estimate to approve", bodies(view)[1]),
        ("Resolved", bodies(view)[3]),
    ]
