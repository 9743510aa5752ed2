"""The ticket's outward effects: the integration events bus, customer email, and its route.

Each goes through a small function here so the logic layer never builds AWS requests itself.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from shared import aws, config

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


def send_email(to: str | None, subject: str, body: str) -> None:
    """R10: tell the customer. Failures are logged; the ticket's log already holds the message."""
    if not to:
        return
    try:
        aws.client("ses").send_email(
            Source=config.get(config.SENDER_EMAIL),
            Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}},
        )
    except Exception:
        logger.exception("could not email %s", to)


def route_arn(route: str) -> str:
    return config.get(config.ROUTE_ARN_PREFIX) + route


def execution_name(ticket_id: str) -> str:
    """Derived from the ticket id, so a retried submit can never start a second route."""
    return f"ticket-{ticket_id}"


def start_route(route: str, ticket_id: str, payload: dict[str, Any]) -> str:
    """StartExecution of the service's route; an execution of that name already running is success."""
    sfn = aws.client("stepfunctions")
    try:
        response = sfn.start_execution(
            stateMachineArn=route_arn(route),
            name=execution_name(ticket_id),
            input=json.dumps(payload, default=str),
        )
        return response["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists:
        arn = route_arn(route).replace(":stateMachine:", ":execution:") + ":" + execution_name(ticket_id)
        return arn


def task_success(task_token: str, output: dict[str, Any]) -> None:
    aws.client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output, default=str))


def presigned_upload(key: str, content_type: str, max_size: int) -> dict[str, Any]:
    return aws.client("s3").generate_presigned_post(
        Bucket=config.get(config.ATTACHMENTS_BUCKET),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]],
        ExpiresIn=900,
    )


def hand_over(action: str, ticket_id: str, **payload: Any) -> None:
    """Ask the route worker to do something later (asynchronous invoke): the API answers at once and the
    worker, which has the SLA calendars, does the rest. A failure is logged; the route's own timers and the
    daily review catch up."""
    try:
        aws.client("lambda").invoke(
            FunctionName=config.get(config.WORKER_FUNCTION),
            InvocationType="Event",
            Payload=json.dumps({"action": action, "ticket_id": ticket_id, **payload}).encode(),
        )
    except Exception:
        logger.exception("could not hand %s of ticket %s to the worker", action, ticket_id)
