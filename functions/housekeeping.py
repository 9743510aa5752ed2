"""The Lambda that schedules invoke (EventBridge Scheduler in the cloud, the local stack's scheduler
locally): the desk's own chores."""

from __future__ import annotations

from typing import Any

from functions import entry
from shared.clocks import plans as clock_plans
from shared.kb import mandatory
from shared.money import billing
from shared.platform import logs
from shared.review import reviews as review
from shared.tickets import lifecycle

logger = entry.start("caseway-housekeeping")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    clock_plans.new_invocation()  # the chores read the calendars and plans as they are now
    action = event.get("action")
    if action == "close_resolved_after_silence":
        closed = lifecycle.close_resolved_after_silence()
        logger.info("closed silent resolved tickets", extra={"count": len(closed)})
        return {"closed": closed}
    if action == "seed_knowledge_base":
        # R29: the mandatory articles of a fresh deployment; re-run after a support plan changes.
        done = mandatory.seed_mandatory()
        logger.info("knowledge base seeded", extra=logs.fields(done))
        return done
    if action == "daily_review":
        # N of "no activity for more than N working hours", set in the schedule's payload (shared/schedules.py)
        idle = event.get("idle_working_hours", review.IDLE_WORKING_HOURS)
        if isinstance(idle, bool) or not isinstance(idle, int | float) or idle < 0:
            raise ValueError(f"idle_working_hours must be a number of hours >= 0, not {idle!r}")
        result = review.daily_review(idle_hours=float(idle))
        logger.info(
            "daily review", extra=logs.fields({k: result[k] for k in ("date", "created", "existing", "superseded")})
        )
        return result
    if action == "weekly_review":
        result = review.weekly_review()
        logger.info(
            "weekly review", extra=logs.fields({k: result[k] for k in ("date", "created", "existing", "superseded")})
        )
        return result
    if action == "billing_check":
        return billing.billing_check()
    raise ValueError(f"unknown housekeeping action {action!r}")
