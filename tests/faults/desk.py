"""What the fault tests share: the desk's tickets and tasks as the tests look at them, and how a run went on."""

from __future__ import annotations

import itertools
from typing import Any

from tests.conftest import BOB, LENA, QUESTION, Api
from tests.faults.injector import Injector

_numbers = itertools.count(1)


def task_of(api: Api, ticket_id: str, task_type: str) -> dict[str, Any] | None:
    view = api("GET", f"/tickets/{ticket_id}", user=LENA).json
    return next((t for t in view.get("tasks", []) if t["type"] == task_type and t["status"] != "done"), None)


def new_ticket(api: Api) -> str:
    subject = f"Faults ticket {next(_numbers)}"
    reply = api("POST", "/tickets", user=BOB, body={**QUESTION, "subject": subject})
    assert reply.status == 201, reply.text
    return reply.json["id"]


def went_on(injector: Injector) -> str:
    """How a run with everything done got there: no fault, a fault retried away, or a call that failed for good
    whose work is best effort (the bus, e-mail, counters, derived boards; the ticket log stays complete)."""
    if not injector.attempts_failed:
        return "clean"
    return "retried" if injector.kind == "transaction" else "went on without that call"


def forget_caches() -> None:
    """Every run starts as a fresh Lambda would: the caches a warm process keeps (the deactivated people, the plans
    read this invocation) would otherwise leave calls out of later runs, and the call numbers would not match."""
    from shared.clocks import plans
    from shared.directory import people

    people.forget_deactivated_cache()
    plans.new_invocation()
