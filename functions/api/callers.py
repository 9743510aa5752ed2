"""Who is calling. Behind the JWT authorizer: the caller of the claims API Gateway verified. A customer's
action on one ticket can also come through the ticket's follow link (the web form's, no account): the same
handler serves both paths, and `ticket_caller` tells which one it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.api.http import event, idempotency_key, query
from shared.directory import clients, people
from shared.platform.errors import Unprocessable
from shared.platform.identity import Caller, is_machine_token
from shared.tasks.views import ticket_view
from shared.tickets import access, idempotency

# A customer's actions through a follow link live under this path and take the key as ?key=.
FOLLOW_LINK_PATHS = "/public/tickets/"
FOLLOW_KEY_QUERY: tuple[tuple[str, dict[str, Any]], ...] = (("key", {"type": "string"}),)


def caller() -> Caller:
    """The signed-in caller of the bearer token's claims; 401 without them or for a deactivated person, 403
    without a role. A machine client (client credentials) acts for its one organisation, and only where its
    token's scopes allow (ticket endpoints: tickets.read to read, tickets.write to change)."""
    request = event()
    authorizer = request.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    if is_machine_token(claims):
        who = clients.machine_caller(claims or {})
        who.require_scope_for(request.request_context.http.method, request.path)
        return who
    who = Caller.from_claims(claims)
    people.require_active(who)
    return who


def follow_key() -> str:
    key = query("key", "")
    if not key:
        raise Unprocessable("The follow link needs its key.", errors=[{"field": "key", "message": "required"}])
    return key


def view_for(who: Caller, ticket_id: str) -> dict[str, Any]:
    """A ticket with the history this signed-in caller may see."""
    ticket, items = access.load_for(who, ticket_id)
    return ticket_view(ticket, items, staff=who.is_staff)


@dataclass(frozen=True)
class TicketCaller:
    """Whoever acts on one ticket: a signed-in caller, or the holder of its follow-link key (the ticket's
    requester, on that ticket only)."""

    who: Caller
    ticket_id: str
    follow_key: str | None = None

    @property
    def channel(self) -> str:
        return "api" if self.follow_key is None else "web_form"

    def idempotency(self, body: dict[str, Any]) -> idempotency.Idempotency | None:
        """The request's Idempotency-Key, scoped to the signed-in user or to the follow link."""
        if self.follow_key is None:
            return idempotency.Idempotency.of(self.who.sub, idempotency_key(), {"ticket": self.ticket_id, **body})
        return idempotency.Idempotency.of(f"follow:{self.ticket_id}", idempotency_key(), body)

    def view(self) -> dict[str, Any]:
        """The ticket as this caller may see it (the follow link shows the customer's view)."""
        if self.follow_key is None:
            return view_for(self.who, self.ticket_id)
        ticket, items = access.followed_ticket(self.ticket_id, self.follow_key)
        return ticket_view(ticket, items, staff=False)


def ticket_caller(ticket_id: str) -> TicketCaller:
    """The caller of a customer's action on a ticket: from the follow-link key on the follow-link paths,
    from the JWT claims otherwise. Either way it is checked before the request body is read."""
    if event().path.startswith(FOLLOW_LINK_PATHS):
        key = follow_key()
        return TicketCaller(access.follow_link_caller(ticket_id, key), ticket_id, key)
    return TicketCaller(caller(), ticket_id)
