"""Collision (issue 14): who else is viewing or replying to a ticket in the last 30 s; staff only."""

from __future__ import annotations

from datetime import timedelta

from tests.api.test_errors import assert_problem
from tests.conftest import BOB, LENA, MARIA, PETR, QUESTION


def test_two_agents_on_one_ticket_each_see_the_other_until_they_leave(desk):
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    path = f"/tickets/{ticket['id']}/presence"

    # Lena opens the ticket: nobody else is there
    first = api("POST", path, user=LENA, body={"activity": "viewing"})
    assert first.status == 200, first.text
    assert first.json == {"others": []}
    lena_since = "2026-11-23T08:00:00.000Z"

    # Petr opens it ten seconds later and starts a reply: he sees Lena viewing
    vc.advance(timedelta(seconds=10))
    petr = api("POST", path, user=PETR, body={"activity": "replying"}).json["others"]
    assert petr == [{"sub": "agent-lena", "name": petr[0]["name"], "activity": "viewing", "since": lena_since}]
    assert petr[0]["name"]

    # Lena's page polls: she sees Petr replying, since when he began; her own renewal keeps her `since`
    vc.advance(timedelta(seconds=15))
    lena = api("POST", path, user=LENA, body={"activity": "viewing"}).json["others"]
    assert [(o["sub"], o["activity"], o["since"]) for o in lena] == [
        ("agent-petr", "replying", "2026-11-23T08:00:10.000Z")
    ]
    assert api("GET", path, user=PETR).json["others"][0]["since"] == lena_since
    # The reference names the same ticket; a manager sees both
    assert {o["sub"] for o in api("GET", f"/tickets/{ticket['reference']}/presence", user=MARIA).json["others"]} == {
        "agent-lena",
        "agent-petr",
    }

    # Petr leaves (stops renewing): 30 s after his last renewal he is gone from Lena's view
    vc.advance(timedelta(seconds=16))
    assert [o["sub"] for o in api("GET", path, user=LENA).json["others"]] == []
    assert [o["sub"] for o in api("GET", path, user=PETR).json["others"]] == ["agent-lena"]


def test_presence_is_staffs_and_says_what_is_wrong(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    path = f"/tickets/{ticket['id']}/presence"
    api("POST", path, user=LENA, body={"activity": "viewing"})
    assert_problem(api("GET", path, user=BOB), 403)
    assert_problem(api("POST", path, user=BOB, body={"activity": "viewing"}), 403)
    problem = assert_problem(api("POST", path, user=LENA, body={"activity": "typing"}), 422)
    assert problem["errors"][0]["field"] == "activity"
    assert_problem(api("GET", "/tickets/no-such-ticket/presence", user=LENA), 404)
    assert_problem(api("POST", "/tickets/CW-999999/presence", user=LENA, body={"activity": "viewing"}), 404)
