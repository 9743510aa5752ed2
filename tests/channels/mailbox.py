"""Helpers of the inbound e-mail tests: the fixtures of tests/fixtures/mail with their placeholders filled in, and
a ticket with a notification sent (its reply address and remembered Message-ID)."""

# ruff: noqa: RUF001 (Russian text is Cyrillic on purpose)
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.tickets import mailthread
from tests.conftest import ALICE, BOB

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
NOTIFICATION_ID = "<0100019364a1b2c3-notification-1@email.amazonses.com>"

# The replies of real clients (fixture, sender, the new text the ticket keeps): Gmail, Outlook (Czech,
# windows-1250), Apple Mail (inline image), Thunderbird (Czech, iso-8859-2, To: support@ and threaded by its
# References), Yahoo, the Gmail app on Android (Russian, windows-1251), iPhone Mail.
CLIENTS = [
    ("gmail_reply.eml", BOB, "I use Firefox 133 on Windows 11. The export fails on the monthly report only."),
    (
        "outlook_reply_cs.eml",
        ALICE,
        "Dobrý den,\n\nexport do CSV už funguje, děkujeme. Chyba se objevila jen u měsíčního přehledu.",
    ),
    ("apple_mail_reply.eml", BOB, "Here is what the error page shows (screenshot below).\n\nBob"),
    (
        "thunderbird_reply_cs.eml",
        BOB,
        "Ano, problém trvá i po aktualizaci prohlížeče. Přikládám postup:\n- otevřít přehled\n- kliknout na Export",
    ),
    ("yahoo_reply.eml", BOB, "It happens in Chrome as well, so it is not the browser."),
    ("android_reply_ru.eml", BOB, "Спасибо, после очистки кэша экспорт работает.\n\nИван"),
    ("iphone_reply.eml", BOB, "Yes, please go ahead and close it \u2014 all good now."),
]

# Replies in Czech, Russian and Polish (and Thunderbird's reply below the quote) from Gmail, the Gmail app on Android,
# Outlook, Thunderbird and Apple Mail, whose attribution lines ("... napsal:", "... написал:", "... napisał(a):",
# wrapped or not) go with the quote (tests/fixtures/mail/make_fixtures.py ATTRIBUTED): (fixture, the new text).
ATTRIBUTED = [
    ("gmail_reply_cs.eml", "Používám Chrome 131, export padá jen u měsíčního přehledu."),
    ("gmail_reply_pl.eml", "Używam Firefoksa 133, eksport nie działa tylko dla raportu miesięcznego."),
    ("gmail_reply_ru.eml", "Пользуюсь Яндекс Браузером, ошибка только в месячном отчёте."),
    ("android_reply_ru_wrapped.eml", "Спасибо, после обновления всё работает."),
    ("android_reply_ru_bare.eml", "Да, можно закрывать."),
    ("android_reply_pl.eml", "Dziękuję, działa."),
    ("outlook_reply_ru.eml", "Спасибо, очистка кэша помогла."),
    ("outlook_reply_pl.eml", "Dziękuję, po wyczyszczeniu pamięci podręcznej działa."),
    ("thunderbird_reply_ru.eml", "Ошибка осталась и после обновления."),
    ("thunderbird_reply_en_below.eml", "Yes, it still fails after the update."),
    ("thunderbird_reply_pl.eml", "Tak, problem nadal występuje."),
    ("apple_mail_reply_cs.eml", "Ano, můžete ho zavřít."),
    ("apple_mail_reply_ru.eml", "Да, закрывайте."),
]


@dataclass(frozen=True)
class Thread:
    """A ticket the desk has written to: what a reply to its notification names."""

    ticket_id: str
    reference: str
    reply_address: str
    notification_id: str = NOTIFICATION_ID


def fixture(name: str, **values: str) -> bytes:
    """A fixture's bytes with `%NAME%` placeholders replaced (values are ASCII: addresses, references, ids)."""
    raw = (FIXTURES / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(f"%{key.upper()}%".encode(), value.encode())
    return raw


def reply(name: str, thread: Thread, sender: str) -> bytes:
    return fixture(
        name,
        sender=sender,
        reference=thread.reference,
        reply_address=thread.reply_address,
        notification_id=thread.notification_id,
    )


def question(
    sender: str,
    *,
    to: str = "support@caseway.example",
    subject: str = "Cannot log in",
    body: str = "",
    message_id: str = "q-1@mail.example",
    sender_name: str = "Someone",
) -> bytes:
    return fixture(
        "new_question.eml",
        sender=sender,
        sender_name=sender_name,
        to=to,
        subject=subject,
        body=body or "After the update the login page reloads instead of signing me in.",
        message_id=message_id,
    )


def thread_of(
    ticket: dict[str, Any], *, notification_id: str = NOTIFICATION_ID, sent_at: str = "2026-11-23T08:00:00Z"
) -> Thread:
    """The ticket as a notification left it: its reply address, and SES's Message-ID remembered."""
    mailthread.remember_sent(notification_id, ticket["id"], ticket["reference"], sent_at)
    return Thread(ticket["id"], ticket["reference"], mailthread.reply_address(ticket["reference"]), notification_id)
