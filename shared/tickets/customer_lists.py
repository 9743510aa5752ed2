"""A customer's ticket lists filtered by status and searched by reference or subject (R27: "My tickets", and an
organisation admin's organisation's tickets), a page at a time.

The lists are the requester's and the organisation's index partitions, newest first (shared.tickets.lists); the
filter reads them in order and keeps the tickets that match, so a page holds up to `limit` matches and its cursor
is the key of the last ticket it returned. A search reads at most READ_LIMIT tickets per request: a page may then
hold fewer matches than asked for, with a cursor to read on from.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.directory import items as directory
from shared.platform import store
from shared.platform.domain import Status
from shared.platform.errors import Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets.items import Ticket

READ_LIMIT = 500  # tickets read per request while filtering, at most
PAGE_READ = 50  # tickets read per query while filtering
SEARCH_MAX = 100  # characters of a search


@dataclass(frozen=True)
class Partition:
    index: object
    partition_attr: str
    partition_value: str
    sort_attr: str


def _partition(caller: Caller, scope: str, organisation_id: str | None) -> Partition:
    """The customer's own tickets, or (an organisation's admin) the organisation's; the same checks as the
    unfiltered lists."""
    if scope == "mine":
        return Partition(Entity.requester_index, "gsi1pk", directory.user_pk(caller.sub), "gsi1sk")
    if scope == "organisation":
        if not caller.is_org_admin:
            raise Forbidden("Only your organisation's admin can list all of its tickets.")
        if organisation_id and organisation_id != caller.org_id:
            raise NotFound("No such organisation that you can see.")
        return Partition(Entity.organisation_index, "gsi2pk", directory.org_pk(caller.org_id), "gsi2sk")
    raise Unprocessable(
        "scope must be mine or organisation.", errors=[{"field": "scope", "message": "mine or organisation"}]
    )


def _status(status: str | None) -> Status | None:
    if not status:
        return None
    try:
        return Status(status)
    except ValueError:
        raise Unprocessable(
            f"Unknown status {status!r}.",
            errors=[{"field": "status", "message": f"one of {[s.value for s in Status]}"}],
        ) from None


def _words(search: str | None) -> str | None:
    words = " ".join((search or "").split()).casefold()
    if len(words) > SEARCH_MAX:
        raise Unprocessable(
            f"Search for at most {SEARCH_MAX} characters.", errors=[{"field": "q", "message": "too long"}]
        )
    return words or None


def _matches(ticket: Ticket, status: Status | None, words: str | None) -> bool:
    if status is not None and ticket.status != status.value:
        return False
    if words is None:
        return True
    return words in (ticket.reference or "").casefold() or words in (ticket.subject or "").casefold()


def _cursor_after(ticket: Ticket, part: Partition) -> str | None:
    """The cursor that reads on after this ticket: its key in the index, as DynamoDB's LastEvaluatedKey."""
    key = {
        "pk": {"S": ticket.pk},
        "sk": {"S": ticket.sk},
        part.partition_attr: {"S": part.partition_value},
        part.sort_attr: {"S": getattr(ticket, part.sort_attr)},
    }
    return store.encode_cursor(key)


def customer_tickets(
    caller: Caller,
    *,
    scope: str,
    organisation_id: str | None,
    status: str | None,
    search: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Ticket], str | None]:
    """A customer's tickets of one status and/or whose reference or subject holds the search words, newest
    first. Returns the page and the cursor of the next one (None at the end)."""
    part = _partition(caller, scope, organisation_id)
    wanted, words = _status(status), _words(search)
    found: list[Ticket] = []
    read = 0
    while True:
        page, next_cursor = store.query_page(
            part.index, part.partition_attr, part.partition_value, limit=PAGE_READ, cursor=cursor, newest_first=True
        )
        for item in page:
            read += 1
            if isinstance(item, Ticket) and _matches(item, wanted, words):
                found.append(item)
                if len(found) == limit:
                    return found, _cursor_after(item, part)
        if next_cursor is None:
            return found, None
        cursor = next_cursor
        if read >= READ_LIMIT:
            return found, cursor
