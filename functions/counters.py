"""The Lambda that keeps the desk's counters off the request path: an EventBridge rule on the ticket-events bus
sends it each TicketSubmitted event (infra/cdk/consumers.py; locally infra/local/emulation.py delivers it).

It counts the ticket for the figures (R28 new tickets per day) and for its contract (R23 usage of the period the
request path's check chose, R24 threshold incidents). EventBridge delivers at least once and Lambda retries a
failed asynchronous invocation, so every count is made once per ticket (a mark item in the same transaction);
a failure raises, to be retried, and after the retries lands in the failed-invocations queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from shared import desk
from shared.tickets import hooks as ticket_hooks

desk.assemble()
logger = Logger(service="caseway-counters")

# The events this function is sent, and the hook each one fires (the desk subscribes the features).
CONSUMED = {"TicketSubmitted": ticket_hooks.ticket_submitted_event}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail_type = event.get("detail-type")
    hook = CONSUMED.get(str(detail_type))
    if hook is None:
        raise ValueError(f"counters: no consumer for {detail_type!r}; the rule sends only {', '.join(CONSUMED)}")
    detail = event.get("detail") or {}
    hook(detail)
    logger.info("counted", extra={"detail_type": detail_type, "ticket_id": detail.get("ticket_id")})
    return {"counted": detail_type, "ticket_id": detail.get("ticket_id")}
