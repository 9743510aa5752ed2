"""The integration events bus: the ticket's outward events."""

from __future__ import annotations

import json
import logging
from typing import Any

from shared.platform import aws, config

logger = logging.getLogger(__name__)


EVENT_SOURCE = "caseway.tickets"


# The integration contract: detail-types published on the ticket-events bus. docs/events.md
# documents the detail of each; integrations may rely on these names.
EVENT_TYPES = (
    "TicketCreated",
    "TicketSubmitted",
    "TicketUpdated",
    "MessageAdded",
    "StatusChanged",
    "TaskCreated",
    "TaskTaken",
    "TaskCompleted",
    "TaskReassigned",
    "AttachmentAdded",
    "RouteMilestone",  # a catalog route's public milestone: licence key issued, estimate given, ... (docs/events.md)
    "KbArticleSaved",  # the knowledge base (shared/kb.py): an article created or edited
    "ReviewTaskCreated",
    "ReviewTaskTaken",
    "ReviewTaskCompleted",
    # contracts, limits, time and money (docs/money.md)
    "LimitNotice",
    "LimitChoice",
    "TimeLogged",
    "IncidentRaised",
    "IncidentUpdated",
    "InvoiceUpdated",
)


# The bus's own consumers: function short name (infra/cdk/functions.py) -> the detail-types an EventBridge rule
# sends it (infra/cdk/consumers.py in the cloud; infra/local/emulation.py delivers them locally).
CONSUMERS: dict[str, tuple[str, ...]] = {
    "counters": ("TicketSubmitted",),  # functions/counters.py: the counters kept off the request path
}


def publish(detail_type: str, detail: dict[str, Any]) -> None:
    """Put one event on the ticket-events bus. A failure is logged, never raised: the ticket change is
    already stored and the bus is a copy of the log, which stays complete."""
    if detail_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {detail_type}")
    try:
        response = aws.client("events").put_events(
            Entries=[
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, default=str),
                    "EventBusName": config.get(config.EVENT_BUS_NAME),
                }
            ]
        )
        if response.get("FailedEntryCount"):
            logger.error("event not accepted by the bus: %s %s", detail_type, response.get("Entries"))
    except Exception:
        logger.exception("could not publish %s", detail_type)
