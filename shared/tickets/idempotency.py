"""Idempotency-Key: a retried request answers with what the first one created."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from shared.platform import clock, store
from shared.platform.errors import Unprocessable
from shared.platform.table import Entity
from shared.tickets import items as ticket_items
from shared.tickets.items import IdempotencyRecord

IDEMPOTENCY_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Idempotency:
    """An `Idempotency-Key` with the hash of the request it came with."""

    scope: str
    key: str
    request_hash: str

    @staticmethod
    def of(scope: str, key: str | None, body: Any) -> Idempotency | None:
        if not key:
            return None
        if len(key) > 200:
            raise Unprocessable("Idempotency-Key must be at most 200 characters.")
        digest = hashlib.sha256(repr(body).encode()).hexdigest()
        return Idempotency(scope=scope, key=key, request_hash=digest)

    def record(self, resource: str, status_code: int, secret: str | None = None) -> IdempotencyRecord:
        return IdempotencyRecord(
            f"IDEMP#{self.scope}#{self.key}",
            "IDEMP",
            request_hash=self.request_hash,
            resource=resource,
            status_code=status_code,
            secret=secret,
            expires_at=int(clock.now().timestamp()) + IDEMPOTENCY_TTL_SECONDS,
        )


def replayed_record(idem: Idempotency | None) -> IdempotencyRecord | None:
    """The record of a previous request with this key; 422 if the key came with another body."""
    if idem is None:
        return None
    record = ticket_items.get_idempotency_record(idem.scope, idem.key)
    if record is None:
        return None
    if record.request_hash != idem.request_hash:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request body"
            + _what_it_made(idem, record)
            + "; use a new key for a new request."
        )
    return record


# Scopes of one signed-in person (their sub): the ticket their earlier request opened is theirs to be named. Keys of
# the anonymous web form, follow links and e-mail are not a person's, so they name nothing.
_SHARED_SCOPES = ("webform:", "follow:", "email-")


def _what_it_made(idem: Idempotency, record: IdempotencyRecord) -> str:
    """ ", which opened ticket CW-1042": what the earlier request with this key made, for the person who made it
    (e.g. a form edited and sent again after the first answer was lost)."""
    kind, _, resource_id = record.resource.partition(":")
    if kind != "ticket" or idem.scope.startswith(_SHARED_SCOPES):
        return ""
    ticket = ticket_items.get_ticket(resource_id)
    return f", which opened ticket {ticket.reference}" if ticket is not None else ""


def replayed_resource(idem: Idempotency | None) -> str | None:
    """The resource a previous request with this key created."""
    record = replayed_record(idem)
    return record.resource if record else None


def commit(
    writes: list[tuple[Entity, Any]],
    idem: Idempotency | None,
    resource: str,
    status_code: int,
    secret: str | None = None,
) -> None:
    if idem is not None:
        writes = [*writes, (idem.record(resource, status_code, secret), IdempotencyRecord.pk.does_not_exist())]
    store.transact(writes)
