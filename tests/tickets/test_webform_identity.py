"""Nobody acts through the web form as a customer they are not: a claimed address is proven before it acts, follow
links go only to the requester's own address and stop with a deactivated requester, and the anonymous form gives no
relay and asks for a proof of work after a few submissions an hour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from infra.local import emulation as aws_emulation
from shared.directory import items as directory
from shared.platform import config
from shared.tickets import confirmations, proof_of_work
from shared.tickets.items import HeldTicket, Ticket, get_ticket, ticket_pk
from tests.conftest import ALICE, LENA, MARIA, QUESTION, wait_for

LICENCE = {
    "service": "licence-key",
    "subject": "Key for my laptop SECRET-WORDS",
    "description": "Please issue a key.",
    "fields": {"licence_product": "Caseway Desktop", "licence_seats": 1},
}


def sent_to(address: str) -> list[dict[str, Any]]:
    return [m for m in aws_emulation.sent_emails() if m["to"] == [address]]


def confirmation_token(address: str) -> str:
    mail = wait_for(lambda: [m for m in sent_to(address) if "/app/confirm#token=" in m["body"]], what="link")[-1]
    link = next(word for word in mail["body"].split() if "/app/confirm#token=" in word)
    return link.split("#token=", 1)[1]


def follow_key(created: dict[str, Any]) -> str:
    return parse_qs(urlsplit(created["follow_url"]).query)["key"][0]


def acme_licences(api: Any) -> int:
    return api("GET", "/organisations/acme/licences", user=MARIA).json["issued"]


def test_a_typed_address_of_a_claimed_domain_issues_no_licence_key_until_its_owner_confirms(desk):
    api, _ = desk
    issued_before = acme_licences(api)
    # Mallory types an address in Acme's domain that nobody has yet, and asks for a licence key
    held = api("POST", "/public/tickets", body={**LICENCE, "email": "mallory@acme.example"})
    # The request is held: no ticket, no follow link, no contact of Acme, no key issued
    assert held.status == 202, held.text
    assert held.json["status"] == "unconfirmed" and "follow_url" not in held.json and "id" not in held.json
    assert directory.get_user_by_email("mallory@acme.example") is None
    assert next(h for h in HeldTicket.scan() if h.email == "mallory@acme.example").ticket_id is None
    assert acme_licences(api) == issued_before
    # The address gets a confirmation link, and none of the sender's words
    sent = sent_to("mallory@acme.example")
    assert len(sent) == 1 and "SECRET-WORDS" not in sent[0]["subject"] + sent[0]["body"]
    token = confirmation_token("mallory@acme.example")
    # Whoever reads that mailbox confirms: the ticket opens, as a new contact of Acme made only now
    opened = api("POST", "/public/confirmations", body={"token": token})
    assert opened.status == 201, opened.text
    assert opened.json["reference"].startswith("CW-") and opened.json["follow_url"]
    assert opened.headers.get("Cache-Control") == "no-store"
    contact = directory.get_user_by_email("mallory@acme.example")
    assert contact is not None and contact.organisation_id == "acme"
    assert get_ticket(opened.json["id"]).requester_sub == contact.sub
    # The link works once
    again = api("POST", "/public/confirmations", body={"token": token})
    assert again.status == 409 and "follow_url" not in again.json


def test_alices_address_on_the_web_form_opens_nothing_in_her_name_until_she_confirms(desk):
    api, _ = desk
    before = {t["id"] for t in api("GET", "/tickets", user=ALICE).json["items"]}
    held = api("POST", "/public/tickets", body={**QUESTION, "email": ALICE})
    assert held.status == 202 and "follow_url" not in held.json
    # Nothing new in her list, and no ticket anywhere names her as its requester
    assert {t["id"] for t in api("GET", "/tickets", user=ALICE).json["items"]} == before
    alice = directory.get_user_by_email(ALICE)
    assert not [t for t in Ticket.scan() if t.requester_sub == alice.sub and t.channel == "web_form"]
    # A forged or partial link opens nothing
    token = confirmation_token(ALICE)
    held_id, signature = token.split(".")
    assert api("POST", "/public/confirmations", body={"token": f"{held_id}.{'0' * len(signature)}"}).status == 404
    # Alice's own click opens it as hers
    opened = api("POST", "/public/confirmations", body={"token": token})
    assert opened.status == 201, opened.text
    assert get_ticket(opened.json["id"]).requester_sub == alice.sub
    assert opened.json["id"] in {t["id"] for t in api("GET", "/tickets", user=ALICE).json["items"]}
    # The follow link is hers: in the answer to her click and in the "received" e-mail to her own address
    key = follow_key(opened.json)
    assert api("GET", f"/public/tickets/{opened.json['id']}?key={key}").status == 200
    received = wait_for(lambda: [m for m in sent_to(ALICE) if opened.json["reference"] in m["subject"]])
    assert f"#key={key}" in received[0]["body"]


def test_a_confirmation_link_expires(desk):
    api, vc = desk
    assert api("POST", "/public/tickets", body={**QUESTION, "email": ALICE}).status == 202
    token = confirmation_token(ALICE)
    vc.advance(timedelta(hours=confirmations.CONFIRM_HOURS, minutes=1))
    late = api("POST", "/public/confirmations", body={"token": token})
    assert late.status == 410 and "expired" in late.json["detail"]


def test_a_signed_in_customer_needs_no_confirmation(desk):
    api, _ = desk
    created = api("POST", "/tickets", user=ALICE, body=QUESTION)
    assert created.status == 201 and not [m for m in sent_to(ALICE) if "Confirm your request" in m["subject"]]


def test_follow_keys_are_stored_as_a_hash_only(api):
    created = api("POST", "/public/tickets", body={**QUESTION, "email": "walk-in@example.org"}).json
    key = follow_key(created)
    stored = Ticket.get(ticket_pk(created["id"]), "TICKET")
    assert stored.follow_key is None and stored.follow_hash and key not in str(stored.serialize())
    assert api("GET", f"/public/tickets/{created['id']}?key={key}").status == 200


def test_a_deactivated_persons_address_gets_no_ticket_and_their_follow_links_stop(desk):
    api, _ = desk
    # A walk-in's ticket and its follow link
    created = api("POST", "/public/tickets", body={**QUESTION, "email": "walk-in@example.org"}).json
    key = follow_key(created)
    contact = directory.get_user_by_email("walk-in@example.org")
    assert api("POST", f"/people/{contact.sub}/deactivate", user=MARIA).status == 200
    # The link opens nothing any more, for reading or writing
    assert api("GET", f"/public/tickets/{created['id']}?key={key}").status == 404
    reply = api("POST", f"/public/tickets/{created['id']}/messages?key={key}", body={"body": "still here"})
    assert reply.status == 404
    # The web form under the address answers as for anyone, but holds nothing and sends nothing
    mails_before = len(sent_to("walk-in@example.org"))
    held = api("POST", "/public/tickets", body={**QUESTION, "email": "walk-in@example.org"})
    assert held.status == 202 and "follow_url" not in held.json
    assert len(sent_to("walk-in@example.org")) == mails_before
    assert not [h for h in HeldTicket.scan() if h.email == "walk-in@example.org"]


def test_a_person_deactivated_before_the_click_gets_no_ticket(desk):
    api, _ = desk
    # A walk-in's first ticket makes them a contact; their next web-form request waits for their click
    assert api("POST", "/public/tickets", body={**QUESTION, "email": "walk-in@example.org"}).status == 201
    assert api("POST", "/public/tickets", body={**QUESTION, "email": "walk-in@example.org"}).status == 202
    token = confirmation_token("walk-in@example.org")
    contact = directory.get_user_by_email("walk-in@example.org")
    assert api("POST", f"/people/{contact.sub}/deactivate", user=MARIA).status == 200
    assert api("POST", "/public/confirmations", body={"token": token}).status == 404
    assert len([t for t in Ticket.scan() if t.requester_sub == contact.sub]) == 1


def test_the_received_email_to_a_typed_address_carries_none_of_the_senders_words(desk):
    api, _ = desk
    body = {**QUESTION, "subject": "Buy cheap pills at spam.example", "email": "victim@example.net"}
    created = api("POST", "/public/tickets", body=body).json
    received = wait_for(lambda: [m for m in sent_to("victim@example.net") if created["reference"] in m["subject"]])
    assert received[0]["subject"] == f"[{created['reference']}] Request received: your request"
    assert "spam.example" not in received[0]["body"] + received[0]["html"]
    assert QUESTION["description"] not in received[0]["body"]


def test_the_refusal_of_files_links_the_signed_in_page_for_anyone_but_the_requester(desk):
    from shared.tickets import conversation  # the page links themselves

    api, _ = desk
    created = api("POST", "/public/tickets", body={**QUESTION, "email": "walk-in@example.org"}).json
    ticket = get_ticket(created["id"])
    key = follow_key(created)
    assert conversation.ticket_page(ticket, "walk-in@example.org").endswith(f"#key={key}")
    assert conversation.ticket_page(ticket, "WALK-IN@example.org").endswith(f"#key={key}")
    for someone_else in ("bob@acme.example", None, ""):
        page = conversation.ticket_page(ticket, someone_else)
        assert "#key=" not in page and page.endswith(f"/app/tickets/{ticket.reference}")


@pytest.fixture
def one_free_submission(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.WEBFORM_FREE_PER_HOUR, "1")
    monkeypatch.setenv(config.WEBFORM_FREE_PER_IP_HOUR, "1")
    monkeypatch.setenv(config.WEBFORM_PROOF_BITS, "8")


def test_after_the_free_submissions_the_web_form_asks_for_a_proof_of_work(api, one_free_submission):
    first = api("POST", "/public/tickets", body={**QUESTION, "email": "a1@example.org"}, source_ip="203.0.113.9")
    assert first.status == 201
    second = api("POST", "/public/tickets", body={**QUESTION, "email": "a2@example.org"}, source_ip="203.0.113.9")
    assert second.status == 429 and second.json["challenge"] and second.json["bits"] == 8
    challenge = second.json["challenge"]
    wrong = next(str(n) for n in range(10_000) if proof_of_work.work_of(challenge, str(n)) < 8)
    body = {**QUESTION, "email": "a2@example.org", "proof": {"challenge": challenge, "solution": wrong}}
    assert api("POST", "/public/tickets", body=body, source_ip="203.0.113.9").status == 429
    solved = {**body, "proof": {"challenge": challenge, "solution": proof_of_work.solve(challenge)}}
    assert api("POST", "/public/tickets", body=solved, source_ip="203.0.113.9").status == 201
    # A solution is spent once
    replayed = {**solved, "email": "a3@example.org"}
    reply = api("POST", "/public/tickets", body=replayed, source_ip="203.0.113.9")
    assert reply.status == 429 and "already used" in reply.json["detail"]
    # Another source IP with another address still has its free submission
    assert (
        api("POST", "/public/tickets", body={**QUESTION, "email": "b@example.org"}, source_ip="198.51.100.7").status
        == 201
    )


def test_a_challenge_is_the_desks_and_expires():
    challenge = proof_of_work.issue(now=1000.0)
    assert proof_of_work.check(challenge.replace("v1.", "v1.9", 1), "1") == "not a challenge of this desk"
    assert proof_of_work.check(challenge, "1", now=1000.0 + proof_of_work.VALID_SECONDS + 1) == "the challenge expired"


def test_closing_rotates_the_follow_key_and_the_closing_email_carries_the_new_one(desk):
    api, _ = desk
    created = api("POST", "/public/tickets", body={**QUESTION, "email": "walk-in@example.org"}).json
    old = follow_key(created)
    assert api("POST", f"/tickets/{created['id']}/close", user=LENA, body={}).status == 200
    assert api("GET", f"/public/tickets/{created['id']}?key={old}").status == 404
    closing = wait_for(lambda: [m for m in sent_to("walk-in@example.org") if "Closed" in m["subject"]])[-1]
    new = closing["body"].split("#key=", 1)[1].split()[0]
    assert new != old and api("GET", f"/public/tickets/{created['id']}?key={new}").status == 200
