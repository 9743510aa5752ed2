"""The Lambda that schedules invoke (EventBridge Scheduler in the cloud, the local stack's scheduler
locally): the desk's own chores."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from shared import tickets

logger = Logger(service="caseway-housekeeping")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    action = event.get("action")
    if action == "close_resolved_after_silence":
        closed = tickets.close_resolved_after_silence()
        logger.info("closed silent resolved tickets", extra={"count": len(closed)})
        return {"closed": closed}
    if action == "billing_check":
        from shared import money

        return money.billing_check()
    raise ValueError(f"unknown housekeeping action {action!r}")
