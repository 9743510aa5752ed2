"""Internal tasks (R8): created by routes, worked from group queues, never shown to customers."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.directory import items as directory
from shared.platform import bus, clock, store, workflows
from shared.platform.domain import Role, Status, TaskStatus
from shared.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.store import with_retries
from shared.platform.table import Entity
from shared.tasks import hooks as task_hooks
from shared.tasks import priority as ranking  # R15, R19: the computed priority and the queue's order
from shared.tasks import queues
from shared.tickets import hooks
from shared.tickets import items as ticket_items
from shared.tickets.items import Task, Ticket
from shared.tickets.log import new_event, set_index_keys, set_status, status_event, ticket_detail

logger = logging.getLogger(__name__)

# Task types whose outcome decides the route's next step (R7): the outcome must be one of these.
OUTCOMES: dict[str, tuple[str, ...]] = {
    "classify": ("question", "bug", "critical_bug", "improvement"),
    "approve": ("approved", "declined"),
    # the catalog's routes (shared/routes_catalog.py)
    "licence_limit": ("extend", "decline"),
    "evaluate": ("estimated", "declined"),
    "prepare_document": ("sent", "declined"),
    "change_work": ("done", "declined"),
}
# Task types completed only with a note: what L2 did is what L1 tells the customer (R7, R27).
NOTE_REQUIRED: frozenset[str] = frozenset({"fix"})


def task_id_for(ticket_id: str, step_key: str) -> str:
    """Derived from the route step, so a retried Lambda invocation cannot create the task twice."""
    return f"{ticket_id}-{hashlib.sha256(step_key.encode()).hexdigest()[:8]}"


def ticket_id_of(task_id: str) -> str:
    return task_id.rsplit("-", 1)[0]


def create_task(
    *,
    ticket_id: str,
    step_key: str,
    task_type: str,
    title: str,
    group: str,
    task_token: str | None,
    due_at: str | None = None,
    priority: int = 0,
) -> Task:
    """Called by a route: a human step for a group, holding the token the route waits on."""
    ticket = ticket_items.get_ticket(ticket_id)
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id}")
    task_id = task_id_for(ticket_id, step_key)
    now = clock.now_iso()
    basis = queues.basis_for(ticket, group=group, base=priority, due_at=due_at, created_at=now)
    task = Task(
        ticket_items.ticket_pk(ticket_id),
        f"TASK#{task_id}",
        task_id=task_id,
        ticket_id=ticket_id,
        reference=ticket.reference,
        task_type=task_type,
        title=title,
        group=group,
        status=TaskStatus.OPEN.value,
        priority=priority,
        priority_basis=basis.as_dict(),
        due_at=due_at,
        task_token=task_token,
        created_at=now,
        queue_pk=ticket_items.queue_pk(group),
        queue_sk=ranking.queue_key(basis, task_id),
    )
    event = new_event(
        ticket, None, "TaskCreated", f"Task for {group}: {title}", public=False, at=now, task_id=task_id, group=group
    )
    try:
        # R28: the plan counted in the task's own conditional Put, so a repeated step never counts it twice
        planned = hooks.task_created.gather(task)
        store.transact_retrying_conflicts([(task, Task.pk.does_not_exist()), (event, None)], planned)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" not in store.conflict_reasons(error):
            raise
        # The same step again (a retried invocation, or a timer or a re-timing that fired): keep the task, refresh
        # the route's token.
        existing = Task.get(ticket_items.ticket_pk(ticket_id), f"TASK#{task_id}")
        existing.task_token = task_token
        existing.save()
        if existing.status == TaskStatus.DONE.value and task_token:
            # Completed while the route was between two waits (its old token was spent): the route goes on now.
            workflows.task_success_once(
                task_token,
                {"task_id": task_id, "outcome": existing.outcome, "note": existing.note, "by": existing.assignee},
            )
        return existing
    bus.publish("TaskCreated", {**ticket_detail(ticket), "task_id": task_id, "group": group, "task_type": task_type})
    if ticket.owner:  # nobody owns it yet: nobody waits on anyone
        queues.refresh_waiting_on(ticket_id)
    return task


def _agent_groups(caller: Caller) -> set[str]:
    user = directory.get_user(caller.sub)
    return set(user.groups) if user else set()


def list_queue(caller: Caller, group: str, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]:
    """Open tasks of a group: highest priority first, then the earliest due, then arrival (R19)."""
    caller.require_staff()
    if caller.role == Role.AGENT and group not in _agent_groups(caller):
        raise Forbidden(f"You are not in group {group}; ask a manager to add you.")
    items, next_cursor = store.query_page(
        Entity.queue_index, "queue_pk", ticket_items.queue_pk(group), limit=limit, cursor=cursor, newest_first=False
    )
    return [i for i in items if isinstance(i, Task)], next_cursor


def load_task(task_id: str) -> tuple[Task, Ticket]:
    ticket_id = ticket_id_of(task_id)
    items = ticket_items.load_ticket_partition(ticket_id) if ticket_id else []
    task = next((i for i in items if isinstance(i, Task) and i.task_id == task_id), None)
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    if task is None or ticket is None:
        raise NotFound(f"No task {task_id}.")
    return task, ticket


# Kinds of task kept outside a ticket's partition, by task id prefix: the reviews (R20, R22) load and save their
# own tasks, and take and complete them by the rules below. shared/desk.py registers them.
@dataclass(frozen=True)
class DetachedKind:
    take: Callable[[Caller, str], tuple[Task, Ticket | None]]
    complete: Callable[[Caller, str, str, str | None], Task]


DETACHED_KINDS: dict[str, DetachedKind] = {}


def _detached(task_id: str) -> DetachedKind | None:
    return next((kind for prefix, kind in DETACHED_KINDS.items() if task_id.startswith(prefix)), None)


def check_group(caller: Caller, task: Task) -> None:
    """An agent works only the tasks of their own groups; a manager any."""
    if caller.role == Role.AGENT and task.group not in _agent_groups(caller):
        raise Forbidden(f"Task {task.task_id} belongs to group {task.group}, which you are not in.")


def check_take(caller: Caller, task: Task) -> bool:
    """Whether the caller may take the task; True when they already hold it (taking again changes nothing)."""
    check_group(caller, task)
    if task.status == TaskStatus.DONE.value:
        raise Conflict(f"Task {task.task_id} is already done.")
    if task.status == TaskStatus.TAKEN.value:
        if task.assignee == caller.sub:
            return True
        raise Conflict(f"Task {task.task_id} was already taken by {task.assignee}.", assignee=task.assignee)
    return False


def mark_taken(task: Task, caller: Caller, now: str) -> None:
    task.status = TaskStatus.TAKEN.value
    task.assignee = caller.sub
    task.taken_at = now


def check_complete(caller: Caller, task: Task, outcome: str, note: str | None = None) -> None:
    """The assignee (or a manager) completes a taken task with an outcome its type accepts (R7), and with a note
    when its type needs one (NOTE_REQUIRED)."""
    if task.status == TaskStatus.DONE.value:
        raise Conflict(f"Task {task.task_id} is already done ({task.outcome}).")
    if task.status == TaskStatus.OPEN.value:
        raise Conflict(f"Take task {task.task_id} before completing it (POST /tasks/{task.task_id}/take).")
    if task.assignee != caller.sub and caller.role != Role.MANAGER:
        raise Forbidden(f"Task {task.task_id} is assigned to {task.assignee}; only they or a manager can complete it.")
    if not outcome.strip():
        raise Unprocessable("Say what the outcome is.", errors=[{"field": "outcome", "message": "required"}])
    allowed = OUTCOMES.get(task.task_type)
    if allowed and outcome not in allowed:
        raise Unprocessable(
            f"A {task.task_type} task ends with one of: {', '.join(allowed)}.",
            errors=[{"field": "outcome", "message": f"one of {list(allowed)}"}],
        )
    if task.task_type in NOTE_REQUIRED and not (note or "").strip():
        raise Unprocessable(
            f"A {task.task_type} task ends with a note saying what was done; the first line tells the customer.",
            errors=[{"field": "note", "message": "required"}],
        )


def mark_done(task: Task, outcome: str, note: str | None, now: str) -> None:
    """Done: out of its queue for good."""
    task.status = TaskStatus.DONE.value
    task.outcome = outcome
    task.note = note
    task.completed_at = now
    task.queue_pk = task.queue_sk = None


def take_task(caller: Caller, task_id: str) -> tuple[Task, Ticket]:
    caller.require_staff()
    detached = _detached(task_id)
    if detached is not None:
        return detached.take(caller, task_id)  # type: ignore[return-value]
    state: dict[str, Any] = {}

    def attempt() -> None:
        task, ticket = load_task(task_id)
        if check_take(caller, task):
            state.update(task=task, ticket=ticket)
            return
        now = clock.now_iso()
        mark_taken(task, caller, now)
        writes: list[tuple[Entity, Any]] = [(task, None)]
        events = [
            new_event(
                ticket,
                caller,
                "TaskTaken",
                f"{task.title} taken by {caller.email or caller.sub}",
                public=False,
                at=now,
                task_id=task_id,
            )
        ]
        ticket_changed = False
        if ticket.owner is None:
            ticket.owner = caller.sub  # R14: the first to take it owns it until the solver's feedback
            ticket_changed = True
        if ticket.status == Status.NEW.value:
            before = ticket.status
            set_status(ticket, Status.IN_PROGRESS, now)
            events.append(status_event(ticket, caller, before, "a specialist is working on it", at=now))
            ticket_changed = True
        if ticket_changed:
            ticket.updated_at = now
            set_index_keys(ticket)
            writes.append((ticket, None))
        store.transact(writes + [(e, None) for e in events])
        state.update(task=task, ticket=ticket, changed=True)

    with_retries("This task", attempt)
    if state.get("changed"):
        bus.publish("TaskTaken", {**ticket_detail(state["ticket"]), "task_id": task_id, "assignee": caller.sub})
        queues.refresh_waiting_on(state["ticket"].ticket_id)
    return state["task"], state["ticket"]


def complete_task(caller: Caller, task_id: str, *, outcome: str, note: str | None) -> Task:
    """The route is told first: when Step Functions cannot be reached the task stays taken and the caller gets
    the error (503) to repeat, so no task is ever done while its route waits on it. Completing again with the
    same outcome (a repeat after a lost answer) changes nothing."""
    caller.require_staff()
    detached = _detached(task_id)
    if detached is not None:
        return detached.complete(caller, task_id, outcome, note)
    task, _ = load_task(task_id)
    if not _completed_by(caller, task, outcome):
        check_complete(caller, task, outcome, note)
        tell_route(task, outcome, note)
    state: dict[str, Any] = {}

    def attempt() -> None:
        task, ticket = load_task(task_id)
        if _completed_by(caller, task, outcome):
            state.update(task=task, changed=False)
            return
        check_complete(caller, task, outcome, note)
        now = clock.now_iso()
        mark_done(task, outcome, note, now)
        event = new_event(
            ticket,
            caller,
            "TaskCompleted",
            f"{task.title} done: {outcome}",
            public=False,
            at=now,
            task_id=task_id,
            note=note,
        )
        # R27, R28: plan/fact and the assignee's tasks closed, counted with the done task (conditional on it as read)
        store.transact([(task, None), (event, None)], hooks.task_finished.gather(task))
        state.update(task=task, changed=True)

    with_retries("This task", attempt)
    task = state["task"]
    if state["changed"]:
        bus.publish("TaskCompleted", {"task_id": task.task_id, "ticket_id": task.ticket_id, "outcome": task.outcome})
    queues.refresh_waiting_on(task.ticket_id)
    return task


def _completed_by(caller: Caller, task: Task, outcome: str) -> bool:
    return task.status == TaskStatus.DONE.value and task.outcome == outcome and task.assignee == caller.sub


def tell_route(task: Task, outcome: str, note: str | None) -> None:
    """SendTaskSuccess for the human step the route waits on; raises when Step Functions cannot be reached. A
    route that no longer waits on this token (told already, the step timed out, the route ended) is not an error."""
    if task.task_token and not workflows.task_success_once(
        task.task_token, {"task_id": task.task_id, "outcome": outcome, "note": note, "by": task.assignee}
    ):
        logger.info("the route of task %s no longer waits on its token", task.task_id)


def release_route(task: Task) -> None:
    """Tell the route a human step is over; the ticket's log already says so (and the figures counted it in the
    same transaction, shared/tickets/lifecycle.py)."""
    bus.publish("TaskCompleted", {"task_id": task.task_id, "ticket_id": task.ticket_id, "outcome": task.outcome})
    if task.task_token:
        try:
            workflows.task_success(
                task.task_token,
                {"task_id": task.task_id, "outcome": task.outcome, "note": task.note, "by": task.assignee},
            )
        except Exception:
            logger.exception("route of task %s was not told it is done", task.task_id)


def release_finished(ticket: Ticket, tasks: list[Task], target: Status) -> None:
    """A ticket's status change finished its open tasks: their routes are told; the owner's waiting board follows."""
    for task in tasks:
        release_route(task)
    if ticket.owner:
        queues.refresh_waiting_on(ticket.ticket_id)


def handle_by_hand(
    ticket: Ticket, error: str, cause: str | None, *, title: str, group: str, priority: int, due_at: str | None = None
) -> Task:
    """A route step could not do its work (R6): the fault goes into the ticket's log (internal) and a person gets
    a manual task for it. The route itself never fails."""
    event = new_event(
        ticket, None, "RouteFault", f"Route step failed: {error}", public=False, error=error, cause=(cause or "")[:500]
    )
    store.transact([(event, None)])
    task = create_task(
        ticket_id=ticket.ticket_id,
        step_key=f"fault#{store.new_id()}",
        task_type="manual",
        title=title,
        group=group,
        task_token=None,
        due_at=due_at,
        priority=priority,
    )
    task_hooks.route_fault(ticket, task, error, cause)  # R24: the managers hear of it
    return task
