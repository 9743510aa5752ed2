"""SLA follow-ups the API hands to the route worker (which has the working calendars): keep the
customer's next-step date right when a pause moves it (R10), and put a customer's message into the
owner's feed as a task with its own short target (R11)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.clocks.ticket import apply_ledger, ledger_of, plan_for
from shared.platform import clock, store
from shared.platform.domain import Status, TaskStatus
from shared.platform.store import with_retries
from shared.routes import common as route_common
from shared.tasks.work import create_task
from shared.tickets.items import Task, load_ticket
from shared.tickets.log import save_ticket

# R11: a customer's message is answered within 1-2 working hours.
REPLY_TARGET = timedelta(hours=2)
REPLY_PRIORITY = 700


def refresh(ticket_id: str, trigger: str) -> dict[str, Any]:
    result: dict[str, Any] = {"next_step_at": None, "reply_task": None}

    def attempt() -> None:
        ticket, items = load_ticket(ticket_id)
        if ticket.status in (Status.DRAFT.value, Status.CLOSED.value) or ticket.submitted_at is None:
            return
        if route_common.keeps_next_step(ticket):
            return  # a catalog route's own promise (deadline in working days) stands while we work
        # The resolved ticket's due date is its automatic close (R21, working days): the housekeeping
        # schedule reads it from the open-tickets index, the route from the ledger; both agree.
        before = (ticket.next_step_at, ticket.due_at)
        # The whole log counts, also an event the API stamped a moment "after" this worker's clock reads now.
        apply_ledger(ticket, ledger_of(ticket, items, clock.now()))
        if (ticket.next_step_at, ticket.due_at) != before:
            save_ticket(ticket)
        result["next_step_at"] = ticket.next_step_at

    with_retries("This ticket", attempt)
    if trigger == "customer_message":
        result["reply_task"] = _reply_task(ticket_id)
    return result


def _reply_task(ticket_id: str) -> str | None:
    """One open "answer the customer" task at a time, once someone works on the ticket."""
    ticket, items = load_ticket(ticket_id)
    if ticket.owner is None or ticket.status == Status.CLOSED.value:
        return None  # nobody took it up yet: the route's own first task covers the message
    if any(isinstance(i, Task) and i.task_type == "reply" and i.status != TaskStatus.DONE.value for i in items):
        return None
    plan = plan_for(ticket)
    now = clock.now()
    due = plan.calendar.add(now, REPLY_TARGET)
    task = create_task(
        ticket_id=ticket_id,
        step_key=f"reply#{store.new_id()}",
        task_type="reply",
        title="Answer the customer's message",
        group="L1",
        task_token=None,
        due_at=clock.iso(due),
        priority=REPLY_PRIORITY,
    )
    # R11, R14: it lands in the owner's feed, already theirs (still visible in the L1 queue).
    task.status = TaskStatus.TAKEN.value
    task.assignee = ticket.owner
    task.taken_at = clock.iso(now)
    task.save()
    return task.task_id
