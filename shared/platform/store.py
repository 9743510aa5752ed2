"""Atomic writes, optimistic retries, counters and paginated queries: every raw DynamoDB call."""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from shared.platform import aws, clock
from shared.platform.errors import BadRequest, Conflict
from shared.platform.table import Entity


def new_id() -> str:
    return str(ULID())


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


WRITE_RETRIES = 8


def with_retries(what: str, attempt: Callable[[], Any]) -> Any:
    """Optimistic locking: re-read and re-apply on a version conflict; 409 after a few tries."""
    for attempt_no in range(WRITE_RETRIES):
        try:
            return attempt()
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in conflict_reasons(error):
                raise
            time.sleep(random.uniform(0, 0.02 * (attempt_no + 1)))  # noqa: S311 - jitter, not security
    raise Conflict(f"{what} is being changed by others right now; try again in a moment.")
