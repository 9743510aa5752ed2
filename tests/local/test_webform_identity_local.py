"""Nobody acts through the web form as a customer they are not, over HTTP against the local stack (`caseway local`),
with its mailbox and its SMTP server as a person would use them:

- finding 1: a typed address of a known person or of a claimed domain gets nothing until the link e-mailed to it is
  followed (no ticket, no licence key, no follow link, nothing in the person's list);
- finding 2: the follow link goes only to the requester's own address, and stops when the ticket closes;
- finding 4: a deactivated person's follow links stop, and the web form opens nothing in their name;
- finding 8: the "received" e-mail to a typed address carries none of its sender's words, and after a few
  submissions an hour the web form asks for a solved proof of work.
"""

from __future__ import annotations

import json
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from infra.local.stack import free_port
from shared.tickets import proof_of_work
from tests.local.process import running_stack

FREE_PER_HOUR = 3
LICENCE = {
    "service": "licence-key",
    "subject": "Key for my laptop",
    "description": "Please issue a key.",
    "fields": {"licence_product": "Caseway Desktop", "licence_seats": 1},
}
QUESTION = {
    "service": "functionality-question",
    "subject": "CSV export fails",
    "description": "Exporting the monthly report ends with an error page.",
    "fields": {"problem": "Export button shows an error", "contact": "+420 123 456 789"},
}


class Stack:
    def __init__(self, base: str, smtp_port: int) -> None:
        self.base, self.smtp_port = base, smtp_port
        self.challenges = 0

    def __call__(self, method: str, path: str, body: Any = None, user: str | None = None) -> tuple[int, dict]:
        headers = {"content-type": "application/json"}
        if user:
            headers["authorization"] = f"Bearer {self.token(user)}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def token(self, email: str) -> str:
        with urllib.request.urlopen(f"{self.base}/local/token?user={email}", timeout=30) as response:
            return json.loads(response.read())["token"]

    def submit(self, body: dict[str, Any]) -> tuple[int, dict]:
        """The web form as a browser sends it: a challenge in the answer is solved and the form sent again."""
        status, answer = self("POST", "/public/tickets", body)
        if status == 429 and "challenge" in answer:
            self.challenges += 1
            proof = {"challenge": answer["challenge"], "solution": proof_of_work.solve(answer["challenge"])}
            status, answer = self("POST", "/public/tickets", {**body, "proof": proof})
        return status, answer

    def mails(self, address: str) -> list[dict[str, Any]]:
        return self("GET", f"/local/mailbox?to={address}")[1]["items"]

    def wait_mail(self, address: str, words: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.mails(address) if words in m["subject"]]
            if found:
                return found[-1]
            time.sleep(0.2)
        raise AssertionError(f"no e-mail to {address} about {words!r}: {[m['subject'] for m in self.mails(address)]}")

    def confirmation_token(self, address: str) -> str:
        mail = self.wait_mail(address, "Confirm your request")
        link = next(word for word in mail["body"].split() if "/app/confirm#token=" in word)
        assert link.startswith(self.base + "/app/confirm#token=")
        return link.split("#token=", 1)[1]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    smtp_port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CASEWAY_WEBFORM_FREE_PER_HOUR", str(FREE_PER_HOUR))
        patch.setenv("CASEWAY_WEBFORM_FREE_PER_IP_HOUR", "50")
        patch.setenv("CASEWAY_WEBFORM_PROOF_BITS", "8")
        patch.setenv("SMTP_PORT", str(smtp_port))
        with running_stack() as (url, _):
            yield Stack(url, smtp_port)


def key_of(follow_url: str) -> str:
    return follow_url.split("key=", 1)[1]


def test_alices_address_typed_into_the_web_form_issues_nothing_until_she_confirms(stack):
    licences = stack("GET", "/organisations/acme/licences", user="maria.manager@caseway.example")[1]["issued"]
    listed = {t["id"] for t in stack("GET", "/tickets", user="alice@acme.example")[1]["items"]}
    # Mallory types Alice's address and asks for a licence key
    status, held = stack.submit({**LICENCE, "email": "alice@acme.example"})
    assert status == 202 and held["status"] == "unconfirmed"
    assert "follow_url" not in held and "id" not in held and "reference" not in held
    # Nothing is issued, and nothing is in Alice's list
    time.sleep(1.0)  # what a started route would have done by now (it answers within moments)
    assert stack("GET", "/organisations/acme/licences", user="maria.manager@caseway.example")[1]["issued"] == licences
    assert {t["id"] for t in stack("GET", "/tickets", user="alice@acme.example")[1]["items"]} == listed
    # Alice's mailbox has the link; following it opens the ticket as hers, with the follow link in the answer
    token = stack.confirmation_token("alice@acme.example")
    status, opened = stack("POST", "/public/confirmations", {"token": token})
    assert status == 201 and opened["follow_url"]
    assert opened["id"] in {t["id"] for t in stack("GET", "/tickets", user="alice@acme.example")[1]["items"]}
    assert stack("GET", opened["follow_url"])[0] == 200
    # The link is spent
    assert stack("POST", "/public/confirmations", {"token": token})[0] == 409


def test_an_unknown_address_of_a_claimed_domain_joins_the_organisation_only_once_confirmed(stack):
    status, held = stack.submit({**QUESTION, "email": "mallory@acme.example"})
    assert status == 202 and "follow_url" not in held
    people = stack("GET", "/people?organisation_id=acme", user="maria.manager@caseway.example")[1]["items"]
    assert "mallory@acme.example" not in [p["email"] for p in people]
    token = stack.confirmation_token("mallory@acme.example")
    assert stack("POST", "/public/confirmations", {"token": token})[0] == 201
    people = stack("GET", "/people?organisation_id=acme", user="maria.manager@caseway.example")[1]["items"]
    assert "mallory@acme.example" in [p["email"] for p in people]


def test_the_refusal_of_files_links_the_signed_in_page_for_anyone_but_the_requester(stack):
    # Alice's confirmed web-form ticket has a follow link; Bob replies to its reference with a file we refuse
    stack.submit({**QUESTION, "email": "alice@acme.example"})
    status, opened = stack("POST", "/public/confirmations", {"token": stack.confirmation_token("alice@acme.example")})
    assert status == 201
    message = EmailMessage()
    message["From"], message["To"] = "bob@acme.example", "support@caseway.example"
    message["Subject"] = f"Re: [{opened['reference']}] the invoice"
    message.set_content("Here it is.")
    message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="x-msdownload", filename="invoice.exe")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=30) as smtp:
        smtp.send_message(message)
    refusal = stack.wait_mail("bob@acme.example", "were not accepted")
    key = key_of(opened["follow_url"])
    assert key not in refusal["body"] and "#key=" not in refusal["body"]
    assert "/app/tickets/CW-" in refusal["body"]


def test_a_follow_link_stops_when_the_ticket_closes_and_the_closer_gets_the_new_one(stack):
    status, created = stack.submit({**QUESTION, "email": "walk-in.one@example.org"})
    assert status == 201
    old = created["follow_url"]
    status, closed = stack("POST", old.replace("?key=", "/close?key="), {})
    assert status == 200 and closed["status"] == "closed" and closed["follow_url"] != old
    assert stack("GET", old)[0] == 404
    assert stack("GET", closed["follow_url"])[0] == 200
    rated = stack("POST", closed["follow_url"].replace("?key=", "/feedback?key="), {"rating": 5})
    assert rated[0] == 200


def test_a_deactivated_persons_follow_links_stop_and_the_web_form_opens_nothing_in_their_name(stack):
    status, created = stack.submit({**QUESTION, "email": "walk-in.two@example.org"})
    assert status == 201 and stack("GET", created["follow_url"])[0] == 200
    sub = stack("GET", created["follow_url"])[1]["requester"]["sub"]
    assert stack("POST", f"/people/{sub}/deactivate", user="maria.manager@caseway.example")[0] == 200
    assert stack("GET", created["follow_url"])[0] == 404
    reply = stack("POST", created["follow_url"].replace("?key=", "/messages?key="), {"body": "still me"})
    assert reply[0] == 404
    before = len(stack.mails("walk-in.two@example.org"))
    status, held = stack.submit({**QUESTION, "email": "walk-in.two@example.org"})
    assert status == 202 and "follow_url" not in held
    time.sleep(0.5)
    assert len(stack.mails("walk-in.two@example.org")) == before


def test_no_relay_and_a_proof_of_work_after_a_few_submissions(stack):
    # The "received" e-mail to a typed address names the request by its reference only
    spam = {**QUESTION, "subject": "Cheap pills at spam.example", "email": "victim@example.net"}
    status, created = stack.submit(spam)
    assert status == 201
    received = stack.wait_mail("victim@example.net", created["reference"])
    assert received["subject"] == f"[{created['reference']}] Request received: your request"
    assert "spam.example" not in received["body"] + (received.get("html") or "")
    # One address, many submissions in the hour: past the free ones each needs a solved challenge
    stack.challenges = 0
    for n in range(FREE_PER_HOUR + 1):
        assert stack.submit({**QUESTION, "email": "many@example.com", "subject": f"Question {n}"})[0] in (201, 202)
    assert stack.challenges >= 1
    status, refused = stack("POST", "/public/tickets", {**QUESTION, "email": "many@example.com"})
    assert status == 429 and refused["challenge"] and refused["bits"] == 8
    wrong = next(str(n) for n in range(1000) if proof_of_work.work_of(refused["challenge"], str(n)) < 8)
    bogus = {"challenge": refused["challenge"], "solution": wrong}
    assert stack("POST", "/public/tickets", {**QUESTION, "email": "many@example.com", "proof": bogus})[0] == 429
