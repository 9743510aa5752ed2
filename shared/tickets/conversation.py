"""The conversation: messages and attachments; the one way the desk writes to the customer."""

from __future__ import annotations

import re
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.directory import items as directory
from shared.directory import mail_settings
from shared.platform import bus, clock, config, files, filetypes, store, workflows
from shared.platform.domain import Role, Status, status_after_message
from shared.platform.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from shared.platform.identity import Caller
from shared.platform.store import with_retries
from shared.platform.table import Entity
from shared.tickets import follow, hooks, mailing
from shared.tickets import items as ticket_items
from shared.tickets.access import visible_ticket, visible_ticket_item
from shared.tickets.idempotency import Idempotency, commit, replayed_resource
from shared.tickets.items import Attachment, Event, Message, Ticket
from shared.tickets.log import new_event, set_index_keys, set_status, status_event, ticket_detail
from shared.tickets.readers import Reader, reader_of

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


ALLOWED_ATTACHMENT_TYPES = frozenset(filetypes.TYPES)


# The portal's ticket page (web/src/routes.ts): the web app's pages live under /app on the site.
PORTAL_TICKET_PATH = "/app/tickets/"


def site_url(path: str) -> str:
    return config.get(config.SITE_URL).rstrip("/") + path


def follow_page(ticket: Ticket) -> str | None:
    """Where a web-form customer follows, answers and closes their ticket without an account: the portal's ticket
    page with the key in the fragment, which browsers never send to a server (nor in a Referer). Only ever written to
    the requester's own address (`ticket_page`)."""
    key = follow.key_of(ticket)
    return site_url(f"{PORTAL_TICKET_PATH}{ticket.ticket_id}#key={key}") if key else None


def signed_in_page(ticket: Ticket) -> str:
    """The ticket's page by its reference: it opens only for someone who signs in and may see the ticket."""
    return site_url(f"{PORTAL_TICKET_PATH}{ticket.reference}")


def ticket_page(ticket: Ticket, recipient: str | None) -> str:
    """The ticket's page for a message to `recipient`: the follow link when the recipient is the ticket's requester
    (their own address, where the link was sent from the start), the signed-in page for anyone else, so a follow key
    never reaches an address that is not the requester's."""
    own = bool(recipient) and (recipient or "").strip().lower() == (ticket.requester_email or "").lower()
    return (follow_page(ticket) if own else None) or signed_in_page(ticket)


def notify_customer(
    ticket: Ticket, headline: str, text: str, reader: Reader | None = None, *, remember: bool = True
) -> str | None:
    """R10: the customer's e-mail about the ticket, in their language (`reader`, default: the ticket's):
    `headline` names a `headline.*` message, `text` is already in the reader's language. Threaded with the ticket's
    earlier e-mails, Reply-To the ticket's reply address (shared/tickets/mailing.py). Returns the e-mail's
    Message-ID, or None when none was sent. `remember=False`: the caller has the Message-ID kept (off the request
    path: the "received" e-mail's is kept by the TicketSubmitted event's consumer). A linked chat (the hook) gets
    the signed-in page: the follow link goes to the requester's address only."""
    reader = reader or reader_of(ticket)
    hooks.customer_notified(ticket, headline, text, signed_in_page(ticket))
    link = ticket_page(ticket, ticket.requester_email)
    return mailing.send_to_customer(ticket, headline, text, link, reader, remember=remember)


def _replayed_message(caller: Caller, resource: str, *, by_capability: bool = False) -> tuple[Ticket, Message]:
    """The message an earlier request with the same Idempotency-Key created."""
    _, tid, mid = resource.split(":", 2)
    ticket, items = _ticket_to_write(caller, tid, with_items=True, by_capability=by_capability)
    message = next((i for i in items if isinstance(i, Message) and i.message_id == mid), None)
    if message is None:
        raise NotFound("The message created with this Idempotency-Key no longer exists.")
    return ticket, message


def _ticket_to_write(
    caller: Caller, ticket_id: str, *, with_items: bool, by_capability: bool
) -> tuple[Ticket, list[Entity]]:
    """The ticket a message goes into, and its items when `with_items`. `by_capability`: the writer proved a
    capability to add a message to this ticket (an e-mail to its signed reply address), not that they may see it."""
    if not by_capability:
        if with_items:
            return visible_ticket(caller, ticket_id)
        return visible_ticket_item(caller, ticket_id), []
    if with_items:
        items = ticket_items.load_ticket_partition(ticket_id)
        ticket = next((i for i in items if isinstance(i, Ticket)), None)
    else:
        items, ticket = [], ticket_items.get_ticket(ticket_id)
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id}.")
    return ticket, items


def _check_open_for_messages(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED.value:
        raise Conflict(f"Ticket {ticket.reference} is closed; open a new ticket for a new problem.")
    if ticket.status == Status.DRAFT.value:
        raise Conflict(f"Ticket {ticket.reference} is a draft; submit it before writing messages into it.")


def _message_written(ticket: Ticket, caller: Caller, message_id: str, *, internal: bool, now: str) -> list[Event]:
    """The ticket after a message: its log event, the status the message moves it to, its owner (R14); all at
    the message's instant."""
    before = ticket.status
    target = status_after_message(Status(before), from_customer=not caller.is_staff, internal=internal)
    events = [
        new_event(
            ticket,
            caller,
            "MessageAdded",
            ("Internal note" if internal else "Reply from support" if caller.is_staff else "Customer wrote"),
            public=not internal,
            at=now,
            message_id=message_id,
            internal=internal,
        )
    ]
    if target.value != before:
        set_status(ticket, target, now)
        events.append(status_event(ticket, caller, before, at=now))
    if caller.role == Role.AGENT and not internal and ticket.owner is None:
        ticket.owner = caller.sub  # R14: whoever first takes the ticket up owns it
    ticket.updated_at = now
    set_index_keys(ticket)
    return events


def _after_message(ticket: Ticket, caller: Caller, message_id: str, before: str, *, internal: bool, body: str) -> None:
    """Tell the bus, the ticket's worker (a customer's message or a new status) and, for a reply, the customer."""
    bus.publish(
        "MessageAdded",
        {
            **ticket_detail(ticket),
            "message_id": message_id,
            "internal": internal,
            "author_role": caller.role.value,
        },
    )
    if ticket.status != before:
        bus.publish("StatusChanged", {**ticket_detail(ticket), "before": before})
    if not internal and (ticket.status != before or not caller.is_staff):
        workflows.call_worker(
            "refresh", ticket.ticket_id, trigger="customer_message" if not caller.is_staff else "status"
        )
    if caller.is_staff and not internal:
        reader = reader_of(ticket)
        notify_customer(ticket, "new_reply", reader.say("reply.text", body=body), reader)
    if not caller.is_staff and not internal:
        tell_owner_of_reply(ticket, caller, body)


def tell_owner_of_reply(ticket: Ticket, author: Caller, body: str) -> str | None:
    """The ticket's owner hears of a customer's message (unless they turned these e-mails off)."""
    if not ticket.owner or ticket.owner == author.sub:
        return None
    who = author.email or "The customer"
    text = (
        f"{who} wrote into {ticket.reference} ({ticket.subject}), which you own; it is now {ticket.status}.\n\n"
        f"{body}\n\nOpen the ticket: {site_url(PORTAL_TICKET_PATH + ticket.reference)}\n"
    )
    subject = f"[{ticket.reference}] Customer replied: {ticket.subject}"
    return mail_settings.tell(directory.get_user(ticket.owner), "customer_reply", subject, text)


def add_message(
    caller: Caller,
    ticket_id: str,
    *,
    body: str,
    internal: bool,
    channel: str,
    attachment_ids: list[str],
    idem: Idempotency | None = None,
    by_capability: bool = False,
) -> tuple[Ticket, Message, bool]:
    """R11: anyone involved can write into the ticket at any time without breaking its route. `by_capability`: the
    caller holds the ticket's signed reply address, which lets them add a customer's message under their own name
    (never read: what this returns must not reach them)."""
    if internal and (not caller.is_staff or by_capability):
        raise Forbidden("Internal notes are for staff; customers write public messages.")
    previous = replayed_resource(idem)
    if previous:
        ticket, message = _replayed_message(caller, previous, by_capability=by_capability)
        return ticket, message, True

    message_id = store.new_id()
    state: dict[str, Any] = {}

    def attempt() -> None:
        # A message's write needs the ticket's history only to find the uploads it names: without attachments
        # one GetItem, so an append costs the same on a ticket of 5 or 500 messages.
        ticket, items = _ticket_to_write(
            caller, ticket_id, with_items=bool(attachment_ids), by_capability=by_capability
        )
        _check_open_for_messages(ticket)
        claimed = _claim_attachments(caller, items, attachment_ids)
        attachments = [attachment_ref(a) for a in claimed]
        now = clock.now_iso()
        message = new_message(
            ticket, message_id, caller, body, internal=internal, channel=channel, attachments=attachments, now=now
        )
        before = ticket.status
        events = _message_written(ticket, caller, message_id, internal=internal, now=now)
        commit(
            [
                (ticket, None),
                (message, Message.pk.does_not_exist()),
                *((e, None) for e in events),
                *((a, None) for a in claimed),
            ],
            idem,
            f"message:{ticket.ticket_id}:{message_id}",
            201,
        )
        state.update(ticket=ticket, message=message, before=before)

    try:
        with_retries("This ticket", attempt)
    except TransactWriteError as error:
        if idem and store.conflict_reasons(error)[-1:] == ["ConditionalCheckFailed"]:
            return add_message(
                caller,
                ticket_id,
                body=body,
                internal=internal,
                channel=channel,
                attachment_ids=attachment_ids,
                idem=idem,
                by_capability=by_capability,
            )
        raise
    ticket, message, before = state["ticket"], state["message"], state["before"]
    _after_message(ticket, caller, message_id, before, internal=internal, body=body)
    return ticket, message, False


def _claim_attachments(caller: Caller, items: list[Entity], attachment_ids: list[str]) -> list[Attachment]:
    """The uploads a message names, each claimed (`claim_upload`). Who may name which comes first: staff any upload
    of the ticket, anyone else only their own (an upload of an internal note's author is not theirs to hand to
    themselves). An upload that is someone else's answers like an unknown one. Nothing is written when one fails."""
    by_id = {i.attachment_id: i for i in items if isinstance(i, Attachment)}
    if not caller.is_staff:
        by_id = {k: a for k, a in by_id.items() if a.uploaded_by == caller.sub}
    unknown = [a for a in attachment_ids if a not in by_id]
    if unknown:
        raise Unprocessable(
            "Unknown attachments; upload them to this ticket first (POST /tickets/{id}/attachments).",
            errors=[
                {"field": "attachments", "message": f"not an upload of yours in this ticket: {a}"} for a in unknown
            ],
        )
    named = [by_id[i] for i in attachment_ids]
    problems = [f"{a.attachment_id} ({a.file_name}): {p}" for a in named if (p := upload_problem(a)) is not None]
    if problems:
        raise Unprocessable(
            "These uploads cannot be attached; upload the files again (POST /tickets/{id}/attachments).",
            errors=[{"field": "attachments", "message": p} for p in problems],
        )
    for attachment in named:
        claim_upload(attachment)
    return named


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def is_pending(attachment: Attachment) -> bool:
    """An upload no message (or route) has claimed yet: it sits under the bucket's pending prefix."""
    return attachment.s3_key.startswith(files.PENDING_PREFIX)


def upload_problem(attachment: Attachment) -> str | None:
    """Why an upload cannot be claimed, in words for the person who uploaded it; None when it can. What S3 holds is
    read back: the file must be there, of exactly the declared size and type (the presigned POST's policy says so;
    this holds without it too), and its first bytes must be what its type starts with."""
    if not is_pending(attachment):
        return None  # claimed (and checked) before, or a file the desk stored itself
    stored = files.inspect(attachment.s3_key, filetypes.SNIFF_BYTES)
    if stored is None:
        return "the file was not uploaded (POST it to the upload's url first), or the upload expired"
    if stored.size != attachment.size:
        return f"the uploaded file has {stored.size} bytes, {attachment.size} were announced"
    if stored.content_type != attachment.content_type:
        return f"the file was uploaded as {stored.content_type or 'no type'}, not {attachment.content_type}"
    if not filetypes.sniff(stored.head, attachment.content_type):
        return f"the content is not a {filetypes.TYPES[attachment.content_type].label} ({attachment.content_type})"
    return None


def claim_upload(attachment: Attachment) -> None:
    """Move a checked pending upload to its ticket's prefix (out of reach of the lifecycle rule that removes
    unclaimed uploads) and stop its item's expiry; the caller saves the item with what it writes."""
    if not is_pending(attachment):
        return
    claimed = files.CLAIMED_PREFIX + attachment.s3_key.removeprefix(files.PENDING_PREFIX)
    files.copy(attachment.s3_key, claimed)
    attachment.s3_key = claimed
    attachment.expires_at = None


def create_attachment_upload(
    caller: Caller, ticket_id: str, *, file_name: str, size: int, content_type: str
) -> tuple[Attachment, dict[str, Any]]:
    """A presigned S3 upload for one file of exactly the declared size and type, under the pending prefix until a
    message claims it (it expires otherwise)."""
    ticket, _ = visible_ticket(caller, ticket_id)
    if ticket.status == Status.CLOSED.value:
        raise Conflict(f"Ticket {ticket.reference} is closed; attachments can no longer be added.")
    name = check_attachment(file_name, size, content_type)
    attachment = _attachment(
        ticket, store.new_id(), caller, file_name=name, size=size, content_type=content_type, pending=True
    )
    attachment.save()
    upload = files.presigned_upload(attachment.s3_key, content_type, size)
    bus.publish("AttachmentAdded", {**ticket_detail(ticket), "attachment_id": attachment.attachment_id})
    return attachment, upload


def check_attachment(file_name: str, size: int, content_type: str) -> str:
    """The API's limits on a file: 413 too large, 415 a type not accepted, 422 a name whose extension is not its
    type's. The name the file is kept under: cleaned of bidi and control characters, with its type's extension when
    it had none."""
    if size > MAX_ATTACHMENT_BYTES:
        raise PayloadTooLarge(
            f"Files can be at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB; this one is {size} bytes."
        )
    if content_type not in ALLOWED_ATTACHMENT_TYPES:
        raise UnsupportedMediaType(
            f"Files of type {content_type} are not accepted. Accepted: {', '.join(sorted(ALLOWED_ATTACHMENT_TYPES))}."
        )
    name = filetypes.named_for(file_name, content_type)
    if name is None:
        expected = ", ".join(filetypes.TYPES[content_type].extensions)
        shown = filetypes.clean_name(file_name)
        raise Unprocessable(
            f"The file name {shown!r} does not end like a {filetypes.TYPES[content_type].label} ({expected}); "
            "name the file after what it is.",
            errors=[{"field": "file_name", "message": f"expected an extension of {content_type}: {expected}"}],
        )
    return name


def _attachment(
    ticket: Ticket,
    attachment_id: str,
    author: Caller,
    *,
    file_name: str,
    size: int,
    content_type: str,
    pending: bool = False,
) -> Attachment:
    safe_name = _SAFE_NAME.sub("_", file_name).strip("._")[:120] or "file"
    prefix = files.PENDING_PREFIX if pending else files.CLAIMED_PREFIX
    expires = int(clock.now().timestamp()) + files.PENDING_DAYS * 86400 if pending else None
    return Attachment(
        ticket_items.ticket_pk(ticket.ticket_id),
        f"ATT#{attachment_id}",
        ticket_id=ticket.ticket_id,
        attachment_id=attachment_id,
        s3_key=f"{prefix}{ticket.ticket_id}/{attachment_id}/{safe_name}",
        file_name=file_name,
        size=size,
        content_type=content_type,
        uploaded_by=author.sub,
        created_at=clock.now_iso(),
        expires_at=expires,
    )


def attach_file(
    ticket: Ticket,
    attachment_id: str,
    author: Caller,
    *,
    file_name: str,
    content_type: str,
    data: bytes,
    record: bool = False,
) -> dict[str, Any]:
    """A file that reached the desk by another channel (an e-mail's attachment) stored as one of the ticket's
    uploads, within the API's limits (413, 415), for a message to name (`attachment_ids`). `record`: the message as
    it was received (an e-mail's .eml, R12), kept whatever its type. The same `attachment_id` again overwrites."""
    if not record:
        file_name = check_attachment(file_name, len(data), content_type)
        if not filetypes.sniff(data[: filetypes.SNIFF_BYTES], content_type):
            raise UnsupportedMediaType(
                f"The content is not a {filetypes.TYPES[content_type].label} ({content_type}), as it was declared."
            )
    attachment = _attachment(
        ticket, attachment_id, author, file_name=file_name, size=len(data), content_type=content_type
    )
    files.put_object(attachment.s3_key, data, content_type)
    attachment.save()
    bus.publish("AttachmentAdded", {**ticket_detail(ticket), "attachment_id": attachment_id})
    return attachment_ref(attachment)


def new_message(
    ticket: Ticket,
    message_id: str,
    author: Caller,
    body: str,
    *,
    internal: bool,
    channel: str,
    now: str,
    attachments: list[dict[str, Any]] | None = None,
    automatic: bool = False,
) -> Message:
    """A message in the ticket, by a person or by the desk itself."""
    return Message(
        ticket_items.ticket_pk(ticket.ticket_id),
        f"MSG#{message_id}",
        ticket_id=ticket.ticket_id,
        message_id=message_id,
        author_sub=author.sub,
        author_role=author.role.value,
        author_email=author.email or None,
        body=body,
        internal=internal,
        channel=channel,
        attachments=attachments or [],
        automatic=automatic,
        created_at=now,
    )


def desk_message(
    ticket: Ticket,
    body: str,
    *,
    event_type: str,
    summary: str,
    from_route: bool,
    now: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    **data: Any,
) -> tuple[Message, Event]:
    """The desk writes to the customer (R9, R10): a public message from the system with its event in the log, to
    be saved together by the caller. `from_route` marks a route's own messages (`automatic`); a feature's note names its
    own event type and data."""
    message_id = store.new_id()
    now = now or clock.now_iso()
    message = new_message(
        ticket,
        message_id,
        Caller.system(),
        body,
        internal=False,
        channel="system",
        now=now,
        automatic=from_route,
        attachments=attachments,
    )
    event = new_event(ticket, Caller.system(), event_type, summary, public=True, at=now, message_id=message_id, **data)
    return message, event


def system_message(
    ticket: Ticket, body: str, now: str, attachments: list[dict[str, Any]] | None = None
) -> tuple[Message, Event]:
    """A route's automatic message to the customer, with the files it hands over (`attachments`)."""
    return desk_message(
        ticket,
        body,
        event_type="MessageAdded",
        summary="Automatic message",
        from_route=True,
        now=now,
        attachments=attachments,
        internal=False,
        automatic=True,
    )


def attachment_ref(attachment: Attachment) -> dict[str, Any]:
    """How a message names one of the ticket's uploads."""
    return {
        "attachment_id": attachment.attachment_id,
        "s3_key": attachment.s3_key,
        "file_name": attachment.file_name,
        "size": attachment.size,
        "content_type": attachment.content_type,
    }
