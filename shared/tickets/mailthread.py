"""E-mail threads: the ticket a reply belongs to (R10: "a reply to the notification e-mail lands back in the
ticket").

Every notification carries the ticket's reply address as Reply-To: `support+<reference>.<signature>@<domain>`,
the signature an HMAC of the reference, so nobody writes into another's ticket by guessing an address.

Every notification of a ticket names the same thread root in In-Reply-To and References,
`<ticket+<reference>.<signature>@<domain>>`: one thread per ticket in the customer's mail client without reading
back what was sent before, and a reply that keeps only its References finds the ticket by that signed id. The
Message-IDs SES gives our notifications are remembered too (one item each, `remember_sent`), so a reply that
keeps only In-Reply-To still finds its ticket.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from pynamodb.exceptions import DoesNotExist

from shared.platform import aws, config
from shared.tickets.items import SentMail

LOCAL_PART = "support"
SIGNATURE_LENGTH = 16  # hex digits of the HMAC-SHA256: 64 bits
_ADDRESS = re.compile(r"^(?P<local>[^+@]+)\+(?P<reference>[A-Za-z]+-\d+)\.(?P<signature>[0-9a-fA-F]+)@(?P<domain>.+)$")


def sent_mail_pk(message_id: str) -> str:
    return f"MAILID#{normal_message_id(message_id)}"


SENT_MAIL_SK = "MAILID"


THREAD_LOCAL_PART = "ticket"


def normal_message_id(message_id: str) -> str:
    """`<abc@x>` and `abc@x` are one Message-ID; case of the local part kept, the domain lowered."""
    bare = message_id.strip().strip("<>").strip()
    local, _, domain = bare.rpartition("@")
    return f"{local}@{domain.lower()}" if local else bare


def signature(reference: str) -> str:
    key = aws.reply_secret().encode()
    return hmac.new(key, reference.upper().encode(), hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def reply_address(reference: str) -> str:
    """The ticket's reply address, for Reply-To."""
    return f"{LOCAL_PART}+{reference}.{signature(reference)}@{config.get(config.REPLY_DOMAIN)}"


def reference_of_reply_address(address: str) -> str | None:
    """The ticket reference a reply address names, or None when it is not one or its signature does not match."""
    found = _ADDRESS.match(address.strip().strip("<>").strip())
    if not found:
        return None
    reference = found["reference"].upper()
    if not hmac.compare_digest(found["signature"].lower(), signature(reference)):
        return None
    return reference


def thread_id(reference: str) -> str:
    """The Message-ID every notification of the ticket names as its thread's root (In-Reply-To, References)."""
    return f"<{THREAD_LOCAL_PART}+{reference}.{signature(reference)}@{config.get(config.REPLY_DOMAIN)}>"


def reference_of_thread_id(message_id: str) -> str | None:
    """The ticket reference a thread root (`thread_id`) names, or None when it is not one or its signature does not
    match."""
    found = _ADDRESS.match(message_id.strip().strip("<>").strip())
    if not found or found["local"] != THREAD_LOCAL_PART:
        return None
    return reference_of_reply_address(message_id)


def remember_sent(message_id: str, ticket_id: str, reference: str, sent_at: str) -> None:
    """Keep the Message-ID a notification went out with (SES's, not ours: SES replaces the one a sender sets)."""
    SentMail(
        sent_mail_pk(message_id),
        SENT_MAIL_SK,
        message_id=normal_message_id(message_id),
        ticket_id=ticket_id,
        reference=reference,
        sent_at=sent_at,
    ).save()  # no index entry: the next e-mail names the thread's root, not the ones sent before


def ticket_of_message_ids(message_ids: list[str]) -> str | None:
    """The ticket of the newest of `message_ids` (References lists oldest first) that is one of our notifications."""
    for message_id in reversed(message_ids):
        try:
            return SentMail.get(sent_mail_pk(message_id), SENT_MAIL_SK).ticket_id
        except DoesNotExist:
            continue
    return None
