"""What the catalog's routes (licence-key, document-request, change-request) share: their steps' groups and
deadlines, telling the customer, closing and resolving. Loaded by the API too: no calendars here."""

from __future__ import annotations

import logging
from typing import Any

from shared.directory import items as directory
from shared.directory.items import Service
from shared.platform import bus, clock
from shared.platform.domain import Status
from shared.platform.errors import Conflict
from shared.platform.identity import Caller
from shared.platform.words import Phrase
from shared.tickets import items as ticket_items
from shared.tickets.conversation import notify_customer, system_message
from shared.tickets.items import Ticket
from shared.tickets.lifecycle import close_ticket, resolve_ticket
from shared.tickets.log import new_event, save_ticket, ticket_detail

logger = logging.getLogger(__name__)


# The routes of this module; "support" is shared/support.py's. Services may only name routes the code knows.
CATALOG_ROUTES = ("licence-key", "document-request", "change-request")


# Working days a route's first human step is due in when the service does not say (Service.deadline_working_days).
DEFAULT_DEADLINE_DAYS = {"document-request": 3, "change-request": 5, "licence-key": 1}


WORKING_HOURS_PER_DAY = 8


# The human steps: task type, the group that does them unless the service names its own, title, priority.
STEPS: dict[str, dict[str, Any]] = {
    "prepare": {
        "type": "prepare_document",
        "group": "office",
        "title": "Prepare the requested document, attach it and complete with 'sent' (or 'declined' with the reason)",
        "priority": 300,
    },
    "evaluate": {
        "type": "evaluate",
        "group": "L2",
        "title": "Evaluate the change: estimate it in hours (POST /tasks/{id}/estimate) or decline with the reason",
        "priority": 300,
    },
    "work": {"type": "change_work", "group": "L2", "title": "Do the approved change", "priority": 400},
    "licence_limit": {
        "type": "licence_limit",
        "group": "accounts",
        "title": "Licence limit reached: extend the organisation's limit, or decline with the reason",
        "priority": 600,
    },
}


FAULT_PRIORITY = 900


def service_of(ticket: Ticket) -> Service | None:
    return directory.get_service(ticket.service)


def step_group(ticket: Ticket, step: str) -> str:
    """The step's own group when the service is served by it, else the service's first group (a manager can
    point a document-request service at "billing"); the step's default when the service names none."""
    default = STEPS[step]["group"]
    if step == "licence_limit":
        return default  # always the account manager
    service = service_of(ticket)
    groups = list(service.groups) if service and service.groups else []
    return default if not groups or default in groups else groups[0]


def deadline_days(ticket: Ticket, route: str) -> int:
    service = service_of(ticket)
    if service is not None and service.deadline_working_days:
        return int(service.deadline_working_days)
    return DEFAULT_DEADLINE_DAYS[route]


def say(
    ticket: Ticket,
    text: str,
    *milestones: tuple[str, str, dict[str, Any]],
    now: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    mail: str | None = None,
) -> None:
    """An automatic public message (with the files it hands over) and public milestones (R9), saved with the ticket
    in one transaction, all stamped with the one instant `now` (ISO; default: the clock). With `mail` (a headline)
    the customer is e-mailed the message too: news they would otherwise hear of in no e-mail."""
    now = now or clock.now_iso()
    message, said = system_message(ticket, text, now, attachments)
    events = [
        new_event(ticket, None, type_, summary, public=True, at=now, **data) for type_, summary, data in milestones
    ]
    save_ticket(ticket, message, said, *events, now=now)
    bus.publish("MessageAdded", {**ticket_detail(ticket), "message_id": message.message_id, "internal": False})
    for event in events:
        milestone(ticket, event.type, event.summary, **event.data)
    if mail:
        notify_customer(ticket, mail, text)


def milestone(ticket: Ticket, milestone: str, summary: str, **data: Any) -> None:
    """On the bus as one detail-type, RouteMilestone, named by `milestone` (docs/events.md)."""
    bus.publish("RouteMilestone", {**ticket_detail(ticket), "milestone": milestone, "summary": summary, **data})


def close(ticket_id: str, reason: Phrase, told: str | None = None, headline: str = "closed") -> None:
    """Close the ticket for the route; `told`: what the route just wrote the customer, said in the closing e-mail."""
    try:
        close_ticket(Caller.system(), ticket_id, reason=reason, told=told, headline=headline)
    except Conflict:
        logger.info("ticket %s was closed meanwhile", ticket_id)


def resolve(
    ticket_id: str, resolution: Phrase, preventive_measure: str, told: str | None = None, notify: bool = True
) -> None:
    """Resolve the ticket for the route; `told`: what the route just wrote the customer, said in the e-mail;
    `notify=False` when the route closes it at once (the closing e-mail is the one)."""
    try:
        resolve_ticket(
            Caller.system(),
            ticket_id,
            resolution=resolution,
            preventive_measure=preventive_measure,
            told=told,
            notify=notify,
        )
    except Conflict:
        logger.info("ticket %s changed before it could be resolved", ticket_id)


def ended_elsewhere(ticket: Ticket) -> str | None:
    """A step's task can also end because someone resolved or closed the ticket by hand: follow that."""
    if ticket.status == Status.CLOSED.value:
        return "done"
    if ticket.status == Status.RESOLVED.value:
        return "follow_up"
    return None


def keeps_next_step(ticket: Ticket) -> bool:
    """While we work on a catalog route's ticket, its next-step date is the route's own promise (the document's
    deadline, the estimate, the finished change), not the support plan's reaction clock."""
    if ticket.status not in (Status.NEW.value, Status.IN_PROGRESS.value):
        return False
    service = service_of(ticket)
    return service is not None and service.route in CATALOG_ROUTES


def is_closed(ticket_id: str) -> bool:
    ticket = ticket_items.get_ticket(ticket_id)
    return ticket is None or ticket.status == Status.CLOSED.value
