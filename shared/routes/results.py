"""What a route delivered, as the ticket's page shows it: the licence key issued for the ticket (to whoever may
see the ticket: its requester, the organisation's admin, staff) and the document a document request sent (its
attachments from the desk's side, downloadable like any other)."""

from __future__ import annotations

from typing import Any

from shared.platform.table import Entity
from shared.routes import licences
from shared.routes.items import Approval
from shared.tickets.items import Event, Message, Ticket
from shared.tickets.views import attachment_view, visible_attachments


def delivered(ticket: Ticket, items: list[Entity]) -> dict[str, Any] | None:
    """The route's result, or None while (or when) it delivered nothing. Reads the licence key only when the
    ticket's log says one was issued."""
    types = {i.type for i in items if isinstance(i, Event)}
    result: dict[str, Any] = {}
    if "LicenceKeyIssued" in types and (issued := licences.issued_key(ticket.organisation_id, ticket.ticket_id)):
        result["licence_key"] = {
            "key": issued.key,
            "product": issued.product,
            "seats": int(issued.seats) if issued.seats is not None else None,
            "issued_at": issued.issued_at,
        }
    if "DocumentSent" in types:
        public = [i for i in items if isinstance(i, Message) and not i.internal]
        from_desk = [
            a for a in visible_attachments(ticket, items, public, staff=False) if a.uploaded_by != ticket.requester_sub
        ]
        document = next(e.data.get("document") for e in items if isinstance(e, Event) and e.type == "DocumentSent")
        result["document"] = {"name": document, "attachments": [attachment_view(a) for a in from_desk]}
    return result or None


def approval(items: list[Entity]) -> dict[str, Any] | None:
    """A change request's estimate and the customer's decision on it (R26), from the ticket's own partition."""
    found = next((i for i in items if isinstance(i, Approval)), None)
    if found is None:
        return None
    return {
        "status": found.status,
        "estimate_hours": float(found.estimate_hours),
        "estimate_note": found.estimate_note,
        "created_at": found.created_at,
        "decided_at": found.decided_at,
        "comment": found.comment,
    }


def extras(ticket: Ticket, items: list[Entity]) -> dict[str, Any]:
    """What the ticket's page adds to its view: the delivered result and a change request's estimate."""
    return {"result": delivered(ticket, items), "approval": approval(items)}
