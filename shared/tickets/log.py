"""A ticket's log: events, status changes with the ball side, index keys, saving."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.directory import items as directory
from shared.platform import clock, store
from shared.platform.domain import BALL_SIDE, OPEN_STATUSES, Status, check_transition
from shared.platform.identity import Caller
from shared.tickets import items as ticket_items
from shared.tickets.items import Event, Ticket

# R21 (seed: 3 days). Calendar days for now; working-calendar clocks replace it with the SLA ledger.
AUTO_CLOSE_RESOLVED_AFTER = timedelta(days=3)


def set_index_keys(ticket: Ticket) -> None:
    ticket.gsi1pk = directory.user_pk(ticket.requester_sub)
    ticket.gsi1sk = f"{ticket.created_at}#{ticket.ticket_id}"
    ticket.gsi2pk = directory.org_pk(ticket.organisation_id)
    ticket.gsi2sk = f"{ticket.created_at}#{ticket.ticket_id}"
    if Status(ticket.status) in OPEN_STATUSES:
        ticket.open_pk = ticket_items.open_pk(ticket.status)
        ticket.open_sk = f"{ticket.due_at or '9999'}#{ticket.ticket_id}"
    else:
        ticket.open_pk = None
        ticket.open_sk = None
    if ticket.owner and Status(ticket.status) in OPEN_STATUSES:
        ticket.owner_pk = f"OWNER#{ticket.owner}"
        ticket.owner_sk = f"{ticket.ball_since or ticket.created_at}#{ticket.ticket_id}"
    else:
        ticket.owner_pk = None
        ticket.owner_sk = None


def new_event(
    ticket: Ticket, actor: Caller | None, type_: str, summary: str, *, public: bool, at: str | None = None, **data: Any
) -> Event:
    """An event of the ticket's log, stamped `at` (ISO, `clock.iso`): a step that reads the clock once and gives that
    instant to the ledger stamps every event it writes with it, so the ledger never misses what the step wrote."""
    event_id = store.new_id()
    return Event(
        ticket_items.ticket_pk(ticket.ticket_id),
        f"EVENT#{event_id}",
        ticket_id=ticket.ticket_id,
        event_id=event_id,
        at=at or clock.now_iso(),
        type=type_,
        actor_sub=actor.sub if actor else "system",
        actor_role=actor.role.value if actor else "system",
        public=public,
        summary=summary,
        data=data,
    )


def set_status(ticket: Ticket, target: Status, now: str | None = None) -> None:
    """Move the ticket to `target` at `now` (ISO; default: the clock). A ticket that ends has no next step."""
    now = now or clock.now_iso()
    before = Status(ticket.status)
    check_transition(ticket.reference, before, target)
    ticket.status = target.value
    side = BALL_SIDE[target]
    new_side = side.value if side else None
    if new_side != ticket.ball_side or ticket.ball_since is None:
        ticket.ball_since = now
    ticket.ball_side = new_side
    if target == Status.RESOLVED:
        # R21: a resolved ticket the customer does not answer closes by itself; the customer sees when.
        ticket.due_at = ticket.next_step_at = clock.iso(_instant(now) + AUTO_CLOSE_RESOLVED_AFTER)
    elif target == Status.CLOSED or before == Status.RESOLVED:
        ticket.due_at = ticket.next_step_at = None


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def status_event(ticket: Ticket, actor: Caller | None, before: str, note: str = "", at: str | None = None) -> Event:
    summary = f"Status changed from {before.replace('_', ' ')} to {ticket.status.replace('_', ' ')}" + (
        f": {note}" if note else ""
    )
    return new_event(ticket, actor, "StatusChanged", summary, public=True, at=at, before=before, after=ticket.status)


def ticket_detail(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "reference": ticket.reference,
        "organisation_id": ticket.organisation_id,
        "status": ticket.status,
        "ball_side": ticket.ball_side,
        "owner": ticket.owner,
        "service": ticket.service,
        "at": ticket.updated_at,
    }


def save_ticket(ticket: Ticket, *extra: Any, now: str | None = None) -> None:
    ticket.updated_at = now or clock.now_iso()
    set_index_keys(ticket)
    store.transact([(ticket, None), *((item, None) for item in extra)])
