"""Staff's ticket lists (issue 14): every open status at once, filters by organisation, service, classification
and owner, `view=mine`, search by reference, subject words or requester e-mail, cursor paging."""

from __future__ import annotations

import pytest

from tests.api.test_errors import assert_problem
from tests.conftest import BOB, GUS, LENA, MARIA, QUESTION, finish_task, route_task

ITEM_KEYS = {
    "id", "reference", "subject", "status", "ball_side", "ball_since", "owner", "organisation_id", "requester_email",
    "service", "classification", "priority", "due_at", "next_step_at", "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def tickets(desk):
    """Bob's new ticket, Bob's bug Lena classified (in progress, hers), Gus's (Globex) new ticket."""
    api, _ = desk
    new = api("POST", "/tickets", user=BOB, body={**QUESTION, "subject": "Invoice PDF is blank"}).json
    bug = api("POST", "/tickets", user=BOB, body={**QUESTION, "subject": "CSV export crashes"}).json
    globex = api("POST", "/tickets", user=GUS, body={**QUESTION, "subject": "Login page is slow"}).json
    finish_task(api, LENA, route_task(api, "L1", LENA, bug["id"], "classify"), "bug", "Reproduced")
    route_task(api, "L2", "dev.l2@caseway.example", bug["id"], "fix")
    return api, {"new": new, "bug": bug, "globex": globex}


def ids(reply) -> list[str]:
    assert reply.status == 200, reply.text
    return [t["id"] for t in reply.json["items"]]


def test_staff_list_every_open_ticket_by_default_and_filter_by_status(tickets):
    api, t = tickets
    everything = api("GET", "/tickets?limit=100", user=LENA)
    assert {t["new"]["id"], t["bug"]["id"], t["globex"]["id"]} <= set(ids(everything))
    by_id = {i["id"]: i for i in everything.json["items"]}
    assert set(by_id[t["bug"]["id"]]) >= ITEM_KEYS
    bug = by_id[t["bug"]["id"]]
    assert (bug["status"], bug["owner"], bug["classification"]) == ("in_progress", "agent-lena", "bug")
    assert bug["requester_email"] == BOB and bug["organisation_id"] == "acme" and bug["due_at"]
    assert bug["waiting_on"]["group"] == "L2"  # R14: the ball is with L2
    assert ids(api("GET", "/tickets?status=open&limit=100", user=MARIA)) == ids(everything)

    new = ids(api("GET", "/tickets?status=new&limit=100", user=LENA))
    assert t["new"]["id"] in new and t["globex"]["id"] in new and t["bug"]["id"] not in new
    both = ids(api("GET", "/tickets?status=in_progress,new&limit=100", user=LENA))
    assert set(both) == set(new) | {t["bug"]["id"]}
    assert both.index(t["new"]["id"]) < both.index(t["bug"]["id"])  # status by status: new first


def test_staff_filter_by_organisation_service_classification_and_owner(tickets):
    api, t = tickets
    acme = ids(api("GET", "/tickets?organisation_id=acme&limit=100", user=LENA))
    assert t["new"]["id"] in acme and t["bug"]["id"] in acme and t["globex"]["id"] not in acme
    assert ids(api("GET", "/tickets?organisation_id=acme&classification=bug", user=LENA)) == [t["bug"]["id"]]
    assert t["new"]["id"] in ids(api("GET", f"/tickets?service={QUESTION['service']}&limit=100", user=LENA))
    assert ids(api("GET", "/tickets?service=licence-key", user=LENA)) == []
    assert ids(api("GET", "/tickets?owner=me", user=LENA)) == [t["bug"]["id"]]
    assert ids(api("GET", "/tickets?view=mine", user=LENA)) == [t["bug"]["id"]]
    assert ids(api("GET", "/tickets?owner=agent-lena&classification=bug", user=MARIA)) == [t["bug"]["id"]]
    assert ids(api("GET", "/tickets?view=mine", user=MARIA)) == []


def test_staff_search_by_reference_subject_words_or_requester_email(tickets):
    api, t = tickets
    assert ids(api("GET", f"/tickets?q={t['new']['reference']}", user=LENA)) == [t["new"]["id"]]
    assert ids(api("GET", f"/tickets?q={t['new']['reference'].lower()}", user=LENA)) == [t["new"]["id"]]
    # a reference of a ticket the other filters leave out: nothing
    assert ids(api("GET", f"/tickets?q={t['new']['reference']}&organisation_id=globex", user=LENA)) == []
    assert ids(api("GET", "/tickets?q=CW-999999", user=LENA)) == []
    assert ids(api("GET", "/tickets?q=pdf%20invoice", user=LENA)) == [t["new"]["id"]]
    assert ids(api("GET", "/tickets?q=gus@globex", user=LENA)) == [t["globex"]["id"]]
    assert ids(api("GET", "/tickets?q=nothing%20like%20this", user=LENA)) == []


def test_staff_lists_page_with_a_cursor(tickets):
    api, _ = tickets
    whole = ids(api("GET", "/tickets?limit=100", user=LENA))
    seen, cursor = [], None
    for _ in range(len(whole) + 2):
        page = api("GET", "/tickets?limit=1" + (f"&cursor={cursor}" if cursor else ""), user=LENA)
        seen += ids(page)
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert seen == whole
    other = api("GET", "/tickets?limit=1", user=LENA).json["next_cursor"]
    assert_problem(api("GET", f"/tickets?status=resolved&cursor={other}", user=LENA), 400)


def test_bad_filters_are_answered_with_what_to_do(tickets):
    api, _ = tickets
    problem = assert_problem(api("GET", "/tickets?status=new,bogus", user=LENA), 422)
    assert "bogus" in problem["detail"] and problem["errors"][0]["field"] == "status"
    assert "Drafts" in assert_problem(api("GET", "/tickets?status=draft", user=LENA), 422)["detail"]
    closed = assert_problem(api("GET", "/tickets?status=closed", user=LENA), 422)
    assert "organisation_id" in closed["detail"]
    assert api("GET", "/tickets?status=closed&organisation_id=acme", user=LENA).status == 200


def test_customers_keep_their_own_lists_and_cannot_use_staffs_filters(tickets):
    api, t = tickets
    assert set(ids(api("GET", "/tickets", user=BOB))) == {t["new"]["id"], t["bug"]["id"]}
    problem = assert_problem(api("GET", "/tickets?q=Login&owner=me", user=BOB), 422)
    assert {e["field"] for e in problem["errors"]} == {"owner"}  # q and status: a customer's own search (issue 13)
    assert ids(api("GET", f"/tickets?status={t['new']['status']}", user=BOB)) == [t["new"]["id"]]
