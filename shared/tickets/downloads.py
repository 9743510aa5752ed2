"""Downloading a ticket's attachments: a short-lived presigned GET, authorised exactly like the ticket, and each
download written into the ticket's log (R12)."""

from __future__ import annotations

from typing import Any

from shared.platform import files, store
from shared.platform.errors import NotFound
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets.items import Attachment, Message, Ticket
from shared.tickets.log import new_event
from shared.tickets.views import visible_attachments


def download_attachment(
    caller: Caller, ticket: Ticket, items: list[Entity], attachment_id: str, *, channel: str
) -> dict[str, Any]:
    """A download link for one attachment of a ticket the caller may see (the caller's access to the ticket is
    checked by whoever loaded `items`). A customer reaches only what the ticket's view shows them: attachments
    of public messages and their own uploads; an internal note's attachment answers like a missing one."""
    messages = [i for i in items if isinstance(i, Message) and (caller.is_staff or not i.internal)]
    shown = visible_attachments(ticket, items, messages, staff=caller.is_staff)
    attachment: Attachment | None = next((a for a in shown if a.attachment_id == attachment_id), None)
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id} in ticket {ticket.reference} that you can see.")
    url = files.presigned_download(attachment.s3_key, attachment.file_name, attachment.content_type)
    event = new_event(
        ticket,
        caller,
        "AttachmentDownloaded",
        f"Downloaded {attachment.file_name}",
        public=False,  # who read what is the desk's record, not news for the customer
        attachment_id=attachment.attachment_id,
        file_name=attachment.file_name,
        channel=channel,
    )
    store.transact([(event, None)])
    return {
        "id": attachment.attachment_id,
        "file_name": attachment.file_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": url,
        "expires_in": files.DOWNLOAD_EXPIRY_SECONDS,
    }
