"""Reading e-mail without AWS: charsets, encoded headers, HTML made safe text, the new text of a reply, and what
marks mail a machine sent."""

# ruff: noqa: RUF001 (Russian and Polish text on purpose)
from __future__ import annotations

from email.message import EmailMessage

import pytest

from shared.channels import safety
from shared.channels.mailparse import html_to_text, new_text_of, parse
from tests.channels.mailbox import ATTRIBUTED, fixture, question


def test_encoded_headers_in_any_charset_are_decoded() -> None:
    mail = parse(fixture("outlook_reply_cs.eml", sender="jiri@acme.example"))
    assert mail.sender == "jiri@acme.example" and mail.sender_name == "Jiří Dvořák"
    assert mail.subject == "RE: [%REFERENCE%] Nová odpověď: CSV export fails"  # encoded: the placeholder stays
    russian = parse(fixture("new_koi8r.eml", sender="olga@mail.example.ru"))
    assert russian.sender_name == "Ольга Смирнова" and russian.subject == "Не могу войти в систему"


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("utf-8", "Příliš žluťoučký kůň"),
        ("windows-1250", "Příliš žluťoučký kůň"),
        ("iso-8859-2", "Zażółć gęślą jaźń"),
        ("koi8-r", "Съешь же ещё этих мягких французских булок"),
        ("windows-1251", "Съешь же ещё этих мягких французских булок"),
    ],
)
@pytest.mark.parametrize("encoding", ["8bit", "quoted-printable", "base64"])
def test_a_body_in_any_of_these_charsets_and_transfer_encodings_is_read(charset: str, text: str, encoding: str) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@b.example", "support@caseway.example", "x"
    mail.set_content(text.encode(charset), maintype="text", subtype="plain", cte=encoding)
    mail.replace_header("Content-Type", f"text/plain; charset={charset}")
    assert parse(mail.as_bytes()).text == text


def test_an_unknown_charset_is_read_as_utf8_rather_than_failing() -> None:
    raw = b"From: a@b.example\r\nContent-Type: text/plain; charset=x-unknown-1\r\n\r\nHello \xc5\xbe and \xff\r\n"
    assert parse(raw).text == "Hello \u017e and \ufffd"


def test_html_becomes_text_without_markup_scripts_or_escapes_coming_back() -> None:
    text = html_to_text(
        "<p>Hi &amp;lt;script&amp;gt; stays text</p><script>alert(1)</script><style>p{}</style>"
        '<ul><li>one</li><li>two</li></ul><a href="javascript:steal()">click</a><a href="https://x.example/a">doc</a>'
    )
    assert text == "Hi &lt;script&gt; stays text\n\none\n\ntwo\n\nclickdoc (https://x.example/a)"


def test_an_html_quote_is_cut_as_a_quote() -> None:
    html = "<div>New answer</div><blockquote><div>old text</div></blockquote>"
    assert new_text_of(html_to_text(html)) == "New answer"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "Działa, dziękuję.\n\nPozdrawiam\nAnna\n\nW dniu pon., 23 lis 2026 o 09:00 Support <s@x> napisał(a):\n> Hi",
            "Działa, dziękuję.",
        ),
        ("Ok.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: me\nSubject: x\n\nold", "Ok."),
        ("Hotovo.\n\nOdesláno z iPhonu\n\n> Dne 23. 11. 2026 v 9:00, Support <s@x> napsal(a):\n> old", "Hotovo."),
        ("Готово.\n\nОтправлено с iPhone\n\n23.11.2026, в 9:00, Support <s@x> написал(а):\n> old", "Готово."),
        (
            "Just a note without any quote.\n- a list item\n- another",
            "Just a note without any quote.\n- a list item\n- another",
        ),
    ],
)
def test_the_new_text_of_replies_in_english_czech_polish_and_russian(text: str, kept: str) -> None:
    assert new_text_of(text) == kept


# --- what machines send --------------------------------------------------------------------------------------------


def _with(header: str, sender: str = "someone@customer.example") -> bytes:
    name, _, value = header.partition(": ")
    raw = question(sender)
    return raw.replace(b"MIME-Version: 1.0", f"{name}: {value}\r\nMIME-Version: 1.0".encode()) if name else raw


@pytest.mark.parametrize(
    ("header", "sender", "reason"),
    [
        ("Auto-Submitted: auto-generated", "a@customer.example", "Auto-Submitted: auto-generated"),
        ("Precedence: bulk", "a@customer.example", "Precedence: bulk"),
        ("Precedence: junk", "a@customer.example", "Precedence: junk"),
        ("X-Autoreply: yes", "a@customer.example", "x-autoreply header"),
        ("X-Autorespond: on vacation", "a@customer.example", "x-autorespond header"),
        ("List-Unsubscribe: <mailto:u@l.example>", "a@customer.example", "list mail (list-unsubscribe)"),
        ("", "MAILER-DAEMON@mx.customer.example", "sender mailer-daemon@mx.customer.example"),
        ("", "postmaster@customer.example", "sender postmaster@customer.example"),
        ("", "support@caseway.example", "sent by the desk itself (a loop)"),
        ("", "support+CW-1.abc@caseway.example", "sent by the desk itself (a loop)"),
    ],
)
def test_what_a_machine_sent_is_recognised(header: str, sender: str, reason: str) -> None:
    assert safety.automatic_reason(parse(_with(header, sender))) == reason


@pytest.mark.parametrize(
    "header", ["", "Auto-Submitted: no", "Precedence: first-class", "X-Auto-Response-Suppress: All"]
)
def test_what_a_person_sent_is_not_automatic(header: str) -> None:
    assert safety.automatic_reason(parse(_with(header))) is None
    assert safety.automatic_reason(parse(_with(header, "lena.l1@caseway.example"))) is None  # staff share the domain


def test_only_failed_verdicts_count() -> None:
    verdicts = {"spam": "PASS", "virus": "FAIL", "spf": "GRAY", "dkim": "PROCESSING_FAILED", "dmarc": "FAIL"}
    assert safety.failed_verdicts(verdicts) == {"virus": "FAIL", "dmarc": "FAIL"}


@pytest.mark.parametrize(("name", "expected"), ATTRIBUTED, ids=[a[0].removesuffix(".eml") for a in ATTRIBUTED])
def test_attribution_lines_in_our_languages_go_with_the_quote(name: str, expected: str) -> None:
    """Finding: an Android reply in Russian kept `02.04.2012 14:20 пользователь "..." <...> написал:` and a
    Thunderbird reply below the quote kept a stray `> Hi`."""
    mail = parse(fixture(name, sender="ivan@acme.example", reply_address="support+CW-1042.1.0123abcd@caseway.example"))
    assert mail.new_text == expected


@pytest.mark.parametrize(
    "text",
    [
        "The steps:\n1. open the report\n2. click Export at 10:30:",
        "My colleague wrote:",
        "Call me at +420 777 123 456 after 14:00",
        "> a quote, and nothing of mine",
    ],
)
def test_text_that_only_looks_like_an_attribution_is_kept(text: str) -> None:
    assert new_text_of(text) == text
