"""A ticket's partition: the ticket and its messages, events, tasks, attachments; their keys and reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DoesNotExist

from shared.platform import store
from shared.platform.errors import NotFound
from shared.platform.table import Entity


class BadgeAttribute(JSONAttribute):
    """The SLA badge's facts (shared/clocks/ticket.py sla_summary) stored with short names, short words, instants
    as epoch milliseconds and without empty values: the route worker rewrites them at every step, and a ticket
    item over 1 KB costs two write units a write instead of one. Read back with the full names and ISO instants,
    the empty ones as None (a badge stored in the older, longer shape reads the same)."""

    SHORT = {
        "clock": "c",
        "phase": "p",
        "promise_due_at": "pd",
        "internal_due_at": "id",
        "promise_left_seconds": "pl",
        "internal_left_seconds": "il",
        "breached": "b",
        "met_at": "m",
        "computed_at": "at",
    }
    LONG = {short: name for name, short in SHORT.items()}

    STAMPS = frozenset({"promise_due_at", "internal_due_at", "met_at", "computed_at"})  # as epoch milliseconds
    # the clock's name and phase by their first letter (a word not listed is kept whole)
    WORDS = {"reaction": "r", "resolution": "s", "running": "R", "paused": "P", "met": "M", "stopped": "S"}
    WORD_OF = {short: word for word, short in WORDS.items()}
    NAMED = frozenset({"clock", "phase"})

    def serialize(self, value: Any) -> str | None:
        if value is None:
            return None
        short = {
            self.SHORT.get(name, name): _epoch_ms(v)
            if name in self.STAMPS
            else self.WORDS.get(v, v)
            if name in self.NAMED
            else v
            for name, v in value.items()
            if v is not None
        }
        return json.dumps(short, separators=(",", ":"))

    def deserialize(self, value: str) -> Any:
        stored = json.loads(value)
        long = {self.LONG.get(name, name): v for name, v in stored.items()}
        for name in self.NAMED & long.keys():
            long[name] = self.WORD_OF.get(long[name], long[name])
        for name in self.STAMPS & long.keys():
            if isinstance(long[name], int):  # a badge stored before the stamps were numbers keeps its ISO text
                long[name] = datetime.fromtimestamp(long[name] / 1000, UTC).isoformat(timespec="milliseconds")
                long[name] = long[name].replace("+00:00", "Z")
        return {**dict.fromkeys(self.SHORT), **long}


def _epoch_ms(stamp: str) -> int | str:
    """An ISO instant (shared.platform.clock.iso, milliseconds) as epoch milliseconds: 13 digits instead of 26
    characters. Anything else is kept as it is."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return stamp
    if moment.tzinfo is None:
        return stamp
    return round(moment.timestamp() * 1000)


class CarriesEntries:
    """A new item of a ticket's partition that takes the log entries written with it (`log_entries`, each as
    Event.ENTRY_FIELDS) while it stays one write unit: the entries then cost no item of their own. Read back as
    entries of their own (`unpacked`)."""

    pk: Any
    ticket_id: Any
    log_entries: Any

    CARRIES_UP_TO = 1000  # bytes of the item, under DynamoDB's 1 KB write unit with room for its attribute names

    def carry(self, events: list[Event]) -> bool:
        """Take the entries of one write onto this (new) item, if the item stays one write unit."""
        entries = [{name: getattr(e, name) for name in Event.ENTRY_FIELDS} for e in events]
        image = {**self.serialize(), "log_entries": {"S": json.dumps(entries)}}  # type: ignore[attr-defined]
        if store.item_size(image) > self.CARRIES_UP_TO:
            return False
        self.log_entries = entries
        return True

    def unpacked(self) -> list[Entity]:
        """The item, and the log entries it carries, each as an Event of its own."""
        entries = [
            Event(self.pk, f"EVENT#{entry['event_id']}", ticket_id=self.ticket_id, **entry)
            for entry in self.log_entries or []
        ]
        return [self, *entries]  # type: ignore[list-item]  # the item keeps them: saved again, it still carries them


class Ticket(Entity, discriminator="ticket"):
    # Saved as an UpdateItem of what changed (shared/platform/store.transact): a message that only moves
    # updated_at never conflicts with another; a status change racing another status change does, and is retried.
    changes_only = True
    touched = frozenset({"updated_at"})

    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    organisation_id = UnicodeAttribute()
    requester_sub = UnicodeAttribute()
    requester_email = UnicodeAttribute(null=True)
    service = UnicodeAttribute()
    subject = UnicodeAttribute()
    # What the requester wrote is kept apart, on the ticket's TEXT item (`TicketText`, written with the ticket when
    # it changes): the ticket item, rewritten at every step, stays one write unit however long the text is.
    description = UnicodeAttribute(null=True)
    fields = JSONAttribute(default=dict)
    status = UnicodeAttribute()
    ball_side = UnicodeAttribute(null=True)
    ball_since = UnicodeAttribute(null=True)  # R13, R14: since when the ball is where it is
    owner = UnicodeAttribute(null=True)
    classification = UnicodeAttribute(null=True)  # set by the support route (SLA issue)
    priority = NumberAttribute(null=True)  # computed by routing (catalog issue)
    channel = UnicodeAttribute()
    due_at = UnicodeAttribute(null=True)
    next_step_at = UnicodeAttribute(null=True)
    # The SLA badge's facts as the route worker last computed them (shared/clocks/ticket.py sla_summary): the
    # customer's promise that runs now and the internal target, their dues and phase; staff views only.
    sla = BadgeAttribute(null=True)
    resolution = UnicodeAttribute(null=True)
    preventive_measure = UnicodeAttribute(null=True)
    kb_articles = JSONAttribute(null=True)  # R29: articles the resolution cites (shared/kb.py snapshots)
    satisfaction = NumberAttribute(null=True)  # R30: the customer's 1-5 after closing
    satisfaction_comment = UnicodeAttribute(null=True)
    # The web form's follow link (a capability, like a sign-in link): never in any API view.
    follow_key = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)  # a requester without organisation: the web form's language
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    submitted_at = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    APART = ("description", "fields")  # stored on the TEXT item, not on the ticket's own
    NOT_STORED = (*APART, "ticket_id")  # the id is the key's (pk=TICKET#<id>)

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        image = super().serialize(null_check=null_check)
        for name in self.NOT_STORED:
            image.pop(name, None)
        return image

    def after_read(self) -> None:
        self.ticket_id = self.pk.removeprefix("TICKET#")

    def attach_text(self, text: TicketText | None) -> None:
        """The requester's text as read with the ticket (None: no TEXT item; a ticket stored before the text was
        kept apart has it on its own item, which its next write moves apart)."""
        self._text = text
        if text is not None:
            self.description, self.fields = text.description, text.fields or {}

    @property
    def text(self) -> TicketText | None:
        """The TEXT item as read or last written (None: not read, or not apart yet)."""
        return getattr(self, "_text", None)

    def written_with(self) -> list[Entity]:
        """What a save of the ticket writes in the same transaction: its TEXT item, when the ticket is new, its
        text changed, or it still carries the text on its own item."""
        stored = self.stored_image()
        text: TicketText | None = getattr(self, "_text", None)
        if text is None:
            if stored is not None and not any(name in stored for name in self.APART):
                if self.description is not None or self.fields:
                    raise RuntimeError(f"ticket {self.ticket_id} was read without its text, which cannot be saved")
                return []  # read by a list (its text not read) and its text left alone
            text = self._text = TicketText(self.pk, TEXT_SK, ticket_id=self.ticket_id)
        elif (text.description, text.fields) == (self.description, self.fields or {}):
            return []
        text.description, text.fields = self.description, self.fields or {}
        return [text]

    def save(self, condition: Any = None, *, add_version_condition: bool = True) -> dict[str, Any]:
        """A ticket is always saved with its TEXT item (store.transact): never pynamodb's bare PutItem."""
        store.transact([(self, condition)])
        return {}


class TicketText(CarriesEntries, Entity, discriminator="ticket_text"):
    """pk=TICKET#<id>, sk=TEXT: what the requester wrote (the description and the intake answers), written with the
    ticket when it is created or its draft edited, and read with it (`get_ticket`, `load_ticket_partition`). The
    new ticket's TEXT item carries the log entries of its creation while it stays one write unit."""

    changes_only = True  # a draft edit updates the text, the entries it carries stay

    ticket_id = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    fields = JSONAttribute(default=dict)
    log_entries = JSONAttribute(null=True)


TEXT_SK = "TEXT"


class Message(CarriesEntries, Entity, discriminator="message"):
    ticket_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    author_sub = UnicodeAttribute()
    author_role = UnicodeAttribute()
    author_email = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    internal = BooleanAttribute(default=False)
    channel = UnicodeAttribute()
    automatic = BooleanAttribute(default=False)
    attachments = JSONAttribute(default=list)
    created_at = UnicodeAttribute()
    # The log entries written with this message (its MessageAdded and what else the same write logged), stored on
    # the message's item while it stays one write unit (`carry`); read back as entries of their own (`unpacked`).
    log_entries = JSONAttribute(null=True)


class Event(Entity, discriminator="event"):
    """R12: one append-only entry per change.

    The entries one write makes together (e.g. a status change and the resolution it belongs to) are stored as
    one item (`pack`): the first entry's, the others in its `more`; with a new message, on the message's item
    while it stays one write unit (`Message.carry`). Each item written costs a write unit at least
    (two in a transaction), so a step's entries cost one item, not one each; the ticket's partition is read back
    as the separate entries (`load_ticket_partition`), each with its own id, instant and type."""

    ticket_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    at = UnicodeAttribute()
    type = UnicodeAttribute()
    actor_sub = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    public = BooleanAttribute()
    summary = UnicodeAttribute()
    data = JSONAttribute(default=dict)
    more = JSONAttribute(null=True)  # the entries written with this one (pack), each as ENTRY_FIELDS

    ENTRY_FIELDS = ("event_id", "at", "type", "actor_sub", "actor_role", "public", "summary", "data")

    @classmethod
    def pack(cls, events: list[Event]) -> Event:
        """The entries of one ticket written in one step, as one item (the first, carrying the others)."""
        first, *others = sorted(events, key=lambda e: e.event_id)
        first.more = [{name: getattr(e, name) for name in cls.ENTRY_FIELDS} for e in others] or None
        return first

    def unpacked(self) -> list[Event]:
        """This item's entries, each as an Event of its own (as `pack` received them)."""
        if not self.more:
            return [self]
        entries = [
            Event(self.pk, f"EVENT#{entry['event_id']}", ticket_id=self.ticket_id, **entry) for entry in self.more
        ]
        return [self, *entries]  # the item keeps them: saved again, it still carries them


class Task(Entity, discriminator="task"):
    """R8: internal work for specialists; never shown to customers."""

    task_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    task_type = UnicodeAttribute()
    title = UnicodeAttribute()
    group = UnicodeAttribute()
    assignee = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    priority = NumberAttribute(default=0)
    priority_basis = JSONAttribute(null=True)  # what shared.priority computes the priority from
    due_at = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    taken_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class Attachment(Entity, discriminator="attachment"):
    ticket_id = UnicodeAttribute()
    attachment_id = UnicodeAttribute()
    s3_key = UnicodeAttribute()
    file_name = UnicodeAttribute()
    size = NumberAttribute()
    content_type = UnicodeAttribute()
    uploaded_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ReferenceLink(Entity, discriminator="reference"):
    ticket_id = UnicodeAttribute()


class SentMail(Entity, discriminator="sent_mail"):
    """A notification's Message-ID (as SES returned it) -> its ticket."""

    message_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    sent_at = UnicodeAttribute()


class IdempotencyRecord(Entity, discriminator="idempotency"):
    request_hash = UnicodeAttribute()
    resource = UnicodeAttribute()
    status_code = NumberAttribute()
    secret = UnicodeAttribute(null=True)  # e.g. a web-form ticket's follow key, to answer a retry in full


def ticket_pk(ticket_id: str) -> str:
    return f"TICKET#{ticket_id}"


TICKET_SK = "TICKET"


def reference_pk(reference: str) -> str:
    return f"REF#{reference}"


def queue_pk(group: str) -> str:
    return f"QUEUE#{group}"


def open_pk(status: str) -> str:
    return f"STATUS#{status}"


def load_ticket_partition(ticket_id: str) -> list[Entity]:
    """The ticket with its whole history: one Query (a step's entries stored together read back one by one)."""
    return _with_text(list(Entity.query(ticket_pk(ticket_id), consistent_read=True)))


def get_ticket(ticket_id: str) -> Ticket | None:
    """The ticket with its text: one Query of its two items (TEXT sorts just before TICKET)."""
    found = _with_text(
        list(Entity.query(ticket_pk(ticket_id), Entity.sk.between(TEXT_SK, TICKET_SK), consistent_read=True))
    )
    return next((i for i in found if isinstance(i, Ticket)), None)


def _with_text(found: list[Entity]) -> list[Entity]:
    """A ticket partition's items as the desk reads them: the TEXT item folded into the ticket, the entries
    that items carry as entries of their own."""
    items: list[Entity] = []
    text: TicketText | None = None
    for item in found:
        if isinstance(item, TicketText):
            text = item
            items.extend(item.unpacked()[1:])
        else:
            items.extend(item.unpacked() if isinstance(item, (Event, Message)) else [item])
    for item in items:
        if isinstance(item, Ticket):
            item.attach_text(text)
    return items


def resolve_ticket_id(ticket_id_or_reference: str) -> str | None:
    """Accept a ticket id or its reference (CW-1042); a reference costs one GetItem."""
    text = ticket_id_or_reference.strip()
    if text.upper().startswith("CW-"):
        try:
            link = Entity.get(reference_pk(text.upper()), "REF")
        except DoesNotExist:
            return None
        return getattr(link, "ticket_id", None)
    return text


def get_idempotency_record(scope: str, key: str) -> IdempotencyRecord | None:
    try:
        return IdempotencyRecord.get(f"IDEMP#{scope}#{key}", "IDEMP")
    except DoesNotExist:
        return None


def load_ticket(ticket_id: str) -> tuple[Ticket, list[Any]]:
    items = load_ticket_partition(ticket_id)
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id}")
    return ticket, items


class NotificationsSeen(Entity, discriminator="notifications_seen"):
    """Until when a person has looked at what changed on their tickets (pk=USER#<sub>, sk=NOTIFICATIONS)."""

    sub = UnicodeAttribute()
    seen_at = UnicodeAttribute()


NOTIFICATIONS_SK = "NOTIFICATIONS"
