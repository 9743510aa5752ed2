"""Faults: each AWS call of the request path and of the support route's steps fails in turn.

A first clean run of each scenario records its AWS calls (tests/faults/injector.py numbers them); then the
scenario runs again once per call and fault kind (throttling, a cancelled transaction, a timeout) with that
call failing, and the outcome must be one of:

- retried: the answer is 2xx and everything the request does is there (the ticket, its route's first task;
  the message; the task taken; the task done and its route gone on);
- a clear 5xx: application/problem+json with a status >= 500, nothing half-written (no ticket item at all,
  no message, the task as it was), and the same request without the fault then succeeds;
- for a route step: the route goes on, or a manual task for a person ("Handle by hand") with the route ended;
  never an execution still waiting on nothing, never a message lost.

The matrix of every case with its outcome is printed (pytest -s) and each case's outcome is asserted.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import BOB, DEMO, LENA, QUESTION, Api, Reply, wait_for
from tests.faults.desk import forget_caches, new_ticket, task_of, went_on
from tests.faults.injector import KINDS, Injector

_numbers = itertools.count(1)


def _stored_items(**attributes: str) -> list[dict[str, Any]]:
    """The table's items (moto's own copy) whose string attributes have these values."""
    found = []
    for partition in DEMO.table().items.values():
        for item in partition.values():
            data = item.to_json()["Attributes"]
            if all(data.get(name, {}).get("S") == value for name, value in attributes.items()):
                found.append(data)
    return found


def _waittask_of(api: Api, ticket_id: str, task_type: str) -> dict[str, Any]:
    return wait_for(lambda: task_of(api, ticket_id, task_type), what=f"the {task_type} task of {ticket_id}")


def _is_problem_5xx(reply: Reply) -> bool:
    body = reply.json if reply.content_type.startswith("application/problem+json") else None
    return reply.status >= 500 and isinstance(body, dict) and body.get("status") == reply.status and body.get("detail")


# --- the request path: one scenario per operation ---------------------------------------------------------


@dataclass
class Case:
    """One request, made ready by `prepare` (no faults), then sent once with a fault and checked."""

    prepare: Callable[[Api], dict[str, Any]]
    send: Callable[[Api, dict[str, Any]], Reply]
    done: Callable[[Api, dict[str, Any], Reply | None], None]  # asserts the whole effect is there
    untouched: Callable[[Api, dict[str, Any]], None]  # asserts nothing of it is there (after a 5xx)


def _create_prepare(api: Api) -> dict[str, Any]:
    n = next(_numbers)
    return {"subject": f"Faults {n}", "key": f"faults-create-{n}"}


def _create_send(api: Api, ctx: dict[str, Any]) -> Reply:
    body = {**QUESTION, "subject": ctx["subject"]}
    return api("POST", "/tickets", user=BOB, body=body, headers={"Idempotency-Key": ctx["key"]})


def _create_done(api: Api, ctx: dict[str, Any], reply: Reply | None) -> None:
    tickets = _stored_items(kind="ticket", subject=ctx["subject"])
    assert len(tickets) == 1, f"{len(tickets)} tickets stored"
    ticket_id = tickets[0]["pk"]["S"].removeprefix("TICKET#")
    assert reply is None or reply.json["id"] == ticket_id
    _waittask_of(api, ticket_id, "classify")  # the route started: its first task is in L1's queue


def _create_untouched(api: Api, ctx: dict[str, Any]) -> None:
    assert _stored_items(subject=ctx["subject"]) == [], "a ticket item was stored"


def _message_prepare(api: Api) -> dict[str, Any]:
    n = next(_numbers)
    return {"ticket_id": new_ticket(api), "body": f"Any news? ({n})", "key": f"faults-message-{n}"}


def _message_send(api: Api, ctx: dict[str, Any]) -> Reply:
    path = f"/tickets/{ctx['ticket_id']}/messages"
    return api("POST", path, user=BOB, body={"body": ctx["body"]}, headers={"Idempotency-Key": ctx["key"]})


def _messages(api: Api, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    view = api("GET", f"/tickets/{ctx['ticket_id']}", user=BOB).json
    return [m for m in view["messages"] if m["body"] == ctx["body"]]


def _message_done(api: Api, ctx: dict[str, Any], reply: Reply | None) -> None:
    stored = [m["id"] for m in _messages(api, ctx)]
    assert len(stored) == 1, f"{len(stored)} messages stored"
    assert reply is None or stored == [reply.json["message"]["id"]]


def _message_untouched(api: Api, ctx: dict[str, Any]) -> None:
    assert _messages(api, ctx) == [], "the message was stored although the answer was an error"


def _take_prepare(api: Api) -> dict[str, Any]:
    ticket_id = new_ticket(api)
    return {"ticket_id": ticket_id, "task": _waittask_of(api, ticket_id, "classify")}


def _take_send(api: Api, ctx: dict[str, Any]) -> Reply:
    return api("POST", f"/tasks/{ctx['task']['id']}/take", user=LENA)


def _take_done(api: Api, ctx: dict[str, Any], reply: Reply | None) -> None:
    task = task_of(api, ctx["ticket_id"], "classify")
    assert task is not None and task["status"] == "taken" and task["assignee"] == "agent-lena", task


def _take_untouched(api: Api, ctx: dict[str, Any]) -> None:
    task = task_of(api, ctx["ticket_id"], "classify")
    assert task is not None and task["status"] == "open" and task["assignee"] is None, task


def _complete_prepare(api: Api) -> dict[str, Any]:
    ctx = _take_prepare(api)
    assert _take_send(api, ctx).status == 200
    return ctx


def _complete_send(api: Api, ctx: dict[str, Any]) -> Reply:
    body = {"outcome": "question", "note": "a question"}
    return api("POST", f"/tasks/{ctx['task']['id']}/complete", user=LENA, body=body)


def _complete_done(api: Api, ctx: dict[str, Any], reply: Reply | None) -> None:
    assert task_of(api, ctx["ticket_id"], "classify") is None, "the task is not done"
    _waittask_of(api, ctx["ticket_id"], "answer")  # the route went on to the next step


def _complete_untouched(api: Api, ctx: dict[str, Any]) -> None:
    task = task_of(api, ctx["ticket_id"], "classify")
    assert task is not None and task["status"] == "taken", "the task is done although the answer was an error"


CASES = {
    "create ticket": Case(_create_prepare, _create_send, _create_done, _create_untouched),
    "add message": Case(_message_prepare, _message_send, _message_done, _message_untouched),
    "take task": Case(_take_prepare, _take_send, _take_done, _take_untouched),
    "complete task": Case(_complete_prepare, _complete_send, _complete_done, _complete_untouched),
}


def _run_request(api: Api, case: Case, injector: Injector, fail_at: int | None, kind: str) -> tuple[str, Reply]:
    ctx = case.prepare(api)
    forget_caches()
    injector.fail_at, injector.kind, injector.attempts_failed = fail_at, kind, 0
    injector.calls.clear()
    injector.watch_request_thread = threading.get_ident()
    try:
        reply = case.send(api, ctx)
    finally:
        injector.watch_request_thread, injector.fail_at = None, None
    if 200 <= reply.status < 300:
        case.done(api, ctx, reply)
        return went_on(injector), reply
    assert _is_problem_5xx(reply), f"not a 5xx problem+json: {reply.status} {reply.content_type} {reply.text[:300]}"
    try:
        case.untouched(api, ctx)
        outcome = f"{reply.status} problem, nothing written"
    except AssertionError as nothing_written:
        try:  # the fault came after the change was stored: then it must be whole
            case.done(api, ctx, None)
        except AssertionError as whole:
            raise AssertionError(f"half-written: {nothing_written} / {whole}") from None
        outcome = f"{reply.status} problem, written whole"
    again = case.send(api, ctx)  # the same request (same Idempotency-Key) once the fault has passed
    assert 200 <= again.status < 300, f"the request repeated without the fault: {again.status} {again.text[:300]}"
    case.done(api, ctx, again)
    return outcome + ", repeat ok", reply


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("operation", list(CASES))
def test_each_call_of_the_request_path_fails_in_turn(desk, injector: Injector, operation: str, kind: str) -> None:
    api, _ = desk
    case = CASES[operation]
    _run_request(api, case, injector, None, kind)  # a warm process: what it keeps (the reply-address key) is kept
    outcome, _ = _run_request(api, case, injector, None, kind)
    calls = list(injector.calls)
    assert outcome == "clean" and calls, f"the clean run made no AWS call: {outcome}"
    matrix: list[str] = []
    failures: list[str] = []
    for number, call in enumerate(calls):
        if not injector.applies(call, kind):
            continue
        try:
            outcome, _ = _run_request(api, case, injector, number, kind)
            now = injector.calls[number] if len(injector.calls) > number else "never made"
            assert now == call, f"call {number} is now {now}"
        except AssertionError as error:
            outcome = f"WRONG: {str(error).splitlines()[0][:200]}"
            failures.append(f"{number} {call} {kind}: {outcome}")
        matrix.append(f"{operation:14} {kind:11} #{number:<2} {call!s:45} -> {outcome}")
    print("\n" + "\n".join(matrix))
    assert matrix, f"no call of {operation} can fail with {kind}: {calls}"
    assert not failures, "\n".join(failures)
