"""Lists of tickets: mine, my organisation's, owned, open by status."""

from __future__ import annotations

from shared.directory import items as directory
from shared.platform import store
from shared.platform.domain import OPEN_STATUSES, Status
from shared.platform.errors import Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets import items as ticket_items
from shared.tickets.items import Ticket


def list_tickets(
    caller: Caller,
    *,
    scope: str,
    organisation_id: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Ticket], str | None]:
    if status:
        caller.require_staff()
        try:
            wanted = Status(status)
        except ValueError:
            raise Unprocessable(
                f"Unknown status {status!r}.",
                errors=[{"field": "status", "message": f"one of {[s.value for s in OPEN_STATUSES]}"}],
            ) from None
        if wanted not in OPEN_STATUSES:
            raise Unprocessable(f"Only open statuses can be listed this way: {sorted(s.value for s in OPEN_STATUSES)}.")
        items, next_cursor = store.query_page(
            Entity.open_index,
            "open_pk",
            ticket_items.open_pk(wanted.value),
            limit=limit,
            cursor=cursor,
            newest_first=False,
        )
    elif scope == "organisation":
        if caller.is_staff:
            if not organisation_id:
                raise Unprocessable(
                    "Say which organisation: ?scope=organisation&organisation_id=...",
                    errors=[{"field": "organisation_id", "message": "required for staff"}],
                )
            org = organisation_id
        else:
            if not caller.is_org_admin:
                raise Forbidden("Only your organisation's admin can list all of its tickets.")
            if organisation_id and organisation_id != caller.org_id:
                raise NotFound("No such organisation that you can see.")
            org = caller.org_id
        items, next_cursor = store.query_page(
            Entity.organisation_index,
            "gsi2pk",
            directory.org_pk(org),
            limit=limit,
            cursor=cursor,
            newest_first=True,
        )
    elif scope == "owned":
        caller.require_staff()
        items, next_cursor = store.query_page(
            Entity.owner_index, "owner_pk", f"OWNER#{caller.sub}", limit=limit, cursor=cursor, newest_first=False
        )
    elif scope == "mine":
        if caller.is_staff:
            raise Unprocessable(
                "Staff list tickets by organisation (?scope=organisation&organisation_id=...) or by open status "
                "(?status=new), and work from the task queue (GET /tasks).",
                errors=[{"field": "scope", "message": "use organisation or status"}],
            )
        items, next_cursor = store.query_page(
            Entity.requester_index,
            "gsi1pk",
            directory.user_pk(caller.sub),
            limit=limit,
            cursor=cursor,
            newest_first=True,
        )
    else:
        raise Unprocessable(
            "scope must be mine, organisation or owned.",
            errors=[{"field": "scope", "message": "mine, organisation or owned"}],
        )
    return [i for i in items if isinstance(i, Ticket)], next_cursor
