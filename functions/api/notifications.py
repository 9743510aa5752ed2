"""HTTP routes of a customer's notifications: what changed on my tickets since I last looked (R27)."""

from __future__ import annotations

from typing import Any

from functions.api.callers import caller
from functions.api.http import query
from functions.api.router import CUSTOMER, ApiRouter
from shared.tickets import notifications

router = ApiRouter(bodies="functions.api.notifications_bodies")


@router.declare(
    "GET",
    "/notifications",
    "What changed on my tickets (an organisation admin: also the organisation's) since I last looked, or `since`",
    "tickets",
    query=(("since", {"type": "string", "format": "date-time"}),),
    roles=(CUSTOMER,),
    hint="Staff follow their work in the task queue (GET /tasks).",
)
def list_notifications() -> dict[str, Any]:
    return notifications.notifications(caller(), query("since", max_length=40))


@router.declare(
    "POST",
    "/notifications/seen",
    "Mark the notifications seen (until `at`, default now)",
    "tickets",
    body="Seen",
    body_optional=True,
    roles=(CUSTOMER,),
    hint="Staff follow their work in the task queue (GET /tasks).",
)
def mark_seen() -> dict[str, Any]:
    body = router.body("Seen", optional=True)
    return notifications.mark_seen(caller(), body.at)
