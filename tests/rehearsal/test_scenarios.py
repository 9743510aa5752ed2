"""The desk rehearsed as the cloud runs it: `caseway local --rehearsal` on the REAL clock, each function of the dev
template a process of its own (its asset, the runtime's boto3, the template's environment and log level), driven
over HTTP, SMTP and the fake Bot API as people and AWS would. Each scenario ends with every invocation so far having
succeeded: a function that fails anywhere (a setting missing from its environment, a module missing from its asset,
a log line that raises at the template's level) fails the scenario with the function's own error."""

from __future__ import annotations

import json
import re
import smtplib
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.rehearsal import iam
from infra.rehearsal.intrinsics import Physical
from infra.rehearsal.runner import InvocationFailed, Runner
from infra.rehearsal.stage import Prepared
from tests.local.test_real_clock_routes import LICENCE
from tests.rehearsal.conftest import Rehearsal

BOB, LENA, DANA = "bob@acme.example", "lena.l1@caseway.example", "dev.l2@caseway.example"
MARIA, OFFICE = "maria.manager@caseway.example", "office@caseway.example"
HOUSEKEEPING = "functions.housekeeping.handler"
SCHEDULES = ("close-silent-resolved", "daily-review", "weekly-review", "billing-check")


def poll(fn: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """`fn()` once it is truthy. Each look is an invocation of the API's process (and reads of the emulated AWS),
    which compete with the route's own steps for the machine: the pause between looks grows to a second."""
    deadline, pause = time.monotonic() + timeout, 0.1
    while time.monotonic() < deadline:
        found = fn()
        if found:
            return found
        time.sleep(pause)
        pause = min(pause * 1.5, 1.0)
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

    def submit(
        self, user: str, subject: str, service: str = "functionality-question", fields: dict | None = None
    ) -> dict:
        fields = fields or {"problem": subject, "contact": "+420 123 456 789"}
        body = {"service": service, "subject": subject, "description": f"{subject}.", "fields": fields}
        return self.ok(user, "POST", "/tickets", body)

    def resolved_question(self, subject: str) -> dict:
        """A question Bob asked, classified and answered by L1: the ticket resolved, its route waiting for him."""
        ticket = self.submit(BOB, subject)
        self.finish(LENA, self.task("L1", LENA, ticket["id"], "classify"), "question")
        self.task("L1", LENA, ticket["id"], "answer")
        self.ok(LENA, "POST", f"/tickets/{ticket['id']}/messages", {"body": "Use the new export button."})
        resolution = {"resolution": "Explained the new export", "preventive_measure": "FAQ article on exports"}
        self.ok(LENA, "POST", f"/tickets/{ticket['id']}/resolve", resolution)
        return ticket

    def mails(self, reference: str) -> list[dict]:
        """The e-mails the desk sent Bob about the ticket (the local mailbox: what the emulated SES sent)."""
        items = self.ok(BOB, "GET", f"/local/mailbox?to={BOB}")["items"]
        return [m for m in items if m["subject"].startswith(f"[{reference}] ")]

    def mail_subjects(self, reference: str, count: int) -> list[str] | None:
        found = [m["subject"].split(":", 1)[0] for m in self.mails(reference)]
        return found if len(found) >= count else None

    def bot_said(self, chat: int) -> list[dict]:
        status, view = self.http("GET", "/local/telegram/chats")
        assert status == 200, view
        found = next((c for c in view["chats"] if c["chat_id"] == chat), {"messages": []})
        return [m for m in found["messages"] if m["from"] == "bot"]

    def bot_answers(self, chat: int, action: str, body: dict, expect: str = "") -> dict:
        """The Telegram user writes or presses a button (the fake Bot API delivers the update to the webhook); the
        bot's first message after it that matches `expect` (a regular expression)."""
        before = len(self.bot_said(chat))
        status, answer = self.http("POST", f"/local/telegram/chats/{chat}/{action}", body)
        assert status == 200 and answer["webhook_status"] == 200, answer

        def said() -> list[dict]:
            return [m for m in self.bot_said(chat)[before:] if re.search(expect, m["text"])]

        return poll(said, f"the bot's answer {expect!r} in chat {chat}")[0]

    @staticmethod
    def button(message: dict, label: str) -> dict:
        data = next(b["callback_data"] for row in message["buttons"] for b in row if b["text"].startswith(label))
        return {"message_id": message["message_id"], "data": data}


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


def test_a_question_answered_at_l1(rehearsal: Rehearsal, desk: Desk) -> None:
    ticket = desk.resolved_question("How do I export to CSV?")
    # The customer got the resolution by e-mail (sent by the route's step in its own process)
    subjects = poll(lambda: desk.mail_subjects(ticket["reference"], 2), "the 'Resolved' e-mail")
    assert any(" Resolved" in s for s in subjects), subjects
    rehearsal.assert_no_failure()


def test_an_improvement_approved_by_a_manager(rehearsal: Rehearsal, desk: Desk) -> None:
    ticket = desk.submit(BOB, "Dark mode, please")
    desk.finish(LENA, desk.task("L1", LENA, ticket["id"], "classify"), "improvement")
    desk.finish(MARIA, desk.task("managers", MARIA, ticket["id"], "approve"), "approved")
    desk.task("L1", LENA, ticket["id"], "tell")  # the route went on: L1 tells the customer the decision
    rehearsal.assert_no_failure()


def test_a_licence_key_over_the_limit(rehearsal: Rehearsal, desk: Desk) -> None:
    # Acme holds 2 of its 3 keys and one more was issued above: this one is over the limit
    licences = desk.ok(MARIA, "GET", "/organisations/acme/licences")
    while licences["issued"] < licences["limit"]:
        issued = desk.ok(BOB, "POST", "/tickets", LICENCE)
        poll(lambda t=issued: desk.ok(BOB, "GET", f"/tickets/{t['id']}")["status"] == "closed", "a key")
        licences = desk.ok(MARIA, "GET", "/organisations/acme/licences")
    ticket = desk.ok(BOB, "POST", "/tickets", LICENCE)
    desk.finish(MARIA, desk.task("accounts", MARIA, ticket["id"], "licence_limit"), "extend")
    poll(lambda: desk.ok(BOB, "GET", f"/tickets/{ticket['id']}")["status"] == "closed", "the key after the extension")
    subjects = poll(lambda: desk.mail_subjects(ticket["reference"], 2), "the limit's and the key's e-mails")
    assert [s.split("] ", 1)[1] for s in subjects] == ["Licence limit reached", "Your licence key"]
    rehearsal.assert_no_failure()


def test_a_document_request(rehearsal: Rehearsal, desk: Desk) -> None:
    fields = {"document_type": "invoice"}
    ticket = desk.submit(BOB, "Copy of the October invoice", service="document-request", fields=fields)
    desk.finish(OFFICE, desk.task("office", OFFICE, ticket["id"], "prepare_document"), "sent")
    poll(lambda: desk.ok(BOB, "GET", f"/tickets/{ticket['id']}")["status"] == "resolved", "the document sent")
    rehearsal.assert_no_failure()


def test_a_change_request_with_its_estimate_approved(rehearsal: Rehearsal, desk: Desk) -> None:
    fields = {"change_description": "Add an XLSX export next to CSV"}
    ticket = desk.submit(BOB, "Export to XLSX", service="change-request", fields=fields)
    task = desk.task("L2", DANA, ticket["id"], "evaluate")
    desk.ok(DANA, "POST", f"/tasks/{task['id']}/take")
    desk.ok(DANA, "POST", f"/tasks/{task['id']}/estimate", {"hours": 12, "note": "export + tests"})
    poll(lambda: desk.ok(BOB, "GET", f"/tickets/{ticket['id']}")["status"] == "waiting_for_customer", "the estimate")
    desk.ok(BOB, "POST", f"/tickets/{ticket['id']}/approval", {"decision": "approve"})
    desk.task("L2", DANA, ticket["id"], "change_work")
    rehearsal.assert_no_failure()


def test_a_reply_to_a_notification_lands_in_its_ticket(rehearsal: Rehearsal, desk: Desk) -> None:
    ticket = desk.submit(BOB, "The scanner does not start")
    received = poll(lambda: desk.mails(ticket["reference"]), "the 'received' e-mail")[0]
    assert received["reply_to"], received
    message = (
        f"From: {BOB}\r\nTo: {received['reply_to']}\r\nSubject: Re: {received['subject']}\r\n"
        f"In-Reply-To: {received['message_id']}\r\n\r\nIt is plugged in now and works.\r\n"
    )
    with smtplib.SMTP("127.0.0.1", rehearsal.smtp_port, timeout=30) as smtp:
        smtp.sendmail(BOB, [received["reply_to"]], message.encode())

    def replied() -> bool:
        view = desk.ok(LENA, "GET", f"/tickets/{ticket['id']}")
        return any("plugged in now" in m["body"] for m in view["messages"])

    poll(replied, "the reply in the ticket")
    assert any(c.function.startswith("FunctionsInboundEmail") and c.service == "dynamodb" for c in rehearsal.calls())
    rehearsal.assert_no_failure()


def test_telegram_links_a_chat_and_opens_a_ticket(rehearsal: Rehearsal, desk: Desk) -> None:
    # The webhook's process hands each update to the bot's process asynchronously: each answer is waited for
    chat = 9000 + int(uuid.uuid4().int % 999)
    link = desk.ok(BOB, "POST", "/channels/telegram/link")
    code = link["url"].rsplit("start=", 1)[1]
    linked = desk.bot_answers(chat, "messages", {"text": f"/start {code}", "name": "Bob"})
    assert linked["text"].startswith(f"This chat is linked to {BOB}"), linked
    asked = desk.bot_answers(chat, "messages", {"text": "The scanner does not start"})
    if asked["text"].startswith("Which ticket"):
        asked = desk.bot_answers(chat, "buttons", desk.button(asked, "New ticket"))
    opened = desk.bot_answers(chat, "buttons", desk.button(asked, "Question about functionality"), r"Ticket CW-\d+")
    assert re.search(r"Ticket (CW-\d+) is open", opened["text"]), opened
    functions = {c.function for c in rehearsal.calls()}
    assert any(f.startswith("FunctionsTelegram") for f in functions), functions
    rehearsal.assert_no_failure()


def test_an_incident_is_published_to_the_topic(rehearsal: Rehearsal, desk: Desk) -> None:
    # More than the contract's 10 specialist hours on one ticket (R24): an incident for the managers
    ticket = desk.submit(BOB, "A long investigation")
    for _ in range(2):
        desk.ok(DANA, "POST", f"/tickets/{ticket['id']}/time", {"minutes": 330, "billable": False})
    incidents = desk.ok(MARIA, "GET", "/incidents")["items"]
    assert any(i["ticket_id"] == ticket["id"] and i["type"] == "ticket_hours" for i in incidents), incidents
    published = [c for c in rehearsal.calls() if c.service == "sns" and c.operation == "Publish"]
    assert any(ticket["reference"] in c.params.get("Subject", "") for c in published), published
    rehearsal.assert_no_failure()


def linked_copy(source: Path, target: Path, *, but: str) -> Path:
    """A copy of an asset's folder made of links to its entries, all but `but` (nothing of the asset is changed)."""
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name != but:
            (target / entry.name).symlink_to(entry)
    return target


def past_its_auto_close(rehearsal: Rehearsal, prepared: Path, ticket_id: str) -> None:
    """Test data: the resolved ticket's place in the open-tickets index moved into the past, as if the customer had
    stayed silent past the auto-close time (the backstop reads that index)."""
    template = Prepared.load(prepared).template()
    table = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table")
    rehearsal.client("dynamodb").update_item(
        TableName=rehearsal.physical().resolve({"Ref": table}),
        Key={"pk": {"S": f"TICKET#{ticket_id}"}, "sk": {"S": "TICKET"}},
        UpdateExpression="SET open_sk = :due",
        ConditionExpression="open_pk = :resolved",
        ExpressionAttributeValues={
            ":due": {"S": f"2020-01-06T09:00:00.000Z#{ticket_id}"},
            ":resolved": {"S": "STATUS#resolved"},
        },
    )


def due_ticket(rehearsal: Rehearsal, desk: Desk, prepared: Path, subject: str) -> dict:
    """A resolved question whose customer stayed silent past the auto-close time: the R21 backstop's to close."""
    ticket = desk.resolved_question(subject)
    past_its_auto_close(rehearsal, prepared, ticket["id"])
    return ticket


def test_a_handler_without_the_entry_point_setup_fails_in_its_own_process(
    rehearsal: Rehearsal, desk: Desk, prepared: Path, tmp_path: Path
) -> None:
    # Can it fail: the housekeeping handler in a copy of its asset that makes its logger itself instead of through
    # functions.entry.start (so nothing assembles the desk), on the same emulated AWS with a ticket to close. The
    # close is written, then the hook that tells the ticket's route fails (the defect the entry point fixed).
    due_ticket(rehearsal, desk, prepared, "Where is the price list?")
    stage = Prepared.load(prepared)
    template = stage.template()
    housekeeping = next(
        k for k, r in template["Resources"].items() if (r.get("Properties") or {}).get("Handler") == HOUSEKEEPING
    )
    workers = stage.asset_paths()["workers"]
    source = (workers / "functions" / "housekeeping.py").read_text()
    started = 'logger = entry.start("caseway-housekeeping")'
    assert started in source
    copied = linked_copy(workers, tmp_path / "asset", but="functions")
    linked_copy(workers / "functions", copied / "functions", but="housekeeping.py")
    plain = 'from aws_lambda_powertools import Logger\n\nlogger = Logger(service="caseway-housekeeping")'
    (copied / "functions" / "housekeeping.py").write_text(source.replace(started, plain))
    rehearsed = Runner(
        template,
        rehearsal.physical(),
        rehearsal.moto_url,
        tmp_path / "records",
        assets=stage.asset_paths(),
        runtime=Path(stage.runtime),
        profiles=stage.profiles,
        asset_override={housekeeping: copied},
    )
    _, payload = rehearsed.schedule("close-silent-resolved")
    try:
        with pytest.raises(InvocationFailed) as failed:
            rehearsed.invoke(housekeeping, payload)
    finally:
        rehearsed.close()
    assert failed.value.function == housekeeping
    assert failed.value.error_type == "RuntimeError"
    assert "fired before the desk was assembled" in failed.value.error_message


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_each_schedule_in_the_housekeeping_process(
    rehearsal: Rehearsal, desk: Desk, prepared: Path, schedule: str
) -> None:
    # Fired as EventBridge Scheduler fires it: the template's target and payload, at the template's log level; the
    # R21 backstop with a ticket to close (it fires the desk's hooks, which need the desk assembled)
    due = None
    if schedule == "close-silent-resolved":
        due = due_ticket(rehearsal, desk, prepared, "Where is the invoice list?")
    before = len(rehearsal.failures())
    status, answer = rehearsal.http("POST", f"/local/schedules/{schedule}")
    assert status == 200, answer
    assert rehearsal.failures()[before:] == []
    if due is not None:
        assert due["id"] in answer["result"]["closed"]
        assert desk.ok(BOB, "GET", f"/tickets/{due['id']}")["status"] == "closed"


def test_every_call_the_scenarios_made_is_allowed_by_its_functions_role(rehearsal: Rehearsal, prepared: Path) -> None:
    # Last in the module: every AWS call recorded above, evaluated against the caller's role in the template
    physical_file = json.loads((rehearsal.record_dir / "physical.json").read_text())
    physical = Physical(refs=physical_file["refs"], attributes=physical_file["attributes"])
    stack = iam.Stack(Prepared.load(prepared).template(), physical)
    iam.assert_allowed(rehearsal.calls(), stack)
