"""Issue 15, outbound e-mail: every notification to the customer is threaded (In-Reply-To and References naming the
ticket's signed thread root; the Message-ID SES gave each e-mail is remembered for replies), carries the ticket's
signed reply address as Reply-To,
`[CW-n]` in the subject, a text and an HTML part, a link to the ticket's page in the portal, and dates in the
reader's time zone with the zone named."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from infra.local import emulation as aws_emulation
from shared.platform import config, mail, words
from shared.tickets import mailthread
from shared.tickets.conversation import PORTAL_TICKET_PATH
from tests.conftest import BOB, LENA, QUESTION, wait_for

JANA = "jana@novak.example"  # the demo's Czech organisation, Europe/Prague


def mails_about(address: str, reference: str, count: int) -> list[dict]:
    def found() -> list[dict] | None:
        mails = [m for m in aws_emulation.sent_emails() if m["to"] == [address] and f"[{reference}]" in m["subject"]]
        return mails if len(mails) >= count else None

    return wait_for(found, what=f"{count} e-mails about {reference}")


def link_in(sent: dict) -> str:
    return next(line.split(": ", 1)[1] for line in sent["body"].splitlines() if line.startswith("Follow and reply: "))


def reply_as_lena(api, ticket_id: str, text: str) -> None:
    assert api("POST", f"/tickets/{ticket_id}/messages", user=LENA, body={"body": text}).status == 201


@pytest.fixture
def asked(desk):
    """Bob's question, its confirmation e-mail and Lena's reply e-mail."""
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    mails_about(BOB, ticket["reference"], 1)
    reply_as_lena(api, ticket["id"], "Please try the export again <b>now</b> & tell us.")
    first, second = mails_about(BOB, ticket["reference"], 2)
    return api, ticket, first, second


def test_a_second_notification_threads_on_the_message_id_ses_gave_the_first(asked):
    api, ticket, first, second = asked
    # The Message-ID is SES's own, built from the MessageId SendRawEmail returned (SES replaces the sender's)
    assert first["message_id"] == f"<{first['id']}@email.amazonses.com>"
    assert first["headers"]["Message-ID"] == first["message_id"]
    # and it is the one remembered for the ticket: a reply naming it finds the ticket
    assert mailthread.ticket_of_message_ids([first["message_id"]]) == ticket["id"]
    assert mailthread.ticket_of_message_ids([second["message_id"]]) == ticket["id"]
    # Each names the ticket's thread root (signed like the reply address) in In-Reply-To and References: one
    # thread in the mail client, and no read of the e-mails sent before
    root = mailthread.thread_id(ticket["reference"])
    assert mailthread.reference_of_thread_id(root) == ticket["reference"]
    reply_as_lena(api, ticket["id"], "One more thing.")
    third = mails_about(BOB, ticket["reference"], 3)[2]
    for sent in (first, second, third):
        assert sent["in_reply_to"] == root and sent["references"] == [root]
        assert sent["headers"]["In-Reply-To"] == root and sent["headers"]["References"] == root
    assert len({first["message_id"], second["message_id"], third["message_id"]}) == 3
    # another ticket's e-mails name another root; a root with a forged signature names none
    assert mailthread.thread_id("CW-9999") != root
    assert mailthread.reference_of_thread_id(root.replace(root.split(".")[1][:4], "0000")) is None
    # None of them leaves the desk as a normal person's mail: auto-responders stay quiet
    assert {m["headers"]["Auto-Submitted"] for m in (first, second, third)} == {"auto-generated"}


def test_reply_to_is_the_tickets_signed_reply_address(asked):
    _, ticket, first, second = asked
    for sent in (first, second):
        assert mailthread.reference_of_reply_address(sent["reply_to"]) == ticket["reference"]
        assert sent["reply_to"].endswith("@" + config.get(config.REPLY_DOMAIN))
    # an address altered to name another ticket does not verify
    other = re.sub(r"CW-\d+", "CW-9999", first["reply_to"])
    assert other != first["reply_to"]
    assert mailthread.reference_of_reply_address(other) is None


def test_subject_text_and_html_say_the_same_and_html_is_escaped(asked):
    _, ticket, _, second = asked
    assert second["subject"] == f"[{ticket['reference']}] New reply: {QUESTION['subject']}"
    assert "Please try the export again <b>now</b> & tell us." in second["body"]
    page = second["html"]
    assert "Please try the export again &lt;b&gt;now&lt;/b&gt; &amp; tell us." in page
    assert "<b>" not in page and "<script" not in page.lower()
    assert f"{ticket['reference']}: {QUESTION['subject']}" in page
    assert "You can also answer by replying to this e-mail" in second["body"]


def test_the_link_opens_the_tickets_portal_page(asked):
    api, ticket, first, second = asked
    for sent in (first, second):
        link = link_in(sent)
        assert link == config.get(config.SITE_URL).rstrip("/") + PORTAL_TICKET_PATH + ticket["reference"]
        assert f'href="{link}"' in sent["html"]
    # the page's path is the portal's ticket page, and what it shows (the API it calls) is Bob's ticket
    reference = urlsplit(link).path.removeprefix(PORTAL_TICKET_PATH)
    seen = api("GET", f"/tickets/{reference}", user=BOB)
    assert seen.status == 200 and seen.json["id"] == ticket["id"]


def test_a_web_form_senders_link_carries_the_follow_key_that_opens_the_ticket(desk):
    api, _ = desk
    sender = "pat@example.net"
    created = api("POST", "/public/tickets", body={**QUESTION, "email": sender, "name": "Pat"}).json
    received = mails_about(sender, created["reference"], 1)[0]
    link = link_in(received)
    parts = urlsplit(link)
    assert parts.path == PORTAL_TICKET_PATH + created["id"]
    key = parts.fragment.removeprefix("key=")
    assert api("GET", f"/public/tickets/{created['id']}?key={key}").status == 200
    assert api("GET", f"/public/tickets/{created['id']}?key=not-{key}").status in (403, 404)


def test_dates_are_in_the_readers_zone_with_the_zone_named(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=JANA, body=QUESTION).json
    mails_about(JANA, ticket["reference"], 1)

    def with_next_step() -> dict | None:
        seen = api("GET", f"/tickets/{ticket['id']}", user=JANA).json
        return seen if seen.get("next_step_at") else None

    next_step_at = wait_for(with_next_step, what="the route's next-step date")["next_step_at"]
    reply_as_lena(api, ticket["id"], "Zkuste to prosím znovu.")
    sent = mails_about(JANA, ticket["reference"], 2)[1]
    at = datetime.fromisoformat(next_step_at.replace("Z", "+00:00"))
    shown = words.moment(at, "cs", "Europe/Prague")
    assert shown.endswith("(Europe/Prague)")
    # Prague's hour, not UTC's: 23 November is winter time, one hour ahead
    assert f"{(at.hour + 1) % 24}:{at.minute:02d}" in shown
    assert f"Další krok nejpozději: {shown}\n" in sent["body"]
    assert f"<td>{shown}</td>" in sent["html"]
    # in the organisation's language, the HTML part too
    assert sent["subject"] == f"[{ticket['reference']}] Nová odpověď: {QUESTION['subject']}"
    assert '<html lang="cs">' in sent["html"] and "Otevřít požadavek</a>" in sent["html"]


def test_the_raw_message_has_both_parts_and_threading_headers():
    built = mail.build_message(
        mail.Mail(
            to="bob@acme.example",
            subject="[CW-1] A\nsubject",
            text="Plain",
            html="<p>Rich</p>",
            reply_to="support+CW-1.0123456789abcdef@caseway.example",
            in_reply_to="<b@email.amazonses.com>",
            references=[f"<{n}@email.amazonses.com>" for n in range(30)],
        ),
        "support@caseway.example",
    )
    assert built.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in built.iter_parts()] == ["text/plain", "text/html"]
    assert built["Subject"] == "[CW-1] A subject"  # one line
    assert built["Date"].datetime.tzinfo is not None
    kept = str(built["References"]).split()
    assert len(kept) == mail.REFERENCES_KEPT  # the root and the newest
    assert kept[0] == "<0@email.amazonses.com>" and kept[-1] == "<29@email.amazonses.com>"


def test_ses_message_id_names_the_region():
    assert mail.ses_message_id("0100abc", "eu-west-1") == "<0100abc@eu-west-1.amazonses.com>"
    assert mail.ses_message_id("0100abc", "us-east-1") == "<0100abc@email.amazonses.com>"
