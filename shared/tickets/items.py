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
        short = {self.SHORT.get(name, name): self._stored(name, v) for name, v in value.items() if v is not None}
        return json.dumps(short, separators=(",", ":"))

    def _stored(self, name: str, value: Any) -> Any:
        if name in self.STAMPS:
            return _epoch_ms(value)
        if name in self.NAMED:
            return self.WORDS.get(value, value)
        return value

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


class CompactJSONAttribute(JSONAttribute):
    """JSON without the spaces after separators: for what is stored inside an item to keep it one write unit."""

    def serialize(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"))


class CarriesEntries:
    """A new item of a ticket's partition that takes the log entries written with it (`log_entries`, each as
    Event.ENTRY_FIELDS) while it stays one write unit: the entries then cost no item of their own. Read back as
    entries of their own (`unpacked`)."""

    pk: Any
    ticket_id: Any
    log_entries: Any

    CARRIES_UP_TO = 1000  # bytes of the item, under DynamoDB's 1 KB write unit with room for its attribute names

    def carry(self, events: list[Event]) -> bool:
        """Take the entries of one write onto this (new) item, if the item stays one write unit. An item that
        carries entries already (read, and put again whole) takes no more: they would replace its own."""
        if self.log_entries:
            return False
        entries = [Event.entry_of(e) for e in events]
        stored = CompactJSONAttribute().serialize(entries)
        image = {**self.serialize(), "log_entries": {"S": stored}}  # type: ignore[attr-defined]
        if store.item_size(image) > self.CARRIES_UP_TO:
            return False
        self.log_entries = entries
        return True

    def unpacked(self) -> list[Entity]:
        """The item, and the log entries it carries, each as an Event of its own."""
        entries = [Event.from_entry(self.pk, self.ticket_id, entry) for entry in self.log_entries or []]
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
    # What people write is kept apart from the ticket item, which the route and the desk rewrite at every step, so
    # that item stays one write unit however long the texts are: the requester's on the ticket's TEXT item
    # (`TicketText`), each resolution's on a RESOLUTION item of its own (`TicketResolution`). Both are written with
    # the ticket when they change (`written_with`) and read with it (`get_ticket`, `load_ticket_partition`).
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
    # The web form's follow link (a capability, like a sign-in link): never in any API view. The key itself is never
    # stored (shared/tickets/follow.py): its hash and its round, which moves on when the ticket closes. `follow_key`
    # is a key stored before that, kept until the ticket closes.
    follow_hash = UnicodeAttribute(null=True)
    follow_round = NumberAttribute(null=True)
    follow_key = UnicodeAttribute(null=True)
    # The requester's address was typed or sent, not proven (a web form or e-mail from an address new to the desk):
    # the desk's e-mails to it carry none of the sender's text (no relay for someone else's words).
    unproven_sender = BooleanAttribute(null=True)
    language = UnicodeAttribute(null=True)  # a requester without organisation: the web form's language
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    submitted_at = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    TEXT = ("description", "fields")  # on the TEXT item
    RESOLVED = ("resolution", "preventive_measure", "kb_articles")  # on the latest RESOLUTION item
    NOT_STORED = (*TEXT, *RESOLVED, "ticket_id")  # the id is the key's (pk=TICKET#<id>)

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        image = super().serialize(null_check=null_check)
        for name in self.NOT_STORED:
            image.pop(name, None)
        return image

    def after_read(self) -> None:
        self.ticket_id = self.pk.removeprefix("TICKET#")

    def attach(self, text: TicketText | None, resolution: TicketResolution | None) -> None:
        """What is kept apart, as read with the ticket: its TEXT item and its latest RESOLUTION item (None: there
        is none; a ticket stored before they were kept apart has them on its own item, which its next write moves
        apart)."""
        self._text, self._resolution, self._apart_read = text, resolution, True
        if text is not None:
            self.description, self.fields = text.description, text.fields or {}
        if resolution is not None:
            self.resolution, self.preventive_measure = resolution.resolution, resolution.preventive_measure
            self.kb_articles = resolution.kb_articles

    @property
    def text(self) -> TicketText | None:
        """The TEXT item as read or last written (None: not read, or not apart yet)."""
        return getattr(self, "_text", None)

    def written_with(self) -> list[Entity]:
        """What a save of the ticket writes in the same transaction: its TEXT item when the ticket is new or its
        text changed, a new RESOLUTION item when its resolution changed, and both when the ticket still carries
        them on its own item (stored before they were kept apart)."""
        stored = self.stored_image()
        known = stored is None or getattr(self, "_apart_read", False)
        if not known and not any(name in stored for name in (*self.TEXT, *self.RESOLVED)):  # type: ignore[operator]
            # read by a list (BatchGetItem): the ticket item alone, which may be saved with its texts left alone
            if self.description is not None or self.fields or any(getattr(self, n) is not None for n in self.RESOLVED):
                raise RuntimeError(f"ticket {self.ticket_id} was read without its text, which cannot be saved")
            return []
        written: list[Entity] = []
        text: TicketText | None = getattr(self, "_text", None)
        if text is None or (text.description, text.fields or {}) != (self.description, self.fields or {}):
            text = text or TicketText(self.pk, TEXT_SK, ticket_id=self.ticket_id)
            text.description, text.fields = self.description, self.fields or {}
            self._text = text
            written.append(text)
        latest: TicketResolution | None = getattr(self, "_resolution", None)
        resolved = tuple(getattr(self, name) for name in self.RESOLVED)
        if resolved != tuple(getattr(latest, name, None) for name in self.RESOLVED):
            # a new item each time (never rewritten): the log entries an earlier one carries stay
            self._resolution = TicketResolution(
                self.pk,
                f"{RESOLUTION_SK_PREFIX}{store.new_id()}",
                ticket_id=self.ticket_id,
                resolved_at=self.resolved_at,
                **dict(zip(self.RESOLVED, resolved, strict=True)),
            )
            written.append(self._resolution)
        return written

    def save(self, condition: Any = None, *, add_version_condition: bool = True) -> dict[str, Any]:
        """A ticket is always saved with what is kept apart (store.transact): never pynamodb's bare PutItem."""
        store.transact([(self, condition)])
        return {}


class TicketText(CarriesEntries, Entity, discriminator="ticket_text"):
    """pk=TICKET#<id>, sk=TICKET#TEXT: what the requester wrote (the description and the intake answers), written
    with the ticket when it is created or its draft edited, and read with it (`get_ticket`, `load_ticket_partition`).
    The new ticket's TEXT item carries the log entries of its creation while it stays one write unit."""

    changes_only = True  # a draft edit updates the text, the entries it carries stay

    ticket_id = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    fields = JSONAttribute(default=dict)
    log_entries = CompactJSONAttribute(null=True)


class TicketResolution(CarriesEntries, Entity, discriminator="ticket_resolution"):
    """pk=TICKET#<id>, sk=TICKET#RESOLUTION#<ULID>: how one resolution solved the ticket (R16) and the articles it
    cites (R29), a new item at each resolution (a reopened ticket resolved again has two); the latest is the
    ticket's. Carries the resolution's log entries while it stays one write unit."""

    ticket_id = UnicodeAttribute()
    resolution = UnicodeAttribute(null=True)
    preventive_measure = UnicodeAttribute(null=True)
    kb_articles = JSONAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    log_entries = CompactJSONAttribute(null=True)


# The items read with the ticket sort right after it: one Query (begins_with TICKET) reads them together.
TEXT_SK = "TICKET#TEXT"
RESOLUTION_SK_PREFIX = "TICKET#RESOLUTION#"


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
    log_entries = CompactJSONAttribute(null=True)


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
    more = CompactJSONAttribute(null=True)  # the entries written with this one (pack), each as ENTRY_FIELDS

    ENTRY_FIELDS = ("event_id", "at", "type", "actor_sub", "actor_role", "public", "summary", "data")
    # An entry stored inside another item (`more`, a carrier's `log_entries`) names its fields by one letter and
    # leaves out empty data: a carrier then takes a step's three entries and stays one write unit. Entries stored
    # with the full names are read the same.
    ENTRY_SHORT = {
        "event_id": "i",
        "at": "t",
        "type": "y",
        "actor_sub": "s",
        "actor_role": "r",
        "public": "p",
        "summary": "m",
        "data": "d",
    }
    ENTRY_LONG = {short: name for name, short in ENTRY_SHORT.items()}

    @classmethod
    def entry_of(cls, event: Event) -> dict[str, Any]:
        """The event as an entry stored inside another item."""
        return {
            cls.ENTRY_SHORT[name]: getattr(event, name) for name in cls.ENTRY_FIELDS if name != "data" or event.data
        }

    @classmethod
    def from_entry(cls, pk: str, ticket_id: str, entry: dict[str, Any]) -> Event:
        """An entry stored inside another item, as the Event it is."""
        fields = {cls.ENTRY_LONG.get(name, name): value for name, value in entry.items()}
        fields.setdefault("data", {})
        return cls(pk, f"EVENT#{fields['event_id']}", ticket_id=ticket_id, **fields)

    @classmethod
    def pack(cls, events: list[Event]) -> Event:
        """The entries of one ticket written in one step, as one item (the first, carrying the others)."""
        first, *others = sorted(events, key=lambda e: e.event_id)
        first.more = [cls.entry_of(e) for e in others] or None
        return first

    def unpacked(self) -> list[Event]:
        """This item's entries, each as an Event of its own (as `pack` received them)."""
        if not self.more:
            return [self]
        entries = [Event.from_entry(self.pk, self.ticket_id, entry) for entry in self.more]
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


class HeldTicket(Entity, discriminator="held_ticket"):
    """A web-form request (or an e-mail whose sender SES's verdicts did not prove) from an address the desk knows (a
    person's, a contact's, or in a domain an organisation claims), held until the address's owner follows the
    confirmation link (shared/tickets/confirmations.py). It is no ticket yet: no route, no list, no file, no follow
    link. Gone by TTL (`expires_at`) when never confirmed."""

    held_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    service = UnicodeAttribute()
    subject = UnicodeAttribute()
    description = UnicodeAttribute()
    fields = JSONAttribute(default=dict)
    language = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    created_at = UnicodeAttribute()
    valid_until = NumberAttribute()  # epoch seconds: the link's expiry (the TTL removes the item later)
    confirmed_at = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    # An e-mail held the same way (shared/channels/inbound.py): SES's message id and where the raw e-mail is stored,
    # so its files reach the ticket once it is confirmed.
    mail_id = UnicodeAttribute(null=True)
    mail_bucket = UnicodeAttribute(null=True)
    mail_key = UnicodeAttribute(null=True)


def held_pk(held_id: str) -> str:
    return f"HELD#{held_id}"


HELD_SK = "HELD"


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
    return _folded(list(Entity.query(ticket_pk(ticket_id), consistent_read=True)))


def get_ticket(ticket_id: str) -> Ticket | None:
    """The ticket with what is kept apart (its text, its resolutions): one Query of the items whose sort key begins
    with TICKET."""
    found = list(Entity.query(ticket_pk(ticket_id), Entity.sk.startswith(TICKET_SK), consistent_read=True))
    return next((i for i in _folded(found) if isinstance(i, Ticket)), None)


def _folded(found: list[Entity]) -> list[Entity]:
    """A ticket partition's items as the desk reads them: the TEXT item and the latest RESOLUTION item folded into
    the ticket, the entries that items carry as entries of their own."""
    items: list[Entity] = []
    text: TicketText | None = None
    resolutions: list[TicketResolution] = []
    for item in found:
        if isinstance(item, TicketText):
            text = item
        elif isinstance(item, TicketResolution):
            resolutions.append(item)
        if isinstance(item, (TicketText, TicketResolution)):
            items.extend(item.unpacked()[1:])
        else:
            items.extend(item.unpacked() if isinstance(item, (Event, Message)) else [item])
    latest = max(resolutions, key=lambda r: r.sk, default=None)
    for item in items:
        if isinstance(item, Ticket):
            item.attach(text, latest)
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
