"""Faults in the support route's steps: each AWS call a step makes fails in turn (see test_faults.py for the
injector and the outcomes). A step whose call fails for good must end in a manual task for a person with the route
ended; never an execution left waiting on nothing or a FAILED one."""

from __future__ import annotations

import pytest

from infra.local import emulation as aws_emulation
from tests.conftest import LENA, Api, wait_for
from tests.faults.desk import forget_caches, new_ticket, task_of, went_on
from tests.faults.injector import KINDS, Injector

# --- the support route's steps ------------------------------------------------------------------------------------

ROUTE_STEPS = frozenset({"start_route", "step_task", "classified", "timer", "follow_up"})  # the worker's actions


def _route_ends(api: Api, ticket_id: str) -> tuple[str, list[str]]:
    """The route's status once it waits for the customer (AwaitCustomer) or has ended; "NOT STARTED" when the
    route worker handed the ticket to a person instead of starting it (shared/routes/start.py)."""

    def settled() -> tuple[str, list[str]] | None:
        if not aws_emulation.route_started(ticket_id):
            return ("NOT STARTED", []) if task_of(api, ticket_id, "manual") else None
        status = aws_emulation.route_status(ticket_id)
        states = aws_emulation.route_states(ticket_id)
        return (status, states) if status != "RUNNING" or states[-1:] == ["AwaitCustomer"] else None

    return wait_for(settled, what=f"the route of {ticket_id} to wait for the customer or end")


def _question_through_the_route(api: Api) -> tuple[str, str, list[str]]:
    """A question ticket from intake to the answer, L1 working each task the route creates; stops at a manual
    task. Returns the ticket id, the route's status and the states it entered."""
    ticket_id = new_ticket(api)
    for task_type, outcome in (("classify", "question"), ("answer", "answered")):
        task = wait_for(
            lambda task_type=task_type: task_of(api, ticket_id, task_type) or task_of(api, ticket_id, "manual"),
            what=f"the {task_type} task (or a manual one) of {ticket_id}",
        )
        if task["type"] == "manual":
            break
        assert api("POST", f"/tasks/{task['id']}/take", user=LENA).status == 200
        done = api("POST", f"/tasks/{task['id']}/complete", user=LENA, body={"outcome": outcome})
        assert done.status == 200, done.text
    status, states = _route_ends(api, ticket_id)
    return ticket_id, status, states


def _route_outcome(api: Api, injector: Injector) -> str:
    ticket_id, status, states = _question_through_the_route(api)
    manual = task_of(api, ticket_id, "manual")
    if status == "RUNNING" and states[-1] == "AwaitCustomer" and manual is None and "Fault" not in states:
        assert task_of(api, ticket_id, "answer") is None, "the answer task is not done"
        return went_on(injector)
    assert manual is not None and manual["group"] == "L1", "no manual task for the failed step"
    if status == "NOT STARTED":
        return "manual task, route not started"
    assert "Fault" in states and status == "SUCCEEDED", f"route {status} after {states[-3:]}"
    return "manual task, route ended"


@pytest.mark.parametrize("kind", KINDS)
def test_each_call_of_the_support_route_steps_fails_in_turn(desk, injector: Injector, kind: str) -> None:
    api, _ = desk
    injector.watch_route_steps = True
    injector.steps = ROUTE_STEPS
    forget_caches()
    assert _route_outcome(api, injector) == "clean"
    calls = list(injector.calls)
    assert {c.where for c in calls} >= {"start_route", "step_task", "classified", "follow_up"}, calls
    matrix: list[str] = []
    failures: list[str] = []
    for number, call in enumerate(calls):
        if not injector.applies(call, kind):
            continue
        in_step = sum(1 for earlier in calls[:number] if earlier.where == call.where)
        injector.fail_at, injector.kind, injector.attempts_failed = (call.where, in_step), kind, 0
        injector.calls.clear()
        forget_caches()
        try:
            outcome = _route_outcome(api, injector)
            made = [c for c in injector.calls if c.where == call.where]
            now = made[in_step] if len(made) > in_step else "never made"
            assert now == call, f"call {in_step} of {call.where} is now {now}"
        except AssertionError as error:
            outcome = f"WRONG: {str(error).splitlines()[0][:200]}"
            failures.append(f"{number} {call} {kind}: {outcome}")
        finally:
            injector.fail_at = None
        matrix.append(f"support route  {kind:11} #{number:<2} {call!s:45} -> {outcome}")
    print("\n" + "\n".join(matrix))
    assert matrix, f"no call of the route's steps can fail with {kind}: {calls}"
    assert not failures, "\n".join(failures)
