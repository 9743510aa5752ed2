"""The portal's pages give a customer's dates in the zone the desk's e-mails use (the organisation's, else the
desk's), never the browser's: the ticket's view names it, for the follow link too, and a customer's profile."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from shared.directory.people import save_organisation
from shared.platform.domain import DESK_TIMEZONE
from tests.conftest import BOB, GUS, LENA, QUESTION


def test_a_ticket_names_the_zone_its_customer_reads_dates_in(api):
    # Given Globex set to Warsaw's time, Acme naming no zone
    save_organisation("globex", "Globex Bank", "vip", ["globex.example"], timezone="Europe/Warsaw")
    globex = api("POST", "/tickets", user=GUS, body=QUESTION).json
    acme = api("POST", "/tickets", user=BOB, body=QUESTION).json
    # Then each customer's view names their zone, the profile the same; staff views name none (their browser's)
    assert api("GET", f"/tickets/{globex['id']}", user=GUS).json["timezone"] == "Europe/Warsaw"
    assert api("GET", "/people/cust-gus", user=GUS).json["timezone"] == "Europe/Warsaw"
    assert api("GET", f"/tickets/{acme['id']}", user=BOB).json["timezone"] == DESK_TIMEZONE == "Europe/Prague"
    assert api("GET", "/people/cust-bob", user=BOB).json["timezone"] == DESK_TIMEZONE
    assert "timezone" not in api("GET", f"/tickets/{acme['id']}", user=LENA).json
    assert api("GET", "/people/agent-lena", user=LENA).json["timezone"] is None


def test_the_follow_link_names_the_desk_s_zone_for_a_requester_without_an_organisation(api):
    created = api("POST", "/public/tickets", body={**QUESTION, "email": "olga@example.org", "name": "Olga"}).json
    key = parse_qs(urlparse(created["follow_url"]).query)["key"][0]
    seen = api("GET", f"/public/tickets/{created['id']}?key={key}").json
    assert seen["timezone"] == DESK_TIMEZONE
