"""HTTP routes of the daily and weekly reviews (R20, R22). Review tasks are listed, taken and completed through
the ordinary /tasks routes; this one shows what a review task lists."""

from __future__ import annotations

from typing import Any

from functions.api.callers import caller
from functions.api.router import STAFF, ApiRouter
from shared.review import tasks as review_tasks
from shared.tasks.views import task_view

router = ApiRouter()


@router.declare(
    "GET",
    "/reviews/{task_id}",
    "A review task with what it lists: the tickets to nudge (daily) or the long case's review (weekly)",
    "tasks",
    roles=STAFF,
    resource="task",
)
def get_review(task_id: str) -> dict[str, Any]:
    task = review_tasks.get_review_task(caller(), task_id)
    return {
        "task": task_view(task),
        "review": task.review,
        "review_date": task.review_date,
        "items": task.items,
    }
