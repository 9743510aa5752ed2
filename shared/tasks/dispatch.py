"""R19: the system orders the work: the next task for a specialist, the brief to act on it, reassigning it
(R14: the owner never changes)."""

from __future__ import annotations

from typing import Any

from shared.directory import items as directory
from shared.platform import bus, clock, store
from shared.platform.domain import Role, TaskStatus
from shared.platform.errors import Conflict, Forbidden, Unprocessable
from shared.platform.identity import Caller
from shared.platform.store import with_retries
from shared.platform.table import Entity
from shared.tasks import priority
from shared.tasks.items import SupportGroup
from shared.tasks.queues import caller_groups, find_staff, get_group, group_line, refresh_waiting_on, registry
from shared.tasks.views import previous_note, task_view
from shared.tasks.work import load_task, take_task
from shared.tickets import items as ticket_items
from shared.tickets.items import Message, Task, Ticket
from shared.tickets.log import new_event, ticket_detail

# How many open tasks of each group /tasks/next looks at when a taker loses a race for the first one.
NEXT_CANDIDATES = 5


def _open_heads(group: str, count: int) -> list[Task]:
    found = Entity.queue_index.query(
        ticket_items.queue_pk(group),
        filter_condition=Task.status == TaskStatus.OPEN.value,
        limit=count,
        page_size=max(count, 25),
    )
    return [t for t in found if isinstance(t, Task)]


def _groups_to_serve(caller: Caller, group: str | None) -> list[str]:
    caller.require_staff()
    mine = caller_groups(caller)
    if group:
        if caller.role == Role.AGENT and group not in mine:
            raise Forbidden(f"You are not in group {group}; ask a manager to add you.")
        return [group]
    if not mine:
        raise Unprocessable(
            "You are in no support group; say which group's queue (?group=L2) or ask a manager to add you.",
            errors=[{"field": "group", "message": "required when you are in no group"}],
        )
    return mine


def _rank(task: Task) -> tuple[float, str, str]:
    """Across several groups: the highest priority now, then the earlier deadline, then arrival."""
    if not task.priority_basis:
        return (-float(task.priority or 0), task.due_at or "9999", task.created_at)
    basis = priority.Basis.from_dict(task.priority_basis)
    return (-priority.score(basis, clock.now()), task.due_at or "9999", task.created_at)


def next_candidates(caller: Caller, group: str | None, count: int = 1) -> list[Task]:
    """Open tasks the caller may take, best first. Each group's queue is already in its line's order
    (arrival for L1, priority for the others); several queues are merged by priority now."""
    heads: list[tuple[int, Task]] = []
    for name in _groups_to_serve(caller, group):
        heads += list(enumerate(_open_heads(name, count)))
    ordered = sorted(heads, key=lambda pair: (pair[0], _rank(pair[1])))
    return [task for _, task in ordered][:count]


def next_task(caller: Caller, group: str | None) -> dict[str, Any] | None:
    found = next_candidates(caller, group)
    if not found:
        return None
    return brief(found[0])


def take_next(caller: Caller, group: str | None) -> dict[str, Any] | None:
    """Take the best open task; if someone else takes it first, the next one."""

    for task in next_candidates(caller, group, NEXT_CANDIDATES):
        try:
            taken, _ = take_task(caller, task.task_id)
        except Conflict:
            continue
        return brief(taken)
    return None


def brief(task: Task) -> dict[str, Any]:
    """What the task's line needs to act on it. A task of no ticket (a daily review lists many) has none."""
    items = ticket_items.load_ticket_partition(task.ticket_id) if task.ticket_id else []
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    line = group_line(task.group)
    tasks = [i for i in items if isinstance(i, Task)]
    view: dict[str, Any] = {"task": task_view(task, previous_note=previous_note(task, tasks)), "line": line}
    if ticket is None:
        view["ticket"] = None
        view["review_items"] = getattr(task, "items", None)  # a review task's tickets to nudge (GET /reviews/{id})
        return view
    organisation = directory.get_organisation(ticket.organisation_id)
    view["ticket"] = {
        "id": ticket.ticket_id,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "service": ticket.service,
        "status": ticket.status,
        "owner": ticket.owner,
        "classification": ticket.classification,
        "next_step_at": ticket.next_step_at,
        "organisation": {
            "id": ticket.organisation_id,
            "name": organisation.name if organisation else None,
            "importance": organisation.importance if organisation else "standard",
        },
    }
    messages = sorted((i for i in items if isinstance(i, Message)), key=lambda m: m.message_id)
    if line == "L1":
        # First line talks to the customer: the request as they wrote it, the intake answers, who to call.
        requester = directory.get_user(ticket.requester_sub)
        view["customer"] = {
            "description": ticket.description,
            "fields": ticket.fields,
            "requester": {
                "sub": ticket.requester_sub,
                "email": ticket.requester_email,
                "name": requester.name if requester else None,
            },
            "contacts": organisation.contacts if organisation else [],
            "messages": [
                {"author_role": m.author_role, "body": m.body, "created_at": m.created_at}
                for m in messages
                if not m.internal and not m.automatic
            ],
        }
    else:
        # Further lines work from what the first line found: its classification and notes (R27).
        done = sorted(
            (i for i in items if isinstance(i, Task) and i.status == TaskStatus.DONE.value and i.note),
            key=lambda t: t.completed_at or "",
        )
        view["handover"] = {
            "classification": ticket.classification,
            "description": ticket.description,
            "fields": ticket.fields,
            "notes": [
                {"task": t.title, "outcome": t.outcome, "by": t.assignee, "note": t.note, "at": t.completed_at}
                for t in done
            ]
            + [
                {"task": None, "outcome": None, "by": m.author_sub, "note": m.body, "at": m.created_at}
                for m in messages
                if m.internal
            ],
        }
    return view


def _check_may_hand_over(caller: Caller, task: Task) -> None:
    if caller.role == Role.AGENT and task.assignee != caller.sub:
        raise Forbidden(
            f"Task {task.task_id} is not yours to hand over"
            + (f" (it is assigned to {task.assignee})" if task.assignee else " (take it first)")
            + "; ask a manager."
        )
    if task.status == TaskStatus.DONE.value:
        raise Conflict(f"Task {task.task_id} is already done.")


def _destination(
    task: Task, group: str | None, assignee: str | None
) -> tuple[str, SupportGroup, directory.User | None]:
    """The group the task goes to (its own unless given) and the person, who must be a member of it; somewhere
    the task is not already. Returns (group name, group, person)."""
    target_group = group or task.group
    target = get_group(target_group)
    if target is None:
        known, _ = registry()
        raise Unprocessable(
            f"No group {target_group}; use one of {', '.join(sorted(g.name for g in known))}.",
            errors=[{"field": "group", "message": "unknown group"}],
        )
    person = find_staff(assignee, "assignee") if assignee else None
    if person is not None and target_group not in (person.groups or []):
        raise Unprocessable(
            f"{person.name} is not in group {target_group}; hand it to the group or to one of its members.",
            errors=[{"field": "assignee", "message": f"not in group {target_group}"}],
        )
    new_assignee = person.sub if person else None
    if target_group == task.group and new_assignee == task.assignee:
        raise Conflict(f"Task {task.task_id} is already with {new_assignee or target_group}.")
    return target_group, target, person


def _move(task: Task, target_group: str, line: str, new_assignee: str | None, now: str) -> None:
    """Put the task in the group's queue, taken by the new assignee or open for anyone in the group."""
    task.group = target_group
    task.queue_pk = ticket_items.queue_pk(target_group)
    if task.priority_basis:
        # It keeps its arrival and the customer's waiting time: a handover never puts it at the back.
        basis = priority.Basis.from_dict({**task.priority_basis, "line": line})
        task.priority_basis = basis.as_dict()
        task.queue_sk = priority.queue_key(basis, task.task_id)
    if new_assignee:
        task.status, task.assignee, task.taken_at = TaskStatus.TAKEN.value, new_assignee, now
    else:
        task.status, task.assignee, task.taken_at = TaskStatus.OPEN.value, None, None


def reassign(
    caller: Caller, task_id: str, *, group: str | None, assignee: str | None, reason: str | None
) -> dict[str, Any]:
    """Hand a task to another group or person. An agent hands over their own task, a manager any; the
    ticket's owner never changes (R14), and the customer sees nothing of it."""

    caller.require_staff()
    if not group and not assignee:
        raise Unprocessable(
            "Say where the task goes: a group, a person, or both.",
            errors=[{"field": "group", "message": "group or assignee required"}],
        )
    state: dict[str, Any] = {}

    def attempt() -> None:
        task, ticket = load_task(task_id)
        _check_may_hand_over(caller, task)
        target_group, target, person = _destination(task, group, assignee)
        new_assignee = person.sub if person else None
        before = {"group": task.group, "assignee": task.assignee}
        _move(task, target_group, target.line, new_assignee, clock.now_iso())
        to = f"{person.name} ({target_group})" if person else target_group
        event = new_event(
            ticket,
            caller,
            "TaskReassigned",
            f"{task.title} handed to {to}" + (f": {reason}" if reason else ""),
            public=False,
            task_id=task_id,
            from_group=before["group"],
            to_group=target_group,
            from_assignee=before["assignee"],
            to_assignee=new_assignee,
            line=target.line,
            reason=reason,
        )
        store.transact([(task, None), (event, None)])
        state.update(task=task, ticket=ticket, before=before)

    with_retries("This task", attempt)
    task, ticket = state["task"], state["ticket"]
    bus.publish(
        "TaskReassigned",
        {
            **ticket_detail(ticket),
            "task_id": task_id,
            "from_group": state["before"]["group"],
            "to_group": task.group,
            "from_assignee": state["before"]["assignee"],
            "to_assignee": task.assignee,
        },
    )
    refresh_waiting_on(ticket.ticket_id)
    return brief(task)
