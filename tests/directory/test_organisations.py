"""Organisations through the API: managers create and change them, staff list them a page at a time, an
organisation's admin reads their own, every other customer gets 404 for another organisation."""

from __future__ import annotations

import threading

from tests.conftest import ALICE, BOB, GUS, LENA, MARIA, VERA
from tests.tickets.test_authorization import assert_problem
from tests.tickets.test_webform_identity import confirmation_token

INITECH = {
    "name": "Initech",
    "email_domains": ["Initech.example"],
    "importance": "vip",
    "language": "cs",
    "timezone": "Europe/Prague",
    "plan": "vip",
    "calendar": "office",
    "contract_url": "https://contracts.example/initech.pdf",
}


def test_a_manager_creates_and_changes_an_organisation_and_its_domain_matches_senders(api):
    created = api("PUT", "/organisations/initech", user=MARIA, body=INITECH)
    assert created.status == 201, created.text
    assert created.json | {"updated_at": None} == {
        "id": "initech",
        "name": "Initech",
        "email_domains": ["initech.example"],
        "importance": "vip",
        "language": "cs",
        "timezone": "Europe/Prague",
        "plan": "vip",
        "calendar": "office",
        "contract_url": "https://contracts.example/initech.pdf",
        "updated_at": None,
    }
    changed = api("PUT", "/organisations/initech", user=MARIA, body={**INITECH, "email_domains": ["initech.test"]})
    assert changed.status == 200, changed.text
    assert changed.json["email_domains"] == ["initech.test"]
    # A web-form sender from the new domain lands in the organisation; the old domain no longer matches.
    form = {
        "service": "functionality-question",
        "subject": "Login fails",
        "description": "Since this morning",
        "fields": {"problem": "Login", "contact": "+420 1"},
    }
    # (an address in a claimed domain joins it once the address confirms the request: the link e-mailed to it)
    held = api("POST", "/public/tickets", body={**form, "email": "joe@initech.test"})
    assert held.status == 202, held.text
    token = confirmation_token("joe@initech.test")
    new_domain = api("POST", "/public/confirmations", body={"token": token})
    old_domain = api("POST", "/public/tickets", body={**form, "email": "ann@initech.example"})
    assert new_domain.status == old_domain.status == 201, (new_domain.text, old_domain.text)
    staff_view = api("GET", f"/tickets/{new_domain.json['id']}", user=LENA).json
    assert staff_view["organisation_id"] == "initech"
    assert api("GET", f"/tickets/{old_domain.json['id']}", user=LENA).json["organisation_id"] == "public"


def test_bad_settings_are_one_422_naming_each_field(api):
    bad = {**INITECH, "timezone": "Mars/Olympus", "plan": "platinum", "language": "xx", "email_domains": ["nope"]}
    problem = assert_problem(api("PUT", "/organisations/initech", user=MARIA, body=bad), 422)
    assert {e["field"] for e in problem["errors"]} == {"timezone", "plan", "language", "email_domains"}
    taken = assert_problem(
        api("PUT", "/organisations/initech", user=MARIA, body={**INITECH, "email_domains": ["acme.example"]}), 422
    )
    assert "acme.example (acme)" in taken["detail"]
    assert_problem(api("PUT", "/organisations/Not Valid", user=MARIA, body=INITECH), 422)
    assert api("GET", "/organisations/initech", user=MARIA).status == 404  # nothing was written


def test_only_managers_write_and_customers_read_only_their_own(api):
    assert_problem(api("PUT", "/organisations/initech", user=LENA, body=INITECH), 403)
    assert_problem(api("PUT", "/organisations/acme", user=ALICE, body=INITECH), 403)
    assert api("GET", "/organisations/acme", user=ALICE).json["name"] == "Acme Manufacturing"  # the admin
    assert_problem(api("GET", "/organisations/globex", user=ALICE), 404)  # another organisation: as missing
    assert_problem(api("GET", "/organisations/acme", user=VERA), 404)  # another organisation's admin: as missing
    assert_problem(api("GET", "/organisations/acme", user=GUS), 403)  # the route serves admins, whatever the id
    assert_problem(api("GET", "/organisations/acme", user=BOB), 403)  # own organisation, not its admin
    assert_problem(api("GET", "/organisations", user=ALICE), 403)
    assert_problem(api("GET", "/organisations?limit=0", user=ALICE), 403)  # who before what was asked
    assert api("GET", "/organisations/globex", user=LENA).json["importance"] == "vip"


def test_the_list_pages_with_a_cursor_like_every_list(api):
    for n in range(3):
        body = {**INITECH, "name": f"Branch {n}", "email_domains": [f"branch{n}.example"]}
        assert api("PUT", f"/organisations/branch-{n}", user=MARIA, body=body).status == 201
    seen, cursor, pages = [], None, 0
    while True:
        page = api("GET", "/organisations?limit=2" + (f"&cursor={cursor}" if cursor else ""), user=LENA)
        assert page.status == 200, page.text
        assert len(page.json["items"]) <= 2
        seen += [o["id"] for o in page.json["items"]]
        pages += 1
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(
        ["acme", "globex", "public", "novak", "branch-0", "branch-1", "branch-2"]
    )  # novak: the Czech demo
    assert pages >= 3
    assert_problem(api("GET", "/organisations?limit=0", user=LENA), 422)


def test_a_ticket_page_reads_the_organisation_s_zone_once_a_minute_and_a_change_at_once(api, monkeypatch):
    """The page shows a ticket's dates in its organisation's zone: read once per process and minute, not at every
    page view (the page is then one Query); a manager's change shows at once."""
    from shared.directory import items as directory
    from shared.directory import people
    from tests.conftest import QUESTION

    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    # The page views' reads only: the ticket's route works on threads of its own meanwhile, and reads too
    reads: list[str] = []
    real, me = directory.get_organisation, threading.get_ident()

    def counted(org_id: str):
        if threading.get_ident() == me:
            reads.append(org_id)
        return real(org_id)

    monkeypatch.setattr(directory, "get_organisation", counted)
    people.forget_deactivated_cache()  # a fresh process

    first = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    second = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert first["timezone"] == second["timezone"]
    assert reads.count("acme") == 1  # the second page view read no organisation

    acme = api("GET", "/organisations/acme", user=MARIA).json
    settings = {k: acme[k] for k in ("name", "email_domains", "importance", "language") if acme.get(k) is not None}
    changed = api("PUT", "/organisations/acme", user=MARIA, body={**settings, "timezone": "Asia/Tokyo"})
    assert changed.status == 200, changed.text
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["timezone"] == "Asia/Tokyo"

    # Another process learns it within the minute
    monkeypatch.setattr(people, "READER_CACHE_SECONDS", 0.0)
    people._readers["acme"] = (0.0, ("en", "Europe/Prague"))  # what another process read before the change
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["timezone"] == "Asia/Tokyo"
