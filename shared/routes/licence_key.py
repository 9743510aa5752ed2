"""The licence-key route's steps (statemachines/licence-key.asl.json, R6)."""

from __future__ import annotations

import logging
from typing import Any

from shared.clocks.ticket import customer_time, plan_for
from shared.directory import items as directory
from shared.platform import bus, clock, store
from shared.platform.domain import Status
from shared.platform.store import with_retries
from shared.platform.words import Phrase
from shared.routes import licences
from shared.routes.catalog_steps import deadline
from shared.routes.common import DEFAULT_DEADLINE_DAYS, close, ended_elsewhere, milestone, resolve, say
from shared.routes.items import LicenceAccount, LicenceKey, licence_key_sk
from shared.routes.licences import issued_key, licence_account
from shared.tickets import items as ticket_items
from shared.tickets.conversation import system_message
from shared.tickets.items import Ticket, load_ticket
from shared.tickets.log import new_event, set_index_keys, ticket_detail
from shared.tickets.readers import ENGLISH_READER, Reader, reader_of

logger = logging.getLogger(__name__)


def _product(ticket: Ticket) -> tuple[str | Phrase, int | None]:
    seats = ticket.fields.get("licence_seats")
    product = ticket.fields.get("licence_product")
    return str(product) if product else Phrase("licence.product_default"), int(seats) if seats else None


def _extend_limit(ticket: Ticket, account: LicenceAccount, by: str | None, now: str) -> Any:
    """Make room for one more key; returns the ticket's event that says so."""
    before = int(account.limit)
    account.limit = int(account.issued) + 1
    return new_event(
        ticket,
        None,
        "LicenceLimitExtended",
        f"Licence limit extended from {before} to {int(account.limit)}",
        public=False,
        at=now,
        before=before,
        after=int(account.limit),
        by=by,
    )


def _post_key(ticket: Ticket, account: LicenceAccount, writes: list[tuple[Any, Any]], now: str) -> tuple[str, str, str]:
    """Generate the key, post it in the ticket and count it, with the writes given, in one transaction.
    Returns (product, message id, the message's text)."""
    said_product, seats = _product(ticket)
    product = ENGLISH_READER.text(said_product)
    key = licences.generate_key(product)  # looked up at the call: tests put a broken generator in its place
    account.issued = int(account.issued) + 1
    account.updated_at = now
    licence = LicenceKey(
        directory.org_pk(ticket.organisation_id),
        licence_key_sk(ticket.ticket_id),
        organisation_id=ticket.organisation_id,
        ticket_id=ticket.ticket_id,
        product=product,
        seats=seats,
        key=key,
        issued_at=now,
    )
    text = reader_of(ticket).say(
        "licence.issued_seats" if seats else "licence.issued",
        product=said_product,
        seats=seats,
        key=key,
        issued=int(account.issued),
        limit=int(account.limit),
    )
    message, said = system_message(ticket, text, now)
    reached = new_event(
        ticket, None, "LicenceKeyIssued", f"Licence key issued for {product}", public=True, at=now, product=product
    )
    ticket.next_step_at = ticket.due_at = None
    ticket.updated_at = now
    set_index_keys(ticket)
    store.transact(
        [
            (licence, LicenceKey.pk.does_not_exist()),
            (account, None),
            (ticket, None),
            (message, None),
            (said, None),
            (reached, None),
            *writes,
        ]
    )
    return product, message.message_id, text


def _issue(ticket_id: str, *, extend: bool, by: str | None = None) -> str:
    """Generate the key and post it, counting it against the limit in the same transaction (extending the limit
    first when the account manager said so); then resolve and close, and tell the customer once: the closing
    e-mail carries the key. Returns the branch."""
    state: dict[str, Any] = {}

    def attempt() -> None:
        ticket, _ = load_ticket(ticket_id)
        if (ended := ended_elsewhere(ticket)) is not None:
            state["branch"] = ended
            return
        existing = issued_key(ticket.organisation_id, ticket_id)
        if existing is not None:  # a retried step: the key is already posted
            state["branch"] = "issued"
            return
        account = licence_account(ticket.organisation_id)
        now = clock.now_iso()  # the step's one instant: the key, its message and every event carry it
        writes: list[tuple[Any, Any]] = []
        if account.issued >= account.limit:
            if not extend:
                state["branch"] = "over_limit"
                state["account"] = account
                return
            writes.append((_extend_limit(ticket, account, by, now), None))
        product, message_id, text = _post_key(ticket, account, writes, now)
        state.update(branch="issued", ticket=ticket, product=product, message_id=message_id, text=text)

    with_retries("This organisation's licences", attempt)
    if state["branch"] == "over_limit":
        _over_limit(ticket_id, state["account"])
        return "over_limit"
    if "ticket" in state:
        ticket = state["ticket"]
        bus.publish("MessageAdded", {**ticket_detail(ticket), "message_id": state["message_id"]})
        milestone(ticket, "LicenceKeyIssued", f"Licence key issued for {state['product']}", product=state["product"])
    if state["branch"] == "issued":
        ticket = ticket_items.get_ticket(ticket_id)
        if ticket is not None and ticket.status not in (Status.RESOLVED.value, Status.CLOSED.value):
            resolve(ticket_id, Phrase("licence.resolution"), "Not applicable: a licence request", notify=False)
        close(ticket_id, Phrase("reason.licence_issued"), told=state.get("text"), headline="licence_issued")
        return "done"
    return state["branch"]


def _over_limit_text(ticket: Ticket, account: LicenceAccount, due: str, reader: Reader) -> str:
    """Why there is no key yet, in the requester's terms: an individual web-form requester has no organisation
    and so no licence agreement; an organisation without keys in its agreement has no limit to be over."""
    if ticket.organisation_id == directory.PUBLIC_ORGANISATION:
        return reader.say("licence.no_organisation", due=due)
    if int(account.limit) == 0:
        return reader.say("licence.no_keys", due=due)
    return reader.say("licence.over_limit", issued=int(account.issued), limit=int(account.limit), due=due)


def _over_limit(ticket_id: str, account: LicenceAccount) -> None:
    """Tell the customer why there is no key yet and what happens next; the route then asks the account manager."""

    def attempt() -> None:
        ticket, items = load_ticket(ticket_id)
        if any(getattr(i, "type", None) == "LicenceLimitReached" for i in items):
            return
        now = clock.now()  # the step's one instant: the deadline counts from it, the message is stamped with it
        due = deadline(ticket, DEFAULT_DEADLINE_DAYS["licence-key"], now)
        ticket.next_step_at = ticket.due_at = clock.iso(due)
        reader = reader_of(ticket)
        text = _over_limit_text(ticket, account, customer_time(due, plan_for(ticket), reader), reader)
        public = ticket.organisation_id == directory.PUBLIC_ORGANISATION
        say(
            ticket,
            text,
            (
                "LicenceLimitReached",
                f"Licence limit reached ({int(account.issued)} of {int(account.limit)})",
                {"issued": int(account.issued), "limit": int(account.limit)},
            ),
            now=clock.iso(now),
            # over a limit it has, or (no organisation, no keys in its agreement) the request as received
            mail="licence_limit" if int(account.limit) > 0 and not public else "received",
        )

    with_retries("This ticket", attempt)


def licence_issue(ticket_id: str) -> dict[str, Any]:
    return {"branch": _issue(ticket_id, extend=False)}


def licence_decided(ticket_id: str, outcome: str, note: str | None, by: str | None) -> dict[str, Any]:
    """The account manager extended the limit (the key is issued) or declined (the customer is told why)."""
    ticket, _ = load_ticket(ticket_id)
    if (ended := ended_elsewhere(ticket)) is not None:
        return {"branch": ended}
    if outcome == "extend":
        return {"branch": _issue(ticket_id, extend=True, by=by)}
    reader = reader_of(ticket)
    reason = note or reader.say("licence.declined_default_reason")
    text = reader.say("licence.declined", reason=reason)
    say(ticket, text)
    close(ticket_id, Phrase("reason.licence_not_extended"), told=text)
    return {"branch": "done"}
