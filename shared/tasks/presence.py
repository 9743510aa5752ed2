"""Collision (issue 14): who else is viewing or replying to a ticket right now. Each staff member's page renews a
presence record every few seconds; one seen within PRESENT_SECONDS counts; the table's TTL removes old ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.directory import items as directory
from shared.platform import clock
from shared.platform.errors import Unprocessable
from shared.platform.identity import Caller
from shared.tasks.items import Presence
from shared.tickets import access

PRESENT_SECONDS = 30
TTL_SECONDS = 600  # DynamoDB deletes expired items within days; reads never rely on it
ACTIVITIES = ("viewing", "replying")


def _pk(ticket_id: str) -> str:
    return f"PRESENCE#{ticket_id}"


def _ticket_id(caller: Caller, ticket_id_or_reference: str) -> str:
    """The ticket's id (a reference accepted); 404 when there is no such ticket."""
    return access.visible_ticket_item(caller, ticket_id_or_reference).ticket_id


def mark(caller: Caller, ticket_id: str, activity: str) -> dict[str, Any]:
    """I am viewing or replying to the ticket now; answers who else is."""
    caller.require_staff()
    if activity not in ACTIVITIES:
        raise Unprocessable(
            f"activity is one of {', '.join(ACTIVITIES)}.",
            errors=[{"field": "activity", "message": f"one of {list(ACTIVITIES)}"}],
        )
    ticket_id = _ticket_id(caller, ticket_id)
    now = clock.now()
    present = _present(ticket_id, now)
    mine = next((p for p in present if p.sub == caller.sub), None)
    since = mine.since if mine is not None and mine.activity == activity else clock.iso(now)
    user = directory.get_user(caller.sub)
    Presence(
        _pk(ticket_id),
        f"SUB#{caller.sub}",
        ticket_id=ticket_id,
        sub=caller.sub,
        name=user.name if user else (caller.email or caller.sub),
        activity=activity,
        since=since,
        seen_at=clock.iso(now),
        expires_at=int(now.timestamp()) + TTL_SECONDS,
    ).save()
    return {"others": [_view(p) for p in present if p.sub != caller.sub]}


def others(caller: Caller, ticket_id: str) -> dict[str, Any]:
    """Everyone but me present on the ticket in the last PRESENT_SECONDS."""
    caller.require_staff()
    ticket_id = _ticket_id(caller, ticket_id)
    return {"others": [_view(p) for p in _present(ticket_id, clock.now()) if p.sub != caller.sub]}


def _present(ticket_id: str, now: Any) -> list[Presence]:
    cutoff = clock.iso(now - timedelta(seconds=PRESENT_SECONDS))
    found = Presence.query(_pk(ticket_id), consistent_read=True)
    return sorted((p for p in found if p.seen_at >= cutoff), key=lambda p: p.since)


def _view(presence: Presence) -> dict[str, Any]:
    return {"sub": presence.sub, "name": presence.name, "activity": presence.activity, "since": presence.since}
