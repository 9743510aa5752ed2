"""The follow link's key: a web-form ticket's capability to be read and answered without an account.

The key is never stored. It is derived when a link is written (HMAC-SHA256 of the ticket id and the key's round,
under a key of its own derived from the desk's signing secret), and the ticket keeps only a hash of it
(`follow_hash`) and the round (`follow_round`). A copy of the table therefore opens no ticket, and the desk can still
write the link into every e-mail it sends the requester. When the ticket closes the round moves on
(`rotate`): every link sent before stops working, and the closing e-mail carries the new one.

A ticket stored before keys were derived keeps its old key (`follow_key`) until it closes; then it rotates like
any other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from shared.platform import aws
from shared.tickets.items import Ticket

PURPOSE = b"caseway follow-link key v1"
KEY_BYTES = 18  # 144 bits, 24 characters in the link


def _signing_key() -> bytes:
    # One secret, a key per purpose: a follow key can never be mistaken for a reply-address signature.
    return hmac.new(aws.reply_secret().encode(), PURPOSE, hashlib.sha256).digest()


def _derive(ticket_id: str, round_: int) -> str:
    digest = hmac.new(_signing_key(), f"{ticket_id}:{round_}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:KEY_BYTES]).decode()


def _hash(key: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()[:16]).decode().rstrip("=")


def issue(ticket: Ticket) -> str:
    """Give a new ticket its first key (round 1): its hash on the ticket, the key for the link."""
    ticket.follow_round = 1
    key = _derive(ticket.ticket_id, 1)
    ticket.follow_hash = _hash(key)
    return key


def key_of(ticket: Ticket) -> str | None:
    """The ticket's current key, for a link to its requester; None when the ticket has no follow link."""
    if ticket.follow_hash and ticket.follow_round:
        return _derive(ticket.ticket_id, int(ticket.follow_round))
    return ticket.follow_key or None  # stored before keys were derived


def matches(ticket: Ticket, key: str) -> bool:
    """Whether `key` is the ticket's current follow key (constant time)."""
    if not key:
        return False
    if ticket.follow_hash:
        return secrets.compare_digest(_hash(key).encode(), ticket.follow_hash.encode())
    return bool(ticket.follow_key) and secrets.compare_digest(ticket.follow_key.encode(), key.encode())


def has_link(ticket: Ticket) -> bool:
    return bool(ticket.follow_hash or ticket.follow_key)


def rotate(ticket: Ticket) -> None:
    """The next round's key (the ticket closes): the links sent before stop opening the ticket."""
    if not has_link(ticket):
        return
    ticket.follow_round = int(ticket.follow_round or 0) + 1
    ticket.follow_hash = _hash(_derive(ticket.ticket_id, int(ticket.follow_round)))
    ticket.follow_key = None
