"""Inbound e-mail over real SMTP: `caseway local` (as `make run` starts it) on free ports, e-mails sent to its SMTP
server with smtplib, the tickets read back over HTTP. The SMTP server stores each message in the emulated S3 and
calls the inbound function with SES's event, as the cloud's receipt rule does."""

# ruff: noqa: RUF001 (Russian text is Cyrillic on purpose)
from __future__ import annotations

import re
import smtplib
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.smtp import SmtpServer, local_verdicts
from infra.local.stack import free_port
from tests.channels.mailbox import ATTRIBUTED, CLIENTS, Thread, fixture, question, reply
from tests.conftest import ALICE, BOB, GUS, LENA, QUESTION
from tests.local.process import running_stack
from tests.local.test_scenario_local_stack import Http

SUPPORT = "support@caseway.example"

# Files a reply keeps besides the e-mail itself (message/rfc822, R12): name -> the first bytes stored.
FILES = {
    "apple_mail_reply.eml": {"error-page.png": b"\x89PNG"},
    "attachments_reply.eml": {"report.pdf": b"%PDF-1.4", "export červen.csv": "month;total\nčerven;1200\n".encode()},
}
# Every client's reply, the one with files, and an HTML-only one: (fixture, sender, the new text the ticket keeps).
SMTP_CLIENTS = [
    *CLIENTS,
    ("attachments_reply.eml", BOB, "The report and the exported file are attached."),
    (
        "html_only.eml",
        BOB,
        "Hello,\n\nthe totals in the invoice export are wrong by 21 % \u2013 see the report "
        "(https://acme.example/report/42).\n\nThank you\nPetra",
    ),
]
QUOTED = ("wrote", "napsal", "написал", "Odesláno", "Caseway Support", "Sent from", "> ")


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Http, int, list[str]]]:
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SMTP_PORT", str(port))
        env.delenv("CASEWAY_REPLY_SECRET", raising=False)  # the stack and this test sign with the same default
        with running_stack() as (url, lines):
            yield Http(url), port, lines


def send(port: int, raw: bytes, *, sender: str, to: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        refused = smtp.sendmail(sender, [to], raw)
    assert refused == {}


def open_ticket(http: Http) -> Thread:
    status, ticket = http("POST", "/tickets", QUESTION, token=http.token(BOB))
    assert status == 201, ticket
    reference = ticket["reference"]
    return Thread(ticket["id"], reference, stack_reply_address(http, reference), "<not-remembered@example>")


def stack_reply_address(http: Http, reference: str, timeout: float = 30.0) -> str:
    """The ticket's reply address as the stack signs it (with the key its own emulated stage generated), read from
    the first e-mail the desk sent about the ticket."""
    pattern = re.compile(rf"support\+{re.escape(reference)}\.[^@\s<>]+@[^\s<>]+", re.IGNORECASE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, box = http("GET", "/local/mailbox?format=json")
        assert status == 200, box
        for item in box["items"]:
            found = pattern.search(item["reply_to"] or "")
            if found:
                return found.group(0)
        time.sleep(0.3)
    raise AssertionError(f"the desk sent no e-mail with a reply address of {reference}")


def messages(http: Http, ticket_id: str) -> list[dict[str, Any]]:
    status, ticket = http("GET", f"/tickets/{ticket_id}", token=http.token(LENA))
    assert status == 200, ticket
    return [m for m in ticket["messages"] if m["author"]["role"] == "customer"]


def test_the_banner_names_the_smtp_server(stack) -> None:
    _, port, lines = stack
    assert any(f"smtp://127.0.0.1:{port}" in line for line in lines), lines


def test_replies_sent_over_smtp_land_in_their_ticket_once(stack) -> None:
    http, port, _ = stack
    thread = open_ticket(http)

    send(port, reply("gmail_reply.eml", thread, BOB), sender=BOB, to=thread.reply_address)
    send(port, reply("android_reply_ru.eml", thread, BOB), sender=BOB, to=thread.reply_address)
    send(port, reply("attachments_reply.eml", thread, BOB), sender=BOB, to=thread.reply_address)
    send(port, reply("autoreply.eml", thread, BOB), sender=BOB, to=thread.reply_address)
    send(port, reply("bounce.eml", thread, BOB), sender="", to=thread.reply_address)

    found = messages(http, thread.ticket_id)
    assert [m["body"] for m in found] == [
        "I use Firefox 133 on Windows 11. The export fails on the monthly report only.",
        "Спасибо, после очистки кэша экспорт работает.\n\nИван",
        "The report and the exported file are attached.",
    ]
    assert all(m["channel"] == "email" for m in found)
    names = {a["file_name"] for a in found[2]["attachments"]}
    assert {"report.pdf", "export červen.csv"} <= names and "fix.exe" not in names
    assert all(any(a["content_type"] == "message/rfc822" for a in m["attachments"]) for m in found)


def test_a_forged_reply_address_over_smtp_writes_nothing_into_that_ticket(stack) -> None:
    """Another organisation's customer who alters the signature (the subject's token is no key for them either)."""
    http, port, _ = stack
    thread = open_ticket(http)
    local, domain = thread.reply_address.split("@")
    forged = f"{local[:-2]}{'00' if local[-2:] != '00' else '11'}@{domain}"
    raw = reply("gmail_reply.eml", Thread(thread.ticket_id, thread.reference, forged), GUS)
    send(port, raw, sender=GUS, to=forged)
    assert messages(http, thread.ticket_id) == []


def test_a_new_sender_of_a_customers_domain_opens_a_ticket_as_a_contact_of_that_organisation(stack) -> None:
    http, port, _ = stack
    sender = "olga.smirnova@acme.example"
    send(port, fixture("new_koi8r.eml", sender=sender), sender=sender, to=SUPPORT)

    status, listed = http("GET", "/tickets?scope=organisation&limit=50", token=http.token(ALICE))
    assert status == 200, listed
    [mine] = [t for t in listed["items"] if t["subject"] == "Не могу войти в систему"]
    status, ticket = http("GET", f"/tickets/{mine['id']}", token=http.token(LENA))
    assert ticket["requester"]["email"] == sender and ticket["organisation_id"] == "acme"
    assert ticket["channel"] == "email" and ticket["description"].startswith("Здравствуйте!")


def test_the_local_server_takes_mail_for_the_desks_domain_only() -> None:
    """No relay: a recipient outside the desk's domain is refused at RCPT, before any message is stored."""
    server = SmtpServer(free_port()).start()
    try:
        with (
            smtplib.SMTP("127.0.0.1", server.port, timeout=30) as smtp,
            pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
        ):
            smtp.sendmail(BOB, ["someone@elsewhere.example"], b"Subject: relay?\r\n\r\nno\r\n")
        code, text = refused.value.recipients["someone@elsewhere.example"]
        assert code == 550 and b"caseway.example" in text
    finally:
        server.stop()


def test_a_local_message_may_carry_ses_verdicts_to_try_the_quarantine() -> None:
    raw = (
        b"From: a@b.example\r\nX-Local-SES-Verdicts: spam=FAIL, dkim=fail\r\nSubject: x\r\n\r\n"
        b"X-Local-SES-Verdicts: virus=FAIL\r\n"
    )
    assert local_verdicts(raw) == {"spam": "FAIL", "dkim": "FAIL"}  # the header block only, never the body
    assert local_verdicts(b"From: a@b.example\r\n\r\nhello\r\n") == {}


# --- every client's reply over SMTP, threaded by the notification the desk really sent ---------------------------


def notification_of(http: Http, thread: Thread, timeout: float = 30.0) -> dict[str, Any]:
    """The first e-mail the desk sent about this ticket (GET /local/mailbox): the one carrying its reply address."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, box = http("GET", "/local/mailbox?format=json")
        assert status == 200, box
        sent = [m for m in box["items"] if thread.reply_address in (m["reply_to"] or "")]
        if sent:
            return sent[0]
        time.sleep(0.3)
    raise AssertionError(f"the desk sent no e-mail with Reply-To {thread.reply_address}")


def notified_ticket(http: Http) -> Thread:
    """A new ticket, with SES's Message-ID of the desk's first e-mail about it as the id a reply answers."""
    opened = open_ticket(http)
    found = notification_of(http, opened)
    assert found["message_id"].endswith(".amazonses.com>"), found
    return Thread(opened.ticket_id, opened.reference, opened.reply_address, found["message_id"])


def downloaded(http: Http, ticket_id: str, attachment_id: str) -> bytes:
    status, link = http("GET", f"/tickets/{ticket_id}/attachments/{attachment_id}", token=http.token(LENA))
    assert status == 200, link
    with urllib.request.urlopen(link["url"], timeout=30) as response:
        return response.read()


@pytest.mark.parametrize(
    ("name", "sender", "expected"), SMTP_CLIENTS, ids=[c[0].removesuffix(".eml") for c in SMTP_CLIENTS]
)
def test_each_clients_reply_over_smtp_lands_once_with_only_its_new_text_and_files(
    stack, name, sender, expected
) -> None:
    http, port, _ = stack
    thread = notified_ticket(http)
    raw = reply(name, thread, sender)

    send(port, raw, sender=sender, to=thread.reply_address)

    [message] = messages(http, thread.ticket_id)
    assert message["body"] == expected
    assert message["channel"] == "email" and message["author"]["email"] == sender
    for quoted in QUOTED:
        assert quoted not in message["body"]
    files = {a["file_name"]: a for a in message["attachments"] if a["content_type"] != "message/rfc822"}
    assert set(files) == set(FILES.get(name, {}))
    for file_name, start in FILES.get(name, {}).items():
        assert downloaded(http, thread.ticket_id, files[file_name]["attachment_id"]).startswith(start)
    [record] = [a for a in message["attachments"] if a["content_type"] == "message/rfc822"]
    sent = raw if raw.endswith(b"\r\n") else raw + b"\r\n"  # SMTP's DATA ends with a line end
    assert downloaded(http, thread.ticket_id, record["attachment_id"]).endswith(sent)  # the e-mail as received


def test_a_reply_without_reply_address_or_subject_token_threads_by_the_notifications_message_id(stack) -> None:
    """Thunderbird to support@: only In-Reply-To/References name the ticket, with the Message-ID SES gave the
    desk's notification (the one GET /local/mailbox shows). An id the desk never sent threads nowhere."""
    http, port, _ = stack
    thread = notified_ticket(http)
    raw = reply("thunderbird_reply_cs.eml", thread, BOB)
    assert thread.reply_address.encode() not in raw and thread.reference.encode() not in raw
    assert f"In-Reply-To: {thread.notification_id}".encode() in raw

    send(port, raw, sender=BOB, to=SUPPORT)

    [message] = messages(http, thread.ticket_id)
    assert message["body"] == dict((c[0], c[2]) for c in CLIENTS)["thunderbird_reply_cs.eml"]

    other = notified_ticket(http)
    unknown = Thread(other.ticket_id, other.reference, other.reply_address, "<never-sent-by-the-desk@example>")
    send(port, reply("thunderbird_reply_cs.eml", unknown, BOB), sender=BOB, to=SUPPORT)
    assert messages(http, other.ticket_id) == []


# --- who wrote: a forged From over SMTP (the local server writes SES's verdicts from X-Local-SES-Verdicts) ------

FORGED = b"X-Local-SES-Verdicts: dmarc=GRAY, dkim-domain=evil.example\r\n"  # someone else's server, no DMARC at Acme


def test_over_smtp_a_forged_from_of_the_requester_does_not_thread_by_subject_token(stack) -> None:
    http, port, _ = stack
    thread = open_ticket(http)  # Bob's
    raw = FORGED + question(BOB, subject=f"Re: [{thread.reference}] hi", message_id="forged-smtp-1@evil.example")

    send(port, raw, sender="mallory@evil.example", to=SUPPORT)

    assert messages(http, thread.ticket_id) == []


def test_over_smtp_a_colleagues_reply_to_the_reply_address_is_written_as_herself(stack) -> None:
    """Mallory, a contact of Acme (her first e-mail made her one), answers Bob's notification: her own name."""
    http, port, _ = stack
    thread = open_ticket(http)
    mallory = "mallory@acme.example"
    send(port, question(mallory, message_id="mallory-first@acme.example"), sender=mallory, to=SUPPORT)

    send(port, reply("gmail_reply.eml", thread, mallory), sender=mallory, to=thread.reply_address)

    [message] = messages(http, thread.ticket_id)
    assert message["author"]["email"] == mallory and message["author"]["sub"].startswith("contact-")


def test_over_smtp_a_stolen_reply_address_with_a_forged_from_is_an_unverified_sender(stack) -> None:
    http, port, _ = stack
    thread = open_ticket(http)

    send(port, FORGED + reply("gmail_reply.eml", thread, BOB), sender="x@evil.example", to=thread.reply_address)

    [message] = messages(http, thread.ticket_id)
    assert message["author"] == {"sub": f"email:{BOB}", "role": "customer", "email": BOB}


def test_over_smtp_the_same_reply_sent_twice_is_one_message(stack) -> None:
    """Finding: a reply sent over SMTP twice with one Message-ID gave two messages (SES gives each its own id)."""
    http, port, _ = stack
    thread = open_ticket(http)
    raw = reply("yahoo_reply.eml", thread, BOB)

    send(port, raw, sender=BOB, to=thread.reply_address)
    send(port, raw, sender=BOB, to=thread.reply_address)
    send(port, raw, sender=BOB, to=SUPPORT)

    assert [m["body"] for m in messages(http, thread.ticket_id)] == [
        dict((c[0], c[2]) for c in CLIENTS)["yahoo_reply.eml"]
    ]


@pytest.mark.parametrize("name", ["android_reply_ru_wrapped.eml", "thunderbird_reply_en_below.eml"])
def test_over_smtp_attribution_lines_go_with_the_quote(stack, name) -> None:
    http, port, _ = stack
    thread = open_ticket(http)
    send(port, reply(name, thread, BOB), sender=BOB, to=thread.reply_address)
    [message] = messages(http, thread.ticket_id)
    assert message["body"] == dict(ATTRIBUTED)[name]
