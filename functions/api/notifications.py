"""HTTP routes of notifications (R27): a customer's (what changed on my tickets since I last looked) and staff's
(tasks given to me, customer replies on tickets I own, SLA warnings and breaches of my tickets and groups)."""

from __future__ import annotations

from typing import Any

from functions.api.callers import caller
from functions.api.http import query
from functions.api.router import SIGNED_IN, ApiRouter
from shared.tasks import notifications as staff_feed
from shared.tickets import notifications

router = ApiRouter(bodies="functions.api.notifications_bodies")


@router.declare(
    "GET",
    "/notifications",
    "What changed on my tickets (an organisation admin: also the organisation's) since I last looked, or `since`; "
    "staff: tasks given to me, customer replies on tickets I own, SLA warnings and breaches, newest first",
    "tickets",
    query=(("since", {"type": "string", "format": "date-time"}),),
    roles=SIGNED_IN,
)
def list_notifications() -> dict[str, Any]:
    who = caller()
    since = query("since", max_length=40)
    if who.is_staff:
        return staff_feed.staff_notifications(who, since)
    return notifications.notifications(who, since)


@router.declare(
    "POST",
    "/notifications/seen",
    "Mark the notifications seen (until `at`, default now)",
    "tickets",
    body="Seen",
    body_optional=True,
    roles=SIGNED_IN,
)
def mark_seen() -> dict[str, Any]:
    body = router.body("Seen", optional=True)
    return notifications.mark_seen(caller(), body.at)
