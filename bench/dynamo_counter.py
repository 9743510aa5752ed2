"""Counts DynamoDB requests with botocore event hooks on every client the process creates.

The app makes DynamoDB clients in two places, both through botocore sessions: pynamodb's own
connection and `shared.aws.client("dynamodb")`. Wrapping `botocore.session.Session.create_client`
registers two handlers on each new DynamoDB client's `meta.events`:

- `before-parameter-build.dynamodb`: records the request (operation, thread, calling code path) and
  asks for `ReturnConsumedCapacity=TOTAL` where the operation accepts it;
- `after-call.dynamodb`: reads `ConsumedCapacity` from the parsed response (null when absent; the
  emulator may not return it, and no number is made up).

Both events carry the same per-call `context` dict, which links a response to its request.

With `write_units=True` the recorder also prices every write the way DynamoDB bills it (`WriteUnits`): it reads
each written item just before and just after the request (GetItem on the same client, not recorded) and counts
1 unit per started KB of the larger image (a delete: the deleted item), x2 inside a transaction (also its
ConditionCheck items), plus every write each global secondary index takes: an entry added or removed is one write
of the projected entry's size, a changed index key two (delete + put), a changed projected attribute one; an
entry that did not change costs nothing. Index writes of a transaction are doubled too (an overestimate). A
failed write is charged for its items as they were. The emulator's own ConsumedCapacity is not used for this.
"""

from __future__ import annotations

import functools
import math
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session

READS = frozenset({"GetItem", "Query", "BatchGetItem", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
SCANS = frozenset({"Scan"})
WITH_CONSUMED_CAPACITY = READS | WRITES | SCANS

_KEY = "caseway_bench_request"


@dataclass
class Request:
    operation: str
    thread: int
    detail: str
    code_path: str
    capacity_units: float | None = None
    read_capacity_units: float | None = None
    write_capacity_units: float | None = None
    items: int = 1
    write_units: float | None = None  # priced by WriteUnits (Recorder(write_units=True))
    unit_parts: list[dict[str, Any]] = field(default_factory=list)  # per item written: kind, base, index units
    targets: list[Any] = field(default_factory=list, repr=False)

    @property
    def kind(self) -> str:
        if self.operation in READS:
            return "read"
        if self.operation in WRITES:
            return "write"
        if self.operation in SCANS:
            return "scan"
        return "other"

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "kind": self.kind,
            "detail": self.detail,
            "items": self.items,
            "code_path": self.code_path,
            "consumed_capacity_units": self.capacity_units,
            "read_capacity_units": self.read_capacity_units,
            "write_capacity_units": self.write_capacity_units,
            "write_units": self.write_units,
        }


@dataclass
class Recorder:
    root: Path
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    installed: bool = False
    clients_hooked: int = 0
    write_units: bool = False
    pricer: WriteUnits | None = None

    # --- installing ------------------------------------------------------------------------------

    def install(self) -> None:
        """Hook every botocore client created from now on (call before the app makes any)."""
        if self.installed:
            return
        original = botocore.session.Session.create_client
        recorder = self

        @functools.wraps(original)
        def create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            client = original(session, service_name, *args, **kwargs)
            if client.meta.service_model.service_name == "dynamodb":
                recorder.hook(client)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
        self.installed = True

    def hook(self, client: Any) -> None:
        if self.write_units and self.pricer is None:
            self.pricer = WriteUnits()
        client.meta.events.register("before-parameter-build.dynamodb", functools.partial(self._before, client=client))
        client.meta.events.register("after-call.dynamodb", functools.partial(self._after, client=client))
        with self.lock:
            self.clients_hooked += 1

    # --- handlers --------------------------------------------------------------------------------

    def _before(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], client: Any = None, **_: Any
    ) -> None:
        if _PEEKING.__dict__.get("on"):
            return
        name = model.name
        if name in WITH_CONSUMED_CAPACITY:
            params["ReturnConsumedCapacity"] = "TOTAL"
        request = Request(
            operation=name,
            thread=threading.get_ident(),
            detail=describe(name, params),
            code_path=self._code_path(),
            items=len(params.get("TransactItems") or []) or _batch_items(params) or 1,
        )
        if self.pricer is not None and name in WRITES and client is not None:
            request.targets = self.pricer.before(client, name, params)
        context[_KEY] = request
        with self.lock:
            self.requests.append(request)

    def _after(
        self, parsed: dict[str, Any], context: dict[str, Any], client: Any = None, http_response: Any = None, **_: Any
    ) -> None:
        request = context.get(_KEY)
        if request is None or not isinstance(parsed, dict):
            return
        if request.targets and self.pricer is not None:
            failed = getattr(http_response, "status_code", 200) >= 300
            request.unit_parts = self.pricer.after(client, request.targets, failed=failed)
            request.write_units = float(sum(p["base"] + p["index"] for p in request.unit_parts))
            request.targets = []
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None:
            return
        entries = consumed if isinstance(consumed, list) else [consumed]
        request.capacity_units = _total(entries, "CapacityUnits")
        request.read_capacity_units = _total(entries, "ReadCapacityUnits")
        request.write_capacity_units = _total(entries, "WriteCapacityUnits")

    def _code_path(self) -> str:
        """The project frames (shared/, functions/, infra/) that led to the request, innermost first."""
        frames = []
        for frame in reversed(traceback.extract_stack()[:-2]):
            try:
                rel = Path(frame.filename).resolve().relative_to(self.root)
            except ValueError:
                continue
            if rel.parts and rel.parts[0] in {"shared", "functions", "infra"}:
                frames.append(f"{rel.as_posix()}:{frame.lineno} {frame.name}")
        return " <- ".join(frames[:4]) or "(outside project code)"

    # --- reading ---------------------------------------------------------------------------------

    def mark(self) -> int:
        with self.lock:
            return len(self.requests)

    def since(self, mark: int, thread: int | None = None) -> list[Request]:
        with self.lock:
            found = self.requests[mark:]
        return [r for r in found if thread is None or r.thread == thread]


def _total(entries: list[Any], key: str) -> float | None:
    values = [e[key] for e in entries if isinstance(e, dict) and isinstance(e.get(key), (int, float))]
    return float(sum(values)) if values else None


def _batch_items(params: dict[str, Any]) -> int:
    items = params.get("RequestItems")
    if not isinstance(items, dict):
        return 0
    total = 0
    for value in items.values():
        if isinstance(value, list):
            total += len(value)
        elif isinstance(value, dict):
            total += len(value.get("Keys") or [])
    return total


def _key_text(key: Any) -> str:
    """Item keys shortened to their prefixes (TICKET#..., USER#...), which name the access pattern."""
    if not isinstance(key, dict):
        return "?"
    parts = []
    for name in ("pk", "sk"):
        value = key.get(name)
        if isinstance(value, dict) and "S" in value:
            text = value["S"]
            prefix, sep, _ = text.partition("#")
            parts.append(f"{name}={prefix}{sep}…" if sep else f"{name}={text}")
    return ",".join(parts) or ",".join(sorted(key))


def describe(operation: str, params: dict[str, Any]) -> str:
    table = params.get("TableName", "")
    if operation in {"GetItem", "DeleteItem", "UpdateItem"}:
        return f"{table} {_key_text(params.get('Key'))}"
    if operation == "PutItem":
        return f"{table} {_key_text(params.get('Item'))}"
    if operation in {"Query", "Scan"}:
        index = params.get("IndexName")
        condition = _expression(params.get("KeyConditionExpression", ""), params)
        return f"{table}{'/' + index if index else ''} {condition}".strip()
    if operation in {"TransactWriteItems", "TransactGetItems"}:
        parts = []
        for item in params.get("TransactItems") or []:
            for action, body in item.items():
                parts.append(f"{action}({_key_text(body.get('Key') or body.get('Item'))})")
        return " + ".join(parts)
    return table


def _expression(text: str, params: dict[str, Any]) -> str:
    """A key condition with its placeholders filled in (values shortened to their prefixes)."""
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    for placeholder in sorted(names, key=len, reverse=True):
        text = text.replace(placeholder, names[placeholder])
    for placeholder in sorted(values, key=len, reverse=True):
        value = values[placeholder]
        shown = next(iter(value.values())) if isinstance(value, dict) and value else value
        if isinstance(shown, str):
            prefix, sep, _ = shown.partition("#")
            shown = f"{prefix}{sep}…" if sep else shown
        text = text.replace(placeholder, str(shown))
    return text


# --- pricing writes as DynamoDB bills them ---------------------------------------------------------------------

_PEEKING = threading.local()
KB = 1024


@dataclass
class Target:
    table: str
    key: dict[str, Any]
    action: str  # Put, Update, Delete, ConditionCheck
    transactional: bool
    before: dict[str, Any] | None = None


@dataclass
class Schema:
    keys: list[str]
    indexes: list[tuple[str, list[str], str, list[str]]]  # name, key attributes, projection type, non-key attributes


class WriteUnits:
    """Write units of each written item from its images before and after (see the module doc)."""

    def __init__(self) -> None:
        self.schemas: dict[str, Schema] = {}

    def _call(self, client: Any, operation: str, **params: Any) -> dict[str, Any]:
        _PEEKING.on = True
        try:
            return getattr(client, operation)(**params)
        finally:
            _PEEKING.on = False

    def schema(self, client: Any, table: str) -> Schema:
        if table not in self.schemas:
            described = self._call(client, "describe_table", TableName=table)["Table"]
            indexes = [
                (
                    index["IndexName"],
                    [k["AttributeName"] for k in index["KeySchema"]],
                    index["Projection"]["ProjectionType"],
                    list(index["Projection"].get("NonKeyAttributes") or []),
                )
                for index in described.get("GlobalSecondaryIndexes") or []
            ]
            self.schemas[table] = Schema([k["AttributeName"] for k in described["KeySchema"]], indexes)
        return self.schemas[table]

    def _peek(self, client: Any, target: Target) -> dict[str, Any] | None:
        found = self._call(client, "get_item", TableName=target.table, Key=target.key, ConsistentRead=True)
        return found.get("Item")

    def before(self, client: Any, operation: str, params: dict[str, Any]) -> list[Target]:
        targets = []
        for table, action, body, transactional in _written(operation, params):
            keys = self.schema(client, table).keys
            source = body.get("Item") if action == "Put" else body.get("Key")
            key = {k: source[k] for k in keys if isinstance(source, dict) and k in source}
            targets.append(Target(table, key, action, transactional))
        for target in targets:
            target.before = self._peek(client, target)
        return targets

    def after(self, client: Any, targets: list[Target], *, failed: bool) -> list[dict[str, Any]]:
        parts = []
        for target in targets:
            factor = 2 if target.transactional else 1
            after = target.before if failed or target.action == "ConditionCheck" else self._peek(client, target)
            base = _units(max(item_size(target.before), item_size(after)))
            index = 0
            if not failed and target.action != "ConditionCheck":
                schema = self.schema(client, target.table)
                index = sum(_index_writes(schema, spec, target.before, after) for spec in schema.indexes)
            parts.append({"kind": _key_text(target.key), "base": base * factor, "index": index * factor})
        return parts


def _written(operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(table, action, request body, in a transaction) of each item a write request names."""
    if operation == "PutItem":
        return [(params["TableName"], "Put", params, False)]
    if operation in {"UpdateItem", "DeleteItem"}:
        return [(params["TableName"], operation.removesuffix("Item"), params, False)]
    if operation == "TransactWriteItems":
        return [
            (body["TableName"], action, body, True) for item in params["TransactItems"] for action, body in item.items()
        ]
    found = []
    for table, requests in (params.get("RequestItems") or {}).items():
        for request in requests:
            if "PutRequest" in request:
                found.append((table, "Put", request["PutRequest"], False))
            elif "DeleteRequest" in request:
                found.append((table, "Delete", request["DeleteRequest"], False))
    return found


def _units(size: int) -> int:
    return max(1, math.ceil(size / KB))


def _entry(schema: Schema, spec: tuple[str, list[str], str, list[str]], item: dict[str, Any] | None) -> dict | None:
    """The item's entry in one index as the index stores it (None: not in the index)."""
    _, keys, projection, non_key = spec
    if item is None or any(k not in item for k in keys):
        return None
    if projection == "ALL":
        return item
    names = {*schema.keys, *keys, *(non_key if projection == "INCLUDE" else [])}
    return {k: v for k, v in item.items() if k in names}


def _index_writes(
    schema: Schema, spec: tuple[str, list[str], str, list[str]], before: dict | None, after: dict | None
) -> int:
    old, new = _entry(schema, spec, before), _entry(schema, spec, after)
    if old == new:
        return 0
    if old is None or new is None:
        return _units(item_size(old or new))
    if any(old[k] != new[k] for k in spec[1]):
        return _units(item_size(old)) + _units(item_size(new))  # the key moved: a delete and a put
    return _units(max(item_size(old), item_size(new)))


def item_size(item: dict[str, Any] | None) -> int:
    """An item's size by DynamoDB's rules: each attribute's name (UTF-8) plus its value."""
    if not item:
        return 0
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(data)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in data)
    if kind == "NS":
        return sum(_number_size(v) for v in data)
    if kind == "BS":
        return sum(len(v) for v in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0").split("e")[0].split("E")[0] or "0"
    return min(21, math.ceil(len(digits) / 2) + 1)
