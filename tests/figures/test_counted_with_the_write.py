"""Counts that ride on an exactly-once write: a task's plan is counted in the task's own conditional Put, its fact
in the transaction that marks it done (also when a resolution finishes it), so a repeated route step or request
counts nothing twice and needs no mark item. Also the store's side of it: one item written alone is a plain
conditional write that fails as a one-item transaction would, and counts on one counter item in one transaction
are summed into one update."""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from shared.figures import counts as figures
from shared.platform import store, workflows
from shared.platform.domain import Role
from shared.platform.identity import Caller
from shared.platform.table import Counter, Entity
from shared.tasks import work as tasks
from shared.tickets import items as ticket_items
from shared.tickets import lifecycle
from tests.conftest import BOB, QUESTION, Api

LENA_C = Caller(sub="agent-lena", email="lena.l1@caseway.example", role=Role.AGENT)
DUE = "2026-12-01T10:00:00.000Z"  # a day nothing else plans work for


@pytest.fixture
def quiet(api: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    # No route runs: only what the test does creates and finishes tasks.
    monkeypatch.setattr(workflows, "start_route", lambda *a, **k: "arn:none")
    monkeypatch.setattr(workflows, "call_worker", lambda *a, **k: None)
    return api


def _day(day: str) -> dict[str, int]:
    pk, sk = figures.day_key(figures.local_day(day))
    found = Entity.get(pk, sk).attribute_values if _exists(pk, sk) else {}
    return {k: int(v) for k, v in found.items() if isinstance(v, (int, float))}


def _exists(pk: str, sk: str) -> bool:
    return any(True for _ in Entity.query(pk, Entity.sk == sk))


def _agent(sub: str, day: str) -> dict[str, int]:
    pk = figures.agent_pk(sub)
    sk = f"DAY#{figures.local_day(day).isoformat()}"
    found = Entity.get(pk, sk).attribute_values if _exists(pk, sk) else {}
    return {k: int(v) for k, v in found.items() if isinstance(v, (int, float))}


def _marks(prefix: str) -> list[Any]:
    return list(Entity.query(f"FIGMARK#{prefix}", Entity.sk == "MARK"))


def _new_task(ticket_id: str, key: str) -> tasks.Task:
    return tasks.create_task(
        ticket_id=ticket_id,
        step_key=key,
        task_type="answer",
        title="Answer",
        group="L1",
        task_token=None,
        due_at=DUE,
    )


def test_a_repeated_step_plans_its_task_once_without_a_mark(quiet: Api):
    ticket_id = quiet("POST", "/tickets", user=BOB, body=QUESTION).json["id"]

    first = _new_task(ticket_id, "test#answer")
    again = _new_task(ticket_id, "test#answer")  # a retried route step

    assert again.task_id == first.task_id
    assert _day(DUE)["planned_tasks"] == 1
    assert _day(DUE)["planned_minutes"] == figures.ESTIMATED_MINUTES["answer"]
    assert _marks(f"planned#{first.task_id}") == []


def test_a_repeated_completion_counts_the_fact_once(quiet: Api):
    ticket_id = quiet("POST", "/tickets", user=BOB, body=QUESTION).json["id"]
    task = _new_task(ticket_id, "test#answer")
    tasks.take_task(LENA_C, task.task_id)

    done = tasks.complete_task(LENA_C, task.task_id, outcome="answered", note=None)
    tasks.complete_task(LENA_C, task.task_id, outcome="answered", note=None)  # repeated after a lost answer

    assert _day(DUE)["done_tasks"] == 1
    assert _agent("agent-lena", done.completed_at)["tasks_closed"] == 1
    assert _marks(f"done#{task.task_id}") == []


def test_tasks_finished_by_a_resolution_count_in_its_transaction_summed_per_counter(quiet: Api):
    ticket_id = quiet("POST", "/tickets", user=BOB, body=QUESTION).json["id"]
    for key in ("test#one", "test#two"):  # both planned for the same day: one counter item, named once
        tasks.take_task(LENA_C, _new_task(ticket_id, key).task_id)

    ticket = lifecycle.resolve_ticket(LENA_C, ticket_id, resolution="Explained", preventive_measure="FAQ entry")

    done = [i for i in ticket_items.load_ticket_partition(ticket_id) if isinstance(i, tasks.Task)]
    assert [t.status for t in done] == ["done", "done"]
    assert _day(DUE)["done_tasks"] == 2
    assert _agent("agent-lena", ticket.resolved_at)["tasks_closed"] == 2


def test_counts_on_one_counter_are_merged_into_one_update():
    day = store.Count("FIGURES#2026-12", "DAY#2026-12-01", {"done_tasks": 1, "done_minutes": 60}, {"kind": "k"})
    other = store.Count("FIGURES#2026-12", "DAY#2026-12-02", {"done_tasks": 1}, {"kind": "k"})
    again = store.Count("FIGURES#2026-12", "DAY#2026-12-01", {"done_tasks": 1, "done_minutes": 15}, {"kind": "k"})

    merged = store.merged([day, other, again])

    assert [(c.sk, dict(c.adds)) for c in merged] == [
        ("DAY#2026-12-01", {"done_tasks": 2, "done_minutes": 75}),
        ("DAY#2026-12-02", {"done_tasks": 1}),
    ]


def test_one_item_alone_is_a_plain_write_that_fails_as_a_one_item_transaction(
    quiet: Api, monkeypatch: pytest.MonkeyPatch
):
    ticket_id = quiet("POST", "/tickets", user=BOB, body=QUESTION).json["id"]
    sent: list[str] = []
    dispatch = Connection.dispatch

    def recording(self: Connection, name: str, kwargs: dict[str, Any]) -> Any:
        if name in {"PutItem", "UpdateItem", "TransactWriteItems"}:
            sent.append(name)
        return dispatch(self, name, kwargs)

    monkeypatch.setattr(Connection, "dispatch", recording)
    first, second = ticket_items.get_ticket(ticket_id), ticket_items.get_ticket(ticket_id)

    first.subject = "Changed by the first writer"
    store.transact([(first, None)])
    second.subject = "Changed by the second writer from a stale read"
    with pytest.raises(TransactWriteError) as raised:
        store.transact([(second, None)])
    store.transact([(Counter("COUNTER#test", "COUNTER", value=1), Counter.pk.does_not_exist())])

    assert sent == ["UpdateItem", "UpdateItem", "PutItem"]
    assert store.conflict_reasons(raised.value) == ["ConditionalCheckFailed"]
    assert ticket_items.get_ticket(ticket_id).subject == "Changed by the first writer"
