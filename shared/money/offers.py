"""R23, R26: a ticket over the contract's limit or scope: the customer's choices, told in the ticket."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.money.contracts import (
    ACCOUNTS_GROUP,
    add_counter,
    get_contract,
    is_active,
    number,
    period_by_key,
    period_of,
    today_for,
    zone_of,
)
from shared.money.items import Contract, LimitOffer
from shared.money.keys import contract_pk
from shared.money.usage import billable_minutes, check_thresholds, tickets_by_service, usage
from shared.platform import bus, clock, store, workflows
from shared.platform.domain import Role, Status
from shared.platform.errors import Conflict, Forbidden, Unprocessable
from shared.platform.identity import Caller
from shared.tasks.work import create_task
from shared.tickets.access import load_for
from shared.tickets.conversation import desk_message, notify_customer
from shared.tickets.items import Task, Ticket
from shared.tickets.log import ticket_detail
from shared.tickets.readers import ENGLISH_READER, Reader, reader_of

logger = logging.getLogger(__name__)


CHOICES = ("extend", "next_period")


def on_submitted(ticket: Ticket, detail: dict[str, Any]) -> None:
    """R23, R26 at creation, on the request path: check the ticket against its organisation's contract and put the
    finding into the TicketSubmitted event's `detail` (`contract`), whose consumer counts the ticket
    (count_submitted_event). Over a limit or out of scope, the customer is told in the ticket and offered the choice.
    The ticket is always accepted: a failure here is logged and the ticket goes on."""
    try:
        finding = check_submitted(ticket)
    except Exception:
        logger.exception("contract check of ticket %s failed", ticket.ticket_id)
        return
    if finding is not None:
        detail["contract"] = finding


def check_submitted(ticket: Ticket) -> dict[str, Any] | None:
    """The contract's limits checked at creation; at most one write (docs/performance.md, "Request path"):
    - a question per user per day: a conditional ADD on the user's day counter that succeeds only under the
      limit, so it is exact under any concurrency (DynamoDB applies conditional updates to one item in turn);
    - tickets per period: a read of the period's counters, which the bus consumer keeps; tickets of the same
      organisation submitted within the consumer's delay (usually well under a second) are not yet in them;
    - hours per period: a read of the period's billable time entries; out of scope: the contract's services.
    Returns what the consumer needs (period, where the ticket counts, reasons), or None without a contract."""
    contract = get_contract(ticket.organisation_id)
    if contract is None:
        return None
    today = today_for(ticket.organisation_id, contract=contract)
    if not is_active(contract, today):
        return None
    period = period_of(contract.period, today)
    org = ticket.organisation_id
    reasons: list[str] = []
    if contract.questions_per_user_per_day:
        day_key = f"DAY#{today.isoformat()}#{ticket.requester_sub}"
        day = store.Count(contract_pk(org), day_key, {"value": 1}, {"kind": "usage"}, 3 * 86400)
        if store.add_below(day, {"value": int(contract.questions_per_user_per_day)}) is None:
            reasons.append("daily_questions")
    counted_in = period.key
    if contract.tickets_per_period:
        before = sum(tickets_by_service(org, period.key).values())
        if before >= int(contract.tickets_per_period):
            reasons.append("tickets")
            counted_in = period_of(contract.period, period.next_start).key
    if contract.hours_per_period:
        minutes = billable_minutes(org, period)
        if Decimal(minutes) >= Decimal(str(contract.hours_per_period)) * 60:
            reasons.append("hours")
    if contract.services and ticket.service not in contract.services:
        reasons.append("out_of_scope")
    if reasons:
        # The offer names the working-hours instant work starts: the route worker has the calendars.
        workflows.call_worker(
            "money_offer", ticket.ticket_id, reasons=reasons, period=period.key, counted_in=counted_in, today=str(today)
        )
    return {"period": period.key, "counted_in": counted_in, "reasons": reasons, "today": today.isoformat()}


def submitted_counts(detail: dict[str, Any]) -> list[store.Count]:
    """R23 off the request path: the ticket counted in the period the request path's check chose; the
    TicketSubmitted event's consumer writes it once per ticket (with the other counts, under one mark). None when
    the organisation has no contract."""
    finding = detail.get("contract")
    if not finding:
        return []
    return [
        store.Count(
            contract_pk(detail["organisation_id"]),
            f"USAGE#{finding['counted_in']}#{detail['service']}",
            {"value": 1},
            {"kind": "usage"},
        )
    ]


def check_submitted_thresholds(detail: dict[str, Any]) -> None:
    """R24, once the submission is counted: the period's threshold incidents."""
    finding = detail.get("contract")
    contract = get_contract(detail["organisation_id"]) if finding else None
    if contract is not None:
        period = period_by_key(contract.period, finding["period"])
        check_thresholds(contract, period, usage(contract, period))


def customer_time(moment: datetime, contract: Contract | None, reader: Reader = ENGLISH_READER) -> str:
    """When work starts, as the customer reads it: in the contract's time zone (the desk's by default)."""
    return reader.time(moment, zone_of(contract).key)


def offer_text(
    contract: Contract, reasons: list[str], scheduled: datetime | None, reference: str, reader: Reader = ENGLISH_READER
) -> str:
    """The desk's message about a ticket over the contract's limits or scope, in the reader's language."""
    rate = reader.say("offer.rate", rate=contract.rate_per_hour, currency=contract.currency)
    parts = [reader.say("offer.intro")]
    if "daily_questions" in reasons:
        parts.append(reader.say("offer.daily_questions", count=int(contract.questions_per_user_per_day)))
    if "tickets" in reasons:
        parts.append(reader.say("offer.tickets", count=int(contract.tickets_per_period)))
    if "hours" in reasons:
        parts.append(reader.say("offer.hours", hours=number(contract.hours_per_period)))
    if scheduled:
        parts.append(reader.say("offer.scheduled", start=customer_time(scheduled, contract, reader), rate=rate))
    if "out_of_scope" in reasons:
        parts.append(reader.say("offer.out_of_scope", rate=rate))
    parts.append(reader.say("offer.answer", reference=reference))
    return " ".join(parts)


def account_task(ticket: Ticket, reasons: list[str]) -> Task:

    what = "Agree out-of-scope work" if reasons == ["out_of_scope"] else "Offer an extension or the next period"
    return create_task(
        ticket_id=ticket.ticket_id,
        step_key="money-account",
        task_type="account",
        title=f"{what} with {ticket.organisation_id} ({', '.join(r.replace('_', ' ') for r in reasons)})",
        group=ACCOUNTS_GROUP,
        task_token=None,
    )


def choose(caller: Caller, ticket_id: str, choice: str) -> LimitOffer:
    """The customer's answer to a limit offer: extend (the account manager arranges it) or the next period."""

    ticket, items = load_for(caller, ticket_id)
    if caller.role == Role.AGENT:
        raise Forbidden("The customer (or a manager on their behalf) answers a limit offer.")
    offer = next((i for i in items if isinstance(i, LimitOffer)), None)
    if offer is None:
        raise Conflict(f"Ticket {ticket.reference} has no limit offer to answer; it runs within the contract.")
    if choice not in offer.choices:
        raise Unprocessable(
            f"Choose one of: {', '.join(offer.choices)}.",
            errors=[{"field": "choice", "message": f"one of {offer.choices}"}],
        )
    if offer.choice == choice:
        return offer
    if offer.choice is not None:
        raise Conflict(f"This offer was already answered with {offer.choice!r}; write into the ticket to change it.")
    if ticket.status == Status.CLOSED.value:
        raise Conflict(f"Ticket {ticket.reference} is closed.")
    contract = get_contract(ticket.organisation_id)
    reader = reader_of(ticket)
    if choice == "extend":
        text = reader.say("offer.extend_chosen")
        if "tickets" in offer.reasons and offer.counted_in != offer.period_key and contract is not None:
            move_ticket(ticket, offer.counted_in, offer.period_key)
            offer.counted_in = offer.period_key
    else:
        when = customer_time(datetime.fromisoformat(offer.scheduled_for.replace("Z", "+00:00")), contract, reader)
        text = reader.say("offer.next_period_chosen", start=when)
    offer.choice, offer.chosen_at, offer.chosen_by = choice, clock.now_iso(), caller.sub
    message, event = desk_message(
        ticket,
        text,
        event_type="LimitChoice",
        summary=f"Limit offer answered: {choice}",
        from_route=False,
        choice=choice,
    )
    try:
        store.transact([(offer, None), (message, None), (event, None)])
    except TransactWriteError as error:
        raise Conflict("The offer was answered meanwhile; reload the ticket.") from error
    bus.publish("LimitChoice", {**ticket_detail(ticket), "choice": choice})
    notify_customer(ticket, "choice", text, reader)
    if choice == "extend":
        account_task(ticket, list(offer.reasons))
    return offer


def move_ticket(ticket: Ticket, source: str, target: str) -> None:
    pk = contract_pk(ticket.organisation_id)
    add_counter(pk, f"USAGE#{source}#{ticket.service}", -1)
    add_counter(pk, f"USAGE#{target}#{ticket.service}", 1)


def offer_view(offer: LimitOffer) -> dict[str, Any]:
    return {
        "ticket_id": offer.ticket_id,
        "reasons": offer.reasons,
        "period": offer.period_key,
        "counted_in": offer.counted_in,
        "scheduled_for": offer.scheduled_for,
        "choices": offer.choices,
        "choice": offer.choice,
        "chosen_at": offer.chosen_at,
    }
