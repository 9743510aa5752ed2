"""Demo data of the reviews: none is seeded (every test seeds the demo desk, and open demo tickets would show up
in other features' lists). `put_ticket` writes a ticket straight into the table with the keys the real code
writes (shared.tickets.log.set_index_keys), for review scenarios and the review benchmark, without starting a route.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.platform import clock, store
from shared.platform.domain import BALL_SIDE, Status
from shared.tasks.priority import queue_key
from shared.tasks.queues import basis_without_ticket
from shared.tasks.work import task_id_for
from shared.tickets import items as ticket_items
from shared.tickets.items import Event, Task, Ticket
from shared.tickets.log import set_index_keys


def seed() -> None:
    """Nothing: review scenarios write their own tickets with put_ticket."""


def ticket_item(
    *,
    status: str,
    created_at: datetime,
    updated_at: datetime | None = None,
    ball_since: datetime | None = None,
    due_at: datetime | None = None,
    owner: str | None = None,
    organisation_id: str = "acme",
    requester_sub: str = "cust-bob",
    service: str = "functionality-question",
    subject: str = "Monthly report fails",
    sequence: int | None = None,
    ticket_id: str | None = None,
) -> Ticket:
    """A ticket as shared.tickets stores it (not saved). Closed tickets get resolved/closed times and no open_pk."""
    ticket_id = ticket_id or store.new_id()
    side = BALL_SIDE[Status(status)]
    created = clock.iso(created_at)
    ticket = Ticket(
        ticket_items.ticket_pk(ticket_id),
        ticket_items.TICKET_SK,
        ticket_id=ticket_id,
        reference=f"CW-{1000 + (sequence or 1)}",
        organisation_id=organisation_id,
        requester_sub=requester_sub,
        requester_email="bob@acme.example",
        service=service,
        subject=subject,
        description="The monthly report stops with an error page since the last update.",
        fields={},
        status=status,
        ball_side=side.value if side else None,
        ball_since=clock.iso(ball_since or created_at) if side else None,
        owner=owner,
        channel="portal",
        due_at=clock.iso(due_at) if due_at else None,
        created_at=created,
        updated_at=clock.iso(updated_at or created_at),
        submitted_at=created,
    )
    if status == Status.CLOSED.value:
        ticket.resolved_at = ticket.closed_at = ticket.updated_at
        ticket.resolution = "Fixed the report template"
        ticket.preventive_measure = "Template covered by a regression test"
    set_index_keys(ticket)
    return ticket


def put_ticket(**kwargs: Any) -> Ticket:
    ticket = ticket_item(**kwargs)
    ticket.save()
    return ticket


def put_event(ticket: Ticket, at: datetime, type_: str, summary: str, actor: str = "system") -> Event:
    event_id = store.new_id()
    event = Event(
        ticket.pk,
        f"EVENT#{event_id}",
        ticket_id=ticket.ticket_id,
        event_id=event_id,
        at=clock.iso(at),
        type=type_,
        actor_sub=actor,
        actor_role="agent" if actor != "system" else "system",
        public=True,
        summary=summary,
    )
    event.save()
    return event


def put_task(ticket: Ticket, group: str, title: str, created_at: datetime, task_type: str = "fix") -> Task:
    """An open task of a group on the ticket, as shared.tasks.create_task stores it (without a route token)."""
    task_id = task_id_for(ticket.ticket_id, f"{task_type}:{group}:{title}")
    task = Task(
        ticket.pk,
        f"TASK#{task_id}",
        task_id=task_id,
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        task_type=task_type,
        title=title,
        group=group,
        status="open",
        created_at=clock.iso(created_at),
        queue_pk=ticket_items.queue_pk(group),
        queue_sk=queue_key(
            basis_without_ticket(group=group, base=0, due_at=None, created_at=clock.iso(created_at)), task_id
        ),
    )
    task.save()
    return task
