"""What each role sees of a ticket. Customers never see internal notes, internal events or tasks."""

from __future__ import annotations

from typing import Any

from shared.platform.table import Entity
from shared.tickets.articles import visible_ticket_articles
from shared.tickets.items import Attachment, Event, Message, Ticket


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.ticket_id,
        "reference": ticket.reference,
        "status": ticket.status,
        "ball_side": ticket.ball_side,
        "ball_since": ticket.ball_since,
        "owner": ticket.owner,
        "organisation_id": ticket.organisation_id,
        "service": ticket.service,
        "subject": ticket.subject,
        "channel": ticket.channel,
        "next_step_at": ticket.next_step_at,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def ticket_record(ticket: Ticket, items: list[Entity], *, staff: bool) -> dict[str, Any]:
    """The ticket with its conversation and history as the role sees it; staff's view adds the work on it
    (shared/tasks/views.py: ticket_view)."""
    events = [i for i in items if isinstance(i, Event) and (staff or i.public)]
    messages = [i for i in items if isinstance(i, Message) and (staff or not i.internal)]
    view = {
        **ticket_summary(ticket),
        "requester": {"sub": ticket.requester_sub, "email": ticket.requester_email},
        "description": ticket.description,
        "fields": ticket.fields,
        "classification": ticket.classification,
        "priority": ticket.priority,
        "submitted_at": ticket.submitted_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "resolution": ticket.resolution,
        "articles": visible_ticket_articles(ticket.kb_articles, staff=staff),
        "satisfaction": {"rating": int(ticket.satisfaction), "comment": ticket.satisfaction_comment}
        if ticket.satisfaction is not None
        else None,
        "version": ticket.version,
        "history": [event_view(e) for e in sorted(events, key=lambda e: e.event_id)],
        "messages": [message_view(m) for m in sorted(messages, key=lambda m: m.message_id)],
        "attachments": [attachment_view(a) for a in visible_attachments(ticket, items, messages, staff=staff)],
    }
    if staff:
        view["preventive_measure"] = ticket.preventive_measure
        view["due_at"] = ticket.due_at
        view["sla"] = ticket.sla
    return view


def visible_attachments(
    ticket: Ticket, items: list[Entity], messages: list[Message], *, staff: bool
) -> list[Attachment]:
    """Staff see every upload; a customer sees those in messages they can see and their own."""
    uploads = [i for i in items if isinstance(i, Attachment)]
    if staff:
        return uploads
    shown = {a["attachment_id"] for m in messages for a in m.attachments}
    return [a for a in uploads if a.attachment_id in shown or a.uploaded_by == ticket.requester_sub]


def event_view(event: Event) -> dict[str, Any]:
    return {
        "id": event.event_id,
        "at": event.at,
        "type": event.type,
        "actor": {"sub": event.actor_sub, "role": event.actor_role},
        "summary": event.summary,
        "public": event.public,
        "data": event.data,
    }


def message_view(message: Message) -> dict[str, Any]:
    return {
        "id": message.message_id,
        "ticket_id": message.ticket_id,
        "author": {"sub": message.author_sub, "role": message.author_role, "email": message.author_email},
        "body": message.body,
        "internal": message.internal,
        "channel": message.channel,
        "attachments": message.attachments,
        "created_at": message.created_at,
    }


def attachment_view(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.attachment_id,
        "file_name": attachment.file_name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "s3_key": attachment.s3_key,
        "created_at": attachment.created_at,
    }
