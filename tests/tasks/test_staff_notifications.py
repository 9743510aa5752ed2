"""Staff's notification feed (issue 14, R27): tasks given to me, customer replies on tickets I own, SLA warnings and
breaches on my tickets and my groups' tasks; marked seen as customers mark theirs."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import BOB, DANA, LENA, MARIA, PETR, QUESTION, finish_task, route_task, wait_for

ITEM_KEYS = {"kind", "ticket_id", "reference", "subject", "at", "summary"}


def feed(api, user, since=""):
    reply = api("GET", "/notifications" + (f"?since={since}" if since else ""), user=user)
    assert reply.status == 200, reply.text
    return reply.json


def kinds(api, user, ticket_id):
    return [i["kind"] for i in feed(api, user)["items"] if i["ticket_id"] == ticket_id]


def test_staff_hear_of_warnings_customer_replies_and_tasks_given_to_them(desk):
    api, vc = desk  # Monday 09:00 Prague
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    for user in (LENA, PETR, DANA):
        assert api("POST", "/notifications/seen", user=user).status == 200

    # Nobody classifies it: the internal target (1h20m) passes at 10:20 and L1 is warned of its task
    vc.advance_to(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    wait_for(lambda: kinds(api, LENA, ticket["id"]), what="the warning in Lena's feed")
    lena = feed(api, LENA)
    (warning,) = lena["items"]
    assert set(warning) >= ITEM_KEYS
    assert (warning["kind"], warning["reference"], warning["subject"]) == (
        "warning",
        ticket["reference"],
        QUESTION["subject"],
    )
    assert warning["summary"] == "Reaction internal target passed" and lena["unseen"] == 1
    assert kinds(api, PETR, ticket["id"]) == ["warning"]  # the same group
    assert kinds(api, DANA, ticket["id"]) == []  # L2 has no task on it

    # Lena classifies it (she owns it now) and L2 gets the fix; the customer writes; Maria gives the fix to Dana
    finish_task(api, LENA, classify, "bug", "Reproduced")
    fix = route_task(api, "L2", DANA, ticket["id"], "fix")
    assert api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "Any news?"}).status == 201
    given = api("POST", f"/tasks/{fix['id']}/reassign", user=MARIA, body={"assignee": DANA, "reason": "She knows it"})
    assert given.status == 200, given.text

    assert kinds(api, LENA, ticket["id"]) == ["customer_reply", "warning"]  # newest first
    assert kinds(api, PETR, ticket["id"]) == ["warning"]  # not his ticket: no customer reply for him
    dana = [i for i in feed(api, DANA)["items"] if i["ticket_id"] == ticket["id"]]
    assert [i["kind"] for i in dana] == ["task_given"] and "Dana" in dana[0]["summary"]
    assert kinds(api, MARIA, ticket["id"]) == []  # her own reassignment is no news to her

    # Marked seen, the feed is empty until something new happens
    seen = api("POST", "/notifications/seen", user=LENA).json["seen_at"]
    assert feed(api, LENA) == {"since": seen, "seen_at": seen, "unseen": 0, "items": []}
    # Customers keep their own feed
    assert "events" in feed(api, BOB, since="2026-11-23T00:00:00Z")["items"][0]
