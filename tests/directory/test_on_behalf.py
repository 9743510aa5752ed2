"""Staff open a ticket for a customer who phoned or walked in: the organisation and the requester are chosen,
the channel is recorded, and the customer is told exactly as when they open it themselves."""

from __future__ import annotations

import pytest

from infra.local import emulation as aws_emulation
from tests.conftest import BOB, GUS, LENA, MARIA, QUESTION, open_l1_task, wait_for
from tests.tickets.test_authorization import assert_problem


def mails_to(address: str) -> list[str]:
    return [m["subject"] or "" for m in aws_emulation.sent_emails() if m["to"] == [address]]


def about(reference: str) -> list[str]:
    """The subjects of the e-mails Bob got about one ticket, its reference taken out."""
    return sorted(s.replace(reference, "REF") for s in mails_to(BOB) if reference in s)


def test_an_agent_opens_a_ticket_for_a_customer_who_phoned_and_the_customer_is_told_as_usual(api):
    own = api("POST", "/tickets", user=BOB, body=QUESTION).json  # what Bob is told when he opens one himself
    open_l1_task(api, own["id"])
    told = wait_for(lambda: about(own["reference"]), what="Bob's own confirmation")

    body = {**QUESTION, "on_behalf": {"organisation_id": "acme", "requester": BOB}, "channel": "phone"}
    created = api("POST", "/tickets", user=LENA, body=body)
    assert created.status == 201, created.text
    ticket = created.json
    assert (ticket["organisation_id"], ticket["channel"]) == ("acme", "phone")
    assert ticket["requester"] == {"sub": "cust-bob", "email": BOB}
    submitted = next(e for e in ticket["history"] if e["type"] == "TicketSubmitted")
    assert submitted["actor"] == {"sub": "agent-lena", "role": "agent"}
    assert {k: submitted["data"].get(k) for k in ("channel", "on_behalf_of", "opened_by")} == {
        "channel": "phone",
        "on_behalf_of": "cust-bob",
        "opened_by": "agent-lena",
    }

    # Bob sees it among his tickets, gets the same e-mails, and the route puts it into L1's queue as his own.
    assert ticket["id"] in [t["id"] for t in api("GET", "/tickets", user=BOB).json["items"]]
    open_l1_task(api, ticket["id"])
    assert wait_for(lambda: about(ticket["reference"]) == told, what="the same e-mails for the phoned ticket")
    assert any("received" in s.lower() for s in told), told


def test_a_walk_in_with_a_new_address_becomes_a_contact_of_the_chosen_organisation(api):
    body = {
        **QUESTION,
        "on_behalf": {"organisation_id": "acme", "requester": "Walk.In@elsewhere.example", "name": "Walk In"},
        "channel": "walk_in",
    }
    created = api("POST", "/tickets", user=MARIA, body=body)
    assert created.status == 201, created.text
    assert created.json["organisation_id"] == "acme"
    assert created.json["requester"]["email"] == "walk.in@elsewhere.example"
    people = api("GET", "/people?organisation_id=acme", user=MARIA).json["items"]
    assert "walk.in@elsewhere.example" in [p["email"] for p in people]


@pytest.mark.parametrize(
    ("on_behalf", "channel", "field"),
    [
        ({"organisation_id": "acme", "requester": GUS}, "phone", "on_behalf.requester"),  # Globex's customer
        ({"organisation_id": "acme", "requester": LENA}, "phone", "on_behalf.requester"),  # staff
        ({"organisation_id": "nowhere", "requester": BOB}, "phone", "on_behalf.organisation_id"),
        ({"organisation_id": "acme", "requester": BOB}, None, "channel"),
        (None, "phone", "on_behalf"),
    ],
)
def test_the_customer_and_the_channel_are_checked(api, on_behalf, channel, field):
    body = {**QUESTION, **({"on_behalf": on_behalf} if on_behalf else {}), **({"channel": channel} if channel else {})}
    problem = assert_problem(api("POST", "/tickets", user=LENA, body=body), 422)
    assert field in {e["field"] for e in problem["errors"]}, problem


def test_customers_cannot_open_tickets_for_others(api):
    body = {**QUESTION, "on_behalf": {"organisation_id": "acme", "requester": BOB}, "channel": "phone"}
    assert_problem(api("POST", "/tickets", user=GUS, body=body), 403)
    assert_problem(api("POST", "/tickets", user=BOB, body=body), 403)
