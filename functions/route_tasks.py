"""The Lambda that routes (Step Functions state machines) call for their steps."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from shared.tasks import create_task

logger = Logger(service="caseway-routes")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    action = event.get("action")
    if action == "create_task":
        task = create_task(
            ticket_id=event["ticket_id"],
            step_key=event["step_key"],
            task_type=event["task_type"],
            title=event["title"],
            group=event["group"],
            task_token=event.get("task_token"),
            due_at=event.get("due_at"),
            priority=int(event.get("priority", 0)),
        )
        logger.info("task created", extra={"task_id": task.task_id, "ticket_id": task.ticket_id})
        return {"task_id": task.task_id}
    raise ValueError(f"unknown route action {action!r}")
