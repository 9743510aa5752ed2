"""What a ticket costs on its route: state transitions and AWS list prices for the typical paths.

Runs the support route's question path and bug path end to end (the real ASL on moto's interpreter,
route steps in-process, a virtual clock so the auto-close after three working days fires at once) and
counts what AWS would bill: Step Functions state transitions (StateEntered events in the execution
history), Lambda requests and GB-seconds (handler wall time measured here, times the function's memory),
DynamoDB request units, SES e-mails, EventBridge events and HTTP API requests.

Durations are each invocation's CPU time on its own thread, measured on this machine in-process (the handler
plus the emulator's work for its AWS calls, standing in for their latency), so they stand in for Lambda's billed
duration; the wall time is reported beside them (on a shared machine it also holds other processes' time).
Cold starts are not included. The bench's own polling while a route works in the background is not metered.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from scenario import BOB, CHANGE, DANA, DOCUMENT, LENA, LICENCE, MARIA, QUESTION

from shared.platform import bus
from shared.routes import licences

# AWS list prices, us-east-1, from each service's public pricing page (aws.amazon.com/<service>/pricing):
# Step Functions standard workflows $0.025 per 1,000 state transitions (step-functions); Lambda $0.20 per million
# requests and arm64 $0.0000133334 per GB-second, first tier (lambda); DynamoDB on-demand $0.625 per million write
# and $0.125 per million read request units (dynamodb/pricing/on-demand); SES $0.10 per 1,000 outbound e-mails
# (ses); EventBridge $1.00 per million custom events published, delivery to a Lambda target not charged apart
# (eventbridge); API Gateway HTTP APIs $1.00 per million requests, first 300 million (api-gateway). Free tiers
# are left out.
PRICES_USD = {
    "state_transition": 0.025 / 1000,
    "lambda_request": 0.20 / 1_000_000,
    "lambda_gb_second_arm64": 0.0000133334,
    "dynamodb_write_unit": 0.625 / 1_000_000,
    "dynamodb_read_unit": 0.125 / 1_000_000,
    "ses_email": 0.10 / 1000,
    "eventbridge_event": 1.00 / 1_000_000,
    "http_api_request": 1.00 / 1_000_000,
}
# as infra/cdk/functions.py configures them
MEMORY_GB = {"api": 1.0, "route-tasks": 0.5, "counters": 0.25, "housekeeping": 0.5}
FUNCTION_NAMES = {
    "route-tasks": "caseway-route-tasks",
    "counters": "caseway-counters",
    "housekeeping": "caseway-housekeeping",
}
TRANSITIONS_TARGET = 12
WRITE_UNITS_TARGET = 120  # DynamoDB write units over a question ticket's whole life
COST_TARGET_PER_1000 = 0.40
MONDAY_0900 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Meter:
    """Counts Lambda invocations with their durations, API requests and bus events.

    The bench polls the API while a route works in the emulator's background threads (waiting for a task to
    appear); those polls are not traffic a desk would pay for, so they run `unmetered()` and the agent's one
    look at the queue after the task is there is metered instead."""

    def __init__(self) -> None:
        self.invocations: dict[str, list[float]] = {name: [] for name in MEMORY_GB}
        self.wall: dict[str, list[float]] = {name: [] for name in MEMORY_GB}
        self.events = 0
        self._quiet = threading.local()

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Each invocation's CPU time on its own thread (time.thread_time): the handler's work plus the
        in-process emulator's work for its AWS calls (standing in for their latency), without the time this
        shared machine's other processes take from it; the wall time is kept beside it, for reference."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if getattr(self._quiet, "on", False):
                return fn(*args, **kwargs)
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.invocations[name].append(time.thread_time() - cpu)
                self.wall[name].append(time.perf_counter() - started)

        return wrapper

    @contextlib.contextmanager
    def unmetered(self) -> Iterator[None]:
        self._quiet.on = True
        try:
            yield
        finally:
            self._quiet.on = False


def _run_path(api: Any, wait_for: Callable[..., Any], vc: Any, classification: str, meter: Meter) -> str:
    """One ticket from submission to its automatic close; returns the ticket id."""
    _, ticket = api("POST", "/tickets", user=BOB, body=QUESTION)

    def task(group: str, user: str, task_type: str) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            _, page = api("GET", f"/tasks?group={group}", user=user)
            return next((t for t in page["items"] if t["ticket_id"] == ticket["id"] and t["type"] == task_type), None)

        with meter.unmetered():  # the bench waiting for the emulator's route
            wait_for(find, what=f"{task_type} task")
        return find()  # the agent opens the queue once

    def finish(found: dict[str, Any], user: str, outcome: str, note: str | None = None) -> None:
        api("POST", f"/tasks/{found['id']}/take", user=user)
        api("POST", f"/tasks/{found['id']}/complete", user=user, body={"outcome": outcome, "note": note})

    finish(task("L1", LENA, "classify"), LENA, classification, "reproduced on the demo tenant")
    if classification == "question":
        task("L1", LENA, "answer")
    else:
        finish(task("L2", DANA, "fix"), DANA, "fixed", "Fixed in 4.2.1")
        task("L1", LENA, "tell")
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Solved: please check."})
    api(
        "POST",
        f"/tickets/{ticket['id']}/resolve",
        user=LENA,
        body={"resolution": "Explained and fixed", "preventive_measure": "Covered by a regression test"},
    )
    api("GET", f"/tickets/{ticket['id']}", user=BOB)
    return ticket["id"]


# Without a priced write (dynamo_counter.WriteUnits), every write is assumed to also write the item to each index
# it is projected into (tickets: up to 3 of the 4 indexes, tasks: the queue index): 3 extra units per unit written.
INDEX_WRITE_FACTOR = 4
# Counters kept as work happens (figures, contract usage): reported apart, since they may leave the request path.
COUNTER_PREFIXES = ("pk=FIGMARK#", "pk=FIGURES#", "pk=CONTRACT#", "pk=SUBMITTED#")


def _units(requests: list[Any]) -> tuple[float, float]:
    """Write and read request units. A write priced by dynamo_counter.WriteUnits counts what DynamoDB bills for it
    (item sizes per KB, x2 in transactions, each index write); otherwise DynamoDB's rule for items under 1 KB
    (transactional writes 2 units an item) times INDEX_WRITE_FACTOR. Reads: the emulator's consumed capacity, else 1."""
    writes = reads = 0.0
    for request in requests:
        reported = request.capacity_units
        if request.kind == "write":
            if request.write_units is not None:
                writes += request.write_units
                continue
            items = max(1, request.items)
            units = 2 * items if request.operation.startswith("Transact") else items
            writes += (reported if reported is not None else units) * INDEX_WRITE_FACTOR
        elif request.kind == "read":
            reads += reported if reported is not None else 1
    return writes, reads


def write_units_by_kind(requests: list[Any]) -> dict[str, Any]:
    """Priced write units by the kind of item written (its key prefixes), with and without the counters."""
    kinds: dict[str, dict[str, float]] = {}
    for request in requests:
        for part in request.unit_parts:
            kind = kinds.setdefault(part["kind"], {"writes": 0, "base": 0, "index": 0})
            kind["writes"] += 1
            kind["base"] += part["base"]
            kind["index"] += part["index"]
    total = sum(k["base"] + k["index"] for k in kinds.values())
    counters = sum(k["base"] + k["index"] for name, k in kinds.items() if name.startswith(COUNTER_PREFIXES))
    ordered = dict(sorted(kinds.items(), key=lambda kv: -(kv[1]["base"] + kv[1]["index"])))
    return {"total": total, "without_counters": total - counters, "by_kind": ordered}


def measure(api_factory: Callable[[], Any], wait_for: Callable[..., Any], root: Any) -> dict[str, Any]:
    import dynamo_counter
    from moto import mock_aws

    import functions.api.app
    import functions.route_tasks
    from infra.local import demo
    from infra.local import emulation as aws_emulation
    from infra.local.virtual_time import VirtualClock

    pass

    recorder = dynamo_counter.Recorder(root=root, write_units=True)
    recorder.install()
    results: dict[str, Any] = {}
    for classification in ("question", "bug"):
        meter = Meter()
        original_api, original_route = functions.api.app.handler, functions.route_tasks.handler
        original_publish = bus.publish

        def publish(
            detail_type: str, detail: dict[str, Any], meter: Meter = meter, send: Callable = original_publish
        ) -> None:
            meter.events += 1
            send(detail_type, detail)

        functions.api.app.handler = meter.timed("api", original_api)
        # The emulation invokes the other functions through its own table of handlers (steps, schedules, the bus's
        # consumers): meter them there.
        original_handlers = dict(aws_emulation.HANDLERS)
        for name, function_name in FUNCTION_NAMES.items():
            if function_name in original_handlers:
                aws_emulation.HANDLERS[function_name] = meter.timed(name, original_handlers[function_name])
        bus.publish = publish
        try:
            with mock_aws(config=aws_emulation.MOTO_CONFIG):
                aws_emulation.install_lambda_dispatcher()
                aws_emulation.provision()
                with VirtualClock(MONDAY_0900) as vc:
                    demo.seed()
                    mark = recorder.mark()
                    meter.invocations = {name: [] for name in MEMORY_GB}
                    meter.wall = {name: [] for name in MEMORY_GB}
                    meter.events = 0
                    mails_before = len(aws_emulation.sent_emails())
                    ticket_id = _run_path(api_factory(), wait_for, vc, classification, meter)
                    wait_for(
                        lambda ticket_id=ticket_id: "AwaitCustomer" in aws_emulation.route_states(ticket_id),
                        what="the route to wait for the customer",
                    )
                    vc.wait_for_pending(1)
                    vc.fire_next()
                    wait_for(
                        lambda ticket_id=ticket_id: aws_emulation.route_status(ticket_id) == "SUCCEEDED",
                        what="the route to end",
                    )
                    states = aws_emulation.route_states(ticket_id)
                    emails = len(aws_emulation.sent_emails()) - mails_before
                    writes, reads = _units(recorder.since(mark))
                    by_kind = write_units_by_kind(recorder.since(mark))
        finally:
            functions.api.app.handler, functions.route_tasks.handler = original_api, original_route
            aws_emulation.HANDLERS.update(original_handlers)
            bus.publish = original_publish
        results[f"{classification}_path"] = {**_costs(states, meter, writes, reads, emails), "write_units": by_kind}
    question = results["question_path"]
    return {
        "write_units_per_ticket": {
            "question_path": question["write_units"]["total"],
            "question_path_without_counters": question["write_units"]["without_counters"],
            "target_question_path": f"<= {WRITE_UNITS_TARGET}",
            "ok": question["write_units"]["total"] <= WRITE_UNITS_TARGET,
        },
        "transitions_per_ticket": {
            "question_path": question["state_transitions"],
            "bug_path": results["bug_path"]["state_transitions"],
            "target_question_path": f"<= {TRANSITIONS_TARGET}",
            "ok": question["state_transitions"] <= TRANSITIONS_TARGET,
        },
        "cost_per_1000_tickets_usd": {
            "question_path_without_email": question["usd_per_1000_without_email"],
            "question_path_emails_per_ticket": question["emails"],
            "question_path": question["usd_per_1000"],
            "bug_path_without_email": results["bug_path"]["usd_per_1000_without_email"],
            "bug_path_emails_per_ticket": results["bug_path"]["emails"],
            "bug_path": results["bug_path"]["usd_per_1000"],
            "target": f"question path without e-mail <= {COST_TARGET_PER_1000}",
            "ok": question["usd_per_1000_without_email"] <= COST_TARGET_PER_1000,
        },
        "paths": results,
        "prices_usd": PRICES_USD,
    }


def _costs(states: list[str], meter: Meter, writes: float, reads: float, emails: int) -> dict[str, Any]:
    gb_seconds = sum(sum(durations) * MEMORY_GB[name] for name, durations in meter.invocations.items())
    requests = sum(len(d) for d in meter.invocations.values())
    api_requests = len(meter.invocations["api"])
    parts = {
        "step_functions": len(states) * PRICES_USD["state_transition"],
        "lambda_requests": requests * PRICES_USD["lambda_request"],
        "lambda_duration": gb_seconds * PRICES_USD["lambda_gb_second_arm64"],
        "dynamodb": writes * PRICES_USD["dynamodb_write_unit"] + reads * PRICES_USD["dynamodb_read_unit"],
        "ses": emails * PRICES_USD["ses_email"],
        "eventbridge": meter.events * PRICES_USD["eventbridge_event"],
        "http_api": api_requests * PRICES_USD["http_api_request"],
    }
    return {
        "state_transitions": len(states),
        "states": states,
        "lambda_invocations": {name: len(d) for name, d in meter.invocations.items()},
        "lambda_gb_seconds": round(gb_seconds, 4),
        "lambda_cpu_seconds_by_function": {name: round(sum(d), 3) for name, d in meter.invocations.items()},
        "lambda_wall_seconds_by_function": {name: round(sum(d), 3) for name, d in meter.wall.items()},
        "dynamodb_units": {"write": writes, "read": reads},
        "emails": emails,
        "bus_events": meter.events,
        "usd_per_1000_by_part": {k: round(v * 1000, 5) for k, v in parts.items()},
        "usd_per_1000": round(sum(parts.values()) * 1000, 4),
        "usd_per_1000_without_email": round((sum(parts.values()) - parts["ses"]) * 1000, 4),
    }


# --- the catalog's routes: state transitions per ticket, for each way a ticket can go --------------------------

OLGA = "office@caseway.example"


def catalog_path(api: Any, wait_for: Callable[..., Any], vc: Any, path: str) -> tuple[str, str]:
    """Acts out one way through a catalog route, to the route's end; returns (ticket id, route)."""

    def task(ticket_id: str, group: str, user: str, task_type: str) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            _, page = api("GET", f"/tasks?group={group}", user=user)
            return next((t for t in page["items"] if t["ticket_id"] == ticket_id and t["type"] == task_type), None)

        return wait_for(find, what=f"{task_type} task")

    def finish(found: dict[str, Any], user: str, outcome: str, note: str | None = None) -> None:
        api("POST", f"/tasks/{found['id']}/take", user=user)
        api("POST", f"/tasks/{found['id']}/complete", user=user, body={"outcome": outcome, "note": note})

    def waiting(ticket_id: str, route: str) -> None:
        from infra.local import emulation as aws_emulation

        wait_for(lambda: "AwaitCustomer" in aws_emulation.route_states(ticket_id, route), what="follow-up")

    route = path.split(":")[0]
    if path.startswith("licence-key"):
        if "over_limit" in path:
            api("PUT", "/organisations/acme/licences", user=MARIA, body={"limit": 2})
        if path == "licence-key:generator_fault":
            pass

            original = licences.generate_key
            licences.generate_key = lambda product: (_ for _ in ()).throw(RuntimeError("licence server down"))
            try:
                _, ticket = api("POST", "/tickets", user=BOB, body=LICENCE)
                task(ticket["id"], "accounts", MARIA, "manual")
            finally:
                licences.generate_key = original
            return ticket["id"], route
        _, ticket = api("POST", "/tickets", user=BOB, body=LICENCE)
        if path == "licence-key:over_limit_extended":
            finish(task(ticket["id"], "accounts", MARIA, "licence_limit"), MARIA, "extend")
        elif path == "licence-key:over_limit_declined":
            finish(task(ticket["id"], "accounts", MARIA, "licence_limit"), MARIA, "decline", "contract limit")
        return ticket["id"], route
    if route == "document-request":
        _, ticket = api("POST", "/tickets", user=BOB, body=DOCUMENT)
        prepare = task(ticket["id"], "office", OLGA, "prepare_document")
        if path.endswith("declined"):
            finish(prepare, OLGA, "declined", "archived")
            return ticket["id"], route
        finish(prepare, OLGA, "sent")
        waiting(ticket["id"], route)
        if path.endswith("confirmed"):
            api("POST", f"/tickets/{ticket['id']}/close", user=BOB)
        # the follow-up's wait ends at the silent-customer close; after a confirmation it finds the ticket closed
        vc.wait_for_pending(1)
        vc.fire_next()
        return ticket["id"], route
    _, ticket = api("POST", "/tickets", user=BOB, body=CHANGE)
    evaluate = task(ticket["id"], "L2", DANA, "evaluate")
    if path.endswith("declined_at_evaluation"):
        finish(evaluate, DANA, "declined", "not planned")
        return ticket["id"], route
    api("POST", f"/tasks/{evaluate['id']}/take", user=DANA)
    api("POST", f"/tasks/{evaluate['id']}/estimate", user=DANA, body={"hours": 12})

    def estimated() -> bool:
        _, seen = api("GET", f"/tickets/{ticket['id']}", user=BOB)
        return seen["status"] == "waiting_for_customer"

    wait_for(estimated, what="the estimate")
    decision = "decline" if path.endswith("declined_by_customer") else "approve"
    api("POST", f"/tickets/{ticket['id']}/approval", user=BOB, body={"decision": decision})
    if decision == "approve":
        finish(task(ticket["id"], "L2", DANA, "change_work"), DANA, "done", "released")
        waiting(ticket["id"], route)
        api("POST", f"/tickets/{ticket['id']}/close", user=BOB)
        vc.wait_for_pending(1)
        vc.fire_next()
    return ticket["id"], route


def _succeeded(ticket_id: str, route: str) -> bool:
    from infra.local import emulation as aws_emulation

    return aws_emulation.route_status(ticket_id, route) == "SUCCEEDED"


CATALOG_PATHS = (
    "licence-key:within_limit",
    "licence-key:over_limit_extended",
    "licence-key:over_limit_declined",
    "licence-key:generator_fault",
    "document-request:sent_confirmed",
    "document-request:sent_silent_close",
    "document-request:declined",
    "change-request:approved_confirmed",
    "change-request:declined_at_evaluation",
    "change-request:declined_by_customer",
)


def measure_catalog(api_factory: Callable[[], Any], wait_for: Callable[..., Any]) -> dict[str, Any]:
    """State transitions (states entered in the execution history) per ticket on each catalog route path."""
    from moto import mock_aws

    from infra.local import demo
    from infra.local import emulation as aws_emulation
    from infra.local.virtual_time import VirtualClock

    results: dict[str, Any] = {}
    for path in CATALOG_PATHS:
        with mock_aws(config=aws_emulation.MOTO_CONFIG):
            aws_emulation.install_lambda_dispatcher()
            aws_emulation.provision()
            with VirtualClock(MONDAY_0900) as vc:
                demo.seed()
                ticket_id, route = catalog_path(api_factory(), wait_for, vc, path)
                wait_for(lambda t=ticket_id, r=route: _succeeded(t, r), what=f"the {path} route to end")
                states = aws_emulation.route_states(ticket_id, route)
        results[path] = {"state_transitions": len(states), "states": states}
    return results
