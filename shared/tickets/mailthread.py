"""E-mail threads: the ticket a reply belongs to (R10: "a reply to the notification e-mail lands back in the
ticket").

Every notification carries the ticket's reply address as Reply-To: `support+<reference>.<key id>.<signature>@<domain>`,
the signature an HMAC-SHA256 of the purpose and the reference, so nobody writes into another's ticket by guessing an
address.

Every notification of a ticket names the same thread root in In-Reply-To and References,
`<ticket+<reference>.<key id>.<signature>@<domain>>`: one thread per ticket in the customer's mail client without
reading back what was sent before, and a reply that keeps only its References finds the ticket by that signed id.
The two are signed for different purposes (`REPLY`, `THREAD`): the thread root travels in the References of every
reply and forward, and must not turn into the reply address, which lets its holder add a message. The Message-IDs
SES gives our notifications are remembered too (one item each, `remember_sent`), so a reply that keeps only
In-Reply-To still finds its ticket.

The key: the stage's secret (aws.reply_secret) is either one key (its id is "1") or a key ring, JSON
`{"current": "2", "1": "<old key>", "2": "<new key>"}`. New addresses are signed with the current key and name its
id; an address is checked with the key its id names, so during a rotation both keys are valid, and removing the old
key retires the addresses signed with it. Addresses of the format before key ids (`support+<reference>.<signature>@`,
the same HMAC of the reference alone for both uses) are still read, with key "1", until that key is removed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

from pynamodb.exceptions import DoesNotExist

from shared.platform import aws, config
from shared.tickets.items import SentMail

LOCAL_PART = "support"
SIGNATURE_LENGTH = 16  # hex digits of the HMAC-SHA256: 64 bits
REPLY = "reply-address"  # the purposes a signature is made for
THREAD = "thread-id"
LEGACY_KEY_ID = "1"  # the key of a secret that is one key, and of the addresses signed before key ids
_KEY_ID = re.compile(r"^[0-9a-z]{1,8}$")
_ADDRESS = re.compile(
    r"^(?P<local>[^+@]+)\+(?P<reference>[A-Za-z]+-\d+)\.(?:(?P<key_id>[0-9A-Za-z]{1,8})\.)?"
    r"(?P<signature>[0-9a-fA-F]+)@(?P<domain>.+)$"
)


def sent_mail_pk(message_id: str) -> str:
    return f"MAILID#{normal_message_id(message_id)}"


SENT_MAIL_SK = "MAILID"


THREAD_LOCAL_PART = "ticket"


def normal_message_id(message_id: str) -> str:
    """`<abc@x>` and `abc@x` are one Message-ID; case of the local part kept, the domain lowered."""
    bare = message_id.strip().strip("<>").strip()
    local, _, domain = bare.rpartition("@")
    return f"{local}@{domain.lower()}" if local else bare


def key_ring() -> tuple[str, dict[str, bytes]]:
    """(the current key's id, every valid key by id) from the stage's secret: one key, or the JSON key ring."""
    raw = aws.reply_secret()
    ring: object = None
    if raw.lstrip().startswith("{"):
        try:
            ring = json.loads(raw)
        except ValueError:
            ring = None
    if not isinstance(ring, dict):
        return LEGACY_KEY_ID, {LEGACY_KEY_ID: raw.encode()}
    keys = {
        str(kid).lower(): str(key).encode()
        for kid, key in ring.items()
        if kid != "current" and _KEY_ID.match(str(kid).lower()) and key
    }
    current = str(ring.get("current", "")).lower()
    if current not in keys:
        raise ValueError('The reply-address key ring names no current key among its keys ("current": "<id>").')
    return current, keys


def _mac(key: bytes, purpose: str, reference: str) -> str:
    return hmac.new(key, f"{purpose}\n{reference.upper()}".encode(), hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def signature(reference: str, purpose: str = REPLY) -> str:
    """`<key id>.<signature>` of the reference for this purpose, with the current key."""
    current, keys = key_ring()
    return f"{current}.{_mac(keys[current], purpose, reference)}"


def reply_address(reference: str) -> str:
    """The ticket's reply address, for Reply-To."""
    return f"{LOCAL_PART}+{reference}.{signature(reference, REPLY)}@{config.get(config.REPLY_DOMAIN)}"


def _verified(address: str, purpose: str) -> str | None:
    """The reference a signed address names, when its signature for `purpose` holds under the key its id names."""
    found = _ADDRESS.match(address.strip().strip("<>").strip())
    if not found:
        return None
    reference = found["reference"].upper()
    _, keys = key_ring()
    if found["key_id"] is None:  # the format before key ids: key "1", the reference alone signed
        key = keys.get(LEGACY_KEY_ID)
        expected = hmac.new(key, reference.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH] if key else None
    else:
        key = keys.get(found["key_id"].lower())
        expected = _mac(key, purpose, reference) if key else None
    if expected is None or not hmac.compare_digest(found["signature"].lower(), expected):
        return None
    return reference


def reference_of_reply_address(address: str) -> str | None:
    """The ticket reference a reply address names, or None when it is not one or its signature does not match."""
    return _verified(address, REPLY)


def thread_id(reference: str) -> str:
    """The Message-ID every notification of the ticket names as its thread's root (In-Reply-To, References)."""
    return f"<{THREAD_LOCAL_PART}+{reference}.{signature(reference, THREAD)}@{config.get(config.REPLY_DOMAIN)}>"


def reference_of_thread_id(message_id: str) -> str | None:
    """The ticket reference a thread root (`thread_id`) names, or None when it is not one or its signature does not
    match."""
    found = _ADDRESS.match(message_id.strip().strip("<>").strip())
    if not found or found["local"] != THREAD_LOCAL_PART:
        return None
    return _verified(message_id, THREAD)


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
