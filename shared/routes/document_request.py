"""The document-request route's steps (statemachines/document-request.asl.json)."""

from __future__ import annotations

from typing import Any

from shared.platform.words import Phrase
from shared.routes.common import close, ended_elsewhere, resolve, say
from shared.tickets.conversation import attachment_ref, claim_upload, upload_problem
from shared.tickets.items import Attachment, Message, load_ticket
from shared.tickets.readers import ENGLISH_READER, reader_of


def document_done(ticket_id: str, outcome: str, note: str | None) -> dict[str, Any]:
    """The office sent the document (attached in the ticket): tell the customer and resolve; the customer's
    confirmation or silence closes it (R21). Declined: tell why and close."""
    ticket, items = load_ticket(ticket_id)
    if (ended := ended_elsewhere(ticket)) is not None:
        return {"branch": ended}
    reader = reader_of(ticket)
    document = ticket.fields.get("document_type") or Phrase("document.default")
    if outcome in ("declined", "unavailable"):
        text = reader.say("document.declined", document=document, reason=note or reader.say("document.not_available"))
        say(ticket, text)
        close(ticket_id, Phrase("reason.document_unavailable", {"document": document}), told=text)
        return {"branch": "done"}
    handed = {a["attachment_id"] for i in items if isinstance(i, Message) and not i.internal for a in i.attachments}
    uploads = [i for i in items if isinstance(i, Attachment) and i.uploaded_by != ticket.requester_sub]
    # The desk's uploads no public message handed over yet go with this message, so the customer can download them:
    # each claimed as a message claims it (a file that is not what it was declared to be stays with the desk).
    fresh = [a for a in uploads if a.attachment_id not in handed and upload_problem(a) is None]
    for attachment in fresh:
        claim_upload(attachment)
        attachment.save()
    kept = handed | {a.attachment_id for a in fresh}
    uploads = [a for a in uploads if a.attachment_id in kept]
    attached = [i.file_name for i in uploads]
    hand_over = [attachment_ref(a) for a in fresh]
    parts = [reader.say("document.ready", document=document)]
    if attached:
        parts.append(reader.say("document.attached", files=", ".join(attached)))
    if note:
        parts.append(note)
    parts.append(reader.say("document.confirm"))
    logged = ENGLISH_READER.text(document)
    text = " ".join(parts)
    say(
        ticket,
        text,
        ("DocumentSent", f"Document sent: {logged}", {"document": logged}),
        attachments=hand_over,
    )
    resolve(
        ticket_id,
        Phrase("document.resolution", {"document": document}),
        "Not applicable: a document request",
        told=text,
    )
    return {"branch": "follow_up"}
