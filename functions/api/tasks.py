"""HTTP routes of tasks: a group's queue, taking a task and completing it (its route goes on)."""

from __future__ import annotations

from typing import Any

from functions.api.callers import caller
from functions.api.http import LIST_QUERY, query, query_limit
from functions.api.router import STAFF, ApiRouter
from shared.platform.errors import Unprocessable
from shared.tasks.views import queue_views, single_task_view
from shared.tasks.work import complete_task, list_queue, take_task
from shared.tickets.views import ticket_summary

router = ApiRouter(bodies="functions.api.tasks_bodies")


@router.declare(
    "GET",
    "/tasks",
    "A group's open tasks: highest priority, then earliest due, then arrival",
    "tasks",
    query=(("group", {"type": "string"}), *LIST_QUERY),
    roles=STAFF,
)
def tasks() -> dict[str, Any]:
    group = query("group", max_length=64)
    if not group:
        raise Unprocessable("Say which group's queue: ?group=L1", errors=[{"field": "group", "message": "required"}])
    found, next_cursor = list_queue(caller(), group, limit=query_limit(), cursor=query("cursor", max_length=2000))
    return {"items": queue_views(found), "next_cursor": next_cursor}


@router.declare(
    "POST",
    "/tasks/{task_id}/take",
    "Take a task (the first taker becomes the ticket's owner, R14)",
    "tasks",
    roles=STAFF,
    resource="task",
)
def take(task_id: str) -> dict[str, Any]:
    task, ticket = take_task(caller(), task_id)
    return {"task": single_task_view(task), "ticket": ticket_summary(ticket) if ticket is not None else None}


@router.declare(
    "POST",
    "/tasks/{task_id}/complete",
    "Complete a taken task; its route goes on",
    "tasks",
    body="CompleteTask",
    body_optional=True,
    roles=STAFF,
    resource="task",
)
def complete(task_id: str) -> dict[str, Any]:
    who = caller()
    body = router.body("CompleteTask", optional=True)
    task = complete_task(who, task_id, outcome=body.outcome, note=body.note)
    return {"task": single_task_view(task)}
