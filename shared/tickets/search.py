"""Staff's ticket lists (the agent workspace's views): tickets by status (one, several, or every open one),
organisation, service, classification and owner, and search by reference, subject words or requester e-mail.

Each list reads one source, the narrowest the filters allow, and filters what it reads:
- a reference (q=CW-1042): one GetItem;
- an organisation: its tickets, newest first (organisation_index; every status);
- an owner: their open tickets, whose ball moved longest ago first (owner_index);
- otherwise the open tickets of each wanted status, soonest due first, status by status (open_index).
Closed tickets are listed for one organisation at a time (they leave the open indexes); drafts are their
author's. A page reads at most SCAN_LIMIT tickets: a rare filter can answer fewer items than `limit` with a
next_cursor, which goes on where the page stopped.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from shared.directory import items as directory
from shared.platform.domain import OPEN_STATUSES, Status
from shared.platform.errors import BadRequest, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets import items as ticket_items
from shared.tickets.items import Ticket
from shared.tickets.views import ticket_summary

SCAN_LIMIT = 500  # tickets one page reads at most
PAGE_SIZE = 100
OPEN = "open"
# Open statuses in the order a list of several shows them.
STATUS_ORDER = (Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER, Status.RESOLVED, Status.CLOSED)
_REFERENCE = re.compile(r"^CW-\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...]
    organisation_id: str | None = None
    service: str | None = None
    classification: str | None = None
    owner: str | None = None  # a sub (`me` already replaced by the caller's)
    q: str | None = None


@dataclass(frozen=True)
class Source:
    index: Any
    partition_attr: str
    partition_value: str
    sort_attr: str
    newest_first: bool


def parse_statuses(status: str | None) -> tuple[str, ...]:
    """`open` (the default), one status, or a comma list; in the list's order."""
    if not status or status.strip() == OPEN:
        return tuple(s.value for s in STATUS_ORDER if s in OPEN_STATUSES)
    wanted: list[str] = []
    allowed = [OPEN, *(s.value for s in STATUS_ORDER)]
    for part in (p.strip() for p in status.split(",")):
        if part == OPEN:
            wanted += [s.value for s in STATUS_ORDER if s in OPEN_STATUSES]
        elif part in {s.value for s in STATUS_ORDER}:
            wanted.append(part)
        elif part == Status.DRAFT.value:
            raise Unprocessable(
                "Drafts are their author's until submitted; staff list submitted tickets.",
                errors=[{"field": "status", "message": f"one or more of {allowed}"}],
            )
        else:
            raise Unprocessable(
                f"Unknown status {part!r}; use open, one status or a comma list of: {', '.join(allowed[1:])}.",
                errors=[{"field": "status", "message": f"one or more of {allowed}"}],
            )
    order = [s.value for s in STATUS_ORDER]
    return tuple(sorted(set(wanted), key=order.index))


def staff_item(ticket: Ticket) -> dict[str, Any]:
    """A ticket in a staff list: the summary with what a workspace's list shows."""
    return {
        **ticket_summary(ticket),
        "requester_email": ticket.requester_email,
        "classification": ticket.classification,
        "priority": ticket.priority,
        "due_at": ticket.due_at,
        "sla": ticket.sla,
    }


def search(caller: Caller, filters: Filters, *, limit: int, cursor: str | None) -> tuple[list[Ticket], str | None]:
    """The tickets matching every filter, a page at a time (module doc)."""
    caller.require_staff()
    if filters.q and _REFERENCE.match(filters.q.strip()):
        ticket_id = ticket_items.resolve_ticket_id(filters.q.strip())
        ticket = ticket_items.get_ticket(ticket_id) if ticket_id else None
        found = [ticket] if ticket is not None and _matches(ticket, filters, by_reference=True) else []
        return found, None
    sources = _sources(filters)
    position, start = _decode(cursor, sources)
    found: list[Ticket] = []
    read = 0
    last: tuple[int, dict[str, Any]] | None = None
    for number in range(position, len(sources)):
        source = sources[number]
        results = source.index.query(
            source.partition_value,
            scan_index_forward=not source.newest_first,
            page_size=PAGE_SIZE,
            last_evaluated_key=start if number == position else None,
        )
        for item in results:
            if not isinstance(item, Ticket):
                continue
            read += 1
            key = _key_of(item, source)
            if key is not None:
                last = (number, key)
            if _matches(item, filters):
                found.append(item)
            if len(found) >= limit or read >= SCAN_LIMIT:
                return found, _encode(last)
    return found, None


def _sources(filters: Filters) -> list[Source]:
    closed = [s for s in filters.statuses if Status(s) not in OPEN_STATUSES]
    if filters.organisation_id:
        org = directory.org_pk(filters.organisation_id)
        return [Source(Entity.organisation_index, "gsi2pk", org, "gsi2sk", newest_first=True)]
    if closed:
        raise Unprocessable(
            "Closed tickets are listed for one organisation at a time: add organisation_id, or search by reference.",
            errors=[{"field": "organisation_id", "message": "required with status closed"}],
        )
    if filters.owner:
        owner = f"OWNER#{filters.owner}"
        return [Source(Entity.owner_index, "owner_pk", owner, "owner_sk", newest_first=False)]
    return [
        Source(Entity.open_index, "open_pk", ticket_items.open_pk(s), "open_sk", newest_first=False)
        for s in filters.statuses
    ]


def _matches(ticket: Ticket, filters: Filters, *, by_reference: bool = False) -> bool:
    if ticket.status not in filters.statuses:
        return False
    for name in ("organisation_id", "service", "classification", "owner"):
        wanted = getattr(filters, name)
        if wanted and getattr(ticket, name) != wanted:
            return False
    if filters.q and not by_reference:
        return _found_by_words(ticket, filters.q)
    return True


def _found_by_words(ticket: Ticket, q: str) -> bool:
    """Every word in the subject, or the text in the requester's e-mail address."""
    text = q.strip().casefold()
    subject = ticket.subject.casefold()
    if all(word in subject for word in text.split()):
        return True
    return bool(ticket.requester_email) and text in (ticket.requester_email or "").casefold()


def _key_of(item: Ticket, source: Source) -> dict[str, Any] | None:
    """The index key of an item as a Query's last evaluated key; None when it left the partition meanwhile."""
    if getattr(item, source.partition_attr) != source.partition_value:
        return None
    return {
        "pk": {"S": item.pk},
        "sk": {"S": item.sk},
        source.partition_attr: {"S": source.partition_value},
        source.sort_attr: {"S": getattr(item, source.sort_attr)},
    }


def _encode(last: tuple[int, dict[str, Any]] | None) -> str | None:
    if last is None:
        return None
    number, key = last
    return base64.urlsafe_b64encode(json.dumps({"s": number, "k": key}, separators=(",", ":")).encode()).decode()


def _decode(cursor: str | None, sources: list[Source]) -> tuple[int, dict[str, Any] | None]:
    """(source number, its last key) of a cursor this list returned for the same filters."""
    if not cursor:
        return 0, None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        number, key = value["s"], value["k"]
        source = sources[number] if isinstance(number, int) and number >= 0 else None
        ok = source is not None
        ok = ok and isinstance(key, dict) and key.get(source.partition_attr, {}).get("S") == source.partition_value
    except (ValueError, binascii.Error, AttributeError, KeyError, IndexError, TypeError):
        ok = False
    if not ok:
        raise BadRequest(
            "The cursor is not valid for this list; start again without it.",
            errors=[{"field": "cursor", "message": "not a cursor returned by this list with these filters"}],
        )
    return number, key
