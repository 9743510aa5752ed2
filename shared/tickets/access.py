"""Who may see and act on a ticket: a signed-in caller, a follow-link key, a web-form sender."""

from __future__ import annotations

from dataclasses import dataclass

from shared.directory import items as directory
from shared.directory import people
from shared.directory.items import User
from shared.platform import clock, config, store
from shared.platform.domain import Role
from shared.platform.errors import Forbidden, NotFound, TooManyRequests
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets import follow, proof_of_work
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


@dataclass(frozen=True)
class WebFormSender:
    """Who the web form's typed address says is writing, and what it may do before the address is proven.

    - `caller`: an address new to the desk in no organisation's domain: a ticket opens at once, as a new contact
      of the public organisation (nobody else's identity, list or organisation is reached through it);
    - `caller` None: the address is a person's or a contact's, or an organisation claims its domain: the request is
      held until the address's owner confirms it (shared/tickets/confirmations.py); `deactivated`: the person was
      deactivated, so nothing is held or sent (the answer is the same, so the form does not tell who was).
    """

    email: str
    caller: Caller | None = None
    deactivated_sub: str | None = None

    @property
    def deactivated(self) -> bool:
        return self.deactivated_sub is not None


def _customer_caller(user: User) -> Caller:
    return Caller(
        sub=user.sub,
        email=user.email,
        role=Role.CUSTOMER,
        org_id=user.organisation_id,
        groups=frozenset({"customer"}),
    )


def check_web_form_rate(email: str, source_ip: str, proof: tuple[str, str] | None) -> None:
    """The web form's own limits, per source IP and per typed address within the hour: a solved proof of work
    (shared/tickets/proof_of_work.py) after the first WEBFORM_FREE_PER_IP_HOUR from one IP or WEBFORM_FREE_PER_HOUR
    for one address, and no more than WEBFORM_RATE_PER_HOUR in all."""
    hour = clock.now().strftime("%Y%m%d%H")
    buckets = (f"webform-ip#{source_ip}#{hour}", f"webform-email#{email.lower()}#{hour}")
    free = (int(config.get(config.WEBFORM_FREE_PER_IP_HOUR)), int(config.get(config.WEBFORM_FREE_PER_HOUR)))
    counted = [store.take_quota(f"{bucket}#free", n, ttl_seconds=7200) for bucket, n in zip(buckets, free, strict=True)]
    if not all(counted):
        why = "a solved challenge is required" if proof is None else proof_of_work.check(*proof)
        if why is not None:
            raise TooManyRequests(
                f"Many requests came from here or for this address in the last hour, so the web form asks your "
                f"browser to solve a small puzzle first ({why}). Send the request again with `proof`: this "
                "`challenge` and a `solution` (the web form does this itself), or sign in to the portal.",
                challenge=proof_of_work.issue(),
                bits=proof_of_work.bits(),
            )
    limit = int(config.get(config.WEBFORM_RATE_PER_HOUR))
    for bucket in buckets:
        if not store.take_quota(bucket, limit, ttl_seconds=7200):
            raise TooManyRequests(
                f"Too many web form submissions from here in the last hour (limit {limit}). "
                "Try again later, or sign in to the portal."
            )


def web_form_sender(email: str, name: str | None) -> WebFormSender:
    """What the typed address may do (WebFormSender). Only an address nobody at the desk has and no organisation
    claims becomes a requester at once (a new contact of the public organisation); a staff address is refused."""
    existing = directory.get_user_by_email(email)
    if existing is not None:
        if existing.role != Role.CUSTOMER.value:
            raise Forbidden("Staff addresses cannot open tickets through the public web form.")
        if existing.active is False:
            return WebFormSender(email, deactivated_sub=existing.sub)
        return WebFormSender(email)
    if people.organisation_for_domain(email) is not None:
        return WebFormSender(email)
    return WebFormSender(email, caller=_customer_caller(people.match_or_create_contact(email, name)))


def confirmed_sender(email: str, name: str | None) -> Caller | None:
    """The requester of a held web-form request whose address was just proven (its owner followed the link): the
    person with the address, or a new contact of the organisation claiming its domain (only now); None when the
    person has been deactivated meanwhile."""
    user = people.match_or_create_contact(email, name)
    return None if user.active is False else _customer_caller(user)


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
    """The follow link of the web form: the ticket id with its secret key, no account needed. The key is checked
    against the hash the ticket keeps (shared/tickets/follow.py); a deactivated requester's links open nothing,
    as their tokens do not."""
    items = ticket_items.load_ticket_partition(ticket_id)
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    if ticket is None or not follow.matches(ticket, key) or not people.is_active(ticket.requester_sub):
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
