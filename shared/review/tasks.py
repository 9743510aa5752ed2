"""Review tasks (R20, R22): kept in partitions of their own, taken and completed by the task rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.exceptions import PutError

from shared.platform import bus, clock
from shared.platform.errors import Conflict, NotFound
from shared.platform.identity import Caller
from shared.review.items import ReviewTask
from shared.tasks import work
from shared.tickets import items as ticket_items
from shared.tickets.items import Ticket

if TYPE_CHECKING:  # the SLA module (and the holidays package) load only when a review runs, not with the API
    pass


TASK_PREFIX = "review-"


def is_review_task(task_id: str) -> bool:
    return task_id.startswith(TASK_PREFIX)


def review_pk(review: str, day: str) -> str:
    return f"REVIEW#{review}#{day}"


def review_task_id(review: str, day: str, subject: str) -> str:
    return f"{TASK_PREFIX}{review}-{day}-{subject}"


def load_review_task(task_id: str) -> ReviewTask:
    parts = task_id[len(TASK_PREFIX) :].split("-", 4)
    if len(parts) < 5 or parts[0] not in ("daily", "weekly"):
        raise NotFound(f"No task {task_id}.")
    review, day = parts[0], "-".join(parts[1:4])
    try:
        task = ReviewTask.get(review_pk(review, day), f"TASK#{task_id}")
    except ReviewTask.DoesNotExist:
        raise NotFound(f"No task {task_id}.") from None
    return task


def get_review_task(caller: Caller, task_id: str) -> ReviewTask:
    caller.require_staff()
    task = load_review_task(task_id)
    work.check_group(caller, task)
    return task


def _ticket_of(task: ReviewTask) -> Ticket | None:
    return ticket_items.get_ticket(task.ticket_id) if task.ticket_id else None


def _save(task: ReviewTask) -> None:
    try:
        task.save()  # VersionAttribute: a concurrent change fails the version check
    except PutError as error:
        raise Conflict(f"Task {task.task_id} changed meanwhile; reload it and try again.") from error


def take_review_task(caller: Caller, task_id: str) -> tuple[ReviewTask, Ticket | None]:
    """Take a review task. Unlike a route's task it changes no ticket (taking a review makes no one an owner)."""
    caller.require_staff()
    task = load_review_task(task_id)
    if work.check_take(caller, task):
        return task, _ticket_of(task)
    work.mark_taken(task, caller, clock.now_iso())
    _save(task)
    bus.publish("ReviewTaskTaken", {"task_id": task_id, "group": task.group, "assignee": caller.sub})
    return task, _ticket_of(task)


def complete_review_task(caller: Caller, task_id: str, outcome: str, note: str | None) -> ReviewTask:
    caller.require_staff()
    task = load_review_task(task_id)
    work.check_complete(caller, task, outcome, note)
    work.mark_done(task, outcome, note, clock.now_iso())
    _save(task)
    bus.publish("ReviewTaskCompleted", {"task_id": task_id, "group": task.group, "outcome": outcome})
    return task
