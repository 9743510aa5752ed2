"""A submitted ticket's route, started by the route worker once the customer has been told the first deadline.

The API hands a submitted ticket to the worker (`shared.tickets.intake.start_route`: an asynchronous invoke, since
only the worker has the SLA calendars). The worker does the route's intake here (R7, R10: the first deadline is
computed and told to the customer) and then starts the route's execution with what the intake computed as its
input: the support route's first human step waits on `sla.timer`, a catalog route's on `intake.due_at`. So no
route spends a state transition on its intake (each one is billed).

Anything the intake or the start cannot do (after the clients' own retries) becomes a manual task and an incident
(R6, R24), as a route's Fault state would make it; the route is then not started, as a route ends after its Fault
state. Should even that fail, the error is raised and Lambda retries the asynchronous invocation (then its
dead-letter queue, which raises an alarm): the intake is idempotent (a retried one finds its message told
already) and the execution's name is the ticket's, so a retry never starts a second route.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.platform import workflows
from shared.routes import catalog_steps, support
from shared.tickets.items import get_ticket

logger = logging.getLogger(__name__)

# The routes whose first step is a deadline told to the customer, and where its result goes in the route's input.
SUPPORT = "support"
CATALOG_INTAKES = frozenset({"document-request", "change-request"})


def start(ticket_id: str, route: str, reference: str | None = None, service: str | None = None) -> dict[str, Any]:
    """The route's intake, then its execution (see the module's text). `reference` and `service` go into the
    route's input as the API sent them (read from the ticket when missing). Returns what was done."""
    try:
        if reference is None or service is None:
            ticket = get_ticket(ticket_id)
            if ticket is None:
                logger.warning("ticket %s is gone; its route is not started", ticket_id)
                return {"started": False, "reason": "no such ticket"}
            reference, service = ticket.reference, ticket.service
        payload: dict[str, Any] = {"ticket_id": ticket_id, "reference": reference, "service": service}
        if route == SUPPORT:
            payload["sla"] = {"timer": support.intake(ticket_id)["timer"]}
        elif route in CATALOG_INTAKES:
            payload["intake"] = {"due_at": catalog_steps.intake(ticket_id, route)["due_at"]}
        workflows.start_route(route, ticket_id, payload)
    except Exception as error:  # R6: what the intake or the start could not do goes to a person, as a Fault state's
        logger.exception("the route of ticket %s could not start; it is handed to a person", ticket_id)
        by_hand = support.fault if route == SUPPORT else catalog_steps.fault
        task = by_hand(ticket_id, type(error).__name__, str(error))
        return {"started": False, "task_id": task["task_id"]}
    return {"started": True}
