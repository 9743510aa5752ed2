"""Saved replies per group (issue 14): kept by managers and the group's agents, filled in for a ticket in its
customer's language."""

from __future__ import annotations

from tests.api.test_errors import assert_problem
from tests.conftest import BOB, DANA, LENA, MARIA, PETR, QUESTION, wait_for

JANA = "jana@novak.example"  # Novák: an organisation writing in Czech, in Europe/Prague
TEXTS = {
    "en": "Dear {customer_name}, about {reference} ({subject}): we will come back by {next_step_at}.",
    "cs": "Dobrý den, {customer_name}, k {reference} ({subject}): ozveme se do {next_step_at}.",
}


def test_a_group_keeps_its_saved_replies_and_fills_them_in_for_a_ticket_in_its_language(desk):
    api, _ = desk
    # Lena saves a reply for L1; Maria one for L2
    saved = api("POST", "/replies", user=LENA, body={"group": "L1", "title": "We are on it", "texts": TEXTS})
    assert saved.status == 201, saved.text
    reply = saved.json
    assert {k: reply[k] for k in ("group", "title", "texts")} == {
        "group": "L1",
        "title": "We are on it",
        "texts": TEXTS,
    }
    assert reply["id"] and reply["updated_at"] == "2026-11-23T08:00:00.000Z"
    l2 = api("POST", "/replies", user=MARIA, body={"group": "L2", "title": "Fixed", "texts": {"en": "Fixed."}}).json

    assert [r["id"] for r in api("GET", "/replies?group=L1", user=PETR).json["items"]] == [reply["id"]]
    assert [r["id"] for r in api("GET", "/replies", user=LENA).json["items"]] == [reply["id"]]
    assert {r["id"] for r in api("GET", "/replies", user=MARIA).json["items"]} == {reply["id"], l2["id"]}

    # Filled in for Jana's ticket in Czech, the next step's date in Prague time, the zone named
    jana = api("POST", "/tickets", user=JANA, body=QUESTION).json
    wait_for(lambda: api("GET", f"/tickets/{jana['id']}", user=LENA).json["next_step_at"], what="the next step")
    items = api("GET", f"/tickets/{jana['id']}/replies", user=LENA).json["items"]
    assert [(i["id"], i["group"], i["title"]) for i in items] == [(reply["id"], "L1", "We are on it")]
    text = items[0]["text"]
    assert text.startswith(
        f"Dobrý den, Jana (Novák, Czech), k {jana['reference']} ({QUESTION['subject']}): ozveme se do "
    )
    assert "Europe/Prague" in text and "{" not in text
    # Bob's (Acme) in English; Maria sees every group's
    bob = api("POST", "/tickets", user=BOB, body=QUESTION).json
    english = api("GET", f"/tickets/{bob['id']}/replies", user=MARIA).json["items"]
    assert {i["title"]: i["text"][:20] for i in english} == {"We are on it": "Dear Bob (Acme), abo", "Fixed": "Fixed."}
    # Dana (L2) gets L2's only
    assert [i["id"] for i in api("GET", f"/tickets/{bob['id']}/replies", user=DANA).json["items"]] == [l2["id"]]

    # Petr (L1) changes it, Lena deletes it
    changed = api("PUT", f"/replies/{reply['id']}", user=PETR, body={"group": "L1", "title": "On it", "texts": TEXTS})
    assert changed.status == 200 and changed.json["title"] == "On it" and changed.json["updated_by"] == "agent-petr"
    deleted = api("DELETE", f"/replies/{reply['id']}", user=LENA)
    assert deleted.status == 204 and deleted.text == ""
    assert api("GET", "/replies?group=L1", user=LENA).json["items"] == []
    assert_problem(api("DELETE", f"/replies/{reply['id']}", user=LENA), 404)


def test_who_may_keep_which_replies_and_what_a_reply_may_say(desk):
    api, _ = desk
    reply = api("POST", "/replies", user=LENA, body={"group": "L1", "title": "Hello", "texts": TEXTS}).json
    # Another group's agent may neither read, add, change nor delete L1's (before the body is looked at)
    assert "L1" in assert_problem(api("GET", "/replies?group=L1", user=DANA), 403)["detail"]
    assert_problem(api("POST", "/replies", user=DANA, body={"group": "L1", "title": "X", "texts": {"en": "x"}}), 403)
    assert_problem(api("PUT", f"/replies/{reply['id']}", user=DANA, body={"bad": 1}), 403)
    assert_problem(api("DELETE", f"/replies/{reply['id']}", user=DANA), 403)
    # An agent cannot move a reply into a group they are not in
    moved = {"group": "L2", "title": "Hello", "texts": TEXTS}
    assert_problem(api("PUT", f"/replies/{reply['id']}", user=LENA, body=moved), 403)
    # Customers see none of it
    bob = api("POST", "/tickets", user=BOB, body=QUESTION).json
    assert_problem(api("GET", "/replies", user=BOB), 403)
    assert_problem(api("GET", f"/tickets/{bob['id']}/replies", user=BOB), 403)

    def refused(body):
        return assert_problem(api("POST", "/replies", user=MARIA, body=body), 422)

    assert "{name}" in refused({"group": "L1", "title": "T", "texts": {"en": "Hi {name}"}})["detail"]
    assert "'de'" in refused({"group": "L1", "title": "T", "texts": {"de": "Hallo"}})["detail"]
    assert "at least one language" in refused({"group": "L1", "title": "T", "texts": {}})["detail"]
    assert "No group L9" in refused({"group": "L9", "title": "T", "texts": {"en": "x"}})["detail"]
    assert refused({"group": "L1", "title": "", "texts": {"en": "x"}})["errors"][0]["field"] == "title"
    assert [r["title"] for r in api("GET", "/replies", user=MARIA).json["items"]] == ["Hello"]
