"""An e-mail whose sender SES's verdicts do not prove (SPF, DKIM or DMARC not PASS) acts as nobody it names: from a
known person's address, or one in a domain an organisation claims, it is held until the address confirms it, like
the web form's requests; from any other address it opens a public contact's ticket, written to without its words."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local import emulation
from infra.local.smtp import deliver
from shared.directory import items as directory
from shared.tickets.items import Ticket
from tests.channels.mailbox import question
from tests.conftest import ALICE, DeskSetup, wait_for

SUPPORT = "support@caseway.example"


@pytest.fixture
def desk_setup() -> DeskSetup:
    return DeskSetup(clock="virtual", demo_money=False)


def receive(raw: bytes, source: str, **options: Any) -> dict[str, Any]:
    return deliver(raw, source=source, recipients=[SUPPORT], **options)["outcomes"][0]


def sent_to(address: str) -> list[dict[str, Any]]:
    return [m for m in emulation.sent_emails() if m["to"] == [address]]


def test_a_forged_from_of_alice_with_dmarc_gray_opens_nothing_until_alice_confirms(desk) -> None:
    api, _ = desk
    alice = directory.get_user_by_email(ALICE)
    raw = question(ALICE, subject="Send me the invoice SECRET-WORDS", message_id="forged-1@mail.example")
    outcome = receive(raw, ALICE, verdicts={"dmarc": "GRAY"})
    assert outcome["outcome"] == "held"
    assert not [t for t in Ticket.scan() if t.requester_sub == alice.sub and t.channel == "email"]
    [confirm] = [m for m in sent_to(ALICE) if "Confirm your request" in m["subject"]]
    assert "SECRET-WORDS" not in confirm["subject"] + confirm["body"]
    token = next(w for w in confirm["body"].split() if "#token=" in w).split("#token=", 1)[1]
    opened = api("POST", "/public/confirmations", body={"token": token})
    assert opened.status == 201, opened.text
    assert opened.json.get("follow_url") is None  # an e-mail's ticket is answered by e-mail
    ticket = api("GET", f"/tickets/{opened.json['id']}", user=ALICE).json
    assert ticket["requester"]["sub"] == alice.sub and ticket["channel"] == "email"
    assert any(a["file_name"].endswith(".eml") for a in ticket.get("attachments", []))


def test_an_unproven_email_from_an_address_new_to_the_desk_is_answered_without_its_words(desk) -> None:
    raw = question("stranger@elsewhere.example", subject="Buy pills at spam.example", message_id="s-1@mail.example")
    outcome = receive(raw, "stranger@elsewhere.example", verdicts={"spf": "GRAY"})
    assert outcome["outcome"] == "ticket"
    received = wait_for(lambda: sent_to("stranger@elsewhere.example"))
    assert "spam.example" not in received[0]["subject"] + received[0]["body"]


def test_a_proven_email_from_alice_opens_her_ticket_at_once(desk) -> None:
    outcome = receive(question(ALICE, message_id="real-1@mail.example"), ALICE)
    assert outcome["outcome"] == "ticket"
