"""A licence key asked for through the web form by someone of no registered organisation (R6): the requester is
told that keys go to registered organisations and what happens next, not the limits of an organisation they lack."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import MARIA, route_task

LICENCE_FROM_THE_WEB_FORM = {
    "service": "licence-key",
    "subject": "Key for my laptop",
    "description": "I bought Caseway Desktop and need a key.",
    "fields": {"licence_product": "Caseway Desktop", "licence_seats": 1},
    "email": "sam@example.org",
    "name": "Sam Solo",
}


def followed(api: Any, created: dict[str, Any]) -> dict[str, Any]:
    key = parse_qs(urlsplit(created["follow_url"]).query)["key"][0]
    reply = api("GET", f"/public/tickets/{created['id']}?key={key}")
    assert reply.status == 200, reply.text
    return reply.json


def test_a_requester_without_organisation_is_told_keys_go_to_registered_organisations(desk):
    api, _ = desk
    created = api("POST", "/public/tickets", body=LICENCE_FROM_THE_WEB_FORM)
    assert created.status == 201, created.text
    # The route asks the account managers, and the requester is told why and by when
    route_task(api, "accounts", MARIA, created.json["id"], "licence_limit")
    bodies = [m["body"] for m in followed(api, created.json)["messages"]]
    told = [b for b in bodies if "licence" in b.lower()]
    assert len(told) == 1, bodies
    assert "issued to registered organisations" in told[0] and "you will hear from us by" in told[0]
    assert "0 licence keys" not in told[0] and "limit is 0" not in told[0]
