"""Who may see and do what: the authorization matrix of the HTTP API.

Customers see only their own tickets (an organisation admin also sees the colleagues'), never internal
notes or tasks; agents and managers work tickets but never open them; agents work only their groups'
queues. A ticket someone may not see answers exactly like a ticket that does not exist.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ALICE, BOB, DANA, GUS, LENA, MARIA, PETR, QUESTION, VERA, open_l1_task, wait_for
from tests.uploads import file_like, post_upload

PROBLEM_KEYS = {"type", "title", "status", "detail"}
MISSING_TICKET_ID = "01HZZZZZZZZZZZZZZZZZZZZZZZ"  # a well-formed ULID no ticket has


def assert_problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.text
    assert reply.content_type.startswith("application/problem+json"), reply.headers
    problem = reply.json
    assert problem.keys() >= PROBLEM_KEYS, problem
    assert problem["status"] == status
    assert isinstance(problem["detail"], str) and problem["detail"]
    return problem


def open_ticket(api: Any, user: str, **changes: Any) -> dict[str, Any]:
    created = api("POST", "/tickets", user=user, body={**QUESTION, **changes})
    assert created.status == 201, created.text
    if created.json["status"] != "draft":
        # The route tells the customer its reaction deadline in the background: let it, so that later
        # comparisons of the ticket see only what the test did.
        wait_for(
            lambda: any(
                m["author"]["role"] == "system"
                for m in api("GET", f"/tickets/{created.json['id']}", user=user).json["messages"]
            ),
            what="the route's first message",
        )
    return created.json


def open_draft(api: Any, user: str) -> dict[str, Any]:
    return open_ticket(api, user, submit=False)


# --- a ticket the caller may not see answers like a missing one ----------------------------------

# (method, path, body, needs a draft, status for both a hidden and a missing ticket)
TICKET_ENDPOINTS = [
    ("GET", "/tickets/{id}", None, False, 404),
    ("PATCH", "/tickets/{id}", {"subject": "Hijacked subject"}, True, 404),
    ("POST", "/tickets/{id}/submit", None, True, 404),
    ("POST", "/tickets/{id}/messages", {"body": "Let me in"}, False, 404),
    (
        "POST",
        "/tickets/{id}/attachments",
        {"file_name": "report.pdf", "size": 1024, "content_type": "application/pdf"},
        False,
        404,
    ),
    # Staff only: every customer is refused before the ticket is looked up, so the answer (403) is
    # still the same for a hidden and for a missing ticket and tells nothing about the ticket.
    ("POST", "/tickets/{id}/resolve", {"resolution": "Done by me", "preventive_measure": "Nothing"}, False, 403),
    ("POST", "/tickets/{id}/close", None, False, 404),
    ("POST", "/tickets/{id}/reopen", None, False, 404),
]

# (author of the ticket, customer who may not see it)
OUTSIDERS = [
    pytest.param(BOB, GUS, id="other-organisation-member"),
    pytest.param(BOB, VERA, id="other-organisation-admin"),
    pytest.param(ALICE, BOB, id="same-organisation-non-admin"),
]


@pytest.mark.parametrize(("author", "outsider"), OUTSIDERS)
@pytest.mark.parametrize(
    ("method", "path", "body", "needs_draft", "status"),
    [pytest.param(*e, id=f"{e[0]} {e[1]}") for e in TICKET_ENDPOINTS],
)
def test_customer_who_may_not_see_a_ticket_gets_the_same_answer_as_for_a_missing_one(
    api, author, outsider, method, path, body, needs_draft, status
):
    # Given a ticket (a draft where only drafts make sense) of someone the outsider may not see
    ticket = open_draft(api, author) if needs_draft else open_ticket(api, author)
    before = api("GET", f"/tickets/{ticket['id']}", user=author).json

    # When the outsider calls the endpoint on it, and on a ticket id that does not exist
    hidden = api(method, path.format(id=ticket["id"]), user=outsider, body=body)
    missing = api(method, path.format(id=MISSING_TICKET_ID), user=outsider, body=body)

    # Then both answers are the same problem, and nothing about the ticket changed
    hidden_problem = assert_problem(hidden, status)
    missing_problem = assert_problem(missing, status)
    assert hidden_problem["title"] == missing_problem["title"]
    assert ticket["subject"] not in hidden.text and ticket["reference"] not in hidden.text
    after = api("GET", f"/tickets/{ticket['id']}", user=author).json
    assert (after["status"], after["subject"], after["messages"], after["attachments"]) == (
        before["status"],
        before["subject"],
        before["messages"],
        before["attachments"],
    )


def test_reference_of_another_organisations_ticket_is_not_found(api):
    # Given a ticket of Acme with its short reference
    ticket = open_ticket(api, BOB)

    # When a Globex customer asks for it by reference
    reply = api("GET", f"/tickets/{ticket['reference']}", user=GUS)

    # Then it does not exist for them
    assert_problem(reply, 404)
    assert api("GET", f"/tickets/{ticket['reference']}", user=BOB).json["id"] == ticket["id"]


def test_organisation_admin_sees_a_colleagues_ticket(api):
    # Given Bob's ticket
    ticket = open_ticket(api, BOB)

    # When Alice, the admin of Bob's organisation, opens it
    reply = api("GET", f"/tickets/{ticket['id']}", user=ALICE)

    # Then she sees it
    assert reply.status == 200, reply.text
    assert reply.json["id"] == ticket["id"]
    assert reply.json["requester"]["email"] == BOB


# --- customers never receive internal notes or tasks ---------------------------------------------

INTERNAL_NOTE = "Internal: the customer's export template is broken on our side"
PREVENTIVE_MEASURE = "Regression test for every export template"


def _worked_and_resolved_ticket(api: Any) -> dict[str, Any]:
    """Bob's ticket with an L1 task taken by Lena, an internal note and a resolution."""
    ticket = open_ticket(api, BOB)
    task = open_l1_task(api, ticket["id"])
    assert api("POST", f"/tasks/{task['id']}/take", user=LENA).status == 200
    note = api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": INTERNAL_NOTE, "internal": True})
    assert note.status == 201, note.text
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "We are fixing the export."})
    assert reply.status == 201, reply.text
    resolved = api(
        "POST",
        f"/tickets/{ticket['id']}/resolve",
        user=LENA,
        body={"resolution": "Export template repaired", "preventive_measure": PREVENTIVE_MEASURE},
    )
    assert resolved.status == 200, resolved.text
    return ticket


def test_customer_view_has_no_internal_notes_internal_events_tasks_or_preventive_measure(api):
    # Given a ticket worked by L1 with an internal note, a public reply and a preventive measure
    ticket = _worked_and_resolved_ticket(api)

    # When its author and the organisation admin open it
    for customer in (BOB, ALICE):
        reply = api("GET", f"/tickets/{ticket['id']}", user=customer)

        # Then they see the public conversation and nothing internal
        assert reply.status == 200, reply.text
        view = reply.json
        assert [m["body"] for m in view["messages"] if m["author"]["role"] != "system"] == ["We are fixing the export."]
        assert not [m for m in view["messages"] if m["internal"]]
        assert not [e for e in view["history"] if not e["public"]]
        assert "tasks" not in view
        assert "preventive_measure" not in view
        assert INTERNAL_NOTE not in reply.text
        assert PREVENTIVE_MEASURE not in reply.text
        assert view["resolution"] == "Export template repaired"


def test_staff_view_has_internal_notes_internal_events_tasks_and_preventive_measure(api):
    # Given the same worked ticket
    ticket = _worked_and_resolved_ticket(api)

    # When the agent opens it
    view = api("GET", f"/tickets/{ticket['id']}", user=LENA).json

    # Then everything internal is there
    assert [m["body"] for m in view["messages"] if m["internal"]] == [INTERNAL_NOTE]
    internal_events = {e["type"] for e in view["history"] if not e["public"]}
    assert {"TaskCreated", "TaskTaken", "MessageAdded"} <= internal_events
    assert [t["group"] for t in view["tasks"]] == ["L1"]
    assert view["preventive_measure"] == PREVENTIVE_MEASURE


def test_public_follow_link_shows_no_internal_note(api):
    # Given a ticket from the web form, with an L1 task and an internal note
    created = api(
        "POST",
        "/public/tickets",
        body={**QUESTION, "email": "walk-in@example.org", "name": "Walk In"},
    )
    assert created.status == 201, created.text
    ticket = created.json
    assert ticket["follow_url"]
    open_l1_task(api, ticket["id"])
    note = api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": INTERNAL_NOTE, "internal": True})
    assert note.status == 201, note.text
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Looking into it."})
    assert reply.status == 201, reply.text

    # When the follow link is opened without an account
    followed = api("GET", ticket["follow_url"])

    # Then it shows the public reply only: no internal note, event or task
    assert followed.status == 200, followed.text
    view = followed.json
    assert view["id"] == ticket["id"]
    assert [m["body"] for m in view["messages"] if m["author"]["role"] != "system"] == ["Looking into it."]
    assert not [e for e in view["history"] if not e["public"]]
    assert "tasks" not in view and "preventive_measure" not in view
    assert INTERNAL_NOTE not in followed.text


def test_follow_link_with_a_wrong_key_is_not_found(api):
    # Given a web form ticket
    created = api("POST", "/public/tickets", body={**QUESTION, "email": "walk-in@example.org"})
    assert created.status == 201, created.text

    # When someone guesses a key
    reply = api("GET", f"/public/tickets/{created.json['id']}?key=guessed-key-123")

    # Then the ticket does not exist for them
    assert_problem(reply, 404)


def test_attachment_of_an_internal_note_is_not_shown_to_the_customer(api):
    # Given an agent uploads a file and attaches it only to an internal note
    ticket = open_ticket(api, BOB)
    upload = api(
        "POST",
        f"/tickets/{ticket['id']}/attachments",
        user=LENA,
        body={"file_name": "internal-diagnosis.txt", "size": 120, "content_type": "text/plain"},
    )
    assert upload.status == 201, upload.text
    post_upload(upload.json, file_like("text/plain", 120))
    note = api(
        "POST",
        f"/tickets/{ticket['id']}/messages",
        user=LENA,
        body={"body": INTERNAL_NOTE, "internal": True, "attachments": [upload.json["id"]]},
    )
    assert note.status == 201, note.text
    staff_view = api("GET", f"/tickets/{ticket['id']}", user=LENA)
    assert "internal-diagnosis.txt" in staff_view.text

    # When the customer opens the ticket
    reply = api("GET", f"/tickets/{ticket['id']}", user=BOB)

    # Then the internal file is nowhere in what they receive
    assert reply.status == 200, reply.text
    assert "internal-diagnosis.txt" not in reply.text
    assert upload.json["id"] not in reply.text


def test_customer_cannot_post_an_internal_note(api):
    # Given Bob's own ticket
    ticket = open_ticket(api, BOB)

    # When he tries to write an internal note
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "Secret", "internal": True})

    # Then it is refused and nothing is stored
    assert_problem(reply, 403)
    messages = api("GET", f"/tickets/{ticket['id']}", user=LENA).json["messages"]
    assert [m for m in messages if m["author"]["role"] != "system"] == []


# --- staff-only endpoints, staff-free endpoints --------------------------------------------------

STAFF_ONLY = [
    ("GET", "/tasks?group=L1", None),
    ("POST", "/tasks/{task}/take", None),
    ("POST", "/tasks/{task}/complete", {"outcome": "done"}),
    ("POST", "/tickets/{ticket}/resolve", {"resolution": "I fixed it", "preventive_measure": "None needed"}),
]  # GET /tickets?status=...: customers filter their own lists by status (tests/tickets/test_customer_lists.py)


@pytest.mark.parametrize("customer", [BOB, ALICE])
@pytest.mark.parametrize(("method", "path", "body"), [pytest.param(*e, id=f"{e[0]} {e[1]}") for e in STAFF_ONLY])
def test_staff_only_endpoint_refuses_customers(api, customer, method, path, body):
    # Given Bob's ticket with its open L1 task
    ticket = open_ticket(api, BOB)
    task = open_l1_task(api, ticket["id"])

    # When a customer of that organisation (the author, or the org admin) calls a staff endpoint
    reply = api(method, path.format(task=task["id"], ticket=ticket["id"]), user=customer, body=body)

    # Then it is refused, and the ticket and task are untouched
    assert_problem(reply, 403)
    staff_view = api("GET", f"/tickets/{ticket['id']}", user=LENA).json
    assert staff_view["status"] == "new"
    assert [(t["status"], t["assignee"]) for t in staff_view["tasks"]] == [("open", None)]


@pytest.mark.parametrize("staff", [LENA, MARIA])
def test_staff_cannot_open_tickets(api_without_aws, staff):
    # Given an agent or a manager
    # When they try to open a ticket
    reply = api_without_aws("POST", "/tickets", user=staff, body=QUESTION)

    # Then it is refused: tickets are opened by customers
    problem = assert_problem(reply, 403)
    assert "customer" in problem["detail"]


def test_agent_cannot_list_the_queue_of_a_group_they_are_not_in(api):
    # Given an L1 task
    ticket = open_ticket(api, BOB)
    task = open_l1_task(api, ticket["id"])

    # When Dana (L2 only) asks for the L1 queue or tries to take its task
    queue = api("GET", "/tasks?group=L1", user=DANA)
    take = api("POST", f"/tasks/{task['id']}/take", user=DANA)

    # Then both are refused
    assert "L1" in assert_problem(queue, 403)["detail"]
    assert_problem(take, 403)


def test_manager_can_list_any_group_queue(api):
    # Given an L1 task
    ticket = open_ticket(api, BOB)
    task = open_l1_task(api, ticket["id"])

    # When the manager asks for the L1 queue
    reply = api("GET", "/tasks?group=L1", user=MARIA)

    # Then she sees the task
    assert reply.status == 200, reply.text
    assert task["id"] in [t["id"] for t in reply.json["items"]]


# --- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/tickets", None),
        ("GET", f"/tickets/{MISSING_TICKET_ID}", None),
        ("POST", "/tickets", QUESTION),
        ("POST", f"/tickets/{MISSING_TICKET_ID}/messages", {"body": "hello"}),
        ("GET", "/tasks?group=L1", None),
        ("POST", "/tasks/some-task-1234abcd/take", None),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_protected_route_without_token_is_401(api_without_aws, method, path, body):
    # Given no bearer token
    # When a protected route is called
    reply = api_without_aws(method, path, body=body)

    # Then it answers 401
    assert "token" in assert_problem(reply, 401)["detail"]


@pytest.mark.parametrize("path", ["/health", "/services", "/openapi.json"])
def test_public_route_works_without_token(api, path):
    # Given no bearer token
    # When a public route is called
    reply = api("GET", path)

    # Then it answers
    assert reply.status == 200, reply.text
    assert reply.json


# --- lists ---------------------------------------------------------------------------------------


def _ids(reply: Any) -> set[str]:
    assert reply.status == 200, reply.text
    return {t["id"] for t in reply.json["items"]}


def test_customer_list_shows_only_their_own_tickets(api):
    # Given tickets of Bob, Alice (same organisation) and Gus (another one)
    bobs = open_ticket(api, BOB)["id"]
    alices = open_ticket(api, ALICE)["id"]
    guss = open_ticket(api, GUS)["id"]

    # When each lists their tickets
    # Then each sees only their own, the organisation admin included
    assert _ids(api("GET", "/tickets", user=BOB)) == {bobs}
    assert _ids(api("GET", "/tickets", user=ALICE)) == {alices}
    assert _ids(api("GET", "/tickets", user=GUS)) == {guss}


def test_organisation_admin_lists_the_whole_organisation(api):
    # Given tickets of Bob and Alice (Acme) and Gus (Globex)
    bobs = open_ticket(api, BOB)["id"]
    alices = open_ticket(api, ALICE)["id"]
    open_ticket(api, GUS)

    # When Alice lists her organisation's tickets
    reply = api("GET", "/tickets?scope=organisation", user=ALICE)

    # Then she sees both Acme tickets and not Globex's
    assert _ids(reply) == {bobs, alices}
    assert _ids(api("GET", "/tickets?scope=organisation&organisation_id=acme", user=ALICE)) == {bobs, alices}


def test_non_admin_cannot_list_the_organisation(api):
    # Given a ticket of Alice
    open_ticket(api, ALICE)

    # When Bob (not an admin) asks for the organisation's list
    reply = api("GET", "/tickets?scope=organisation", user=BOB)

    # Then it is refused
    assert_problem(reply, 403)


def test_organisation_admin_cannot_list_another_organisation(api):
    # Given a ticket of Globex
    guss = open_ticket(api, GUS)

    # When Acme's admin asks for Globex's list
    reply = api("GET", "/tickets?scope=organisation&organisation_id=globex", user=ALICE)

    # Then that organisation does not exist for her
    assert_problem(reply, 404)
    assert guss["id"] not in reply.text


# --- tasks belong to whoever took them -----------------------------------------------------------


def test_task_taken_by_one_agent_cannot_be_taken_or_completed_by_another(api):
    # Given Lena took the L1 task
    ticket = open_ticket(api, BOB)
    task = open_l1_task(api, ticket["id"])
    assert api("POST", f"/tasks/{task['id']}/take", user=LENA).status == 200

    # When Petr (also L1) tries to take it, or to complete it
    take = api("POST", f"/tasks/{task['id']}/take", user=PETR)
    complete = api("POST", f"/tasks/{task['id']}/complete", user=PETR, body={"outcome": "answered"})

    # Then taking conflicts and completing is refused; the task stays Lena's
    assert assert_problem(take, 409)["assignee"] == "agent-lena"
    assert_problem(complete, 403)
    tasks = api("GET", f"/tickets/{ticket['id']}", user=LENA).json["tasks"]
    assert [(t["status"], t["assignee"]) for t in tasks] == [("taken", "agent-lena")]


def test_manager_can_complete_a_task_someone_else_took(api):
    # Given Lena took the L1 task
    ticket = open_ticket(api, BOB)
    task = open_l1_task(api, ticket["id"])
    assert api("POST", f"/tasks/{task['id']}/take", user=LENA).status == 200

    # When the manager completes it
    reply = api("POST", f"/tasks/{task['id']}/complete", user=MARIA, body={"outcome": "question"})

    # Then it is done with her outcome
    assert reply.status == 200, reply.text
    assert reply.json["task"]["status"] == "done"
    assert reply.json["task"]["outcome"] == "question"
