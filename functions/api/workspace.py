"""HTTP routes of the agent workspace (issue 14): who else is on a ticket (collision), saved replies per group,
the SLA explanation, asking for a knowledge-base article. Staff only: a customer never sees any of it."""

from __future__ import annotations

from typing import Any

from functions.api.callers import caller
from functions.api.router import STAFF, ApiRouter
from shared.tasks import presence

router = ApiRouter(bodies="functions.api.workspace_bodies")

_OTHERS = "everyone else present on the ticket in the last 30 s: [{sub, name, activity, since}]"


@router.declare(
    "POST",
    "/tickets/{ticket_id}/presence",
    "I am viewing or replying to this ticket now (renew every few seconds); answers who else is (" + _OTHERS + ")",
    "workspace",
    body="Presence",
    roles=STAFF,
    resource="ticket",
)
def mark_presence(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = router.body("Presence")
    return presence.mark(who, ticket_id, body.activity)


@router.declare(
    "GET",
    "/tickets/{ticket_id}/presence",
    "Who else is on this ticket now (" + _OTHERS + ")",
    "workspace",
    roles=STAFF,
    resource="ticket",
)
def get_presence(ticket_id: str) -> dict[str, Any]:
    return presence.others(caller(), ticket_id)
