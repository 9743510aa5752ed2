"""The catalog's routes end to end (R5, R6, R26): the real ASL files on moto's interpreter, route steps in-process
and a virtual clock, as in tests/routes/test_support.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from infra.local import emulation as aws_emulation
from shared.routes import licences
from tests.conftest import ALICE, BOB, DANA, GUS, LENA, MARIA, VERA, Api, finish_task, route_task, wait_for
from tests.uploads import file_like, post_upload

OLGA = "office@caseway.example"  # the office group
KEY = re.compile(r"[A-HJ-NP-Z2-9]{5}(?:-[A-HJ-NP-Z2-9]{5}){4}")

LICENCE = {
    "service": "licence-key",
    "subject": "Key for the new laptop",
    "description": "A second seat for our accountant.",
    "fields": {"licence_product": "Caseway Desktop", "licence_seats": 1},
}
DOCUMENT = {
    "service": "document-request",
    "subject": "Copy of the October invoice",
    "description": "Our accounting lost it.",
    "fields": {"document_type": "invoice"},
}
CHANGE = {
    "service": "change-request",
    "subject": "Export to XLSX",
    "description": "We need the monthly report as XLSX.",
    "fields": {"change_description": "Add an XLSX export next to CSV"},
}


def _ended(ticket_id: str, route: str) -> None:
    wait_for(lambda: aws_emulation.route_status(ticket_id, route) == "SUCCEEDED", what=f"the {route} route to end")


def _seen(api: Api, ticket_id: str, user: str = BOB) -> dict:
    return api("GET", f"/tickets/{ticket_id}", user=user).json


def _bodies(view: dict) -> list[str]:
    return [m["body"] for m in view["messages"]]


def _licences(api: Api, org: str) -> dict:
    return api("GET", f"/organisations/{org}/licences", user=MARIA).json


# --- licence key (R6) -------------------------------------------------------------------------------------------


def test_licence_key_within_the_limit_is_generated_posted_and_the_ticket_closed(desk):
    api, _ = desk
    # Given Acme holds 2 of its 3 keys
    assert _licences(api, "acme") == {"organisation_id": "acme", "limit": 3, "issued": 2}
    # When Bob asks for a key
    ticket = api("POST", "/tickets", user=BOB, body=LICENCE).json
    _ended(ticket["id"], "licence-key")
    # Then the key is posted in the ticket, which is resolved and closed without anyone's hands
    seen = _seen(api, ticket["id"])
    posted = [b for b in _bodies(seen) if b.startswith("Your licence key")]
    assert len(posted) == 1 and KEY.search(posted[0])
    assert "Caseway Desktop (1 seats)" in posted[0] and "3 of 3 keys" in posted[0]
    assert seen["status"] == "closed" and seen["ball_side"] is None
    assert "Licence key issued for Caseway Desktop" in [e["summary"] for e in seen["history"]]
    # The ticket's page shows the delivered key to its requester and the organisation's admin, nobody else outside
    delivered = seen["result"]["licence_key"]
    assert delivered["key"] == KEY.search(posted[0]).group(0) and delivered["product"] == "Caseway Desktop"
    assert delivered["seats"] == 1
    assert _seen(api, ticket["id"], user=ALICE)["result"] == seen["result"]
    assert api("GET", f"/tickets/{ticket['id']}", user=VERA).status == 404
    assert _licences(api, "acme")["issued"] == 3
    staff = _seen(api, ticket["id"], user=MARIA)
    assert staff["tasks"] == []  # nobody had to do anything
    assert aws_emulation.route_states(ticket["id"], "licence-key") == ["Issue", "Issued", "Done"]


def test_licence_key_over_the_limit_the_account_manager_extends_it_and_the_key_follows(desk):
    api, _ = desk
    # Given Acme used its limit
    api("PUT", "/organisations/acme/licences", user=MARIA, body={"limit": 2})
    ticket = api("POST", "/tickets", user=BOB, body=LICENCE).json
    # Then the customer is told why there is no key yet, and the account manager gets a task
    task = route_task(api, "accounts", MARIA, ticket["id"], "licence_limit")
    seen = _seen(api, ticket["id"])
    assert seen["status"] == "new" and seen["ball_side"] == "us"
    assert any("already been issued 2 licence keys, its limit is 2" in b for b in _bodies(seen))
    assert seen["next_step_at"] == "2026-11-24T08:00:00.000Z"  # one working day: Tuesday 09:00 Prague
    assert task["due_at"] == "2026-11-24T08:00:00.000Z" and task["priority"] == 600
    # Bob cannot see the task; an agent cannot take it (accounts group only)
    assert "tasks" not in seen
    assert api("POST", f"/tasks/{task['id']}/take", user=DANA).status == 403
    # When Maria extends the limit
    finish_task(api, MARIA, task, "extend")
    _ended(ticket["id"], "licence-key")
    # Then the key is posted and the ticket closed; the limit grew by one
    seen = _seen(api, ticket["id"])
    assert seen["status"] == "closed"
    assert any(KEY.search(b) for b in _bodies(seen))
    assert _licences(api, "acme") == {"organisation_id": "acme", "limit": 3, "issued": 3}
    staff = _seen(api, ticket["id"], user=MARIA)
    assert "Licence limit extended from 2 to 3" in [e["summary"] for e in staff["history"]]


def test_licence_key_over_the_limit_declined_tells_the_customer_why_and_closes(desk):
    api, _ = desk
    api("PUT", "/organisations/acme/licences", user=MARIA, body={"limit": 2})
    ticket = api("POST", "/tickets", user=BOB, body=LICENCE).json
    task = route_task(api, "accounts", MARIA, ticket["id"], "licence_limit")
    # An outcome the step does not know is refused with the allowed ones
    api("POST", f"/tasks/{task['id']}/take", user=MARIA)
    wrong = api("POST", f"/tasks/{task['id']}/complete", user=MARIA, body={"outcome": "maybe"})
    assert wrong.status == 422 and "extend, decline" in wrong.json["detail"]
    # When Maria declines with a reason
    finish_task(api, MARIA, task, "decline", "the contract covers two seats; let us talk about an upgrade")
    _ended(ticket["id"], "licence-key")
    seen = _seen(api, ticket["id"])
    assert seen["status"] == "closed"
    assert not any(KEY.search(b) for b in _bodies(seen))
    assert any("declined to extend the licence limit: the contract covers two seats" in b for b in _bodies(seen))
    assert _licences(api, "acme")["issued"] == 2


def test_two_requests_for_the_last_key_never_exceed_the_limit(desk):
    api, _ = desk
    # Given Acme has one key left, when Bob and Alice ask at the same time
    first = api("POST", "/tickets", user=BOB, body=LICENCE).json
    second = api("POST", "/tickets", user=ALICE, body=LICENCE).json
    # Then exactly one gets the key and the other's request goes to the account manager
    task = wait_for(
        lambda: next(
            (
                t
                for t in api("GET", "/tasks?group=accounts", user=MARIA).json["items"]
                if t["ticket_id"] in (first["id"], second["id"])
            ),
            None,
        ),
        what="the account manager's task",
    )
    issued = first["id"] if task["ticket_id"] == second["id"] else second["id"]
    _ended(issued, "licence-key")
    assert _seen(api, issued, user=ALICE)["status"] == "closed"
    assert _seen(api, task["ticket_id"], user=ALICE)["status"] == "new"
    assert _licences(api, "acme") == {"organisation_id": "acme", "limit": 3, "issued": 3}


def test_a_failing_key_generator_becomes_a_manual_task_never_a_failed_route(desk, monkeypatch):
    api, _ = desk

    def broken(product: str) -> str:
        raise RuntimeError("licence server unreachable")

    monkeypatch.setattr(licences, "generate_key", broken)
    ticket = api("POST", "/tickets", user=GUS, body=LICENCE).json
    _ended(ticket["id"], "licence-key")
    # Then a person gets a manual task, the customer is told, nothing was counted
    manual = route_task(api, "accounts", MARIA, ticket["id"], "manual")
    assert "RuntimeError" in manual["title"] and manual["priority"] == 900
    assert aws_emulation.route_status(ticket["id"], "licence-key") == "SUCCEEDED"
    assert aws_emulation.route_states(ticket["id"], "licence-key") == ["Issue", "Fault", "Done"]
    seen = _seen(api, ticket["id"], user=GUS)
    assert seen["status"] == "new"
    assert any("a specialist is handling it by hand" in b for b in _bodies(seen))
    assert _licences(api, "globex")["issued"] == 0
    staff = _seen(api, ticket["id"], user=MARIA)
    assert [e["summary"] for e in staff["history"] if e["type"] == "RouteFault"] == ["Route step failed: RuntimeError"]


# --- document request ------------------------------------------------------------------------------------------


def test_document_request_office_sends_it_by_the_deadline_and_the_customer_confirms(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=DOCUMENT).json
    task = route_task(api, "office", OLGA, ticket["id"], "prepare_document")
    # Then the customer sees the deadline: 3 working days from Monday 09:00 = Thursday 09:00 Prague
    seen = _seen(api, ticket["id"])
    assert seen["next_step_at"] == "2026-11-26T08:00:00.000Z" and task["due_at"] == "2026-11-26T08:00:00.000Z"
    assert _bodies(seen) == [
        "We have received your request: we will send you the document (invoice) by "
        "Thursday 26 November 2026, 09:00 (Europe/Prague)."
    ]
    # When Olga attaches the invoice and completes the task
    assert api("POST", f"/tasks/{task['id']}/take", user=OLGA).status == 200
    upload = api(
        "POST",
        f"/tickets/{ticket['id']}/attachments",
        user=OLGA,
        body={"file_name": "invoice-2026-10.pdf", "size": 2048, "content_type": "application/pdf"},
    ).json
    post_upload(upload, file_like("application/pdf", 2048))
    api(
        "POST",
        f"/tickets/{ticket['id']}/messages",
        user=OLGA,
        body={"body": "Here is the copy.", "attachments": [upload["id"]]},
    )
    assert api("POST", f"/tasks/{task['id']}/complete", user=OLGA, body={"outcome": "sent"}).status == 200
    # Then the customer is told, the ticket is resolved and waits for the customer's confirmation
    wait_for(lambda: _seen(api, ticket["id"])["status"] == "resolved", what="the ticket to be resolved")
    seen = _seen(api, ticket["id"])
    assert any("Your invoice is ready. It is attached in the ticket: invoice-2026-10.pdf" in b for b in _bodies(seen))
    assert seen["ball_side"] == "customer"
    assert [a["file_name"] for a in seen["attachments"]] == ["invoice-2026-10.pdf"]
    assert seen["result"]["document"]["name"] == "invoice"
    assert [a["id"] for a in seen["result"]["document"]["attachments"]] == [upload["id"]]
    link = api("GET", f"/tickets/{ticket['id']}/attachments/{upload['id']}", user=BOB)
    assert link.status == 200 and link.json["file_name"] == "invoice-2026-10.pdf"
    wait_for(
        lambda: "AwaitCustomer" in aws_emulation.route_states(ticket["id"], "document-request"),
        what="the route to wait for the customer",
    )
    # When the customer confirms by closing it
    assert api("POST", f"/tickets/{ticket['id']}/close", user=BOB).status == 200
    assert _seen(api, ticket["id"])["status"] == "closed"


def test_document_request_closes_after_the_customers_silence(desk):
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=DOCUMENT).json
    task = route_task(api, "office", OLGA, ticket["id"], "prepare_document")
    # The office uploads the document without writing a message: the route's message hands it over
    api("POST", f"/tasks/{task['id']}/take", user=OLGA)
    upload = api(
        "POST",
        f"/tickets/{ticket['id']}/attachments",
        user=OLGA,
        body={"file_name": "certificate.pdf", "size": 1024, "content_type": "application/pdf"},
    ).json
    post_upload(upload, file_like("application/pdf", 1024))
    assert api("POST", f"/tasks/{task['id']}/complete", user=OLGA, body={"outcome": "sent"}).status == 200
    wait_for(
        lambda: "AwaitCustomer" in aws_emulation.route_states(ticket["id"], "document-request"),
        what="the route to wait for the customer",
    )
    # When the customer stays silent for three working days (R21)
    vc.wait_for_pending(1)
    closing = vc.fire_next()
    assert closing.due == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    _ended(ticket["id"], "document-request")
    seen = _seen(api, ticket["id"])
    assert seen["status"] == "closed"
    assert "Closed by Caseway: no reply within 3 working days" in [e["summary"] for e in seen["history"]]
    handed = [m for m in seen["messages"] if m["attachments"]]
    assert [(m["author"]["role"], [a["file_name"] for a in m["attachments"]]) for m in handed] == [
        ("system", ["certificate.pdf"])
    ]
    assert [a["id"] for a in seen["result"]["document"]["attachments"]] == [upload["id"]]


def test_document_request_declined_by_the_office_tells_the_customer_why(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=DOCUMENT).json
    task = route_task(api, "office", OLGA, ticket["id"], "prepare_document")
    finish_task(api, OLGA, task, "declined", "invoices older than 10 years are archived off-site")
    _ended(ticket["id"], "document-request")
    seen = _seen(api, ticket["id"])
    assert seen["status"] == "closed"
    assert any("We cannot provide the invoice: invoices older than 10 years" in b for b in _bodies(seen))


# --- change request (R26) --------------------------------------------------------------------------------------


def _estimated(api: Api, ticket_id: str, hours: float = 12, user: str | None = BOB, key: str | None = None) -> dict:
    task = route_task(api, "L2", DANA, ticket_id, "evaluate")
    assert api("POST", f"/tasks/{task['id']}/take", user=DANA).status == 200
    reply = api("POST", f"/tasks/{task['id']}/estimate", user=DANA, body={"hours": hours, "note": "export + tests"})
    assert reply.status == 200, reply.text

    def status() -> str:
        if key:
            return api("GET", f"/public/tickets/{ticket_id}?key={key}").json["status"]
        return _seen(api, ticket_id, user=user)["status"]

    wait_for(lambda: status() == "waiting_for_customer", what="the estimate to reach the customer")
    return task


def test_change_request_estimated_approved_worked_resolved_and_closed(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=CHANGE).json
    # The customer is told when the evaluation comes: 5 working days (Monday 30 November 09:00 Prague)
    task = route_task(api, "L2", DANA, ticket["id"], "evaluate")
    assert task["due_at"] == "2026-11-30T08:00:00.000Z"
    # Nothing to approve yet
    early = api("POST", f"/tickets/{ticket['id']}/approval", user=BOB, body={"decision": "approve"})
    assert early.status == 409
    _estimated(api, ticket["id"])
    # Then the ball is on the customer's side with the estimate and the decision date
    seen = _seen(api, ticket["id"])
    assert seen["ball_side"] == "customer"
    assert seen["next_step_at"] == "2026-11-26T08:00:00.000Z"  # three working days to decide
    assert any(b.startswith("We estimate the change at 12 hours (export + tests)") for b in _bodies(seen))
    assert "Estimated at 12 hours; waiting for the customer's approval" in [e["summary"] for e in seen["history"]]
    assert seen["approval"]["status"] == "pending" and seen["approval"]["estimate_hours"] == 12
    # Staff cannot approve for the customer; another organisation cannot see it
    assert api("POST", f"/tickets/{ticket['id']}/approval", user=MARIA, body={"decision": "approve"}).status == 403
    assert api("POST", f"/tickets/{ticket['id']}/approval", user=VERA, body={"decision": "approve"}).status == 404
    bad = api("POST", f"/tickets/{ticket['id']}/approval", user=BOB, body={"decision": "maybe"})
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "decision"
    # When Alice, Acme's admin, approves it
    ok = api("POST", f"/tickets/{ticket['id']}/approval", user=ALICE, body={"decision": "approve", "comment": "go"})
    assert ok.status == 200 and ok.json["status"] == "in_progress" and ok.json["ball_side"] == "us"
    assert ok.json["approval"]["status"] == "approved" and ok.json["approval"]["comment"] == "go"
    again = api("POST", f"/tickets/{ticket['id']}/approval", user=BOB, body={"decision": "decline"})
    assert again.status == 409
    # Then L2 gets the work, due in 2 working days (12 h), and the customer knows when
    work = route_task(api, "L2", DANA, ticket["id"], "change_work")
    assert work["due_at"] == "2026-11-25T08:00:00.000Z"
    seen = _seen(api, ticket["id"])
    assert seen["next_step_at"] == "2026-11-25T08:00:00.000Z"
    assert any("will finish it by Wednesday 25 November 2026, 09:00" in b for b in _bodies(seen))
    # When Dana finishes it
    finish_task(api, DANA, work, "done", "XLSX export released in 4.2")
    wait_for(lambda: _seen(api, ticket["id"])["status"] == "resolved", what="the ticket to be resolved")
    seen = _seen(api, ticket["id"])
    assert any(b.startswith("The change is done: XLSX export released in 4.2") for b in _bodies(seen))
    assert seen["resolution"] == "Change done: XLSX export released in 4.2"
    # and the customer confirms
    wait_for(
        lambda: "AwaitCustomer" in aws_emulation.route_states(ticket["id"], "change-request"),
        what="the route to wait for the customer",
    )
    api("POST", f"/tickets/{ticket['id']}/close", user=BOB)
    seen = _seen(api, ticket["id"])
    assert seen["status"] == "closed"
    summaries = [e["summary"] for e in seen["history"]]
    assert "Estimate of 12 hours approved by the customer: go" in summaries


def test_change_request_declined_at_evaluation_tells_the_customer_why(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=CHANGE).json
    task = route_task(api, "L2", DANA, ticket["id"], "evaluate")
    finish_task(api, DANA, task, "declined", "XLSX is on the roadmap for next year")
    _ended(ticket["id"], "change-request")
    seen = _seen(api, ticket["id"])
    assert seen["status"] == "closed"
    assert any("cannot take it on: XLSX is on the roadmap for next year" in b for b in _bodies(seen))
    assert "Work" not in aws_emulation.route_states(ticket["id"], "change-request")


def test_change_request_declined_by_the_customer_is_closed_without_work(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=CHANGE).json
    _estimated(api, ticket["id"], hours=40)
    reply = api(
        "POST", f"/tickets/{ticket['id']}/approval", user=BOB, body={"decision": "decline", "comment": "too much"}
    )
    assert reply.status == 200
    _ended(ticket["id"], "change-request")
    seen = _seen(api, ticket["id"])
    assert seen["status"] == "closed"
    assert any("You declined the estimate" in b for b in _bodies(seen))
    staff = _seen(api, ticket["id"], user=DANA)
    assert [t["type"] for t in staff["tasks"]] == ["evaluate"]  # no work task was ever created
    assert "Work" not in aws_emulation.route_states(ticket["id"], "change-request")


def test_change_request_without_the_customers_decision_closes_at_the_deadline(desk):
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=CHANGE).json
    _estimated(api, ticket["id"])
    vc.wait_for_pending(1)
    fired = vc.fire_next()
    assert fired.due == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    _ended(ticket["id"], "change-request")
    seen = _seen(api, ticket["id"])
    assert seen["status"] == "closed"
    assert "Closed by Caseway: no decision on the estimate in time" in [e["summary"] for e in seen["history"]]


def test_an_evaluate_completed_as_estimated_without_hours_becomes_a_manual_task(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=CHANGE).json
    task = route_task(api, "L2", DANA, ticket["id"], "evaluate")
    finish_task(api, DANA, task, "estimated", "quite big")
    _ended(ticket["id"], "change-request")
    manual = route_task(api, "L1", LENA, ticket["id"], "manual")
    assert "ValueError" in manual["title"]


def test_a_web_form_customer_approves_the_estimate_through_the_follow_link(desk):
    api, _ = desk
    created = api("POST", "/public/tickets", body={**CHANGE, "email": "someone@example.org", "name": "Someone"}).json
    ticket_id, key = created["id"], created["follow_url"].split("key=")[1]
    _estimated(api, ticket_id, user=None, key=key)
    wrong = api("POST", f"/public/tickets/{ticket_id}/approval?key=nope", body={"decision": "approve"})
    assert wrong.status == 404
    reply = api("POST", f"/public/tickets/{ticket_id}/approval?key={key}", body={"decision": "approve"})
    assert reply.status == 200 and reply.json["status"] == "in_progress"
    assert "tasks" not in reply.json
    route_task(api, "L2", DANA, ticket_id, "change_work")
