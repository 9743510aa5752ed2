"""Who is calling. Behind the JWT authorizer: the caller of the claims API Gateway verified. A customer's
action on one ticket can also come through the ticket's follow link (the web form's, no account): the same
handler serves both paths, and `ticket_caller` tells which one it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from functions.api.headers import FOLLOW_LINK_PATHS
from functions.api.http import event, idempotency_key, query
from shared.directory import clients, people
from shared.platform.domain import Role
from shared.platform.errors import Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller, is_machine_token
from shared.routes import results
from shared.tasks import work
from shared.tasks.views import ticket_view
from shared.tickets import access, idempotency, readers

# A customer's actions through a follow link live under this path and take the key as ?key=.
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
    """A ticket with the history this signed-in caller may see, what its route delivered and its estimate."""
    ticket, items = access.load_for(who, ticket_id)
    view = {**ticket_view(ticket, items, staff=who.is_staff), **results.extras(ticket, items)}
    if not who.is_staff:  # the customer's pages show its dates in the zone the desk's e-mails use
        view["timezone"] = readers.reader_zone(ticket)
    return view


def follow_view(ticket_id: str, key: str) -> dict[str, Any]:
    """A web-form ticket as its follow link shows it: the customer's view, and what its route delivered."""
    ticket, items = access.followed_ticket(ticket_id, key)
    return {
        **ticket_view(ticket, items, staff=False),
        **results.extras(ticket, items),
        "timezone": readers.reader_zone(ticket),  # a follow-link reader has no profile: the e-mails' zone
    }


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
        return follow_view(self.ticket_id, self.follow_key)


def ticket_caller(ticket_id: str) -> TicketCaller:
    """The caller of a customer's action on a ticket: from the follow-link key on the follow-link paths,
    from the JWT claims otherwise. Either way it is checked before the request body is read."""
    if event().path.startswith(FOLLOW_LINK_PATHS):
        key = follow_key()
        return TicketCaller(access.follow_link_caller(ticket_id, key), ticket_id, key)
    return TicketCaller(caller(), ticket_id)


# --- the resource a route's path names (functions.api.router: Route.resource) ----------------------------------
# Each check raises what the logic raises for a caller who may not see or act on the resource (404 or 403), and
# returns when the caller may. The router runs it before answering a refusal of the request's body or query.


def _ticket(who: Caller, path: Mapping[str, str]) -> None:
    access.visible_ticket(who, path["ticket_id"])  # another organisation's ticket: 404, like a missing one


def _own_ticket(who: Caller, path: Mapping[str, str]) -> None:
    ticket, _ = access.visible_ticket(who, path["ticket_id"])
    if ticket.requester_sub != who.sub:
        raise Forbidden(f"Only the requester of {ticket.reference} can do this.")


def _task(who: Caller, path: Mapping[str, str]) -> None:
    task_id = path["task_id"]
    from shared.review import tasks as review_tasks  # review tasks live apart; only refused requests need them

    task = (
        review_tasks.load_review_task(task_id) if review_tasks.is_review_task(task_id) else work.load_task(task_id)[0]
    )
    work.check_group(who, task)  # an agent works the tasks of their own groups only: 403


def _person(who: Caller, path: Mapping[str, str]) -> None:
    if who.role == Role.AGENT and path["sub"] != who.sub:
        raise Forbidden("Specialists see their own figures only (GET /figures/me).")
    if who.role == Role.CUSTOMER and path["sub"] != who.sub:
        raise Forbidden("Only managers can read other people's records; yours is GET /people/{your sub}.")


def _organisation(who: Caller, path: Mapping[str, str]) -> None:
    org_id = path.get("organisation_id") or path["org_id"]
    if who.role == Role.CUSTOMER and org_id != who.org_id:
        raise NotFound(f"No organisation {org_id} that you can see.")


def _invoice(who: Caller, path: Mapping[str, str]) -> None:
    from shared.money import invoices  # invoices are the managers': kept off the API's cold start

    invoices.read_invoice(who, path["invoice_id"].removesuffix(".csv").removesuffix(".json"))


RESOURCES: dict[str, Callable[[Caller, Mapping[str, str]], None]] = {
    "ticket": _ticket,  # {ticket_id} the caller can see (staff: any; customers: their organisation's as it allows)
    "own_ticket": _own_ticket,  # {ticket_id} the caller requested (drafts, submitting, rating)
    "task": _task,  # {task_id} of a group the agent is in (managers: any)
    "person": _person,  # {sub}: an agent's own (managers: anyone's)
    "organisation": _organisation,  # {organisation_id} or {org_id}: a customer's own organisation
    "invoice": _invoice,  # {invoice_id} of the caller's organisation (managers: any)
}


def check_resource(kind: str, who: Caller, path: Mapping[str, str]) -> None:
    """Raise 404 or 403 when `who` may not see or act on the resource the path names (RESOURCES)."""
    RESOURCES[kind](who, path)
