"""R27 "My tickets": a customer's list filtered by status and searched by reference or subject by the API, a page
at a time; an organisation's admin filters the organisation's. Staff lists are another module's
(shared/tickets/lists.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import ALICE, BOB, LENA, QUESTION, VERA, wait_for


def _open(api: Any, user: str, subject: str, *, submit: bool) -> dict[str, Any]:
    created = api("POST", "/tickets", user=user, body={**QUESTION, "subject": subject, "submit": submit})
    assert created.status == 201, created.text
    return created.json


def _refs(reply: Any) -> list[str]:
    assert reply.status == 200, reply.text
    return [t["reference"] for t in reply.json["items"]]


def test_a_customer_filters_their_tickets_by_status_and_searches_them(api):
    # Given Bob's two drafts and two submitted tickets, and Alice's submitted ticket (same organisation)
    drafts = [_open(api, BOB, subject, submit=False) for subject in ("Invoice address", "Printer queue stuck")]
    sent = [_open(api, BOB, subject, submit=True) for subject in ("CSV export fails", "Login loops")]
    alices = _open(api, ALICE, "CSV export of Alice", submit=True)
    wait_for(lambda: _refs(api("GET", "/tickets?status=new", user=BOB)) != [], what="the submitted tickets")

    # When Bob lists his tickets by status, newest first: only his own, of that status
    assert _refs(api("GET", "/tickets?status=draft", user=BOB)) == [t["reference"] for t in reversed(drafts)]
    news = _refs(api("GET", "/tickets?status=new", user=BOB))
    assert set(news) <= {t["reference"] for t in sent} and alices["reference"] not in news
    assert _refs(api("GET", "/tickets?status=closed", user=BOB)) == []

    # and searches: words of the subject in any case, or the reference
    assert _refs(api("GET", "/tickets?q=csv%20EXPORT", user=BOB)) == [sent[0]["reference"]]
    assert _refs(api("GET", f"/tickets?q={sent[1]['reference'].lower()}", user=BOB)) == [sent[1]["reference"]]
    assert _refs(api("GET", "/tickets?q=queue&status=draft", user=BOB)) == [drafts[1]["reference"]]
    assert _refs(api("GET", "/tickets?q=queue&status=new", user=BOB)) == []


def test_a_filtered_list_comes_a_page_at_a_time_without_gaps_or_repeats(api):
    drafts = [_open(api, BOB, f"Draft number {n}", submit=False) for n in range(5)]
    _open(api, BOB, "Not a match", submit=False)
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        reply = api("GET", f"/tickets?q=draft%20number&limit=2{cursor}", user=BOB)
        seen += _refs(reply)
        if not reply.json["next_cursor"]:
            break
        cursor = f"&cursor={reply.json['next_cursor']}"
    assert seen == [t["reference"] for t in reversed(drafts)]


def test_an_organisation_admin_filters_the_organisation_s_tickets(api):
    bobs = _open(api, BOB, "Bob's printer draft", submit=False)
    alices = _open(api, ALICE, "Alice's printer draft", submit=False)
    _open(api, VERA, "Vera's printer draft", submit=False)  # another organisation's
    found = _refs(api("GET", "/tickets?scope=organisation&status=draft&q=printer", user=ALICE))
    assert found == [alices["reference"], bobs["reference"]]
    # a colleague who is no admin is refused, as without a filter
    refused = api("GET", "/tickets?scope=organisation&q=printer", user=BOB)
    assert refused.status == 403 and refused.json["status"] == 403
    assert api("GET", "/tickets?scope=organisation&organisation_id=globex&q=printer", user=ALICE).status == 404


def test_a_filter_the_api_cannot_read_is_a_problem_that_says_what_to_send(api):
    unknown = api("GET", "/tickets?status=finished", user=BOB)
    assert unknown.status == 422 and unknown.content_type.startswith("application/problem+json")
    assert unknown.json["errors"][0]["field"] == "status" and "closed" in unknown.json["errors"][0]["message"]
    too_long = api("GET", "/tickets?q=" + "x" * 101, user=BOB)
    assert too_long.status == 422 and too_long.json["errors"][0]["field"] == "q"


def test_staff_lists_by_status_are_unchanged(api):
    sent = _open(api, BOB, "Staff see it", submit=True)
    wait_for(lambda: sent["reference"] in _refs(api("GET", "/tickets?status=new", user=LENA)), what="the open list")
