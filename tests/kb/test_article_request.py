"""Asking for a knowledge-base article from a ticket at any time (issue 14, R29)."""

from __future__ import annotations

from tests.api.test_errors import assert_problem
from tests.conftest import BOB, LENA, MARIA, QUESTION


def test_staff_ask_for_an_article_and_the_task_goes_to_the_knowledge_base_group_or_the_managers(api):
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    path = f"/tickets/{ticket['id']}/article-request"

    # The demo has no knowledge-base group: the managers get it
    reply = api("POST", path, user=LENA, body={"note": "How to export the monthly report"})
    assert reply.status == 201, reply.text
    task = reply.json["task"]
    assert (task["type"], task["group"], task["status"], task["ticket_id"]) == (
        "kb_article",
        "managers",
        "open",
        ticket["id"],
    )
    assert task["title"] == "Knowledge base: write or update an article (How to export the monthly report)"
    assert task["id"] in [t["id"] for t in api("GET", "/tasks?group=managers", user=MARIA).json["items"]]
    # On the ticket for staff; the customer sees no task
    assert task["id"] in [t["id"] for t in api("GET", f"/tickets/{ticket['id']}", user=LENA).json["tasks"]]
    assert "tasks" not in api("GET", f"/tickets/{ticket['id']}", user=BOB).json

    # Once the desk has a knowledge-base group, it gets the next request (without a note: the subject)
    group = api("PUT", "/routing/groups/knowledge-base", user=MARIA, body={"line": "L2", "description": "Writers"})
    assert group.status == 200, group.text
    second = api("POST", path, user=MARIA)
    assert second.status == 201, second.text
    assert second.json["task"]["group"] == "knowledge-base" and second.json["task"]["id"] != task["id"]
    assert QUESTION["subject"] in second.json["task"]["title"]


def test_an_article_request_is_staffs_and_says_what_is_wrong(api):
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    path = f"/tickets/{ticket['id']}/article-request"
    assert_problem(api("POST", path, user=BOB, body={"note": "Please"}), 403)
    assert assert_problem(api("POST", path, user=LENA, body={"note": "x" * 501}), 422)["errors"][0]["field"] == "note"
    assert_problem(api("POST", "/tickets/CW-999999/article-request", user=LENA, body={"note": "x"}), 404)
