"""The Lambda that keeps the desk's counters off the request path: an EventBridge rule on the ticket-events bus
sends it each TicketSubmitted event (infra/cdk/consumers.py; locally infra/local/emulation.py delivers it).

It counts the ticket for the figures (R28 new tickets per day) and for its contract (R23 usage of the period the
request path's check chose, R24 threshold incidents). EventBridge delivers at least once and Lambda retries a
failed asynchronous invocation, so every count is made once per ticket (a mark item in the same transaction);
a failure raises, to be retried, and after the retries lands in the failed-invocations queue.
"""

from __future__ import annotations

from typing import Any

from functions import entry
from shared.platform import store
from shared.tickets import hooks as ticket_hooks

logger = entry.start("caseway-counters")

# The events this function is sent.
CONSUMED = ("TicketSubmitted",)
# A counted submission's mark outlives any redelivery of its event (EventBridge retries for up to 24 hours).
MARK_TTL_SECONDS = 400 * 24 * 3600


def count_submission(detail: dict[str, Any]) -> bool:
    """The submission's counts (the features' `ticket_submitted_counts`) in one transaction with one mark for the
    ticket, then what follows a first count (`ticket_submitted_counted`); on every delivery, what is idempotent by
    itself (`ticket_submitted_event`). False when the ticket had been counted already."""
    counts = ticket_hooks.ticket_submitted_counts.gather(detail)
    mark = (f"SUBMITTED#{detail['ticket_id']}", "MARK", "submitted_mark", MARK_TTL_SECONDS)
    first = store.add_together(counts, once=mark) if counts else False
    if first:
        ticket_hooks.ticket_submitted_counted(detail)
    ticket_hooks.ticket_submitted_event(detail)
    return first


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail_type = event.get("detail-type")
    if detail_type not in CONSUMED:
        raise ValueError(f"counters: no consumer for {detail_type!r}; the rule sends only {', '.join(CONSUMED)}")
    detail = event.get("detail") or {}
    counted = count_submission(detail)
    logger.info("counted", extra={"detail_type": detail_type, "ticket_id": detail.get("ticket_id"), "first": counted})
    return {"counted": detail_type, "ticket_id": detail.get("ticket_id"), "first": counted}
