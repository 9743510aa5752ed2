"""A route step reads the clock once: what it writes carries that instant and the ledger it acts on counts what it
writes. On the real clock time moves between two reads (and between two machines); the virtual clock stands still
while a step runs, so these tests move the clock on every read, or set it behind the log, to see what the real
clock would do.

Times: the default plan keeps Prague office hours, Mon-Fri 09:00-17:00 (CET = UTC+1 in November); the desk starts
on Monday 23 November 2026, 09:00 Prague.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.clocks.ticket import ledger_of
from shared.platform import clock
from shared.routes import followups, support
from shared.tickets.items import load_ticket
from tests.conftest import BOB, LENA, QUESTION, route_task


class Ticking:
    """A clock that moves on by `step` every time it is read, as the real clock does between two reads."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self.at, self.step, self.reads = start, step, 0

    def __call__(self) -> datetime:
        self.at += self.step
        self.reads += 1
        return self.at


@pytest.fixture
def submitted(desk) -> tuple[Any, Any, dict[str, Any]]:
    """BOB's question, submitted on Monday 09:00; its route waits on L1's classify task."""
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    route_task(api, "L1", LENA, ticket["id"], "classify")
    vc.wait_for_pending(1)
    return api, vc, ticket


@contextmanager
def clock_of(vc: Any, moving: Callable[[], datetime]) -> Iterator[None]:
    """`moving` is the clock for a while; then the desk's virtual clock again."""
    clock.set_clock(moving)
    try:
        yield
    finally:
        clock.set_clock(vc.now)


@pytest.mark.parametrize(
    ("classification", "told", "next_step_at"),
    [
        ("bug", "Classified as bug: we will resolve it by Wednesday 25 November 2026, 17:00 (Europe/Prague).", "25T16"),
        (
            "question",
            "Classified as question: we will resolve it by Tuesday 24 November 2026, 17:00 (Europe/Prague).",
            "24T16",
        ),
        (
            "critical_bug",
            "Classified as critical bug: we will resolve it by Monday 23 November 2026, 11:00 (Europe/Prague).",
            "23T10",
        ),
        (
            "improvement",
            "Classified as improvement proposal: it needs approval first; we will tell you the decision.",
            None,
        ),
    ],
)
def test_the_classification_counts_although_the_clock_moves_between_reads(
    submitted, classification: str, told: str, next_step_at: str | None
) -> None:
    api, vc, ticket = submitted
    # Given a clock that moves a second on every read (the virtual one would stand still)
    ticking = Ticking(clock.now())

    # When L1's classification reaches the route's step
    with clock_of(vc, ticking):
        support.classified(ticket["id"], classification, None, "agent-lena")

    # Then the customer is told the promise of that classification, and its date is the next step
    assert ticking.reads >= 1
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert seen["messages"][-1]["body"] == told
    if next_step_at is None:
        # an improvement has no resolution target: the reaction was met, no promise runs (R7)
        assert seen["next_step_at"] is None
    else:
        assert seen["next_step_at"] == f"2026-11-{next_step_at}:00:00.000Z"
    # and it is the date the ledger gives for the whole log
    stored, items = load_ticket(ticket["id"])
    state = ledger_of(stored, items, clock.now())
    assert state.classification == classification
    assert stored.next_step_at == (clock.iso(state.next_step_at) if state.next_step_at else None)
    # and the milestone, the message and its event carry one instant
    history = seen["history"]
    classified = next(e for e in history if e["type"] == "TicketClassified")
    automatic = [e for e in history if e["type"] == "MessageAdded" and e["data"].get("automatic")]
    assert automatic[-1]["at"] == classified["at"] == seen["messages"][-1]["created_at"]


def test_the_next_step_counts_an_event_stamped_after_the_workers_clock(submitted) -> None:
    api, vc, ticket = submitted
    # Given L1 answers: the ball goes to the customer, the resolution waits for them
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which browser do you use?"})
    assert reply.status == 201 and reply.json["ticket"]["status"] == "waiting_for_customer"
    answered_at = max(e["at"] for e in api("GET", f"/tickets/{ticket['id']}", user=LENA).json["history"])

    # When the route worker, whose clock is two seconds behind the API's, refreshes the next step
    behind = clock.now() - timedelta(seconds=2)
    with clock_of(vc, lambda: behind):
        result = followups.refresh(ticket["id"], "status")

    # Then the reply counts: the next step is the automatic close after the customer's silence (R21), not the
    # reaction promise that ran before it
    stored, items = load_ticket(ticket["id"])
    state = ledger_of(stored, items, clock.now())
    assert state.status == "waiting_for_customer" and state.reaction.phase == "met"
    assert state.auto_close_at is not None and state.next_step_at == state.auto_close_at
    assert result["next_step_at"] == stored.next_step_at == clock.iso(state.auto_close_at)
    assert clock.iso(state.now) >= answered_at


def test_a_closed_ticket_has_no_next_step(submitted) -> None:
    api, _, ticket = submitted
    # Given a ticket with a next step
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["next_step_at"] == "2026-11-23T12:00:00.000Z"

    # When the customer closes it
    closed = api("POST", f"/tickets/{ticket['id']}/close", user=BOB, body={"reason": "Found it myself"})

    # Then it shows no next step, nor a due date
    assert closed.status == 200, closed.text
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert seen["status"] == "closed" and seen["next_step_at"] is None
    stored, _ = load_ticket(ticket["id"])
    assert (stored.next_step_at, stored.due_at) == (None, None)


# `from shared.sla.ledger import ledger`, `from shared.sla import ledger`
LEDGER_MODULES = ("shared.sla.ledger", "shared.sla")


def test_the_desk_replays_a_tickets_log_only_through_the_clocks() -> None:
    """The one door to the ledger for the desk's own code is shared.clocks.ticket (`ledger_of` counts the whole log
    and what a step writes; `ledger_as_of` a past instant): nothing else calls the replay with an instant of its own,
    where an event stamped a moment later would be missed."""
    root = Path(__file__).resolve().parents[2]
    callers = []
    for path in sorted([*(root / "shared").rglob("*.py"), *(root / "functions").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module in LEDGER_MODULES]
        if any(alias.name == "ledger" for node in imports for alias in node.names):
            callers.append(path.relative_to(root).as_posix())
    assert callers == ["shared/clocks/ticket.py"]
