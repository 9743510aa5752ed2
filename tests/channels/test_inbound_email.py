"""Inbound e-mail, in process: each fixture goes through the inbound function's handler with SES's event (as the
local SMTP server and SES deliver it: infra/local/smtp.py `deliver`), then the ticket is read through the API.

Replies as Gmail, Outlook (Czech, windows-1250), Apple Mail (inline image), Thunderbird (Czech, iso-8859-2, threaded
by References only), Yahoo, the Gmail app on Android (Russian, windows-1251) and iPhone Mail send them; HTML-only
and koi8-r new mail; attachments within and beyond the API's limits; and the bad mail: forged reply addresses,
guessed subject tokens, bounces, auto-replies, list mail, SES delivering twice, failed verdicts, too much mail."""

# ruff: noqa: RUF001 (Russian text is Cyrillic on purpose)
from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from infra.local import emulation
from infra.local.smtp import deliver
from shared.channels.items import INBOUND_SK, InboundMail, inbound_pk
from shared.platform import aws, config
from shared.tickets import items as ticket_items
from shared.tickets import mailthread
from tests.channels.mailbox import ATTRIBUTED, CLIENTS, fixture, question, reply, thread_of
from tests.conftest import ALICE, BOB, GUS, LENA, MARIA, QUESTION, DeskSetup, wait_for

SUPPORT = "support@caseway.example"


@pytest.fixture
def desk_setup() -> DeskSetup:
    return DeskSetup(clock="virtual", demo_money=False)


def open_ticket(api: Any, user: str = BOB) -> dict[str, Any]:
    created = api("POST", "/tickets", user=user, body=QUESTION)
    assert created.status == 201, created.text
    return created.json


def staff_view(api: Any, ticket_id: str) -> dict[str, Any]:
    found = api("GET", f"/tickets/{ticket_id}", user=LENA)
    assert found.status == 200, found.text
    return found.json


def customer_messages(api: Any, ticket_id: str) -> list[dict[str, Any]]:
    return [m for m in staff_view(api, ticket_id)["messages"] if m["author"]["role"] == "customer"]


def receive(raw: bytes, *, source: str = BOB, recipients: list[str] | None = None, **options: Any) -> dict[str, Any]:
    result = deliver(raw, source=source, recipients=recipients or [SUPPORT], **options)
    assert len(result["outcomes"]) == 1
    return result["outcomes"][0]


def tickets_of(sender: str) -> list[dict[str, Any]]:
    """Every ticket in the table whose requester has this address (the API lists a customer's own tickets only)."""
    table = aws.client("dynamodb")
    found = table.scan(
        TableName=config.get(config.TABLE_NAME),
        FilterExpression="kind = :k AND requester_email = :e",
        ExpressionAttributeValues={":k": {"S": "ticket"}, ":e": {"S": sender}},
    )["Items"]
    return [{"id": i["pk"]["S"].removeprefix("TICKET#"), "reference": i["reference"]["S"]} for i in found]


def stored(key: str) -> bytes:
    return aws.client("s3").get_object(Bucket=config.get(config.ATTACHMENTS_BUCKET), Key=key)["Body"].read()


# --- replies as real clients send them (tests/channels/mailbox.py CLIENTS) -------------------------------------


@pytest.mark.parametrize(("name", "sender", "expected"), CLIENTS, ids=[c[0].removesuffix(".eml") for c in CLIENTS])
def test_a_reply_lands_once_in_its_ticket_with_only_the_new_text(desk, name, sender, expected) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    raw = reply(name, thread, sender)

    outcome = receive(raw, source=sender, recipients=[thread.reply_address])

    assert outcome["outcome"] == "message" and outcome["reference"] == thread.reference
    [message] = customer_messages(api, thread.ticket_id)
    assert message["body"] == expected
    assert message["channel"] == "email" and message["author"]["email"] == sender
    for quoted in ("wrote", "napsal", "Odesláno", "Caseway Support", "Sent from", "> "):
        assert quoted not in message["body"]
    record = next(a for a in message["attachments"] if a["content_type"] == "message/rfc822")
    assert record["file_name"].endswith(".eml")
    assert stored(record["s3_key"]).endswith(raw)  # the e-mail as received (SES's Return-Path line before it)


def test_apple_mails_inline_image_is_stored_as_an_attachment(desk) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    receive(reply("apple_mail_reply.eml", thread, BOB), recipients=[thread.reply_address])
    [message] = customer_messages(api, thread.ticket_id)
    [image] = [a for a in message["attachments"] if a["content_type"] == "image/png"]
    assert image["file_name"] == "error-page.png"
    assert stored(image["s3_key"]).startswith(b"\x89PNG")


def test_thunderbird_threads_by_references_alone(desk) -> None:
    """To: support@ (no reply address): the notification's Message-ID in References finds the ticket."""
    api, _ = desk
    thread = thread_of(open_ticket(api))
    outcome = receive(reply("thunderbird_reply_cs.eml", thread, BOB), recipients=[SUPPORT])
    assert outcome["outcome"] == "message" and outcome["ticket_id"] == thread.ticket_id


def test_a_reply_naming_only_the_thread_root_finds_the_ticket(desk) -> None:
    """To: support@, no ticket in the subject, and no Message-ID of ours remembered: the thread root every
    notification names in References finds the ticket. The same root with a forged signature finds none, and the
    e-mail opens a new ticket."""
    api, _ = desk
    ticket = open_ticket(api)
    root = mailthread.thread_id(ticket["reference"])
    forged = root.replace(f".{mailthread.signature(ticket['reference'], mailthread.THREAD)}@", ".1.0123456789abcdef@")

    def answer(references: str) -> bytes:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = BOB, SUPPORT, "Re: the export"
        mail["In-Reply-To"] = "<never-remembered@eu-central-1.amazonses.com>"
        mail["References"] = f"{references} <never-remembered@eu-central-1.amazonses.com>"
        mail.set_content("It works again, thank you.")
        return mail.as_bytes()

    outcome = receive(answer(root))
    assert outcome["outcome"] == "message" and outcome["ticket_id"] == ticket["id"]
    [message] = customer_messages(api, ticket["id"])
    assert message["body"] == "It works again, thank you."

    outcome = receive(answer(forged))
    assert outcome["ticket_id"] != ticket["id"]
    assert len(customer_messages(api, ticket["id"])) == 1


def test_attachments_within_the_limits_are_stored_and_the_sender_learns_of_the_rest(desk) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    outcome = receive(reply("attachments_reply.eml", thread, BOB), recipients=[thread.reply_address])

    [message] = customer_messages(api, thread.ticket_id)
    assert message["body"] == "The report and the exported file are attached."
    files = {a["file_name"]: a for a in message["attachments"]}
    assert files["report.pdf"]["content_type"] == "application/pdf"
    assert stored(files["report.pdf"]["s3_key"]).startswith(b"%PDF-1.4")
    assert stored(files["export červen.csv"]["s3_key"]) == "month;total\nčerven;1200\n".encode()
    assert "fix.exe" not in files
    assert [r.split(":")[0] for r in outcome["refused_files"]] == ["fix.exe"]
    [told] = [m for m in emulation.sent_emails() if m["to"] == [BOB] and "not accepted" in (m["subject"] or "")]
    assert "fix.exe" in told["body"] and "application/x-msdownload" in told["body"] and thread.reference in told["body"]


def test_a_file_over_the_size_limit_is_refused_and_the_sender_told(desk) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = BOB, thread.reply_address, f"Re: [{thread.reference}] logs"
    mail.set_content("The full log is attached.")
    mail.add_attachment(b"%PDF" + bytes(11 * 1024 * 1024), maintype="application", subtype="pdf", filename="big.pdf")

    outcome = receive(mail.as_bytes(), recipients=[thread.reply_address])

    assert outcome["outcome"] == "message"
    assert outcome["refused_files"][0].startswith("big.pdf: Files can be at most 10 MB")
    [message] = customer_messages(api, thread.ticket_id)
    assert [a["content_type"] for a in message["attachments"]] == ["message/rfc822"]
    assert any("big.pdf" in (m["body"] or "") for m in emulation.sent_emails() if m["to"] == [BOB])


# --- new tickets ----------------------------------------------------------------------------------------------------


def test_html_only_mail_becomes_safe_text(desk) -> None:
    api, _ = desk
    outcome = receive(fixture("html_only.eml", sender="petra@novak.example"), source="petra@novak.example")
    assert outcome["outcome"] == "ticket"
    ticket = staff_view(api, outcome["ticket_id"])
    assert ticket["subject"] == "Invoice export \u2013 totals are wrong"
    text = ticket["description"]
    assert (
        "the totals in the invoice export are wrong by 21 % \u2013 see the report (https://acme.example/report/42)"
        in text
    )
    assert "Thank you\nPetra" in text
    for unsafe in ("<", "alert", "color:red", "steal", "tracker.example"):
        assert unsafe not in text
    assert ticket["channel"] == "email" and ticket["service"] == "functionality-question"


def test_russian_koi8r_mail_from_an_unknown_sender_of_a_customers_domain_joins_that_organisation(desk) -> None:
    api, _ = desk
    sender = "olga.smirnova@acme.example"
    outcome = receive(fixture("new_koi8r.eml", sender=sender), source=sender)

    ticket = staff_view(api, outcome["ticket_id"])
    assert ticket["subject"] == "Не могу войти в систему"
    assert ticket["description"].startswith("Здравствуйте!\n\nНе могу войти в систему: после ввода пароля")
    assert ticket["organisation_id"] == "acme" and ticket["requester"]["email"] == sender
    assert ticket["fields"]["contact"] == sender and ticket["fields"]["problem"].startswith("Здравствуйте!")
    contact = api("GET", f"/people/{ticket['requester']['sub']}", user=MARIA)
    assert contact.status == 200, contact.text
    assert contact.json["organisation_id"] == "acme" and contact.json["role"] == "customer"


def test_a_sender_of_no_customers_domain_becomes_a_public_contact_in_the_mails_language(desk) -> None:
    api, _ = desk
    raw = question("someone@elsewhere.example").replace(b"MIME-Version", b"Content-Language: cs-CZ\r\nMIME-Version")
    outcome = receive(raw, source="someone@elsewhere.example")
    assert staff_view(api, outcome["ticket_id"])["organisation_id"] == "public"
    ticket = ticket_items.get_ticket(outcome["ticket_id"])
    assert ticket is not None and ticket.language == "cs"  # the desk writes to them in Czech


def test_the_receiving_address_chooses_the_service(desk, monkeypatch: pytest.MonkeyPatch) -> None:
    api, _ = desk
    monkeypatch.setenv(config.INBOUND_SERVICES, "support=functionality-question,documents=document-request")
    raw = question(ALICE, to="documents@caseway.example", subject="Copy of the October invoice")
    outcome = receive(raw, source=ALICE, recipients=["documents@caseway.example"])
    ticket = staff_view(api, outcome["ticket_id"])
    assert ticket["service"] == "document-request"
    assert ticket["fields"]["document_type"] == "Copy of the October invoice"


# --- threading that must not be fooled -----------------------------------------------------------------------------


def _altered(address: str) -> str:
    local, domain = address.split("@")
    return f"{local[:-1]}{'0' if local[-1] != '0' else '1'}@{domain}"


@pytest.mark.parametrize("forgery", ["altered signature", "another ticket's signature", "no signature"])
def test_a_forged_reply_address_writes_nothing_into_that_ticket(desk, forgery) -> None:
    api, _ = desk
    target = thread_of(open_ticket(api))
    mine = open_ticket(api, user=GUS)
    signature = mailthread.signature(mine["reference"])
    forged = {
        "altered signature": _altered(target.reply_address),
        "another ticket's signature": f"support+{target.reference}.{signature}@caseway.example",
        "no signature": f"support+{target.reference}@caseway.example",
    }[forgery]
    raw = question(GUS, to=forged, subject=f"Re: [{target.reference}] hello", message_id="forged@globex.example")

    outcome = receive(raw, source=GUS, recipients=[forged])

    assert customer_messages(api, target.ticket_id) == []
    assert outcome["outcome"] == "ticket" and outcome["ticket_id"] not in (target.ticket_id, mine["id"])
    assert staff_view(api, outcome["ticket_id"])["organisation_id"] == "globex"


def test_a_subject_token_threads_only_for_the_requesters_organisation(desk) -> None:
    api, _ = desk
    target = open_ticket(api)
    token = f"Re: [{target['reference']}] New reply"

    stranger = receive(question(GUS, subject=token, message_id="t-1@globex.example"), source=GUS)
    colleague = receive(
        question(ALICE, subject=token, message_id="t-2@acme.example", body="Adding a detail."), source=ALICE
    )

    assert stranger["outcome"] == "ticket" and stranger["ticket_id"] != target["id"]
    assert colleague["outcome"] == "message" and colleague["ticket_id"] == target["id"]
    [message] = customer_messages(api, target["id"])
    assert message["body"] == "Adding a detail." and message["author"]["email"] == ALICE


# --- machines, repeats, verdicts, floods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "source", "reason"),
    [
        ("bounce.eml", "", "Auto-Submitted: auto-replied"),
        ("autoreply.eml", BOB, "Auto-Submitted: auto-replied"),
        ("list_mail.eml", "bounces+list@lists.example", "Precedence: list"),
    ],
)
def test_bounces_auto_replies_and_list_mail_make_nothing(desk, name, source, reason) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    sent_before = len(emulation.sent_emails())
    raw = reply(name, thread, BOB)

    outcome = receive(raw, source=source, recipients=[thread.reply_address])

    assert outcome == {"outcome": "ignored", "reason": reason}
    assert customer_messages(api, thread.ticket_id) == []
    assert len(emulation.sent_emails()) == sent_before  # no auto-reply to a machine: no loop
    assert tickets_of("mailer-daemon@mx.acme.example") == [] and tickets_of("news@lists.example") == []


def test_a_bounce_without_auto_headers_is_known_by_its_empty_return_path(desk) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    raw = b"Return-Path: <>\r\n" + reply("gmail_reply.eml", thread, "nobody@acme.example").split(b"\r\n", 1)[1]
    outcome = receive(raw, source="", recipients=[thread.reply_address])
    assert outcome == {"outcome": "ignored", "reason": "empty Return-Path (a bounce)"}
    assert customer_messages(api, thread.ticket_id) == []


def test_the_same_message_delivered_twice_makes_one_message(desk) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    raw = reply("gmail_reply.eml", thread, BOB)

    first = receive(raw, recipients=[thread.reply_address], message_id="ses-twice-1")
    second = receive(raw, recipients=[thread.reply_address], message_id="ses-twice-1")

    assert first["outcome"] == "message"
    assert second == {
        "outcome": "duplicate",
        "reason": "message",
        "ticket_id": thread.ticket_id,
        "reference": thread.reference,
    }
    assert len(customer_messages(api, thread.ticket_id)) == 1


def test_a_new_ticket_by_mail_delivered_twice_is_one_ticket(desk) -> None:
    receive(question("twice@elsewhere.example"), source="twice@elsewhere.example", message_id="ses-twice-2")
    receive(question("twice@elsewhere.example"), source="twice@elsewhere.example", message_id="ses-twice-2")
    assert len(tickets_of("twice@elsewhere.example")) == 1


def test_a_reply_to_a_closed_ticket_opens_a_new_ticket_linked_to_it(desk) -> None:
    api, _ = desk
    closed = open_ticket(api)
    assert api("POST", f"/tickets/{closed['id']}/close", user=BOB, body={}).status == 200
    thread = thread_of(closed)

    outcome = receive(reply("gmail_reply.eml", thread, BOB), recipients=[thread.reply_address])

    assert outcome["outcome"] == "ticket" and outcome["ticket_id"] != closed["id"]
    new = staff_view(api, outcome["ticket_id"])
    assert new["description"].startswith(f"Follows up {closed['reference']} (closed)")
    assert "I use Firefox 133" in new["description"] and "wrote:" not in new["description"]
    assert new["service"] == closed["service"] and new["requester"]["sub"] == closed["requester"]["sub"]
    assert any(e["type"] == "TicketLinked" and e["data"].get("follows") == closed["reference"] for e in new["history"])
    old = staff_view(api, closed["id"])
    assert any(e["data"].get("followed_by") == new["reference"] for e in old["history"] if e["type"] == "TicketLinked")
    assert customer_messages(api, closed["id"]) == []


@pytest.mark.parametrize("verdict", ["spam", "virus", "spf", "dkim", "dmarc"])
def test_a_failed_verdict_is_quarantined_and_a_manager_releases_it(desk, verdict) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    outcome = receive(
        reply("gmail_reply.eml", thread, BOB),
        recipients=[thread.reply_address],
        verdicts={verdict: "FAIL"},
        message_id=f"ses-q-{verdict}",
    )
    assert outcome == {"outcome": "quarantined", "reason": f"{verdict} FAIL"}
    assert customer_messages(api, thread.ticket_id) == []

    assert api("GET", "/mail/quarantine", user=LENA).status == 403
    [held] = api("GET", "/mail/quarantine", user=MARIA).json["items"]
    assert held["id"] == f"ses-q-{verdict}" and held["sender"] == BOB and held["failed_verdicts"] == {verdict: "FAIL"}

    released = api("POST", f"/mail/quarantine/{held['id']}/release", user=MARIA)
    assert released.status == 200, released.text
    assert released.json["outcome"] == "message" and released.json["ticket_id"] == thread.ticket_id
    assert len(customer_messages(api, thread.ticket_id)) == 1
    assert api("GET", "/mail/quarantine", user=MARIA).json["items"] == []
    assert api("POST", f"/mail/quarantine/{held['id']}/release", user=MARIA).status == 404


def test_a_manager_deletes_a_quarantined_mail_with_its_stored_message(desk) -> None:
    api, _ = desk
    receive(
        question("spammer@elsewhere.example"),
        source="spammer@elsewhere.example",
        verdicts={"spam": "FAIL"},
        message_id="ses-spam-1",
    )
    assert api("DELETE", "/mail/quarantine/ses-spam-1", user=MARIA).status == 204
    assert api("GET", "/mail/quarantine", user=MARIA).json["items"] == []
    with pytest.raises(aws.client("s3").exceptions.NoSuchKey):
        aws.client("s3").get_object(Bucket=config.get(config.INBOUND_BUCKET), Key="inbound/ses-spam-1")
    assert InboundMail.get(inbound_pk("ses-spam-1"), INBOUND_SK).outcome == "deleted"
    assert tickets_of("spammer@elsewhere.example") == []


def test_a_gray_verdict_is_not_a_failure(desk) -> None:
    outcome = receive(
        question("gray@elsewhere.example"),
        source="gray@elsewhere.example",
        verdicts={"spam": "GRAY", "dmarc": "PROCESSING_FAILED"},
    )
    assert outcome["outcome"] == "ticket"


def test_a_sender_over_the_hourly_limit_is_refused(desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.INBOUND_RATE_PER_HOUR, "2")
    sender = "flood@elsewhere.example"
    outcomes = [receive(question(sender, message_id=f"f-{n}@x"), source=sender)["outcome"] for n in range(3)]
    assert outcomes == ["ticket", "ticket", "refused"]
    assert len(tickets_of(sender)) == 2


def test_staff_addresses_do_not_open_tickets_by_mail(desk) -> None:
    outcome = receive(question(LENA), source=LENA)
    assert outcome["outcome"] == "refused" and tickets_of(LENA) == []


def test_the_route_starts_on_a_ticket_opened_by_mail(desk) -> None:
    api, _ = desk
    outcome = receive(question("route@elsewhere.example"), source="route@elsewhere.example")
    wait_for(
        lambda: any(m["author"]["role"] == "system" for m in staff_view(api, outcome["ticket_id"])["messages"]),
        what="the support route's first message",
    )
    assert staff_view(api, outcome["ticket_id"])["status"] != "draft"


# --- who the sender is: SES's verdicts and DMARC alignment (shared/channels/trust.py) ------------------------------

MALLORY = "mallory@acme.example"  # a contact of Acme (the web form or an e-mail made her one), not an admin
FORGED = {"dmarc": "GRAY"}  # someone else's server: SPF and DKIM pass for its own domain, no DMARC for Acme's
FORGED_SIGNED = {"dkim-domain": "evil.example"}  # every verdict PASS, but the passing signature is evil.example's


def a_contact(sender: str = MALLORY) -> None:
    """The sender becomes a contact of the organisation claiming their domain (their first e-mail)."""
    outcome = receive(question(sender, subject="Hello", message_id=f"first-{sender}"), source=sender)
    assert outcome["outcome"] == "ticket"


def test_a_colleague_who_is_no_admin_cannot_thread_into_a_ticket_by_its_subject_token(desk) -> None:
    """Finding: an e-mail from mallory@acme.example with "Re: [CW-1003] hi" landed in Alice's ticket as Alice."""
    api, _ = desk
    target = open_ticket(api, user=ALICE)
    a_contact()

    outcome = receive(
        question(MALLORY, subject=f"Re: [{target['reference']}] hi", message_id="m-1@acme"), source=MALLORY
    )

    assert outcome["outcome"] == "ticket" and outcome["ticket_id"] != target["id"]
    assert customer_messages(api, target["id"]) == []


@pytest.mark.parametrize("verdicts", [FORGED, FORGED_SIGNED, {"spf": "PROCESSING_FAILED"}, {"dkim": "GRAY"}])
def test_a_forged_from_of_the_requester_cannot_thread_by_subject_token(desk, verdicts) -> None:
    """Finding: a forged From of Bob with DMARC GRAY threaded by the subject token, written as Bob."""
    api, _ = desk
    target = open_ticket(api)
    raw = question(BOB, subject=f"Re: [{target['reference']}] hi", message_id="forged-1@evil")

    outcome = receive(raw, source="mallory@evil.example", verdicts=verdicts)

    # (held until Bob's address confirms it: no ticket at all yet)
    assert outcome["outcome"] == "held" and outcome.get("ticket_id") != target["id"]
    assert customer_messages(api, target["id"]) == []


def test_a_forged_from_of_the_requester_cannot_thread_by_the_thread_root_or_message_id(desk) -> None:
    """The thread root and SES's Message-IDs travel in References to anyone the thread is forwarded to."""
    api, _ = desk
    thread = thread_of(open_ticket(api))
    root = mailthread.thread_id(thread.reference)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = BOB, SUPPORT, "Re: the export"
    mail["In-Reply-To"], mail["References"] = thread.notification_id, f"{root} {thread.notification_id}"
    mail.set_content("Please send the invoice to my new address.")

    outcome = receive(mail.as_bytes(), source="mallory@evil.example", verdicts=FORGED)

    assert outcome["outcome"] == "held" and outcome.get("ticket_id") != thread.ticket_id
    assert customer_messages(api, thread.ticket_id) == []


def test_a_proven_colleague_cannot_thread_by_the_thread_root_either(desk) -> None:
    api, _ = desk
    ticket = open_ticket(api, user=ALICE)
    a_contact()
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = MALLORY, SUPPORT, "Re: the export"
    mail["References"] = mailthread.thread_id(ticket["reference"])
    mail.set_content("Adding myself.")
    outcome = receive(mail.as_bytes(), source=MALLORY)
    assert outcome["ticket_id"] != ticket["id"] and customer_messages(api, ticket["id"]) == []


def test_an_org_admin_threads_by_subject_token_written_as_herself(desk) -> None:
    api, _ = desk
    target = open_ticket(api)  # Bob's
    raw = question(ALICE, subject=f"Re: [{target['reference']}] more", message_id="a-1@acme", body="A detail.")
    outcome = receive(raw, source=ALICE)
    assert outcome["outcome"] == "message" and outcome["ticket_id"] == target["id"]
    [message] = customer_messages(api, target["id"])
    assert message["author"] == {"sub": "cust-alice", "role": "customer", "email": ALICE}


def test_a_reply_to_the_reply_address_is_written_as_its_proven_sender_never_the_requester(desk) -> None:
    """Finding: a reply from mallory@acme to Alice's reply address was written as Alice (requester.sub)."""
    api, _ = desk
    thread = thread_of(open_ticket(api, user=ALICE))
    a_contact()

    outcome = receive(reply("gmail_reply.eml", thread, MALLORY), source=MALLORY, recipients=[thread.reply_address])

    assert outcome["outcome"] == "message"
    [message] = customer_messages(api, thread.ticket_id)
    assert message["author"]["email"] == MALLORY and message["author"]["sub"] not in ("cust-alice", "")
    assert message["author"]["sub"].startswith("contact-")  # her own contact, proven by her domain's DMARC


@pytest.mark.parametrize("verdicts", [FORGED, FORGED_SIGNED])
def test_a_stolen_reply_address_with_a_forged_from_adds_a_message_as_an_unverified_sender(desk, verdicts) -> None:
    """The signature proves the e-mail answers the desk's mail, not who wrote it: the message is added under the
    address it claims, marked unverified, never as the requester; nothing of the ticket is mailed back."""
    api, _ = desk
    thread = thread_of(open_ticket(api))
    sent_before = len(emulation.sent_emails())

    outcome = receive(
        reply("gmail_reply.eml", thread, BOB),
        source="x@evil.example",
        recipients=[thread.reply_address],
        **{"verdicts": verdicts},
    )

    assert outcome["outcome"] == "message"
    [message] = customer_messages(api, thread.ticket_id)
    assert message["author"] == {"sub": f"email:{BOB}", "role": "customer", "email": BOB}
    assert [m for m in emulation.sent_emails()[sent_before:] if BOB in m["to"]] == []
    listed = api("GET", "/tickets?limit=50", user=BOB).json["items"]
    assert thread.ticket_id in {t["id"] for t in listed}  # still Bob's ticket, unchanged for him


def test_a_released_mail_is_let_in_but_its_sender_stays_unproven(desk) -> None:
    api, _ = desk
    target = open_ticket(api)
    raw = question(BOB, subject=f"Re: [{target['reference']}] hi", message_id="held@x")
    receive(raw, verdicts={"dmarc": "FAIL"}, message_id="ses-held-1")
    released = api("POST", "/mail/quarantine/ses-held-1/release", user=MARIA)
    assert released.status == 200, released.text
    assert released.json["outcome"] == "held" and released.json.get("ticket_id") != target["id"]
    assert customer_messages(api, target["id"]) == []


# --- one e-mail, one message -------------------------------------------------------------------------------------


def test_the_same_reply_delivered_again_with_another_ses_id_is_logged_and_dropped(desk, caplog) -> None:
    """Finding: the mail client sent it again (or to support@ and the reply address at once): SES gives each copy its
    own id, the Message-ID header is the same."""
    api, _ = desk
    thread = thread_of(open_ticket(api))
    raw = reply("gmail_reply.eml", thread, BOB)

    first = receive(raw, recipients=[thread.reply_address], message_id="ses-copy-1")
    again = receive(raw, recipients=[thread.reply_address], message_id="ses-copy-2")
    to_support = receive(raw, recipients=[SUPPORT], message_id="ses-copy-3")  # its To: still names the reply address

    assert first["outcome"] == "message"
    for copy in (again, to_support):
        assert copy["outcome"] == "duplicate" and copy["ticket_id"] == thread.ticket_id
        assert copy["reason"] == "the same Message-ID from the same sender was received before"
    assert len(customer_messages(api, thread.ticket_id)) == 1
    assert InboundMail.get(inbound_pk("ses-copy-2"), INBOUND_SK).outcome == "duplicate"


def test_a_new_ticket_sent_again_with_another_ses_id_is_one_ticket(desk) -> None:
    sender = "again@elsewhere.example"
    first = receive(question(sender, message_id="again-1@x"), source=sender, message_id="ses-again-1")
    second = receive(question(sender, message_id="again-1@x"), source=sender, message_id="ses-again-2")
    assert first["outcome"] == "ticket" and second["outcome"] == "duplicate"
    assert second["ticket_id"] == first["ticket_id"] and len(tickets_of(sender)) == 1


def test_the_same_message_id_from_another_sender_is_another_message(desk) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    receive(reply("gmail_reply.eml", thread, BOB), recipients=[thread.reply_address], message_id="ses-other-1")
    outcome = receive(
        reply("gmail_reply.eml", thread, ALICE), source=ALICE, recipients=[thread.reply_address], message_id="ses-2"
    )
    assert outcome["outcome"] == "message"
    assert [m["author"]["email"] for m in customer_messages(api, thread.ticket_id)] == [BOB, ALICE]


# --- deactivated means deactivated ------------------------------------------------------------------------------


@pytest.mark.usefixtures("user_pool")
def test_a_deactivated_persons_mail_opens_nothing_and_their_reply_address_writes_nothing(desk) -> None:
    """Finding: a deactivated customer's e-mails still opened tickets, and their reply addresses still wrote."""
    api, _ = desk
    thread = thread_of(open_ticket(api))
    assert api("POST", "/people/cust-bob/deactivate", user=MARIA).status == 200
    before = len(tickets_of(BOB))

    new = receive(question(BOB, message_id="deactivated-1@acme"))
    answer = receive(reply("gmail_reply.eml", thread, BOB), recipients=[thread.reply_address])

    for outcome in (new, answer):
        assert outcome == {"outcome": "refused", "reason": "the sender's account is deactivated"}
    assert len(tickets_of(BOB)) == before and customer_messages(api, thread.ticket_id) == []


@pytest.mark.parametrize(("name", "expected"), ATTRIBUTED, ids=[a[0].removesuffix(".eml") for a in ATTRIBUTED])
def test_a_reply_in_our_languages_keeps_no_attribution_line(desk, name, expected) -> None:
    api, _ = desk
    thread = thread_of(open_ticket(api))
    outcome = receive(reply(name, thread, BOB), recipients=[thread.reply_address])
    assert outcome["outcome"] == "message"
    [message] = customer_messages(api, thread.ticket_id)
    assert message["body"] == expected
