"""Counts DynamoDB requests with botocore event hooks on every client the process creates.

The app makes DynamoDB clients in two places, both through botocore sessions: pynamodb's own
connection and `shared.aws.client("dynamodb")`. Wrapping `botocore.session.Session.create_client`
registers two handlers on each new DynamoDB client's `meta.events`:

- `before-parameter-build.dynamodb`: records the request (operation, thread, calling code path) and
  asks for `ReturnConsumedCapacity=TOTAL` where the operation accepts it;
- `after-call.dynamodb`: reads `ConsumedCapacity` from the parsed response (null when absent; the
  emulator may not return it, and no number is made up).

Both events carry the same per-call `context` dict, which links a response to its request.
"""

from __future__ import annotations

import functools
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
        }


@dataclass
class Recorder:
    root: Path
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    installed: bool = False
    clients_hooked: int = 0

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
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)
        with self.lock:
            self.clients_hooked += 1

    # --- handlers --------------------------------------------------------------------------------

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
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
        context[_KEY] = request
        with self.lock:
            self.requests.append(request)

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        request = context.get(_KEY)
        if request is None or not isinstance(parsed, dict):
            return
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
