"""R24: incidents for managers: a limit reached, an SLA breach, a route fault. Each is told to the managers as it is
raised (the incidents topic, shared/platform/alerts.py) and listed by `GET /incidents`."""

from __future__ import annotations

import logging
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from shared.directory import mail_settings
from shared.money.contracts import require_manager
from shared.money.items import Incident
from shared.money.keys import INCIDENTS_ALL, INCIDENTS_OPEN, incident_id_for
from shared.platform import alerts, bus, clock, config, store
from shared.platform.errors import Conflict, NotFound
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets.items import Task, Ticket

logger = logging.getLogger(__name__)


def raise_incident(
    kind: str,
    subject: str,
    title: str,
    *,
    organisation_id: str | None = None,
    ticket_id: str | None = None,
    reference: str | None = None,
    **detail: Any,
) -> Incident | None:
    """Raise an incident once: the id derives from kind and subject, so a second raise is a no-op (None)."""
    incident_id = incident_id_for(kind, subject)
    now = clock.now_iso()
    incident = Incident(
        f"INCIDENT#{incident_id}",
        "INCIDENT",
        incident_id=incident_id,
        incident_type=kind,
        title=title,
        detail=detail,
        organisation_id=organisation_id,
        ticket_id=ticket_id,
        reference=reference,
        status="open",
        raised_at=now,
        gsi2pk=INCIDENTS_ALL,
        gsi2sk=f"{now}#{incident_id}",
        open_pk=INCIDENTS_OPEN,
        open_sk=f"0#{now}#{incident_id}",
    )
    try:
        incident.save(condition=Incident.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    bus.publish("IncidentRaised", incident_event(incident))
    tell_managers(incident)
    return incident


def tell_managers(incident: Incident) -> str | None:
    """The incident as an e-mail to each of the desk's managers (shared/directory/mail_settings.py) and to the
    addresses subscribed to the incidents topic: what, where, and how to act on it. Returns the topic's message id
    (None: not published, logged; the incident stays in `GET /incidents`)."""
    base = config.get(config.PUBLIC_BASE_URL).rstrip("/")
    body = alerts.as_text(
        {
            "Incident": incident.title,
            "Type": incident.incident_type,
            "Ticket": incident.reference,
            "Organisation": incident.organisation_id,
            "Raised at": incident.raised_at,
            "Detail": dict(incident.detail or {}),
        }
    )
    body += (
        f"\nOpen incidents: GET {base}/incidents\n"
        f"Acknowledge: POST {base}/incidents/{incident.incident_id}/acknowledge\n"
        f"Resolve: POST {base}/incidents/{incident.incident_id}/resolve\n"
    )
    subject = f"Caseway incident: {incident.title}"
    for manager in mail_settings.managers():  # each manager by e-mail, unless they turned incidents off
        mail_settings.tell(manager, "incident", subject, body)
    return alerts.tell_managers(
        subject, body, {"incident_type": incident.incident_type, "incident_id": incident.incident_id}
    )


def route_fault(ticket: Ticket, task: Task, error: str, cause: str | None) -> None:
    """A route step failed and became a manual task (shared/tasks/work.py handle_by_hand): an incident for the
    managers, one per fault. Never breaks the route: a failure here is logged."""
    try:
        raise_incident(
            "route_fault",
            f"{ticket.ticket_id}_{task.task_id}",
            f"Route fault on {ticket.reference}: {error}; handed to {task.group} by hand",
            organisation_id=ticket.organisation_id,
            ticket_id=ticket.ticket_id,
            reference=ticket.reference,
            error=error,
            cause=(cause or "")[:500],
            task_id=task.task_id,
            group=task.group,
        )
    except Exception:
        logger.exception("could not raise the route-fault incident of ticket %s", ticket.ticket_id)


def incident_event(incident: Incident) -> dict[str, Any]:
    return {
        "incident_id": incident.incident_id,
        "incident_type": incident.incident_type,
        "status": incident.status,
        "title": incident.title,
        "organisation_id": incident.organisation_id,
        "ticket_id": incident.ticket_id,
        "at": clock.now_iso(),
    }


def sla_breached(ticket: Ticket, clock_name: str | None, due: str | None) -> None:
    """Called by the support route's worker: a failure here is logged, never breaks the route."""
    try:
        sla_incident(ticket, clock_name, due)
    except Exception:
        logger.exception("could not raise the SLA incident of ticket %s", ticket.ticket_id)


def sla_incident(ticket: Ticket, clock_name: str | None, due: str | None) -> None:
    raise_incident(
        "sla_breach",
        f"{ticket.ticket_id}_{clock_name}",
        f"{(clock_name or 'SLA').capitalize()} promise breached on {ticket.reference} ({ticket.subject})",
        organisation_id=ticket.organisation_id,
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        clock=clock_name,
        due=due,
    )


def list_incidents(caller: Caller, *, status: str, limit: int, cursor: str | None) -> tuple[list[Incident], str | None]:
    """Open first: unacknowledged, then acknowledged, each oldest first; `all` is every incident, newest first."""
    require_manager(caller)
    if status == "open":
        items, next_cursor = store.query_page(
            Entity.open_index, "open_pk", INCIDENTS_OPEN, limit=limit, cursor=cursor, newest_first=False
        )
    else:
        items, next_cursor = store.query_page(
            Entity.organisation_index, "gsi2pk", INCIDENTS_ALL, limit=limit, cursor=cursor, newest_first=True
        )
    return [i for i in items if isinstance(i, Incident)], next_cursor


def update_incident(caller: Caller, incident_id: str, action: str, note: str | None) -> Incident:
    require_manager(caller)
    try:
        incident = Incident.get(f"INCIDENT#{incident_id}", "INCIDENT", consistent_read=True)
    except DoesNotExist:
        raise NotFound(f"No incident {incident_id}.") from None
    if incident.status == "resolved":
        raise Conflict(f"Incident {incident_id} is already resolved.")
    now = clock.now_iso()
    if action == "acknowledge":
        if incident.status == "acknowledged":
            return incident
        incident.status, incident.acknowledged_at, incident.acknowledged_by = "acknowledged", now, caller.sub
        incident.open_sk = f"1#{incident.raised_at}#{incident.incident_id}"
    else:
        incident.status, incident.resolved_at, incident.resolved_by = "resolved", now, caller.sub
        incident.open_pk = incident.open_sk = None
    if note:
        incident.note = note
    try:
        incident.save()
    except PutError as error:
        raise Conflict(f"Incident {incident_id} changed meanwhile; reload it.") from error
    bus.publish("IncidentUpdated", incident_event(incident))
    return incident


def incident_view(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.incident_id,
        "type": incident.incident_type,
        "title": incident.title,
        "status": incident.status,
        "organisation_id": incident.organisation_id,
        "ticket_id": incident.ticket_id,
        "reference": incident.reference,
        "detail": incident.detail,
        "raised_at": incident.raised_at,
        "acknowledged_at": incident.acknowledged_at,
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": incident.resolved_at,
        "resolved_by": incident.resolved_by,
        "note": incident.note,
    }


def get_incident(incident_id: str) -> Incident | None:
    try:
        return Incident.get(f"INCIDENT#{incident_id}", "INCIDENT", consistent_read=True)
    except DoesNotExist:
        return None
