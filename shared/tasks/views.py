"""Tasks as staff see them, with their priority explained (R19) and whom the owner waits on (R14)."""

from __future__ import annotations

from typing import Any

from shared.platform.table import Entity
from shared.tasks import queues
from shared.tasks.items import WaitingOn
from shared.tickets.items import Task, Ticket
from shared.tickets.views import ticket_record


def ticket_view(ticket: Ticket, items: list[Entity], *, staff: bool) -> dict[str, Any]:
    """What each role sees of a ticket: staff also see its tasks and whom the owner waits on."""
    view = ticket_record(ticket, items, staff=staff)
    if staff:
        view["tasks"] = [task_view(t) for t in items if isinstance(t, Task)]
        view["waiting_on"] = _waiting_on(items)
    return view


def task_view(task: Task) -> dict[str, Any]:
    return {
        "id": task.task_id,
        "ticket_id": task.ticket_id,
        "reference": task.reference,
        "type": task.task_type,
        "title": task.title,
        "group": task.group,
        "assignee": task.assignee,
        "status": task.status,
        "priority": task.priority,
        "priority_detail": _priority_detail(task),
        "due_at": task.due_at,
        "outcome": task.outcome,
        "note": task.note,
        "created_at": task.created_at,
        "taken_at": task.taken_at,
        "completed_at": task.completed_at,
    }


def _priority_detail(task: Task) -> dict[str, Any] | None:
    """The priority now and why (R19): base, deadline and waiting parts; see shared.priority."""
    return queues.explain(task)


def _waiting_on(items: list[Entity]) -> dict[str, Any] | None:
    """R14: with which other line or person the ball is, and since when (staff only)."""
    found = next((i for i in items if isinstance(i, WaitingOn)), None)
    return queues.waiting_view(found) if found is not None else None
