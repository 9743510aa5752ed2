"""Data access: keys, atomic writes, counters, paginated queries. The logic layer speaks through this."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from shared import aws, clock
from shared.errors import BadRequest, Conflict
from shared.models import (
    Entity,
    IdempotencyRecord,
    Organisation,
    Service,
    Ticket,
    User,
)


def new_id() -> str:
    return str(ULID())


def ticket_pk(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


TICKET_SK = "TICKET"
PROFILE_SK = "PROFILE"
CATALOG_PK = "CATALOG"


def service_sk(key: str) -> str:
    return f"SERVICE#{key}"


def reference_pk(reference: str) -> str:
    return f"REF#{reference}"


def user_pk(sub: str) -> str:
    return f"USER#{sub}"


def email_pk(email: str) -> str:
    return f"EMAIL#{email.strip().lower()}"


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def queue_pk(group: str) -> str:
    return f"QUEUE#{group}"


def open_pk(status: str) -> str:
    return f"STATUS#{status}"


class _Connection:
    _conn: Connection | None = None

    @classmethod
    def get(cls) -> Connection:
        # pynamodb's own connection, so transactions go through the same endpoint and credentials.
        return Entity._get_connection().connection


def transact(saves: Iterable[tuple[Entity, Any]]) -> None:
    """Write several items atomically: each (item, condition). Raises TransactWriteError."""
    with TransactWrite(connection=_Connection.get()) as t:
        for item, condition in saves:
            t.save(item, condition=condition)


def conflict_reasons(error: TransactWriteError) -> list[str | None]:
    """The cancellation code of each item of a failed transaction, in order (None where it passed)."""
    return [getattr(r, "code", None) if r else None for r in (error.cancellation_reasons or [])]


def next_sequence(name: str) -> int:
    """Atomic counter (UpdateItem ADD): the next number of a sequence such as ticket references."""
    response = aws.client("dynamodb").update_item(
        TableName=Entity.Meta.table_name,
        Key={"pk": {"S": f"COUNTER#{name}"}, "sk": {"S": "COUNTER"}},
        UpdateExpression="ADD #v :one SET #k = :kind",
        ExpressionAttributeNames={"#v": "value", "#k": "kind"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":kind": {"S": "counter"}},
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["value"]["N"])


def take_quota(bucket: str, limit: int, ttl_seconds: int) -> bool:
    """Count one use in a fixed window; False when the window's limit is already reached."""
    dynamodb = aws.client("dynamodb")
    try:
        dynamodb.update_item(
            TableName=Entity.Meta.table_name,
            Key={"pk": {"S": f"QUOTA#{bucket}"}, "sk": {"S": "QUOTA"}},
            UpdateExpression="ADD #v :one SET #k = :kind, expires_at = if_not_exists(expires_at, :exp)",
            ConditionExpression="attribute_not_exists(#v) OR #v < :limit",
            ExpressionAttributeNames={"#v": "value", "#k": "kind"},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":kind": {"S": "counter"},
                ":limit": {"N": str(limit)},
                ":exp": {"N": str(int(clock.now().timestamp()) + ttl_seconds)},
            },
        )
        return True
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False


def load_ticket_partition(ticket_id: str) -> list[Entity]:
    """The ticket with its whole history: one Query."""
    return list(Entity.query(ticket_pk(ticket_id), consistent_read=True))


def get_ticket(ticket_id: str) -> Ticket | None:
    try:
        return Ticket.get(ticket_pk(ticket_id), TICKET_SK, consistent_read=True)
    except DoesNotExist:
        return None


def resolve_ticket_id(ticket_id_or_reference: str) -> str | None:
    """Accept a ticket id or its reference (CW-1042); a reference costs one GetItem."""
    text = ticket_id_or_reference.strip()
    if text.upper().startswith("CW-"):
        try:
            link = Entity.get(reference_pk(text.upper()), "REF")
        except DoesNotExist:
            return None
        return getattr(link, "ticket_id", None)
    return text


def get_service(key: str) -> Service | None:
    try:
        return Service.get(CATALOG_PK, service_sk(key))
    except DoesNotExist:
        return None


def list_services() -> list[Service]:
    """The catalog in the order customers should see it."""
    found = [s for s in Entity.query(CATALOG_PK, Entity.sk.startswith("SERVICE#")) if isinstance(s, Service)]
    return sorted(found, key=lambda s: (s.position, s.title))


def get_user(sub: str) -> User | None:
    try:
        return User.get(user_pk(sub), PROFILE_SK)
    except DoesNotExist:
        return None


def get_user_by_email(email: str) -> User | None:
    try:
        link = Entity.get(email_pk(email), "EMAIL")
    except DoesNotExist:
        return None
    return get_user(link.sub)


def get_organisation(org_id: str) -> Organisation | None:
    try:
        return Organisation.get(org_pk(org_id), PROFILE_SK)
    except DoesNotExist:
        return None


def get_idempotency_record(scope: str, key: str) -> IdempotencyRecord | None:
    try:
        return IdempotencyRecord.get(f"IDEMP#{scope}#{key}", "IDEMP")
    except DoesNotExist:
        return None


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, *, partition_attr: str, partition_value: str) -> dict[str, Any] | None:
    """A cursor is the last key of the previous page; it must belong to the caller's own partition."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        ok = isinstance(key, dict) and key.get(partition_attr, {}).get("S") == partition_value
    except (ValueError, binascii.Error, AttributeError):
        ok = False
    if not ok:
        raise BadRequest(
            "The cursor is not valid for this list; start again without it.",
            errors=[{"field": "cursor", "message": "not a cursor returned by this list"}],
        )
    return key


def query_page(
    index: Any,
    partition_attr: str,
    partition_value: str,
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool,
) -> tuple[list[Entity], str | None]:
    start = decode_cursor(cursor, partition_attr=partition_attr, partition_value=partition_value)
    results = index.query(
        partition_value,
        scan_index_forward=not newest_first,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    items = list(results)
    return items, encode_cursor(results.last_evaluated_key) if len(items) >= limit else None


def raise_if_conflict(error: TransactWriteError, what: str) -> None:
    if "ConditionalCheckFailed" in conflict_reasons(error):
        raise Conflict(f"{what} changed while you were saving; reload it and try again.") from error
    raise error
