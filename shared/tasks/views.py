"""Tasks as staff see them, with their priority explained (R19), the outcomes they accept (R7), the note the
previous line left on the ticket (R27), and whom the owner waits on (R14)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.platform.domain import TaskStatus
from shared.platform.table import Entity
from shared.tasks import queues
from shared.tasks.items import WaitingOn
from shared.tasks.work import NOTE_REQUIRED, OUTCOMES
from shared.tickets import items as ticket_items
from shared.tickets.items import Task, Ticket
from shared.tickets.views import ticket_record

# Outcome values whose label is not just the value in words.
OUTCOME_LABELS = {"critical_bug": "Critical bug"}


def ticket_view(ticket: Ticket, items: list[Entity], *, staff: bool) -> dict[str, Any]:
    """What each role sees of a ticket: staff also see its tasks and whom the owner waits on."""
    view = ticket_record(ticket, items, staff=staff)
    if staff:
        tasks = [t for t in items if isinstance(t, Task)]
        view["tasks"] = [task_view(t, previous_note=previous_note(t, tasks)) for t in tasks]
        view["waiting_on"] = _waiting_on(items)
    return view


def task_view(task: Task, *, previous_note: dict[str, Any] | None = None) -> dict[str, Any]:
    """One task; `previous_note` as previous_note() finds it (task_views finds it for many tasks)."""
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
        "outcomes": outcome_choices(task.task_type),
        "note_required": task.task_type in NOTE_REQUIRED,
        "previous_note": previous_note,
        "created_at": task.created_at,
        "taken_at": task.taken_at,
        "completed_at": task.completed_at,
    }


def task_views(tasks: Iterable[Task]) -> list[dict[str, Any]]:
    """Views of tasks of any tickets, each with its previous note: one Query of task items per ticket."""
    tasks = list(tasks)
    siblings = {ticket_id: ticket_tasks(ticket_id) for ticket_id in {t.ticket_id for t in tasks if t.ticket_id}}
    return [task_view(t, previous_note=previous_note(t, siblings.get(t.ticket_id, []))) for t in tasks]


def queue_views(tasks: Iterable[Task]) -> list[dict[str, Any]]:
    """A queue's tasks (task_views), each with its ticket's SLA badge facts ("ticket_sla": Ticket.sla, the
    customer's promise and the internal target as the route worker last set them): one read per ticket."""
    views = task_views(tasks)
    tickets = {
        ticket_id: ticket_items.get_ticket(ticket_id) for ticket_id in {v["ticket_id"] for v in views if v["ticket_id"]}
    }
    for view in views:
        ticket = tickets.get(view["ticket_id"])
        view["ticket_sla"] = ticket.sla if ticket is not None else None
    return views


def single_task_view(task: Task) -> dict[str, Any]:
    return task_views([task])[0]


def ticket_tasks(ticket_id: str) -> list[Task]:
    """The tasks of one ticket (its partition's TASK# items only)."""
    found = Entity.query(ticket_items.ticket_pk(ticket_id), Entity.sk.startswith("TASK#"), consistent_read=True)
    return [t for t in found if isinstance(t, Task)]


def outcome_choices(task_type: str) -> list[dict[str, str]]:
    """The outcomes `complete` accepts for this type of task, with a label for a button ([]: any, or none)."""
    return [
        {"value": v, "label": OUTCOME_LABELS.get(v, v.replace("_", " ").capitalize())}
        for v in OUTCOMES.get(task_type, ())
    ]


def previous_note(task: Task, siblings: list[Task]) -> dict[str, Any] | None:
    """The latest note of another completed task of the same ticket, completed before this one was (if it was):
    e.g. L2's "Fixed in 4.2.1" on L1's task to tell the customer."""
    before = task.completed_at or "9999"
    notes = [
        t
        for t in siblings
        if t.task_id != task.task_id
        and t.status == TaskStatus.DONE.value
        and t.note
        and t.completed_at
        and t.completed_at <= before
    ]
    if not notes:
        return None
    latest = max(notes, key=lambda t: t.completed_at or "")
    return {
        "task_type": latest.task_type,
        "group": latest.group,
        "note": latest.note,
        "completed_by": latest.assignee,
        "completed_at": latest.completed_at,
    }


def _priority_detail(task: Task) -> dict[str, Any] | None:
    """The priority now and why (R19): base, deadline and waiting parts; see shared.priority."""
    return queues.explain(task)


def _waiting_on(items: list[Entity]) -> dict[str, Any] | None:
    """R14: with which other line or person the ball is, and since when (staff only)."""
    found = next((i for i in items if isinstance(i, WaitingOn)), None)
    return queues.waiting_view(found) if found is not None else None
