"""A ticket's partition: the ticket and its messages, events, tasks, attachments; their keys and reads."""

from __future__ import annotations

import json
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
    """The SLA badge's facts (shared/clocks/ticket.py sla_summary) stored with short names and without empty
    values: the route worker rewrites them at every step, and a ticket item over 1 KB costs two write units a write
    instead of one. Read back with the full names, the empty ones as None."""

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

    def serialize(self, value: Any) -> str | None:
        if value is None:
            return None
        short = {self.SHORT.get(name, name): v for name, v in value.items() if v is not None}
        return json.dumps(short, separators=(",", ":"))

    def deserialize(self, value: str) -> Any:
        stored = json.loads(value)
        return {**dict.fromkeys(self.SHORT), **{self.LONG.get(name, name): v for name, v in stored.items()}}


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
    description = UnicodeAttribute()
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


class Message(Entity, discriminator="message"):
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

    CARRIES_UP_TO = 1000  # bytes of the item, under DynamoDB's 1 KB write unit with room for its attribute names

    def carry(self, events: list[Event]) -> bool:
        """Take the entries of one write onto this (new) message's item, if the item stays one write unit."""
        entries = [{name: getattr(e, name) for name in Event.ENTRY_FIELDS} for e in events]
        image = {**self.serialize(), "log_entries": {"S": json.dumps(entries)}}
        if store.item_size(image) > self.CARRIES_UP_TO:
            return False
        self.log_entries = entries
        return True

    def unpacked(self) -> list[Entity]:
        """The message, and the log entries its item carries, each as an Event of its own."""
        entries = [
            Event(self.pk, f"EVENT#{entry['event_id']}", ticket_id=self.ticket_id, **entry)
            for entry in self.log_entries or []
        ]
        return [self, *entries]  # the item keeps them: saved again, it still carries them


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
    items: list[Entity] = []
    for item in Entity.query(ticket_pk(ticket_id), consistent_read=True):
        items.extend(item.unpacked() if isinstance(item, (Event, Message)) else [item])
    return items


def get_ticket(ticket_id: str) -> Ticket | None:
    try:
        return Ticket.get(ticket_pk(ticket_id), TICKET_SK, consistent_read=True)
    except DoesNotExist:
        return None


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
