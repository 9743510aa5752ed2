"""Who may see and act on a ticket: a signed-in caller, a follow-link key, a web-form sender."""

from __future__ import annotations

import secrets

from shared.directory import people
from shared.platform import clock, config, store
from shared.platform.domain import Role
from shared.platform.errors import NotFound, TooManyRequests
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets import items as ticket_items
from shared.tickets.items import Ticket


def can_see(caller: Caller, ticket: Ticket) -> bool:
    if caller.is_staff:
        return True
    if ticket.organisation_id != caller.org_id:
        return False
    return ticket.requester_sub == caller.sub or caller.is_org_admin


def visible_ticket(caller: Caller, ticket_id: str) -> tuple[Ticket, list[Entity]]:
    resolved_id = ticket_items.resolve_ticket_id(ticket_id)
    items = ticket_items.load_ticket_partition(resolved_id) if resolved_id else []
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    # Another organisation's ticket answers exactly like a missing one.
    if ticket is None or not can_see(caller, ticket):
        raise NotFound(f"No ticket {ticket_id} that you can see.")
    return ticket, items


def visible_ticket_item(caller: Caller, ticket_id: str) -> Ticket:
    """The ticket item alone (one GetItem, not its whole history): for a write that needs nothing else of it."""
    resolved_id = ticket_items.resolve_ticket_id(ticket_id)
    ticket = ticket_items.get_ticket(resolved_id) if resolved_id else None
    if ticket is None or not can_see(caller, ticket):
        raise NotFound(f"No ticket {ticket_id} that you can see.")
    return ticket


def load_for(caller: Caller, ticket_id: str) -> tuple[Ticket, list[Entity]]:
    return visible_ticket(caller, ticket_id)


def web_form_caller(email: str, name: str | None, source_ip: str) -> Caller:
    """Match the sender to a known contact, or create one (linked by e-mail domain when an
    organisation claims it, otherwise to the organisation of individual requesters)."""

    limit = int(config.get(config.WEBFORM_RATE_PER_HOUR))
    hour = clock.now().strftime("%Y%m%d%H")
    for bucket in (f"webform-ip#{source_ip}#{hour}", f"webform-email#{email.lower()}#{hour}"):
        if not store.take_quota(bucket, limit, ttl_seconds=7200):
            raise TooManyRequests(
                f"Too many web form submissions from here in the last hour (limit {limit}). "
                "Try again later, or sign in to the portal."
            )
    user = people.match_or_create_contact(email, name)
    return Caller(
        sub=user.sub,
        email=user.email,
        role=Role.CUSTOMER,
        org_id=user.organisation_id,
        groups=frozenset({"customer"}),
    )


def on_behalf_caller(staff: Caller, organisation_id: str, requester: str, name: str | None) -> Caller:
    """The customer a staff member opens a ticket for (phone, walk-in): an existing customer of the organisation
    by sub or e-mail, or a new contact of it by e-mail."""
    staff.require_staff()
    user = people.requester_for(organisation_id, requester, name)
    return Caller(
        sub=user.sub,
        email=user.email,
        role=Role.CUSTOMER,
        org_id=user.organisation_id,
        groups=frozenset({Role.CUSTOMER.value}),
    )


def followed_ticket(ticket_id: str, key: str) -> tuple[Ticket, list[Entity]]:
    """The follow link of the web form: the ticket id with its secret key, no account needed."""
    items = ticket_items.load_ticket_partition(ticket_id)
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    if ticket is None or not ticket.follow_key or not secrets.compare_digest(ticket.follow_key.encode(), key.encode()):
        raise NotFound("No ticket matches this follow link.")
    return ticket, items


def follow_link_caller(ticket_id: str, key: str) -> Caller:
    """Whoever holds a web-form ticket's follow link acts as its requester on that ticket only."""
    ticket, _ = followed_ticket(ticket_id, key)
    return Caller(
        sub=ticket.requester_sub,
        email=ticket.requester_email or "",
        role=Role.CUSTOMER,
        org_id=ticket.organisation_id,
        groups=frozenset({"customer"}),
    )
