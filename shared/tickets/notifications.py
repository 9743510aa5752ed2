"""A customer's notifications: what changed on their tickets since they last looked, read from the tickets' logs
(public events only, never their own actions), and the mark of when they last looked.

Reads: one GetItem for the mark, one page of the caller's tickets (an organisation admin: also the
organisation's) newest first, and the partition of each ticket changed since then.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.directory import items as directory
from shared.platform import clock
from shared.platform.errors import Unprocessable
from shared.platform.identity import Caller
from shared.tickets import items as ticket_items
from shared.tickets.items import NOTIFICATIONS_SK, Event, NotificationsSeen, Ticket
from shared.tickets.lists import list_tickets
from shared.tickets.views import event_view

LOOK_BACK = timedelta(days=30)  # someone who never looked: what changed in the last 30 days
TICKETS_LOOKED_AT = 50  # the newest tickets of each list; older ones rarely change
QUIET_TYPES = frozenset({"AttachmentDownloaded"})


def seen_at(caller: Caller) -> str | None:
    try:
        return NotificationsSeen.get(directory.user_pk(caller.sub), NOTIFICATIONS_SK).seen_at
    except DoesNotExist:
        return None


def instant(text: str) -> str:
    """`since` as the log's own ISO form, or 422."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Unprocessable(
            f"since must be an ISO 8601 instant such as 2026-11-30T12:00:00Z, not {text!r}.",
            errors=[{"field": "since", "message": "ISO 8601 instant"}],
        ) from None
    if moment.tzinfo is None:
        raise Unprocessable(
            "since needs its time zone (for example 2026-11-30T12:00:00Z).",
            errors=[{"field": "since", "message": "ISO 8601 instant with a zone"}],
        )
    return clock.iso(moment)


def _watched(caller: Caller) -> list[Ticket]:
    mine, _ = list_tickets(
        caller, scope="mine", organisation_id=None, status=None, limit=TICKETS_LOOKED_AT, cursor=None
    )
    found = {t.ticket_id: t for t in mine}
    if caller.is_org_admin:
        org, _ = list_tickets(
            caller, scope="organisation", organisation_id=None, status=None, limit=TICKETS_LOOKED_AT, cursor=None
        )
        found.update({t.ticket_id: t for t in org if t.ticket_id not in found})
    return list(found.values())


def notifications(caller: Caller, since: str | None) -> dict[str, Any]:
    """What changed on the caller's tickets after `since` (default: when they last looked)."""
    last_seen = seen_at(caller)
    after = instant(since) if since else last_seen or clock.iso(clock.now() - LOOK_BACK)
    items = []
    for ticket in _watched(caller):
        if ticket.updated_at <= after or ticket.status == "draft":
            continue
        events = [
            e
            for e in ticket_items.load_ticket_partition(ticket.ticket_id)
            if isinstance(e, Event)
            and e.public
            and e.at > after
            and e.actor_sub != caller.sub
            and e.type not in QUIET_TYPES
        ]
        if events:
            events.sort(key=lambda e: (e.at, e.event_id))
            items.append(
                {
                    "ticket_id": ticket.ticket_id,
                    "reference": ticket.reference,
                    "subject": ticket.subject,
                    "status": ticket.status,
                    "ball_side": ticket.ball_side,
                    "updated_at": ticket.updated_at,
                    "events": [event_view(e) for e in events],
                }
            )
    items.sort(key=lambda i: i["events"][-1]["at"], reverse=True)
    return {"since": after, "seen_at": last_seen, "unseen": sum(len(i["events"]) for i in items), "items": items}


def mark_seen(caller: Caller, at: str | None) -> dict[str, Any]:
    """The caller has looked until `at` (default: now); a mark never moves back."""
    moment = instant(at) if at else clock.now_iso()
    previous = seen_at(caller)
    if previous and previous > moment:
        moment = previous
    NotificationsSeen(directory.user_pk(caller.sub), NOTIFICATIONS_SK, sub=caller.sub, seen_at=moment).save()
    return {"seen_at": moment}
