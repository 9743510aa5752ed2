"""Steps every catalog route runs: intake with the first deadline in working days, a human step's task, a fault."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.clocks.ticket import customer_time, plan_for
from shared.platform import clock, workflows
from shared.platform.domain import Status
from shared.platform.store import with_retries
from shared.platform.words import Phrase
from shared.routes.common import (
    DEFAULT_DEADLINE_DAYS,
    FAULT_PRIORITY,
    STEPS,
    deadline_days,
    say,
    service_of,
    step_group,
)
from shared.sla.plans import add_working_days
from shared.tasks.work import create_task, handle_by_hand
from shared.tickets import items as ticket_items
from shared.tickets.conversation import system_message
from shared.tickets.items import Ticket, load_ticket
from shared.tickets.log import save_ticket
from shared.tickets.readers import reader_of


def deadline(ticket: Ticket, days: int, now: datetime | None = None) -> datetime:
    return add_working_days(plan_for(ticket).calendar, now or clock.now(), days)


def intake(ticket_id: str, route: str) -> dict[str, Any]:
    """Tell the customer who does what by when (R10): the first human step's deadline in working days."""
    result: dict[str, Any] = {}

    def attempt() -> None:
        ticket, items = load_ticket(ticket_id)
        if any(getattr(i, "automatic", False) for i in items):
            result["due_at"] = ticket.due_at
            return  # a retried step: already told
        plan = plan_for(ticket)
        now = clock.now()  # the step's one instant: the deadline counts from it, the message is stamped with it
        due = deadline(ticket, deadline_days(ticket, route), now)
        service = service_of(ticket)
        reader = reader_of(ticket)
        document = ticket.fields.get("document_type") or (service.title if service else Phrase("catalog.document"))
        key = {"document-request": "catalog.received_document", "change-request": "catalog.received_change"}
        text = reader.say(
            key.get(route, "catalog.received_other"), document=document, due=customer_time(due, plan, reader)
        )
        ticket.due_at = ticket.next_step_at = clock.iso(due)
        message, said = system_message(ticket, text, clock.iso(now))
        save_ticket(ticket, message, said, now=clock.iso(now))
        result["due_at"] = ticket.due_at

    with_retries("This ticket", attempt)
    return result


def step_task(ticket_id: str, step: str, task_token: str | None) -> dict[str, Any]:
    """A human step: the task the route waits on, due at the ticket's promised date."""
    ticket = ticket_items.get_ticket(ticket_id)
    if ticket is None or ticket.status in (Status.CLOSED.value, Status.RESOLVED.value):
        if task_token:
            outcome = f"ticket {ticket.status if ticket else 'gone'}"
            workflows.task_success(task_token, {"outcome": outcome, "note": None, "by": None})
        return {"task_id": None}
    spec = STEPS[step]
    due = ticket.due_at
    if step == "licence_limit":
        due = clock.iso(deadline(ticket, DEFAULT_DEADLINE_DAYS["licence-key"]))
    task = create_task(
        ticket_id=ticket_id,
        step_key=step,
        task_type=spec["type"],
        title=spec["title"],
        group=step_group(ticket, step),
        task_token=task_token,
        due_at=due,
        priority=spec["priority"],
    )
    return {"task_id": task.task_id}


def fault(ticket_id: str, error: str, cause: str | None) -> dict[str, Any]:
    """R6: anything a step could not do becomes a manual task for a person; the customer is told it goes on by hand.
    Never a failed execution."""
    ticket, _ = load_ticket(ticket_id)
    service = service_of(ticket)
    if service is not None and service.route == "licence-key":
        group = STEPS["licence_limit"]["group"]  # licences are the account manager's
    else:
        group = (service.groups[0] if service and service.groups else None) or "L1"
    task = handle_by_hand(
        ticket,
        error,
        cause,
        title=f"Handle by hand: the automatic route failed ({error})",
        group=group,
        due_at=clock.iso(deadline(ticket, 1)),
        priority=FAULT_PRIORITY,
    )
    if ticket.status not in (Status.CLOSED.value, Status.RESOLVED.value):
        ticket, _ = load_ticket(ticket_id)
        say(ticket, reader_of(ticket).say("catalog.by_hand"), mail="update")
    return {"task_id": task.task_id, "group": group}
