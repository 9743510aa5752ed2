"""The desk rehearsed as the cloud runs it: `caseway local --rehearsal` on the REAL clock, each function of the dev
template a process of its own (its asset, the runtime's boto3, the template's environment and log level), driven
over HTTP, SMTP and the fake Bot API as people and AWS would. Each scenario ends with every invocation so far having
succeeded: a function that fails anywhere (a setting missing from its environment, a module missing from its asset,
a log line that raises at the template's level) fails the scenario with the function's own error."""

from __future__ import annotations

import json
import smtplib
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.rehearsal import iam
from infra.rehearsal.intrinsics import Physical
from infra.rehearsal.stage import Prepared
from tests.local.test_real_clock_routes import LICENCE
from tests.rehearsal.conftest import Rehearsal

BOB, LENA, DANA, MARIA = (
    "bob@acme.example",
    "lena.l1@caseway.example",
    "dev.l2@caseway.example",
    ("maria.manager@caseway.example"),
)
SCHEDULES = ("close-silent-resolved", "daily-review", "weekly-review", "billing-check")


def poll(fn: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fn()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


class Desk:
    def __init__(self, rehearsal: Rehearsal) -> None:
        self.http = rehearsal.http
        self.tokens: dict[str, str] = {}

    def ok(self, user: str, method: str, path: str, body: dict | None = None) -> Any:
        if user not in self.tokens:
            self.tokens[user] = self.http.token(user)
        status, answer = self.http(method, path, body, self.tokens[user])
        assert status in (200, 201), (method, path, status, answer)
        return answer

    def task(self, group: str, user: str, ticket_id: str, task_type: str) -> dict:
        def find() -> dict | None:
            queue = self.ok(user, "GET", f"/tasks?group={group}")["items"]
            return next((t for t in queue if t["ticket_id"] == ticket_id and t["type"] == task_type), None)

        return poll(find, f"the {task_type} task of {ticket_id} in {group}")

    def finish(self, user: str, task: dict, outcome: str) -> None:
        self.ok(user, "POST", f"/tasks/{task['id']}/take")
        self.ok(user, "POST", f"/tasks/{task['id']}/complete", {"outcome": outcome})


@pytest.fixture(scope="module")
def desk(rehearsal: Rehearsal) -> Desk:
    return Desk(rehearsal)


def test_the_stage_is_set_up_by_its_custom_resource(rehearsal: Rehearsal) -> None:
    # The stack started on a fresh stage: the setup function's process answered CloudFormation's Create
    assert any(line.startswith("Rehearsal: the setup custom resource answered SUCCESS") for line in rehearsal.lines)
    setup_calls = [c for c in rehearsal.calls() if c.function.startswith("FunctionsSetup")]
    assert any(c.service == "dynamodb" for c in setup_calls)
    rehearsal.assert_no_failure()


def test_a_bug_through_l2_and_the_counters(rehearsal: Rehearsal, desk: Desk) -> None:
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
    desk.finish(LENA, desk.task("L1", LENA, ticket["id"], "classify"), "bug")
    desk.task("L2", DANA, ticket["id"], "fix")
    # The API, the route's steps and the counters consumer each ran in their own process and called AWS there
    functions = {c.function for c in rehearsal.calls()}
    assert {"FunctionsApi45DE0CE2", "FunctionsRouteTasks96A0A995"} <= functions
    poll(
        lambda: any(
            c.function.startswith("FunctionsCounters") and c.operation == "TransactWriteItems"
            for c in rehearsal.calls()
        ),
        "the counters consumer's count",
    )
    rehearsal.assert_no_failure()


def test_a_licence_key_within_the_limit(rehearsal: Rehearsal, desk: Desk) -> None:
    ticket = desk.ok(BOB, "POST", "/tickets", LICENCE)
    poll(lambda: desk.ok(BOB, "GET", f"/tickets/{ticket['id']}")["status"] == "closed", "the key")
    rehearsal.assert_no_failure()


def test_an_email_opens_a_ticket(rehearsal: Rehearsal, desk: Desk) -> None:
    port = rehearsal.smtp_port
    subject = f"Cannot log in {uuid.uuid4().hex[:6]}"
    message = f"From: olga@acme.example\r\nTo: support@caseway.example\r\nSubject: {subject}\r\n\r\nIt reloads.\r\n"
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.sendmail("olga@acme.example", ["support@caseway.example"], message.encode())
    assert any(c.function.startswith("FunctionsInboundEmail") and c.service == "s3" for c in rehearsal.calls())
    rehearsal.assert_no_failure()


def test_an_invited_person_signs_in_through_the_pre_token_trigger(rehearsal: Rehearsal, desk: Desk) -> None:
    email = f"nina.{uuid.uuid4().hex[:6]}@caseway.example"
    person = {"email": email, "name": "Nina (L1)", "role": "agent", "groups": ["L1"], "line": "L1"}
    desk.ok(MARIA, "POST", "/people", person)
    status, answer = rehearsal.http("GET", f"/local/token?user={email}")
    assert status == 200, answer
    assert answer["claims"]["email"] == email
    assert any(c.function.startswith("FunctionsPreToken") for c in rehearsal.calls())
    rehearsal.assert_no_failure()


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_each_schedule_in_the_housekeeping_process(rehearsal: Rehearsal, schedule: str) -> None:
    # Fired as EventBridge Scheduler fires it: the template's target and payload, at the template's log level
    before = len(rehearsal.failures())
    status, answer = rehearsal.http("POST", f"/local/schedules/{schedule}")
    assert status == 200, answer
    assert rehearsal.failures()[before:] == []


def test_every_call_the_scenarios_made_is_allowed_by_its_functions_role(rehearsal: Rehearsal, prepared: Path) -> None:
    # Last in the module: every AWS call recorded above, evaluated against the caller's role in the template
    physical_file = json.loads((rehearsal.record_dir / "physical.json").read_text())
    physical = Physical(refs=physical_file["refs"], attributes=physical_file["attributes"])
    stack = iam.Stack(Prepared.load(prepared).template(), physical)
    iam.assert_allowed(rehearsal.calls(), stack)
