"""What one daily review (R20) costs in DynamoDB reads, and whether it grows with the closed tickets.

review_cost_ratio = read units consumed by one daily review with 100,000 closed and 200 open tickets, divided by
the same with only the 200 open ones. Target <= 1.2: the review must read what is open (the sparse open_index and
queue_index), never everything ever stored.

How it is measured:
- Two fresh emulated AWS accounts (moto, in-process), each provisioned and seeded with the demo desk like the
  tests. Both get the same 200 open tickets (every open status, owners of L1, L2 and the office, some with open
  tasks of another line, some with deadlines) written with the keys shared.tickets writes (infra/local/demo/review.py
  ticket_item, so `_set_index_keys` decides the index keys). The second also gets 100,000 closed tickets, written
  straight into moto's DynamoDB backend (through the API it would take hours); closed tickets carry the requester
  and organisation keys but no open_pk and no owner_pk, exactly as the real code leaves them (pynamodb serialises
  each, and the bench stores moto's Item for it in the table's item store, as moto's PutItem would).
- The review is fired as the scheduler fires it (infra.local.emulation.fire_schedule -> the housekeeping Lambda's
  handler), at Wednesday 25 November 2026, 08:00 in Prague.
- Every DynamoDB request is counted with bench/dynamo_counter.py's botocore hooks. moto does return a
  ConsumedCapacity, but a constant per request, not computed from the data, so the read units are computed here from
  the items each response returned, by DynamoDB's rules: an item's size is the sum of its attribute names' and
  values' sizes (strings in UTF-8 bytes, numbers about 1 byte per 2 significant digits + 1, booleans and nulls
  1 byte, lists and maps 3 bytes + their elements); a Query or Scan reads the total size of what it returned,
  rounded up to 4 KB; GetItem and each item of BatchGetItem round up alone; eventually consistent reads (every
  read here: pynamodb's default, and always on a global secondary index) cost half a unit per 4 KB. Writes are
  reported apart (the review's own task items), not in the ratio.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dynamo_counter

from shared.tickets import items as ticket_items

RATIO_TARGET = 1.2
OPEN_TICKETS = 200
CLOSED_TICKETS = 100_000
NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # Wednesday 08:00 in Prague
UNIT = 4096


# --- read units from item sizes (DynamoDB's rules) -------------------------------------------------------------


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return min(21, math.ceil(len(digits) / 2) + 1)


def value_size(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "BS"):
        return sum(len(v.encode() if isinstance(v, str) else v) for v in data)
    if kind == "NS":
        return sum(_number_size(v) for v in data)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def read_units(operation: str, parsed: dict[str, Any], consistent: bool = False) -> float:
    per_unit = 1.0 if consistent else 0.5
    if operation == "GetItem":
        item = parsed.get("Item")
        return per_unit * max(1, math.ceil(item_size(item) / UNIT)) if item else per_unit
    if operation in ("Query", "Scan"):
        total = sum(item_size(i) for i in parsed.get("Items") or [])
        return per_unit * max(1, math.ceil(total / UNIT))
    if operation == "BatchGetItem":
        items = [i for found in (parsed.get("Responses") or {}).values() for i in found]
        return sum(per_unit * max(1, math.ceil(item_size(i) / UNIT)) for i in items)
    if operation == "TransactGetItems":
        items = [r.get("Item") for r in parsed.get("Responses") or [] if r.get("Item")]
        return sum(2 * max(1, math.ceil(item_size(i) / UNIT)) for i in items)
    return 0.0


class ReadUnitRecorder(dynamo_counter.Recorder):
    """dynamo_counter's recorder, plus read units computed from the returned items (see the module doc)."""

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **kwargs: Any) -> None:
        super()._before(params=params, model=model, context=context, **kwargs)
        request = context.get(dynamo_counter._KEY)
        if request is not None:
            request.consistent = bool(params.get("ConsistentRead"))
            request.returned_items = 0

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        super()._after(parsed=parsed, context=context, **kwargs)
        request = context.get(dynamo_counter._KEY)
        if request is None or not isinstance(parsed, dict) or request.kind != "read":
            return
        request.computed_read_units = read_units(request.operation, parsed, getattr(request, "consistent", False))
        request.returned_items = len(parsed.get("Items") or []) + (1 if parsed.get("Item") else 0)


# --- the data ------------------------------------------------------------------------------------------------


def _open_tickets(rng: random.Random) -> list[Any]:
    """200 open tickets of every kind, and open tasks (of their own or another line) on some of them."""
    from infra.local.demo.review import ticket_item
    from shared.platform import clock
    from shared.tasks.priority import queue_key
    from shared.tasks.queues import basis_without_ticket
    from shared.tickets.items import Task

    owners = ["agent-lena", "agent-petr", "agent-dev", "agent-office", None]
    statuses = ["new", "in_progress", "in_progress", "waiting_for_customer", "resolved"]
    items: list[Any] = []
    for n in range(OPEN_TICKETS):
        status = statuses[n % len(statuses)]
        created = NOW - timedelta(hours=rng.randint(2, 24 * 20))
        updated = created + (NOW - created) * rng.random()
        side_since = updated
        due = None
        if status in ("waiting_for_customer", "resolved"):
            due = side_since + timedelta(days=rng.choice([1, 2, 3, 4]))
        elif rng.random() < 0.4:
            due = NOW + timedelta(hours=rng.randint(-30, 40))
        ticket = ticket_item(
            status=status,
            created_at=created,
            updated_at=updated,
            ball_since=side_since,
            due_at=due,
            owner=owners[n % len(owners)] if status != "new" else None,
            organisation_id=rng.choice(["acme", "globex"]),
            requester_sub=rng.choice(["cust-bob", "cust-alice", "cust-vera", "cust-gus"]),
            service=rng.choice(["functionality-question", "document-request", "licence-key", "change-request"]),
            subject=f"Request {n}: the monthly report stops with an error",
            sequence=n + 1,
        )
        items.append(ticket)
        if status in ("new", "in_progress") and rng.random() < 0.6:
            group = rng.choice(["L1", "L2", "L2", "office"])
            task_id = f"{ticket.ticket_id}-{n:08x}"
            items.append(
                Task(
                    ticket.pk,
                    f"TASK#{task_id}",
                    task_id=task_id,
                    ticket_id=ticket.ticket_id,
                    reference=ticket.reference,
                    task_type="fix" if group == "L2" else "answer",
                    title="Fix the bug" if group == "L2" else "Answer the customer's question",
                    group=group,
                    status="open",
                    created_at=clock.iso(created + timedelta(hours=1)),
                    queue_pk=ticket_items.queue_pk(group),
                    queue_sk=queue_key(
                        basis_without_ticket(
                            group=group, base=300, due_at=None, created_at=clock.iso(created + timedelta(hours=1))
                        ),
                        task_id,
                    ),
                )
            )
    return items


def _table_items() -> int:
    from moto.dynamodb.models import dynamodb_backends

    from infra.local import emulation
    from shared.tickets.items import Ticket

    table = dynamodb_backends[emulation.ACCOUNT][emulation.REGION].get_table(Ticket.Meta.table_name)
    return sum(len(by_range) for by_range in table.items.values())


def _write_closed(rng: random.Random, count: int) -> float:
    """Closed tickets straight into moto's backend, serialised by pynamodb with the real keys. Returns seconds."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    from infra.local import emulation
    from infra.local.demo.review import ticket_item
    from shared.tickets.items import Ticket

    started = time.perf_counter()
    backend = dynamodb_backends[emulation.ACCOUNT][emulation.REGION]
    table = backend.get_table(Ticket.Meta.table_name)
    for n in range(count):
        created = NOW - timedelta(minutes=rng.randint(60 * 24 * 30, 60 * 24 * 365 * 3))
        ticket = ticket_item(
            status="closed",
            created_at=created,
            updated_at=created + timedelta(days=rng.randint(1, 20)),
            owner=rng.choice(["agent-lena", "agent-petr", "agent-dev", "agent-office"]),
            organisation_id=rng.choice(["acme", "globex"]),
            requester_sub=rng.choice(["cust-bob", "cust-alice", "cust-vera", "cust-gus"]),
            subject=f"Closed request {n}: the monthly report stops with an error",
            sequence=OPEN_TICKETS + n + 1,
        )
        assert ticket.open_pk is None and ticket.owner_pk is None
        attrs = ticket.serialize()
        # What moto's put_item stores, built without its per-attribute size re-check (quadratic in attributes,
        # 25 ms an item here): dict.update on moto's LimitedSizeDict skips __setitem__.
        item = Item.__new__(Item)
        item.hash_key, item.range_key = DynamoType(attrs["pk"]), DynamoType(attrs["sk"])
        item.attrs = LimitedSizeDict({key: DynamoType(value) for key, value in attrs.items()})
        table.items[item.hash_key][item.range_key] = item
    return time.perf_counter() - started


# --- one run ---------------------------------------------------------------------------------------------------


def _run(recorder: ReadUnitRecorder, closed: int) -> dict[str, Any]:
    from moto import mock_aws

    from infra.local import demo, emulation
    from shared.platform import aws, clock

    rng = random.Random(20)  # the same open tickets in both runs
    clock.set_clock(lambda: NOW)
    try:
        with mock_aws(config=emulation.MOTO_CONFIG):
            emulation.install_lambda_dispatcher()
            emulation.provision()
            demo.seed()
            from shared.platform.table import Entity

            with Entity.batch_write() as batch:
                for item in _open_tickets(rng):
                    batch.save(item)
            write_s = _write_closed(random.Random(21), closed)
            table_items = _table_items()
            mark = recorder.mark()
            started = time.perf_counter()
            result = emulation.fire_schedule("daily-review")
            review_s = time.perf_counter() - started
            requests = recorder.since(mark)
            aws.reset()
    finally:
        clock.set_clock(None)
    reads = [r for r in requests if r.kind == "read"]
    return {
        "open_tickets": OPEN_TICKETS,
        "closed_tickets": closed,
        "table_items_before_review": table_items,
        "review_tasks_created": len(result["created"]),
        "requests_by_operation": _count(r.operation for r in requests),
        "read_requests": len(reads),
        "scans": sum(r.kind == "scan" for r in requests),
        "items_read": sum(getattr(r, "returned_items", 0) for r in reads),
        "read_units_computed": sum(getattr(r, "computed_read_units", 0.0) for r in reads),
        "read_units_moto": sum(r.capacity_units or 0.0 for r in reads),
        "write_requests": sum(r.kind == "write" for r in requests),
        "read_detail": _grouped(reads),
        "closed_tickets_write_s": round(write_s, 1),
        "review_s": round(review_s, 2),
    }


def _count(names: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def _grouped(reads: list[Any]) -> list[dict[str, Any]]:
    """Reads by access pattern (the request's detail), with their count, items and computed units."""
    groups: dict[str, dict[str, Any]] = {}
    for r in reads:
        g = groups.setdefault(r.detail, {"detail": r.detail, "requests": 0, "items": 0, "read_units": 0.0})
        g["requests"] += 1
        g["items"] += getattr(r, "returned_items", 0)
        g["read_units"] += getattr(r, "computed_read_units", 0.0)
    return sorted(groups.values(), key=lambda g: -g["read_units"])


def measure(root: Path, closed: int = CLOSED_TICKETS) -> dict[str, Any]:
    started = time.perf_counter()
    recorder = ReadUnitRecorder(root=root)
    recorder.install()
    only_open = _run(recorder, 0)
    with_closed = _run(recorder, closed)
    ratio = with_closed["read_units_computed"] / only_open["read_units_computed"]
    return {
        "review_cost_ratio": {
            "value": round(ratio, 3),
            "target": f"<= {RATIO_TARGET}",
            "ok": ratio <= RATIO_TARGET,
            "unit": "DynamoDB read units computed from returned item sizes (4 KB per unit, eventually consistent "
            "= half); moto's own ConsumedCapacity is a constant per request and is reported beside it",
            "only_open": only_open,
            "with_closed": with_closed,
            "bench_s": round(time.perf_counter() - started, 1),
        }
    }


def report(result: dict[str, Any]) -> str:
    r = result["review_cost_ratio"]
    a, b = r["only_open"], r["with_closed"]
    lines = [
        f"review_cost_ratio (one daily review, read units from item sizes): "
        f"{b['read_units_computed']:g} RU with {b['closed_tickets']:,} closed + {b['open_tickets']} open / "
        f"{a['read_units_computed']:g} RU with {a['open_tickets']} open only = {r['value']:.3f}  "
        f"target <= {RATIO_TARGET}  {'ok' if r['ok'] else 'FAIL'}",
        f"  table items {a['table_items_before_review']:,} vs {b['table_items_before_review']:,}; "
        f"reads {a['read_requests']} vs {b['read_requests']} requests, {a['items_read']} vs {b['items_read']} items; "
        f"scans {a['scans']} / {b['scans']}; moto's constant ConsumedCapacity {a['read_units_moto']:g} vs "
        f"{b['read_units_moto']:g}",
        f"  review {a['review_s']} s vs {b['review_s']} s (moto's index queries walk the whole table); writing the "
        f"closed tickets {b['closed_tickets_write_s']} s; bench {r['bench_s']} s",
    ]
    for g in b["read_detail"]:
        lines.append(f"    {g['requests']:>3} x {g['detail']:<70} {g['items']:>5} items {g['read_units']:g} RU")
    return "\n".join(lines)


if __name__ == "__main__":
    ROOT = Path(__file__).resolve().parent.parent
    for path in (str(ROOT), str(Path(__file__).resolve().parent)):
        if path not in sys.path:
            sys.path.insert(0, path)
    from infra.local import fake_aws

    fake_aws.apply(POWERTOOLS_LOG_LEVEL="WARNING")
    closed_count = int(sys.argv[1]) if len(sys.argv) > 1 else CLOSED_TICKETS
    measured = measure(ROOT, closed_count)
    print(report(measured))
    print(json.dumps(measured, indent=2, default=lambda o: float(o) if isinstance(o, Decimal) else str(o))[:3000])
