"""The route worker's half of an offer: when a changed contract starts, on the working calendar."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.clocks.ticket import plan_of_organisation
from shared.money.contracts import Period, get_contract, period_by_key
from shared.money.items import Contract, LimitOffer
from shared.money.offers import CHOICES, account_task, offer_text, offer_view
from shared.platform import bus, clock, store
from shared.tickets import items as ticket_items
from shared.tickets.conversation import desk_message, notify_customer
from shared.tickets.items import Ticket
from shared.tickets.log import ticket_detail
from shared.tickets.readers import reader_of

logger = logging.getLogger(__name__)


def working_calendar(org_id: str) -> Any:
    """The organisation's support-plan calendar: workers only (route steps, schedules)."""
    return plan_of_organisation(org_id).calendar


def offer_from_worker(event: dict[str, Any]) -> dict[str, Any]:
    """The route worker's half of intake: tell the customer, offer the choice, task the account manager."""
    ticket = ticket_items.get_ticket(event["ticket_id"])
    contract = get_contract(ticket.organisation_id) if ticket else None
    if ticket is None or contract is None:
        return {"offer": None}
    period = period_by_key(contract.period, event["period"])
    offer = make_offer(
        ticket, contract, period, list(event["reasons"]), event["counted_in"], date.fromisoformat(event["today"])
    )
    return {"offer": offer_view(offer)}


def scheduled_for(contract: Contract, period: Period, reasons: list[str], today: date, org_id: str) -> datetime | None:
    cal = working_calendar(org_id)
    if "tickets" in reasons or "hours" in reasons:
        start = period.next_start
    elif "daily_questions" in reasons:
        start = today + timedelta(days=1)
    else:
        return None
    return cal.next_opening(datetime.combine(start, time(0), tzinfo=cal.zone))


def make_offer(
    ticket: Ticket, contract: Contract, period: Period, reasons: list[str], counted_in: str, today: date
) -> LimitOffer:

    scheduled = scheduled_for(contract, period, reasons, today, ticket.organisation_id)
    choices = list(CHOICES) if scheduled else ["extend"]
    offer = LimitOffer(
        ticket_items.ticket_pk(ticket.ticket_id),
        "LIMIT",
        ticket_id=ticket.ticket_id,
        organisation_id=ticket.organisation_id,
        reasons=reasons,
        period_key=period.key,
        counted_in=counted_in,
        scheduled_for=clock.iso(scheduled) if scheduled else None,
        choices=choices,
        created_at=clock.now_iso(),
    )
    reader = reader_of(ticket)
    text = offer_text(contract, reasons, scheduled, ticket.reference, reader)
    message, event = desk_message(
        ticket,
        text,
        event_type="LimitNotice",
        summary="Contract limit: " + ", ".join(r.replace("_", " ") for r in reasons),
        from_route=False,
        reasons=reasons,
        scheduled_for=offer.scheduled_for,
        choices=choices,
    )
    try:
        store.transact([(offer, LimitOffer.pk.does_not_exist()), (message, None), (event, None)])
    except TransactWriteError:
        logger.info("ticket %s already has its limit offer", ticket.ticket_id)
        return LimitOffer.get(ticket_items.ticket_pk(ticket.ticket_id), "LIMIT")
    bus.publish(
        "LimitNotice",
        {**ticket_detail(ticket), "reasons": reasons, "scheduled_for": offer.scheduled_for, "choices": choices},
    )
    notify_customer(ticket, "contract", text, reader)
    if {"tickets", "hours", "out_of_scope"} & set(reasons):
        account_task(ticket, reasons)
    return offer
