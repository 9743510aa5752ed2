"""The document-request route's steps (statemachines/document-request.asl.json)."""

from __future__ import annotations

from typing import Any

from shared.routes.common import close, ended_elsewhere, resolve, say
from shared.tickets.items import Attachment, load_ticket


def document_done(ticket_id: str, outcome: str, note: str | None) -> dict[str, Any]:
    """The office sent the document (attached in the ticket): tell the customer and resolve; the customer's
    confirmation or silence closes it (R21). Declined: tell why and close."""
    ticket, items = load_ticket(ticket_id)
    if (ended := ended_elsewhere(ticket)) is not None:
        return {"branch": ended}
    document = ticket.fields.get("document_type") or "document"
    if outcome in ("declined", "unavailable"):
        say(ticket, f"We cannot provide the {document}: {note or 'it is not available'}.")
        close(ticket_id, f"the {document} cannot be provided")
        return {"branch": "done"}
    attached = [i.file_name for i in items if isinstance(i, Attachment) and i.uploaded_by != ticket.requester_sub]
    where = f" It is attached in the ticket: {', '.join(attached)}." if attached else ""
    say(
        ticket,
        f"Your {document} is ready.{where}"
        + (f" {note}" if note else "")
        + " Please confirm by closing the ticket, or reply if something is missing.",
        ("DocumentSent", f"Document sent: {document}", {"document": document}),
    )
    resolve(ticket_id, f"Document provided: {document}", "Not applicable: a document request")
    return {"branch": "follow_up"}
