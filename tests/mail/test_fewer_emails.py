"""Issue 15, fewer and truer e-mails: a fully automatic route sends one e-mail with its result, and no e-mail
promises what the next one takes back (a licence key once sent "a specialist will pick it up", "Resolved ... reply
and it reopens" and "Closed" within one second, after which a reopen was 409)."""

from __future__ import annotations

from infra.local import emulation as aws_emulation
from shared.routes import licences
from shared.tickets import mailthread
from tests.conftest import BOB, MARIA, finish_task, route_task, wait_for

LICENCE = {
    "service": "licence-key",
    "subject": "Key for the new laptop",
    "description": "A second seat.",
    "fields": {"licence_product": "Caseway Desktop", "licence_seats": 1},
}


def mails_about(reference: str) -> list[dict]:
    return [m for m in aws_emulation.sent_emails() if m["to"] == [BOB] and f"[{reference}]" in m["subject"]]


def closed(api, ticket_id: str) -> dict:
    return wait_for(
        lambda: (seen := api("GET", f"/tickets/{ticket_id}", user=BOB).json)["status"] == "closed" and seen,
        what="the ticket to close",
    )


def test_a_licence_key_within_the_limit_is_one_email_with_the_key(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=LICENCE).json
    seen = closed(api, ticket["id"])
    key = seen["result"]["licence_key"]["key"]

    (sent,) = wait_for(lambda: mails_about(ticket["reference"]), what="the key's e-mail")
    assert sent["subject"] == f"[{ticket['reference']}] Your licence key: {LICENCE['subject']}"
    assert key in sent["body"] and key in sent["html"]
    assert "Your ticket is closed: licence key issued." in sent["body"]
    # it promises nothing the closed ticket cannot keep: no "a specialist will pick it up", no "reply ... reopens"
    assert "specialist" not in sent["body"] and "reopen" not in sent["body"]
    assert "a reply to this e-mail opens a new request linked to it" in sent["body"]
    assert api("POST", f"/tickets/{ticket['id']}/reopen", user=BOB, body={}).status == 409
    assert len(mails_about(ticket["reference"])) == 1  # and nothing followed


def test_over_the_limit_the_customer_hears_why_then_the_outcome(desk):
    api, _ = desk
    assert api("PUT", "/organisations/acme/licences", user=MARIA, body={"limit": 2}).status == 200
    ticket = api("POST", "/tickets", user=BOB, body=LICENCE).json
    (waiting,) = wait_for(lambda: mails_about(ticket["reference"]), what="the limit's e-mail")
    assert waiting["subject"] == f"[{ticket['reference']}] Licence limit reached: {LICENCE['subject']}"
    assert "We have asked your account manager to extend the limit" in waiting["body"]
    assert "Next step by: " in waiting["body"]  # by when he hears from us, in his zone

    finish_task(api, MARIA, route_task(api, "accounts", MARIA, ticket["id"], "licence_limit"), "decline", "contract")
    closed(api, ticket["id"])
    first, last = wait_for(lambda: (m := mails_about(ticket["reference"]))[1:] and m, what="the outcome's e-mail")
    assert first == waiting
    assert last["subject"] == f"[{ticket['reference']}] Closed: {LICENCE['subject']}"
    assert last["body"].startswith(
        "Your account manager declined to extend the licence limit: contract.\n\n"
        "Your ticket is closed: the licence limit was not extended."
    )
    assert last["in_reply_to"] == first["in_reply_to"] == mailthread.thread_id(ticket["reference"])


def test_when_the_route_fails_the_customer_is_told_a_person_takes_over(desk, monkeypatch):
    api, _ = desk
    monkeypatch.setattr(licences, "generate_key", lambda product: (_ for _ in ()).throw(RuntimeError("down")))
    ticket = api("POST", "/tickets", user=BOB, body=LICENCE).json
    route_task(api, "accounts", MARIA, ticket["id"], "manual")
    (sent,) = wait_for(lambda: mails_about(ticket["reference"]), what="the by-hand e-mail")
    assert sent["subject"] == f"[{ticket['reference']}] Update on your request: {LICENCE['subject']}"
    assert sent["body"].startswith("We could not finish your request automatically; a specialist is handling it")


def test_a_web_form_sender_without_organisation_gets_one_email_saying_who_decides(desk):
    api, _ = desk
    sender = "sam@example.org"
    created = api("POST", "/public/tickets", body={**LICENCE, "email": sender, "name": "Sam"}).json
    route_task(api, "accounts", MARIA, created["id"], "licence_limit")

    def mails() -> list[dict]:
        return [m for m in aws_emulation.sent_emails() if m["to"] == [sender]]

    (sent,) = wait_for(mails, what="Sam's e-mail")
    # (the address was typed, not proven: the e-mail names the request by its reference, not the sender's words)
    assert sent["subject"] == f"[{created['reference']}] Request received: your request"
    assert sent["body"].startswith("Licence keys are issued to registered organisations under their licence agreement")
    assert "limit" not in sent["subject"].lower()
