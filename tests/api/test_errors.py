"""Every error status the API promises, each as an RFC 9457 problem (application/problem+json) with a
detail that tells the caller what to do; plus drafts, repeat-safe requests and attachment uploads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.platform import aws, clock, workflows
from tests.conftest import ALICE, BOB, LENA, QUESTION, open_l1_task
from tests.uploads import file_like, post_upload

PROBLEM_KEYS = {"type", "title", "status", "detail"}
MISSING_TICKET_ID = "01HZZZZZZZZZZZZZZZZZZZZZZZ"
PDF = {"file_name": "invoice.pdf", "size": 48_213, "content_type": "application/pdf"}


def assert_problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.text
    assert reply.content_type.startswith("application/problem+json"), reply.headers
    problem = reply.json
    assert problem.keys() >= PROBLEM_KEYS, problem
    assert problem["status"] == status
    assert isinstance(problem["title"], str) and problem["title"]
    assert isinstance(problem["detail"], str) and len(problem["detail"]) > 10
    return problem


def error_fields(problem: dict[str, Any]) -> set[str]:
    errors = problem.get("errors")
    assert isinstance(errors, list) and errors, problem
    for error in errors:
        assert set(error) == {"field", "message"} and error["message"], error
    return {e["field"] for e in errors}


def open_ticket(api: Any, user: str = BOB, **changes: Any) -> dict[str, Any]:
    created = api("POST", "/tickets", user=user, body={**QUESTION, **changes})
    assert created.status == 201, created.text
    return created.json


def header(reply: Any, name: str) -> str | None:
    return next((v for k, v in reply.headers.items() if k.lower() == name.lower()), None)


def list_count(api: Any, user: str) -> int:
    reply = api("GET", "/tickets?limit=100", user=user)
    assert reply.status == 200, reply.text
    return len(reply.json["items"])


def l1_tasks_of(api: Any, ticket_id: str) -> list[dict[str, Any]]:
    return api("GET", f"/tickets/{ticket_id}", user=LENA).json["tasks"]


# --- 400 -----------------------------------------------------------------------------------------


def test_malformed_json_body_is_400(api):
    # Given a body that is not JSON
    # When it is sent to an endpoint that takes JSON
    reply = api("POST", "/tickets", user=BOB, raw_body="{not json")

    # Then the caller is told the JSON is malformed, and nothing is created
    problem = assert_problem(reply, 400)
    assert "JSON" in problem["detail"]
    assert list_count(api, BOB) == 0


def test_cursor_not_issued_by_the_api_is_400(api_without_aws):
    # Given a made-up cursor
    # When it is used to page a list
    reply = api_without_aws("GET", "/tickets?cursor=garbage", user=BOB)

    # Then it is refused, naming the cursor
    problem = assert_problem(reply, 400)
    assert "cursor" in problem["detail"]
    assert error_fields(problem) == {"cursor"}


def test_cursor_of_another_customers_list_is_400(api):
    # Given Alice pages her own list and gets a real cursor
    open_ticket(api, ALICE)
    open_ticket(api, ALICE)
    page = api("GET", "/tickets?limit=1", user=ALICE).json
    assert page["next_cursor"]

    # When Bob uses her cursor on his list
    reply = api("GET", f"/tickets?limit=1&cursor={page['next_cursor']}", user=BOB)

    # Then it is refused instead of paging into her tickets
    assert error_fields(assert_problem(reply, 400)) == {"cursor"}


# --- 401, 403 ------------------------------------------------------------------------------------


def test_missing_token_is_401(api_without_aws):
    # Given no bearer token
    # When a protected route is called
    reply = api_without_aws("GET", "/tickets")

    # Then the caller is told to authenticate
    problem = assert_problem(reply, 401)
    assert "token" in problem["detail"]


def test_customer_on_a_staff_endpoint_is_403(api_without_aws):
    # Given a customer
    # When they ask for a task queue
    reply = api_without_aws("GET", "/tasks?group=L1", user=BOB)

    # Then it is refused, saying who may
    problem = assert_problem(reply, 403)
    assert "agents and managers" in problem["detail"]


# --- 404 -----------------------------------------------------------------------------------------


def test_unknown_ticket_is_404(api):
    # Given no such ticket
    # When it is asked for by id or by reference
    by_id = api("GET", f"/tickets/{MISSING_TICKET_ID}", user=BOB)
    by_reference = api("GET", "/tickets/CW-99999", user=BOB)

    # Then both are not found, naming what was asked for
    assert MISSING_TICKET_ID in assert_problem(by_id, 404)["detail"]
    assert "CW-99999" in assert_problem(by_reference, 404)["detail"]


@pytest.mark.parametrize("user", [BOB, None], ids=["signed-in", "anonymous"])
def test_unknown_route_is_404(api_without_aws, user):
    # Given a path the API does not have
    # When it is called
    reply = api_without_aws("GET", "/nope", user=user)

    # Then it is not found, naming the route
    problem = assert_problem(reply, 404)
    assert "GET /nope" in problem["detail"]


# --- 409 -----------------------------------------------------------------------------------------


def test_reopening_a_ticket_that_was_never_resolved_is_409(api):
    # Given a new ticket
    ticket = open_ticket(api)

    # When the customer reopens it
    reply = api("POST", f"/tickets/{ticket['id']}/reopen", user=BOB, body={"reason": "try"})

    # Then it conflicts, naming the current status, and the ticket stays new
    problem = assert_problem(reply, 409)
    assert "new" in problem["detail"]
    assert problem["current_status"] == "new"
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["status"] == "new"


def test_reopening_a_resolved_ticket_works(api):
    # Given a resolved ticket
    ticket = open_ticket(api)
    resolved = api(
        "POST",
        f"/tickets/{ticket['id']}/resolve",
        user=LENA,
        body={"resolution": "Template fixed", "preventive_measure": "Template tested"},
    )
    assert resolved.status == 200, resolved.text

    # When the customer reopens it
    reply = api("POST", f"/tickets/{ticket['id']}/reopen", user=BOB, body={"reason": "Still broken"})

    # Then it is worked on again
    assert reply.status == 200, reply.text
    assert reply.json["status"] == "in_progress"


def test_closing_a_closed_ticket_is_409_and_says_closed_is_final(api):
    # Given a ticket the customer closed
    ticket = open_ticket(api)
    first = api("POST", f"/tickets/{ticket['id']}/close", user=BOB, body={"reason": "Solved it myself"})
    assert first.status == 200, first.text

    # When it is closed again
    reply = api("POST", f"/tickets/{ticket['id']}/close", user=BOB)

    # Then it conflicts: nothing is allowed from closed
    problem = assert_problem(reply, 409)
    assert problem["allowed"] == []
    assert problem["current_status"] == "closed"
    assert "closed is final" in problem["detail"]


def test_resolving_a_resolved_ticket_is_409_naming_the_allowed_statuses(api):
    # Given a resolved ticket
    ticket = open_ticket(api)
    resolution = {"resolution": "Template fixed", "preventive_measure": "Template tested"}
    assert api("POST", f"/tickets/{ticket['id']}/resolve", user=LENA, body=resolution).status == 200

    # When it is resolved again
    reply = api("POST", f"/tickets/{ticket['id']}/resolve", user=LENA, body=resolution)

    # Then it conflicts, naming where a resolved ticket can go
    problem = assert_problem(reply, 409)
    assert problem["allowed"] == ["closed", "in_progress"]
    assert "closed, in_progress" in problem["detail"]


def test_message_into_a_closed_ticket_is_409(api):
    # Given a closed ticket
    ticket = open_ticket(api)
    assert api("POST", f"/tickets/{ticket['id']}/close", user=BOB).status == 200

    # When the customer writes into it
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "One more thing"})

    # Then it conflicts and says to open a new ticket; nothing is stored
    problem = assert_problem(reply, 409)
    assert "closed" in problem["detail"] and "new ticket" in problem["detail"]
    messages = api("GET", f"/tickets/{ticket['id']}", user=BOB).json["messages"]
    assert [m for m in messages if m["author"]["role"] != "system"] == []


# --- 413, 415 ------------------------------------------------------------------------------------


def test_attachment_too_large_is_413(api):
    # Given a ticket
    ticket = open_ticket(api)

    # When a 50 MB file is announced
    reply = api("POST", f"/tickets/{ticket['id']}/attachments", user=BOB, body={**PDF, "size": 50 * 1024 * 1024})

    # Then it is refused, saying the limit
    problem = assert_problem(reply, 413)
    assert "10 MB" in problem["detail"]
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["attachments"] == []


def test_request_body_too_large_is_413(api_without_aws):
    # Given a request body over the 256 KB limit
    body = json.dumps({**QUESTION, "description": "x" * (300 * 1024)})

    # When it is sent
    reply = api_without_aws("POST", "/tickets", user=BOB, raw_body=body)

    # Then it is refused, pointing to attachments
    problem = assert_problem(reply, 413)
    assert "attachments" in problem["detail"]


def test_attachment_of_an_executable_type_is_415(api):
    # Given a ticket
    ticket = open_ticket(api)

    # When a Windows executable is announced
    reply = api(
        "POST",
        f"/tickets/{ticket['id']}/attachments",
        user=BOB,
        body={"file_name": "setup.exe", "size": 1024, "content_type": "application/x-msdownload"},
    )

    # Then it is refused, listing the accepted types
    problem = assert_problem(reply, 415)
    assert "application/x-msdownload" in problem["detail"]
    assert "application/pdf" in problem["detail"]


def test_request_body_that_is_not_json_is_415(api):
    # Given a body sent as text/plain
    # When it is posted
    reply = api("POST", "/tickets", user=BOB, body=QUESTION, headers={"Content-Type": "text/plain"})

    # Then it is refused, asking for JSON, and nothing is created
    problem = assert_problem(reply, 415)
    assert "application/json" in problem["detail"]
    assert list_count(api, BOB) == 0


# --- 422 -----------------------------------------------------------------------------------------


def test_missing_required_fields_is_422_naming_them(api_without_aws):
    # Given an empty body
    # When a ticket is opened with it
    reply = api_without_aws("POST", "/tickets", user=BOB, body={})

    # Then every missing field is named
    problem = assert_problem(reply, 422)
    assert {"service", "subject"} <= error_fields(problem)


def test_unknown_service_is_422_listing_the_services(api):
    # Given a service that does not exist
    # When a ticket is opened for it
    reply = api("POST", "/tickets", user=BOB, body={**QUESTION, "service": "time-travel"})

    # Then the service field is named with the choices
    problem = assert_problem(reply, 422)
    assert error_fields(problem) == {"service"}
    assert "functionality-question" in problem["detail"]


def test_missing_required_intake_answer_is_422_when_submitting(api):
    # Given intake answers without the required "problem"
    answers = {"contact": "+420 123 456 789"}

    # When a ticket is submitted with them
    reply = api("POST", "/tickets", user=BOB, body={**QUESTION, "fields": answers})

    # Then the missing answer is named and nothing is created
    assert error_fields(assert_problem(reply, 422)) == {"fields.problem"}
    assert list_count(api, BOB) == 0


def test_submitting_a_draft_without_a_required_intake_answer_is_422(api):
    # Given a draft without the required "problem"
    draft = open_ticket(api, submit=False, fields={"contact": "+420 123 456 789"})

    # When it is submitted
    reply = api("POST", f"/tickets/{draft['id']}/submit", user=BOB)

    # Then the missing answer is named and it stays a draft
    assert error_fields(assert_problem(reply, 422)) == {"fields.problem"}
    assert api("GET", f"/tickets/{draft['id']}", user=BOB).json["status"] == "draft"


def test_resolving_without_a_preventive_measure_is_422(api):
    # Given a ticket
    ticket = open_ticket(api)

    # When the agent resolves it without saying what prevents a repeat
    reply = api("POST", f"/tickets/{ticket['id']}/resolve", user=LENA, body={"resolution": "Template fixed"})

    # Then preventive_measure is named and the ticket is not resolved
    assert error_fields(assert_problem(reply, 422)) == {"preventive_measure"}
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["status"] == "new"


def test_unknown_attachment_id_in_a_message_is_422(api):
    # Given a ticket, and an upload that belongs to another ticket
    ticket = open_ticket(api)
    other = open_ticket(api)
    foreign = api("POST", f"/tickets/{other['id']}/attachments", user=BOB, body=PDF)
    assert foreign.status == 201, foreign.text

    # When a message references an unknown id and the other ticket's upload
    for attachment_id in (MISSING_TICKET_ID, foreign.json["id"]):
        reply = api(
            "POST",
            f"/tickets/{ticket['id']}/messages",
            user=BOB,
            body={"body": "See attached", "attachments": [attachment_id]},
        )

        # Then the attachments field is named and no message is stored
        problem = assert_problem(reply, 422)
        assert error_fields(problem) == {"attachments"}
        assert attachment_id in problem["errors"][0]["message"]
    messages = api("GET", f"/tickets/{ticket['id']}", user=BOB).json["messages"]
    assert [m for m in messages if m["author"]["role"] != "system"] == []


def test_idempotency_key_reused_with_another_body_is_422(api):
    # Given a ticket opened with an Idempotency-Key
    key = {"Idempotency-Key": "open-csv-ticket-1"}
    assert api("POST", "/tickets", user=BOB, body=QUESTION, headers=key).status == 201

    first = api("GET", "/tickets", user=BOB).json["items"][0]

    # When the key is sent again with a different body (e.g. the form edited after the first answer was lost)
    reply = api("POST", "/tickets", user=BOB, body={**QUESTION, "subject": "Another problem"}, headers=key)

    # Then it is refused, naming the ticket the first request opened, and no second ticket exists
    problem = assert_problem(reply, 422)
    assert "Idempotency-Key" in problem["detail"]
    assert f"which opened ticket {first['reference']}" in problem["detail"]
    assert list_count(api, BOB) == 1


def test_idempotency_key_repeated_with_the_same_body_replays_the_ticket(api):
    # Given a ticket opened with an Idempotency-Key
    key = {"Idempotency-Key": "open-csv-ticket-2"}
    first = api("POST", "/tickets", user=BOB, body=QUESTION, headers=key)
    assert first.status == 201, first.text
    open_l1_task(api, first.json["id"])

    # When the same request is repeated (a client retry)
    again = api("POST", "/tickets", user=BOB, body=QUESTION, headers=key)

    # Then it answers with the same ticket, marked as a replay, and no second ticket or task exists
    assert again.status == 200, again.text
    assert header(again, "Idempotent-Replayed") == "true"
    assert again.json["id"] == first.json["id"]
    assert again.json["reference"] == first.json["reference"]
    assert list_count(api, BOB) == 1
    assert len(l1_tasks_of(api, first.json["id"])) == 1


# --- 429 -----------------------------------------------------------------------------------------


def test_web_form_over_the_hourly_limit_is_429(api, monkeypatch):
    # Given a limit of 2 web form tickets per hour, read at call time, within one fixed hour
    monkeypatch.setenv("CASEWAY_WEBFORM_RATE_PER_HOUR", "2")
    monkeypatch.setattr(clock, "_now", lambda: datetime(2030, 3, 4, 10, 15, tzinfo=UTC))
    ip = "203.0.113.50"

    def send(n: int, source_ip: str = ip) -> Any:
        body = {**QUESTION, "email": f"visitor{n}@example.org"}
        return api("POST", "/public/tickets", body=body, source_ip=source_ip)

    # When three tickets come from the same address
    replies = [send(1), send(2), send(3)]

    # Then the first two are accepted and the third is refused, saying the limit
    assert [r.status for r in replies[:2]] == [201, 201], [r.text for r in replies]
    problem = assert_problem(replies[2], 429)
    assert "limit 2" in problem["detail"]
    # ...while another address is still served
    assert send(4, source_ip="203.0.113.51").status == 201


# --- drafts --------------------------------------------------------------------------------------


def test_draft_is_filled_in_steps_then_submitted_once(api):
    # Given a draft with part of the intake form
    draft = open_ticket(api, submit=False, description="", fields={"contact": "+420 123 456 789"})
    assert draft["status"] == "draft"
    assert draft["ball_side"] == "customer"

    # When the customer adds the missing answer and the description, then submits
    patched = api(
        "PATCH",
        f"/tickets/{draft['id']}",
        user=BOB,
        body={"description": "The CSV export ends with an error page.", "fields": {"problem": "Export fails"}},
    )
    assert patched.status == 200, patched.text
    assert patched.json["fields"] == {"contact": "+420 123 456 789", "problem": "Export fails"}
    assert patched.json["status"] == "draft"
    submitted = api("POST", f"/tickets/{draft['id']}/submit", user=BOB)

    # Then it is new, and its route creates the L1 task
    assert submitted.status == 200, submitted.text
    assert submitted.json["status"] == "new"
    assert open_l1_task(api, draft["id"])["ticket_id"] == draft["id"]


def test_draft_starts_no_route(api):
    # Given a draft, and after it a submitted ticket whose L1 task has appeared
    draft = open_ticket(api, submit=False)
    submitted = open_ticket(api)
    open_l1_task(api, submitted["id"])

    # When the L1 queue is read
    queue = api("GET", "/tasks?group=L1", user=LENA).json["items"]

    # Then the draft has no task
    assert [t["ticket_id"] for t in queue] == [submitted["id"]]
    assert l1_tasks_of(api, draft["id"]) == []


def test_submitting_twice_starts_only_one_route(api):
    # Given a draft submitted once, whose L1 task exists
    draft = open_ticket(api, submit=False)
    assert api("POST", f"/tickets/{draft['id']}/submit", user=BOB).status == 200
    task = open_l1_task(api, draft["id"])

    # When the submit is retried
    again = api("POST", f"/tickets/{draft['id']}/submit", user=BOB)

    # Then it succeeds, and there is still one route execution and one L1 task
    assert again.status == 200, again.text
    assert again.json["status"] == "new"
    executions = aws.client("stepfunctions").list_executions(stateMachineArn=workflows.route_arn("support"))
    names = [e["name"] for e in executions["executions"]]
    assert names.count(workflows.execution_name(draft["id"])) == 1
    submitted_events = [e for e in again.json["history"] if e["type"] == "TicketSubmitted"]
    assert len(submitted_events) == 1
    assert [t["id"] for t in l1_tasks_of(api, draft["id"])] == [task["id"]]


def test_editing_a_submitted_ticket_as_a_draft_is_409(api):
    # Given a submitted ticket
    ticket = open_ticket(api)

    # When it is edited like a draft
    reply = api("PATCH", f"/tickets/{ticket['id']}", user=BOB, body={"subject": "Changed my mind"})

    # Then it conflicts: only drafts can be edited
    assert "only drafts" in assert_problem(reply, 409)["detail"]


# --- attachments ---------------------------------------------------------------------------------


def test_presigned_upload_then_message_with_the_attachment(api):
    # Given a ticket
    ticket = open_ticket(api)

    # When the customer announces a small PDF
    upload = api("POST", f"/tickets/{ticket['id']}/attachments", user=BOB, body=PDF)

    # Then a presigned POST comes back
    assert upload.status == 201, upload.text
    assert upload.json["upload"]["url"].startswith("http")
    fields = upload.json["upload"]["fields"]
    assert fields["key"] == upload.json["s3_key"]
    assert fields["Content-Type"] == "application/pdf"
    assert upload.json["s3_key"].endswith("/invoice.pdf")
    post_upload(upload.json, file_like("application/pdf", PDF["size"]))

    # And when a message references the upload
    message = api(
        "POST",
        f"/tickets/{ticket['id']}/messages",
        user=BOB,
        body={"body": "The invoice is attached.", "attachments": [upload.json["id"]]},
    )

    # Then the message carries the attachment's metadata
    assert message.status == 201, message.text
    [attached] = message.json["message"]["attachments"]
    assert attached["attachment_id"] == upload.json["id"]
    assert (attached["file_name"], attached["size"], attached["content_type"]) == (
        "invoice.pdf",
        48_213,
        "application/pdf",
    )
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert [a["attachments"] for a in seen["messages"] if a["author"]["role"] != "system"] == [[attached]]


def test_the_catalog_lists_services_in_their_set_order(api):
    keys = [s["key"] for s in api("GET", "/services").json["items"]]
    assert keys == ["functionality-question", "document-request", "licence-key", "change-request"]


def test_the_requester_rates_a_closed_ticket_once(api):
    # Given a closed ticket
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    early = api("POST", f"/tickets/{ticket['id']}/feedback", user=BOB, body={"rating": 5})
    assert early.status == 409 and "once it is closed" in early.json["detail"]
    api("POST", f"/tickets/{ticket['id']}/close", user=BOB, body={"reason": "solved myself"})
    # When the customer rates it (R30)
    bad = api("POST", f"/tickets/{ticket['id']}/feedback", user=BOB, body={"rating": 6})
    assert bad.status == 422 and error_fields(bad.json) == {"rating"}
    assert api("POST", f"/tickets/{ticket['id']}/feedback", user=LENA, body={"rating": 1}).status == 403
    rated = api("POST", f"/tickets/{ticket['id']}/feedback", user=BOB, body={"rating": 4, "comment": "Quick, polite"})
    # Then it is on the ticket and in its history, and a second rating is refused
    assert rated.status == 200, rated.text
    assert rated.json["satisfaction"] == {"rating": 4, "comment": "Quick, polite"}
    assert [e["summary"] for e in rated.json["history"] if e["type"] == "FeedbackGiven"] == [
        "Customer rated the support 4/5"
    ]
    assert api("POST", f"/tickets/{ticket['id']}/feedback", user=BOB, body={"rating": 1}).status == 409
