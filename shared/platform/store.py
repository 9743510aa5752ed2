"""Atomic writes, optimistic retries, counters and paginated queries: every raw DynamoDB call."""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
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


class _Write(TransactWrite):
    """pynamodb's TransactWrite, plus counter updates (`Count`) in the same transaction; a write of one item alone
    is sent as a plain conditional PutItem or UpdateItem, which DynamoDB bills half of what a transaction of that
    item costs and which is just as all-or-nothing. Its failure is raised as the transaction's would be (a
    TransactWriteError naming ConditionalCheckFailed or TransactionConflict), so callers and retries see no
    difference."""

    def count(self, count: Count) -> None:
        self._update_items.append(count.request())

    def _commit(self) -> Any:
        writes = [("PutItem", i) for i in self._put_items] + [("UpdateItem", i) for i in self._update_items]
        if len(writes) != 1 or self._condition_check_items or self._delete_items:
            return super()._commit()
        operation, request = writes[0]
        try:
            response = self._connection.dispatch(operation, dict(request))
        except (BotoCoreError, ClientError) as error:  # what pynamodb wraps in TransactWriteError too
            raise _as_transaction_error(error, operation) from error
        for model in self._models_for_version_attribute_update:
            model.update_local_version_attribute()
        return response


# A single write's error code -> the cancellation reason a one-item transaction would have given.
_ALONE_REASONS = {
    "ConditionalCheckFailedException": "ConditionalCheckFailed",
    "TransactionConflictException": "TransactionConflict",
}


def _as_transaction_error(error: BotoCoreError | ClientError, operation: str) -> TransactWriteError:
    found = error.response.get("Error", {}) if isinstance(error, ClientError) else {}
    reason = _ALONE_REASONS.get(found.get("Code", ""))
    if reason is None:
        return TransactWriteError("Failed to write the item", error)
    reasons = [CancellationReason(code=reason, message=found.get("Message"))]
    cause = VerboseClientError({"Error": found}, operation, cancellation_reasons=reasons)
    return TransactWriteError("Failed to write the item", cause)


def transact(saves: Iterable[tuple[Entity, Any]], counts: Iterable[Count] = ()) -> None:
    """Write several items atomically: each (item, condition), and `counts` (counter updates that belong to this
    write, e.g. a figure counted exactly once because the write itself is conditional). Raises TransactWriteError.

    An item of a `changes_only` type that was read from the table is written as an UpdateItem of the attributes
    that changed since (`changes`); any other item is put whole. An item with nothing changed and no condition of
    its own is left out. After the commit each changed item's image is what the table now holds."""
    written: list[tuple[Entity, dict[str, dict[str, Any]]]] = []
    with _Write(connection=_Connection.get()) as t:
        for item, condition in _packed(_with_companions(saves)):
            update = changes(item)
            if update is None:
                t.save(item, condition=condition)
            elif update[0] or condition is not None:
                actions, checks = update
                if not actions:  # a condition alone: nothing of the item changes
                    t.condition_check(type(item), item.pk, item.sk, condition=condition)
                    continue
                both = checks if condition is None else checks & condition
                t.update(item, actions, condition=both, add_version_condition=False)
            if item.changes_only:
                written.append((item, item.serialize()))
        for count in merged(counts):
            t.count(count)
    for item, image in written:
        item.stored = image


def item_size(image: dict[str, dict[str, Any]]) -> int:
    """An item's size as DynamoDB bills it (attribute names and values, UTF-8), from its serialized image."""
    return sum(len(name.encode()) + _value_size(value) for name, value in image.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind in ("S", "N"):
        return len(str(data).encode())  # a number: at most its digits' length, so this never undercounts
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in data.items())
    return len(json.dumps(data).encode())  # sets and binary: over-counted, never under


def _with_companions(saves: Iterable[tuple[Entity, Any]]) -> list[tuple[Entity, Any]]:
    """The saves, each followed by the items it is written with (`written_with() -> items`, e.g. a ticket's TEXT
    item when its text changed)."""
    found: list[tuple[Entity, Any]] = []
    for item, condition in saves:
        found.append((item, condition))
        found += [(other, None) for other in getattr(item, "written_with", list)()]
    return found


def _packed(saves: Iterable[tuple[Entity, Any]]) -> list[tuple[Entity, Any]]:
    """The saves, with the new items of a type that packs (`pack(items) -> item`, e.g. a ticket's log entries)
    written together in one partition stored as one item, or carried by a new item of that partition that takes
    them (`carry(items) -> bool`, e.g. the message they log, while it stays one write unit)."""
    kept: list[tuple[Entity, Any]] = []
    packs: dict[tuple[type, str], list[Entity]] = {}
    for item, condition in saves:
        if condition is None and getattr(type(item), "pack", None) is not None and changes(item) is None:
            packs.setdefault((type(item), item.pk), []).append(item)
        else:
            kept.append((item, condition))
    for (kind, pk), items in packs.items():
        # a new item (put whole, whatever its condition: the entries are written only if it is)
        carriers = [i for i, _ in kept if i.pk == pk and changes(i) is None and hasattr(i, "carry")]
        if any(carrier.carry(items) for carrier in carriers[:1]):
            continue  # on a new item of the same partition that takes them (e.g. the message they log)
        kept.append((kind.pack(items), None))  # type: ignore[attr-defined]
    return kept


def transact_retrying_conflicts(saves: list[tuple[Entity, Any]], counts: Iterable[Count] = ()) -> None:
    """`transact` for a write that must not be re-read and re-applied (a conditional create): only a transaction
    conflict (another transaction held one of its items, e.g. a busy counter, for a moment) is tried again, after
    a jittered pause; anything else, a failed condition too, is raised at once."""
    counts = list(counts)
    for attempt_no in range(WRITE_RETRIES):
        try:
            transact(saves, counts)
            return
        except TransactWriteError as error:
            reasons = conflict_reasons(error)
            if "TransactionConflict" not in reasons or "ConditionalCheckFailed" in reasons:
                raise
            if attempt_no == WRITE_RETRIES - 1:
                raise
            time.sleep(random.uniform(0, min(0.4, 0.01 * 2**attempt_no)))  # noqa: S311 - jitter, not security


def changes(item: Entity) -> tuple[list[Any], Any] | None:
    """An UpdateItem of what changed in an item since it was read: (actions, condition), or None to put it whole.

    Each changed attribute is conditioned on its value as read (or on its absence), so a writer that changed
    something another writer changed meanwhile fails (and with_retries re-reads and applies again), while writers
    that change different attributes both succeed. Attributes in `touched` are set without a condition."""
    stored = item.stored_image()
    if stored is None:
        return None
    now = item.serialize()
    attributes = {a.attr_name: a for a in item.get_attributes().values()}
    version = getattr(item, "_version_attribute_name", None)
    condition = attributes["pk"].exists()
    actions: list[Any] = []
    for name in sorted(set(now) | set(stored)):
        if name == version or now.get(name) == stored.get(name):
            continue
        attribute = attributes[name]
        actions.append(attribute.set(getattr(item, _python_name(item, name))) if name in now else attribute.remove())
        if name in item.touched:
            continue
        if name in stored:
            condition &= attribute == attribute.deserialize(next(iter(stored[name].values())))
        else:
            condition &= attribute.does_not_exist()
    return actions, condition


def _python_name(item: Entity, attr_name: str) -> str:
    return next(python for python, a in item.get_attributes().items() if a.attr_name == attr_name)


def delete_together(items: Iterable[Entity]) -> None:
    """Delete several items atomically: undoing a write whose must-follow step failed, so nothing stays
    half-written."""
    with TransactWrite(connection=_Connection.get()) as t:
        for item in items:
            t.delete(item)


def conflict_reasons(error: TransactWriteError) -> list[str | None]:
    """The cancellation code of each item of a failed transaction, in order (None where it passed)."""
    return [getattr(r, "code", None) if r else None for r in (error.cancellation_reasons or [])]


# --- counters: every atomic ADD of the desk goes through `add` or `add_together` --------------------------------


@dataclass(frozen=True)
class Count:
    """One atomic UpdateItem on a counter item: ADD to its number attributes, SET its string labels (such as
    `kind`), and with `ttl_seconds` an expiry set the first time."""

    pk: str
    sk: str
    adds: Mapping[str, int]
    labels: Mapping[str, str]
    ttl_seconds: int | None = None

    def request(self, below: Mapping[str, int] | None = None) -> dict[str, Any]:
        names = {f"#a{n}": name for n, name in enumerate(self.adds)}
        names.update({f"#l{n}": name for n, name in enumerate(self.labels)})
        values: dict[str, Any] = {f":a{n}": {"N": str(int(v))} for n, v in enumerate(self.adds.values())}
        values.update({f":l{n}": {"S": v} for n, v in enumerate(self.labels.values())})
        sets = [f"#l{n} = :l{n}" for n in range(len(self.labels))]
        if self.ttl_seconds:
            sets.append("expires_at = if_not_exists(expires_at, :exp)")
            values[":exp"] = {"N": str(int(clock.now().timestamp()) + self.ttl_seconds)}
        additions = ", ".join(f"#a{n} :a{n}" for n in range(len(self.adds)))
        request: dict[str, Any] = {
            "TableName": Entity.Meta.table_name,
            "Key": {"pk": {"S": self.pk}, "sk": {"S": self.sk}},
            "UpdateExpression": f"ADD {additions}" + (f" SET {', '.join(sets)}" if sets else ""),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if below:
            index = {name: n for n, name in enumerate(self.adds)}
            request["ConditionExpression"] = " AND ".join(
                f"(attribute_not_exists(#a{index[name]}) OR #a{index[name]} < :below{index[name]})" for name in below
            )
            values.update({f":below{index[name]}": {"N": str(int(limit))} for name, limit in below.items()})
        return request


def merged(counts: Iterable[Count]) -> list[Count]:
    """Counts on the same counter item as one (a transaction may name an item only once): their adds summed."""
    by_key: dict[tuple[str, str], Count] = {}
    for count in counts:
        found = by_key.get((count.pk, count.sk))
        if found is None:
            by_key[(count.pk, count.sk)] = count
            continue
        adds = dict(found.adds)
        for name, value in count.adds.items():
            adds[name] = adds.get(name, 0) + value
        labels = {**found.labels, **count.labels}
        ttl = found.ttl_seconds or count.ttl_seconds
        by_key[(count.pk, count.sk)] = Count(count.pk, count.sk, adds, labels, ttl)
    return list(by_key.values())


def _numbers(response: dict[str, Any]) -> dict[str, int]:
    return {name: int(value["N"]) for name, value in response["Attributes"].items() if "N" in value}


def add(count: Count) -> dict[str, int]:
    """Apply one count; returns the counter's new numbers."""
    return _numbers(aws.client("dynamodb").update_item(**count.request(), ReturnValues="UPDATED_NEW"))


def add_below(count: Count, limits: Mapping[str, int]) -> dict[str, int] | None:
    """Apply one count only while each attribute named in `limits` is under its limit; else change nothing and
    return None."""
    dynamodb = aws.client("dynamodb")
    try:
        response = dynamodb.update_item(**count.request(limits), ReturnValues="UPDATED_NEW")
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return None
    return _numbers(response)


def add_together(counts: list[Count], *, once: tuple[str, str, str, int] | None = None) -> bool:
    """Apply counts atomically; with `once` = (pk, sk, kind, ttl seconds) of a mark item, only the first time that
    mark is written (a retried route step or request must not count twice). False when counted already."""
    dynamodb = aws.client("dynamodb")
    if once is None and len(counts) == 1:
        dynamodb.update_item(**counts[0].request())
        return True
    items: list[dict[str, Any]] = []
    if once is not None:
        pk, sk, kind, ttl_seconds = once
        mark = {
            "pk": {"S": pk},
            "sk": {"S": sk},
            "kind": {"S": kind},
            "expires_at": {"N": str(int(clock.now().timestamp()) + ttl_seconds)},
        }
        items.append(
            {
                "Put": {
                    "TableName": Entity.Meta.table_name,
                    "Item": mark,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
    items += [{"Update": c.request()} for c in counts]
    try:
        dynamodb.transact_write_items(TransactItems=items)
    except dynamodb.exceptions.TransactionCanceledException as error:
        reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
        if once is not None and reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        raise
    return True


def next_sequence(name: str) -> int:
    """The next number of a sequence such as ticket references."""
    counted = add(Count(f"COUNTER#{name}", "COUNTER", {"value": 1}, {"kind": "counter"}))
    assert counted is not None
    return counted["value"]


def take_quota(bucket: str, limit: int, ttl_seconds: int) -> bool:
    """Count one use in a fixed window; False when the window's limit is already reached."""
    count = Count(f"QUOTA#{bucket}", "QUOTA", {"value": 1}, {"kind": "counter"}, ttl_seconds)
    return add_below(count, {"value": limit}) is not None


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


WRITE_RETRIES = 10
# What another writer causes: a condition on a value it changed, or (real DynamoDB) its transaction on the same
# item in flight at the same moment. Both go away when the attempt is made again on a fresh read.
RETRIED_REASONS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


def with_retries(what: str, attempt: Callable[[], Any]) -> Any:
    """Optimistic concurrency: re-read and re-apply on a conflict, after a jittered, growing pause (full jitter:
    writers that collided do not collide again in step); 409 only after WRITE_RETRIES attempts."""
    for attempt_no in range(WRITE_RETRIES):
        try:
            return attempt()
        except TransactWriteError as error:
            if not RETRIED_REASONS.intersection(conflict_reasons(error)):
                raise
            if attempt_no < WRITE_RETRIES - 1:
                time.sleep(random.uniform(0, min(0.4, 0.01 * 2**attempt_no)))  # noqa: S311 - jitter, not security
    raise Conflict(f"{what} is being changed by others right now; try again in a moment.")
