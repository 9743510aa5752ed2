"""Contracts, limits, time, incidents and invoices (R23-R26).

- A contract per customer organisation sets its limits (questions per user per day, tickets and/or specialist
  hours per period), rate, services in scope, renewal and billing day.
- Intake (`on_submitted`) counts the ticket; over a limit the ticket is still accepted and the customer is told,
  in the ticket, what happens and how to answer (`choose`): never a silent rejection (R23). Out-of-scope services
  are accepted and flagged for agreement before work (R26).
- Time entries are what invoices and hour limits are computed from.
- Incidents (R24) are raised once per subject: the incident id derives from its kind and subject.
- The daily billing check recomputes each contract's usage from the period's counters and time entries, raises
  the 80 % / 100 % incidents, prepares invoice drafts before the period ends and marks unpaid invoices overdue.
"""

from __future__ import annotations

import calendar as month_calendar
import csv
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError

from shared.directory import items as directory
from shared.money.items import Contract, Incident, Invoice, LimitOffer, TimeEntry, UsageCounter
from shared.platform import aws, bus, clock, store, workflows
from shared.platform.domain import DESK_TIMEZONE, Role, Status
from shared.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets import items as ticket_items
from shared.tickets.items import Message, Task, Ticket

logger = logging.getLogger(__name__)

ACCOUNTS_GROUP = "accounts"  # the account managers: they agree extensions and out-of-scope work
WARN_SHARE = Decimal("0.8")  # R24: an incident when 80 % of a limit is used
INVOICE_AHEAD_DAYS = 3  # R25: drafts are prepared this many days before the period ends
MAX_MINUTES_PER_DAY = 24 * 60
CHOICES = ("extend", "next_period")
INVOICE_STATUSES = ("draft", "sent", "paid", "overdue")
CENT = Decimal("0.01")


# --- keys and small helpers ------------------------------------------------------------------------


def contract_pk(org_id: str) -> str:
    return f"CONTRACT#{org_id}"


CONTRACT_SK = "CONTRACT"
CONTRACTS_INDEX = "CONTRACTS"
INCIDENTS_ALL = "INCIDENTS"
INCIDENTS_OPEN = "INCIDENTS#OPEN"
INVOICES_ALL = "INVOICES"
INVOICES_DUE = "INVOICES#DUE"


# The support plans' calendar zone (shared.sla). The API's asset has no calendars (infra/cdk/bundling.py), so dates
# of the API come from the contract's own zone; working hours are computed by the route worker only.
DEFAULT_TIMEZONE = DESK_TIMEZONE


def zone_of(contract: Contract | None) -> ZoneInfo:
    return ZoneInfo(contract.timezone if contract is not None and contract.timezone else DEFAULT_TIMEZONE)


def today_for(org_id: str, now: datetime | None = None, contract: Contract | None = None) -> date:
    """The date in the contract's time zone (the plan calendar's by default)."""
    return (now or clock.now()).astimezone(zone_of(contract or get_contract(org_id))).date()


def _calendar(org_id: str) -> Any:
    """The organisation's support-plan calendar: workers only (route steps, schedules)."""
    from shared.sla.plans import DEFAULT_PLAN, VIP_PLAN

    organisation = directory.get_organisation(org_id)
    return (VIP_PLAN if organisation is not None and organisation.importance == "vip" else DEFAULT_PLAN).calendar


@dataclass(frozen=True)
class Period:
    key: str  # 2026-11 or 2026-Q4
    start: date
    end: date  # inclusive

    @property
    def next_start(self) -> date:
        return self.end + timedelta(days=1)


def period_of(kind: str, day: date) -> Period:
    if kind == "quarter":
        quarter = (day.month - 1) // 3
        start = date(day.year, quarter * 3 + 1, 1)
        end_month = quarter * 3 + 3
        end = date(day.year, end_month, month_calendar.monthrange(day.year, end_month)[1])
        return Period(f"{day.year}-Q{quarter + 1}", start, end)
    start = date(day.year, day.month, 1)
    end = date(day.year, day.month, month_calendar.monthrange(day.year, day.month)[1])
    return Period(f"{day:%Y-%m}", start, end)


def period_by_key(kind: str, key: str) -> Period:
    """The period named by its key (2026-11 for monthly, 2026-Q4 for quarterly contracts); 422 otherwise."""
    try:
        if kind == "quarter":
            year, quarter = key.split("-Q")
            return period_of(kind, date(int(year), (int(quarter) - 1) * 3 + 1, 1))
        year, month = key.split("-")
        return period_of(kind, date(int(year), int(month), 1))
    except (ValueError, TypeError):
        example = "2026-Q4" if kind == "quarter" else "2026-11"
        raise Unprocessable(
            f"Period {key!r} is not a {kind} of this contract; write it like {example}.",
            errors=[{"field": "period", "message": f"like {example}"}],
        ) from None


def number(value: Any) -> str:
    """A limit as people write it: 20, 7.5 (not 20.0)."""
    return format(Decimal(str(value)).normalize(), "f")


def hours(minutes: int | Decimal) -> Decimal:
    return (Decimal(minutes) / 60).quantize(CENT, ROUND_HALF_UP)


def amount_for(minutes: int, rate: str) -> Decimal:
    return (Decimal(minutes) * Decimal(rate) / 60).quantize(CENT, ROUND_HALF_UP)


def _add_counter(pk: str, sk: str, by: int, ttl_days: int | None = None) -> int:
    """Atomic ADD on a counter item; returns the new value."""
    names = {"#v": "value", "#k": "kind"}
    values: dict[str, Any] = {":by": {"N": str(by)}, ":kind": {"S": "usage"}}
    expression = "ADD #v :by SET #k = :kind"
    if ttl_days:
        expression += ", expires_at = if_not_exists(expires_at, :exp)"
        values[":exp"] = {"N": str(int(clock.now().timestamp()) + ttl_days * 86400)}
    response = aws.client("dynamodb").update_item(
        TableName=Entity.Meta.table_name,
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        UpdateExpression=expression,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["value"]["N"])


# --- contracts -------------------------------------------------------------------------------------


def get_contract(org_id: str) -> Contract | None:
    try:
        return Contract.get(contract_pk(org_id), CONTRACT_SK, consistent_read=True)
    except DoesNotExist:
        return None


def list_contracts() -> list[Contract]:
    return [c for c in Entity.organisation_index.query(CONTRACTS_INDEX) if isinstance(c, Contract)]


def is_active(contract: Contract, day: date) -> bool:
    if day < date.fromisoformat(contract.start_date):
        return False
    return not (contract.end_date and contract.renewal == "manual" and day > date.fromisoformat(contract.end_date))


def require_reader(caller: Caller, org_id: str) -> None:
    """Staff read every contract; a customer organisation's admin reads their own; other customers: another
    organisation's answers like a missing one (404), their own needs the admin (403)."""
    if caller.is_staff:
        return
    if caller.org_id != org_id:
        raise NotFound(f"No contract or invoice of organisation {org_id} that you can see.")
    if not caller.is_org_admin:
        raise Forbidden("Only your organisation's admin can read its contract and invoices.")


def require_manager(caller: Caller) -> None:
    if caller.role not in (Role.MANAGER, Role.SYSTEM):
        raise Forbidden("Only managers can do this.")


def read_contract(caller: Caller, org_id: str) -> Contract:
    require_reader(caller, org_id)
    contract = get_contract(org_id)
    if contract is None:
        raise NotFound(f"Organisation {org_id} has no contract.")
    return contract


def save_contract(caller: Caller, org_id: str, spec: dict[str, Any]) -> tuple[Contract, bool]:
    """Create or replace an organisation's contract (managers). Returns (contract, created)."""
    require_manager(caller)
    if directory.get_organisation(org_id) is None:
        raise NotFound(f"No organisation {org_id}; create the organisation first.")
    known = {s.key for s in directory.list_services()}
    unknown = [s for s in spec.get("services", []) if s not in known]
    if unknown:
        raise Unprocessable(
            f"Unknown services {', '.join(unknown)}; choose from: {', '.join(sorted(known))}.",
            errors=[{"field": "services", "message": f"choose from {sorted(known)}"}],
        )
    now = clock.now_iso()
    existing = get_contract(org_id)
    contract = existing or Contract(contract_pk(org_id), CONTRACT_SK, organisation_id=org_id, created_at=now)
    for name, value in spec.items():
        setattr(contract, name, value)
    contract.updated_at = now
    contract.gsi2pk, contract.gsi2sk = CONTRACTS_INDEX, org_id
    try:
        contract.save()
    except PutError as error:
        raise Conflict("The contract was changed by someone else meanwhile; read it again and retry.") from error
    return contract, existing is None


# --- usage -----------------------------------------------------------------------------------------


def tickets_by_service(org_id: str, period_key: str) -> dict[str, int]:
    found = UsageCounter.query(
        contract_pk(org_id), UsageCounter.sk.startswith(f"USAGE#{period_key}#"), consistent_read=True
    )
    return {c.sk.split("#", 2)[2]: int(c.value) for c in found if int(c.value) > 0}


def entries_between(org_id: str, start: date, end: date) -> list[TimeEntry]:
    found = Entity.organisation_index.query(
        f"TIMEORG#{org_id}", Entity.gsi2sk.between(start.isoformat(), f"{end.isoformat()}#~")
    )
    return [e for e in found if isinstance(e, TimeEntry)]


def usage(contract: Contract, period: Period) -> dict[str, Any]:
    """What the organisation used of the period: tickets (counters) and billable minutes (time entries)."""
    by_service = tickets_by_service(contract.organisation_id, period.key)
    minutes = sum(
        int(e.minutes) for e in entries_between(contract.organisation_id, period.start, period.end) if e.billable
    )
    used_tickets = sum(by_service.values())
    view: dict[str, Any] = {
        "period": period.key,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "tickets": used_tickets,
        "tickets_by_service": by_service,
        "billable_minutes": minutes,
        "billable_hours": str(hours(minutes)),
    }
    if contract.tickets_per_period:
        view["tickets_share"] = round(used_tickets / int(contract.tickets_per_period), 3)
    if contract.hours_per_period:
        view["hours_share"] = round(minutes / 60 / float(contract.hours_per_period), 3)
    return view


def check_thresholds(contract: Contract, period: Period, used: dict[str, Any]) -> list[Incident]:
    """R24: raise the 80 % and the 100 % incidents of each limit of the period (each once)."""
    raised = []
    checks = (
        ("tickets", contract.tickets_per_period, Decimal(used["tickets"]), "tickets"),
        ("hours", contract.hours_per_period, Decimal(used["billable_minutes"]) / 60, "specialist hours"),
    )
    for what, limit, value, label in checks:
        if not limit:
            continue
        share = value / Decimal(str(limit))
        limit = number(limit)
        detail = {"limit": limit, "used": str(value.quantize(CENT)), "period": period.key}
        org = contract.organisation_id
        if share >= 1:
            raised.append(
                raise_incident(
                    "limit_reached",
                    f"{org}_{period.key}_{what}",
                    f"{org} used all {limit} {label} of {period.key}",
                    organisation_id=org,
                    **detail,
                )
            )
        if share >= WARN_SHARE:
            raised.append(
                raise_incident(
                    "limit_80",
                    f"{org}_{period.key}_{what}",
                    f"{org} used {int(share * 100)} % of its {limit} {label} of {period.key}",
                    organisation_id=org,
                    **detail,
                )
            )
    return [i for i in raised if i is not None]


# --- intake (R23, R26) ---------------------------------------------------------------------------


def on_submitted(ticket: Ticket) -> LimitOffer | None:
    """Count a submitted ticket against its organisation's contract; over a limit or out of scope, tell the
    customer in the ticket and offer the choice. The ticket is always accepted: a failure here is logged and
    the ticket goes on (the daily billing check recomputes the usage)."""
    try:
        return _count_submitted(ticket)
    except Exception:
        logger.exception("contract check of ticket %s failed", ticket.ticket_id)
        return None


def _count_submitted(ticket: Ticket) -> LimitOffer | None:
    contract = get_contract(ticket.organisation_id)
    if contract is None:
        return None
    today = today_for(ticket.organisation_id, contract=contract)
    if contract is None or not is_active(contract, today):
        return None
    period = period_of(contract.period, today)
    org = ticket.organisation_id
    reasons: list[str] = []
    if contract.questions_per_user_per_day:
        asked = _add_counter(contract_pk(org), f"DAY#{today.isoformat()}#{ticket.requester_sub}", 1, ttl_days=3)
        if asked > int(contract.questions_per_user_per_day):
            reasons.append("daily_questions")
    counted_in = period.key
    if contract.tickets_per_period:
        before = sum(tickets_by_service(org, period.key).values())
        if before >= int(contract.tickets_per_period):
            reasons.append("tickets")
            counted_in = period_of(contract.period, period.next_start).key
    _add_counter(contract_pk(org), f"USAGE#{counted_in}#{ticket.service}", 1)
    used = usage(contract, period)
    if contract.hours_per_period and Decimal(used["billable_minutes"]) >= Decimal(str(contract.hours_per_period)) * 60:
        reasons.append("hours")
    if contract.services and ticket.service not in contract.services:
        reasons.append("out_of_scope")
    check_thresholds(contract, period, used)
    if not reasons:
        return None
    # The offer names the working-hours instant work starts: the route worker has the calendars.
    workflows.call_worker(
        "money_offer", ticket.ticket_id, reasons=reasons, period=period.key, counted_in=counted_in, today=str(today)
    )
    return None


def offer_from_worker(event: dict[str, Any]) -> dict[str, Any]:
    """The route worker's half of intake: tell the customer, offer the choice, task the account manager."""
    ticket = ticket_items.get_ticket(event["ticket_id"])
    contract = get_contract(ticket.organisation_id) if ticket else None
    if ticket is None or contract is None:
        return {"offer": None}
    period = period_by_key(contract.period, event["period"])
    offer = _offer(
        ticket, contract, period, list(event["reasons"]), event["counted_in"], date.fromisoformat(event["today"])
    )
    return {"offer": offer_view(offer)}


def _scheduled_for(contract: Contract, period: Period, reasons: list[str], today: date, org_id: str) -> datetime | None:
    cal = _calendar(org_id)
    if "tickets" in reasons or "hours" in reasons:
        start = period.next_start
    elif "daily_questions" in reasons:
        start = today + timedelta(days=1)
    else:
        return None
    return cal.next_opening(datetime.combine(start, time(0), tzinfo=cal.zone))


def _customer_time(moment: datetime, org_id: str) -> str:
    zone = zone_of(get_contract(org_id))
    return f"{moment.astimezone(zone):%A %d %B %Y, %H:%M} ({zone.key})"


def _offer_text(contract: Contract, reasons: list[str], scheduled: datetime | None, org_id: str) -> str:
    rate = f"{contract.rate_per_hour} {contract.currency} per hour"
    parts = []
    if "daily_questions" in reasons:
        parts.append(
            f"Your contract covers {int(contract.questions_per_user_per_day)} questions per person per day and this "
            "is one more today, so we have scheduled it for the next working day."
        )
    if "tickets" in reasons:
        parts.append(f"Your organisation has used all {int(contract.tickets_per_period)} requests of this period.")
    if "hours" in reasons:
        parts.append(
            f"Your organisation has used all {number(contract.hours_per_period)} specialist hours of this period."
        )
    when = f" Unless you choose otherwise we will start on {_customer_time(scheduled, org_id)}." if scheduled else ""
    if scheduled:
        parts.append(
            f"We have accepted it.{when} If it cannot wait, answer 'extend' and your account manager will arrange an "
            f"extension (billed at {rate}); answer 'next_period' to confirm the later start."
        )
    if "out_of_scope" in reasons:
        parts.append(
            "This service is not part of your support contract: it is billed separately and we agree the price with "
            f"you before any work starts (usually {rate}). Answer 'extend' to ask for the offer; your account "
            "manager will contact you."
        )
    answer = " Answer with POST /tickets/{id}/limit-choice or reply in the ticket."
    return "About your support contract: " + " ".join(parts) + answer


def _public_note(ticket: Ticket, text: str, type_: str, summary: str, **data: Any) -> tuple[Message, Any]:
    """A public message from the desk (not `automatic`: that flag is the route's first message)."""
    from shared.tickets.log import new_event

    message_id = store.new_id()
    message = Message(
        ticket_items.ticket_pk(ticket.ticket_id),
        f"MSG#{message_id}",
        ticket_id=ticket.ticket_id,
        message_id=message_id,
        author_sub="system",
        author_role="system",
        body=text,
        internal=False,
        channel="system",
        automatic=False,
        created_at=clock.now_iso(),
    )
    return message, new_event(ticket, Caller.system(), type_, summary, public=True, message_id=message_id, **data)


def _offer(
    ticket: Ticket, contract: Contract, period: Period, reasons: list[str], counted_in: str, today: date
) -> LimitOffer:
    from shared.tickets.conversation import notify_customer
    from shared.tickets.log import ticket_detail

    scheduled = _scheduled_for(contract, period, reasons, today, ticket.organisation_id)
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
    text = _offer_text(contract, reasons, scheduled, ticket.organisation_id).replace("{id}", ticket.reference)
    message, event = _public_note(
        ticket,
        text,
        "LimitNotice",
        "Contract limit: " + ", ".join(r.replace("_", " ") for r in reasons),
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
    notify_customer(ticket, "About your contract", text)
    if {"tickets", "hours", "out_of_scope"} & set(reasons):
        _account_task(ticket, reasons)
    return offer


def _account_task(ticket: Ticket, reasons: list[str]) -> Task:
    from shared.tasks.work import create_task

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
    from shared.tickets.access import load_for
    from shared.tickets.conversation import notify_customer
    from shared.tickets.log import ticket_detail

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
    if choice == "extend":
        text = "You asked for an extension: your account manager will confirm it and its price; work goes on."
        if "tickets" in offer.reasons and offer.counted_in != offer.period_key and contract is not None:
            _move_ticket(ticket, offer.counted_in, offer.period_key)
            offer.counted_in = offer.period_key
    else:
        when = _customer_time(
            datetime.fromisoformat(offer.scheduled_for.replace("Z", "+00:00")), ticket.organisation_id
        )
        text = f"Confirmed: we will start on {when}."
    offer.choice, offer.chosen_at, offer.chosen_by = choice, clock.now_iso(), caller.sub
    message, event = _public_note(ticket, text, "LimitChoice", f"Limit offer answered: {choice}", choice=choice)
    try:
        store.transact([(offer, None), (message, None), (event, None)])
    except TransactWriteError as error:
        raise Conflict("The offer was answered meanwhile; reload the ticket.") from error
    bus.publish("LimitChoice", {**ticket_detail(ticket), "choice": choice})
    notify_customer(ticket, "Your choice", text)
    if choice == "extend":
        _account_task(ticket, list(offer.reasons))
    return offer


def _move_ticket(ticket: Ticket, source: str, target: str) -> None:
    pk = contract_pk(ticket.organisation_id)
    _add_counter(pk, f"USAGE#{source}#{ticket.service}", -1)
    _add_counter(pk, f"USAGE#{target}#{ticket.service}", 1)


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


# --- time entries ----------------------------------------------------------------------------------


def _parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Unprocessable(
            f"{field} must be a date like 2026-11-23.", errors=[{"field": field, "message": "YYYY-MM-DD"}]
        ) from None


def log_time(
    caller: Caller,
    ticket_id: str,
    *,
    minutes: int,
    billable: bool,
    task_id: str | None,
    work_date: str | None,
    started_at: str | None,
    note: str | None,
    idempotency_key: str | None = None,
) -> tuple[TimeEntry, bool]:
    """An agent's or manager's time on a ticket. Returns (entry, replayed)."""
    from shared.tickets.access import load_for
    from shared.tickets.log import new_event, ticket_detail

    caller.require_staff()
    ticket, items = load_for(caller, ticket_id)
    entry_id = (
        hashlib.sha256(f"{caller.sub}#{ticket.ticket_id}#{idempotency_key}".encode()).hexdigest()[:26].upper()
        if idempotency_key
        else store.new_id()
    )
    previous = next((i for i in items if isinstance(i, TimeEntry) and i.entry_id == entry_id), None)
    if previous is not None:
        return previous, True
    if ticket.status == Status.DRAFT.value:
        raise Conflict(f"Ticket {ticket.reference} is a draft; time is logged on submitted tickets.")
    if not 1 <= minutes <= MAX_MINUTES_PER_DAY:
        raise Unprocessable("minutes must be 1..1440.", errors=[{"field": "minutes", "message": "1..1440"}])
    if task_id is not None and not any(isinstance(i, Task) and i.task_id == task_id for i in items):
        raise Unprocessable(
            f"Task {task_id} is not a task of ticket {ticket.reference}.",
            errors=[{"field": "task_id", "message": "not a task of this ticket"}],
        )
    today = today_for(ticket.organisation_id)
    day = _parse_date(work_date, "work_date") if work_date else today
    if day > today:
        raise Unprocessable(
            f"work_date {day} is in the future; log time once it is spent.",
            errors=[{"field": "work_date", "message": f"not after {today}"}],
        )
    opened = datetime.fromisoformat(ticket.created_at.replace("Z", "+00:00"))
    if day < today_for(ticket.organisation_id, opened) - timedelta(days=1):
        raise Unprocessable(
            f"work_date {day} is before the ticket was opened ({ticket.created_at[:10]}).",
            errors=[{"field": "work_date", "message": "before the ticket existed"}],
        )
    if started_at is not None:
        try:
            start = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
            if start.tzinfo is None:
                raise ValueError
        except ValueError:
            raise Unprocessable(
                "started_at must be an ISO 8601 instant with a zone, like 2026-11-23T09:30:00Z.",
                errors=[{"field": "started_at", "message": "ISO 8601 with zone"}],
            ) from None
        if start > clock.now():
            raise Unprocessable("started_at is in the future.", errors=[{"field": "started_at", "message": "future"}])
        started_at = clock.iso(start)
    same_day = Entity.requester_index.query(f"TIMEBY#{caller.sub}", Entity.gsi1sk.startswith(f"{day.isoformat()}#"))
    logged = sum(int(e.minutes) for e in same_day if isinstance(e, TimeEntry))
    if logged + minutes > MAX_MINUTES_PER_DAY:
        raise Unprocessable(
            f"You already logged {logged} minutes on {day}; a day has {MAX_MINUTES_PER_DAY}.",
            errors=[{"field": "minutes", "message": f"at most {MAX_MINUTES_PER_DAY - logged} more on {day}"}],
        )
    entry = TimeEntry(
        ticket_items.ticket_pk(ticket.ticket_id),
        f"TIME#{entry_id}",
        entry_id=entry_id,
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        task_id=task_id,
        organisation_id=ticket.organisation_id,
        service=ticket.service,
        agent_sub=caller.sub,
        minutes=minutes,
        billable=billable,
        work_date=day.isoformat(),
        started_at=started_at,
        note=note,
        created_at=clock.now_iso(),
        gsi1pk=f"TIMEBY#{caller.sub}",
        gsi1sk=f"{day.isoformat()}#{entry_id}",
        gsi2pk=f"TIMEORG#{ticket.organisation_id}",
        gsi2sk=f"{day.isoformat()}#{entry_id}",
    )
    event = new_event(
        ticket,
        caller,
        "TimeLogged",
        f"{minutes} min logged" + ("" if billable else " (not billable)"),
        public=False,
        entry_id=entry_id,
        minutes=minutes,
        billable=billable,
    )
    try:
        store.transact([(entry, TimeEntry.pk.does_not_exist()), (event, None)])
    except TransactWriteError:
        existing = TimeEntry.get(ticket_items.ticket_pk(ticket.ticket_id), f"TIME#{entry_id}")
        return existing, True
    bus.publish(
        "TimeLogged",
        {**ticket_detail(ticket), "entry_id": entry_id, "minutes": minutes, "billable": billable, "agent": caller.sub},
    )
    after_time(ticket, [*(i for i in items if isinstance(i, TimeEntry)), entry])
    return entry, False


def after_time(ticket: Ticket, entries: list[TimeEntry]) -> None:
    """R24: more than the contract's (default 10) specialist hours on one ticket; the period's hour limits."""
    contract = get_contract(ticket.organisation_id)
    threshold = int(contract.ticket_hours_incident) if contract else 10
    total = sum(int(e.minutes) for e in entries)
    if total > threshold * 60:
        raise_incident(
            "ticket_hours",
            ticket.ticket_id,
            f"More than {threshold} specialist hours on {ticket.reference} ({ticket.subject})",
            organisation_id=ticket.organisation_id,
            ticket_id=ticket.ticket_id,
            reference=ticket.reference,
            threshold_hours=threshold,
            hours=str(hours(total)),
        )
    if contract is not None:
        period = period_of(contract.period, today_for(ticket.organisation_id))
        check_thresholds(contract, period, usage(contract, period))


def ticket_time(caller: Caller, ticket_id: str) -> tuple[Ticket, list[TimeEntry]]:
    from shared.tickets.access import load_for

    caller.require_staff()
    ticket, items = load_for(caller, ticket_id)
    entries = sorted((i for i in items if isinstance(i, TimeEntry)), key=lambda e: (e.work_date, e.created_at))
    return ticket, entries


def entry_view(entry: TimeEntry) -> dict[str, Any]:
    return {
        "id": entry.entry_id,
        "ticket_id": entry.ticket_id,
        "reference": entry.reference,
        "task_id": entry.task_id,
        "organisation_id": entry.organisation_id,
        "service": entry.service,
        "agent": entry.agent_sub,
        "minutes": int(entry.minutes),
        "billable": entry.billable,
        "work_date": entry.work_date,
        "started_at": entry.started_at,
        "note": entry.note,
        "created_at": entry.created_at,
    }


# --- incidents (R24) -------------------------------------------------------------------------------


def incident_id_for(kind: str, subject: str) -> str:
    return f"{kind}.{subject}".replace("#", "_").replace("/", "_")


def raise_incident(
    kind: str,
    subject: str,
    title: str,
    *,
    organisation_id: str | None = None,
    ticket_id: str | None = None,
    reference: str | None = None,
    **detail: Any,
) -> Incident | None:
    """Raise an incident once: the id derives from kind and subject, so a second raise is a no-op (None)."""
    incident_id = incident_id_for(kind, subject)
    now = clock.now_iso()
    incident = Incident(
        f"INCIDENT#{incident_id}",
        "INCIDENT",
        incident_id=incident_id,
        incident_type=kind,
        title=title,
        detail=detail,
        organisation_id=organisation_id,
        ticket_id=ticket_id,
        reference=reference,
        status="open",
        raised_at=now,
        gsi2pk=INCIDENTS_ALL,
        gsi2sk=f"{now}#{incident_id}",
        open_pk=INCIDENTS_OPEN,
        open_sk=f"0#{now}#{incident_id}",
    )
    try:
        incident.save(condition=Incident.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    bus.publish("IncidentRaised", incident_event(incident))
    return incident


def incident_event(incident: Incident) -> dict[str, Any]:
    return {
        "incident_id": incident.incident_id,
        "incident_type": incident.incident_type,
        "status": incident.status,
        "title": incident.title,
        "organisation_id": incident.organisation_id,
        "ticket_id": incident.ticket_id,
        "at": clock.now_iso(),
    }


def sla_breached(ticket: Ticket, clock_name: str | None, due: str | None) -> None:
    """Called by the support route's worker: a failure here is logged, never breaks the route."""
    try:
        _sla_incident(ticket, clock_name, due)
    except Exception:
        logger.exception("could not raise the SLA incident of ticket %s", ticket.ticket_id)


def _sla_incident(ticket: Ticket, clock_name: str | None, due: str | None) -> None:
    raise_incident(
        "sla_breach",
        f"{ticket.ticket_id}_{clock_name}",
        f"{(clock_name or 'SLA').capitalize()} promise breached on {ticket.reference} ({ticket.subject})",
        organisation_id=ticket.organisation_id,
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        clock=clock_name,
        due=due,
    )


def list_incidents(caller: Caller, *, status: str, limit: int, cursor: str | None) -> tuple[list[Incident], str | None]:
    """Open first: unacknowledged, then acknowledged, each oldest first; `all` is every incident, newest first."""
    require_manager(caller)
    if status == "open":
        items, next_cursor = store.query_page(
            Entity.open_index, "open_pk", INCIDENTS_OPEN, limit=limit, cursor=cursor, newest_first=False
        )
    else:
        items, next_cursor = store.query_page(
            Entity.organisation_index, "gsi2pk", INCIDENTS_ALL, limit=limit, cursor=cursor, newest_first=True
        )
    return [i for i in items if isinstance(i, Incident)], next_cursor


def update_incident(caller: Caller, incident_id: str, action: str, note: str | None) -> Incident:
    require_manager(caller)
    try:
        incident = Incident.get(f"INCIDENT#{incident_id}", "INCIDENT", consistent_read=True)
    except DoesNotExist:
        raise NotFound(f"No incident {incident_id}.") from None
    if incident.status == "resolved":
        raise Conflict(f"Incident {incident_id} is already resolved.")
    now = clock.now_iso()
    if action == "acknowledge":
        if incident.status == "acknowledged":
            return incident
        incident.status, incident.acknowledged_at, incident.acknowledged_by = "acknowledged", now, caller.sub
        incident.open_sk = f"1#{incident.raised_at}#{incident.incident_id}"
    else:
        incident.status, incident.resolved_at, incident.resolved_by = "resolved", now, caller.sub
        incident.open_pk = incident.open_sk = None
    if note:
        incident.note = note
    try:
        incident.save()
    except PutError as error:
        raise Conflict(f"Incident {incident_id} changed meanwhile; reload it.") from error
    bus.publish("IncidentUpdated", incident_event(incident))
    return incident


def incident_view(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.incident_id,
        "type": incident.incident_type,
        "title": incident.title,
        "status": incident.status,
        "organisation_id": incident.organisation_id,
        "ticket_id": incident.ticket_id,
        "reference": incident.reference,
        "detail": incident.detail,
        "raised_at": incident.raised_at,
        "acknowledged_at": incident.acknowledged_at,
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": incident.resolved_at,
        "resolved_by": incident.resolved_by,
        "note": incident.note,
    }


# --- invoices (R25) --------------------------------------------------------------------------------


def invoice_id_for(org_id: str, period_key: str) -> str:
    return f"{org_id}-{period_key}"


def due_date_for(contract: Contract, period: Period) -> date:
    after = period.next_start
    day = min(int(contract.billing_day), month_calendar.monthrange(after.year, after.month)[1])
    return date(after.year, after.month, day) + timedelta(days=int(contract.payment_terms_days))


def get_invoice(invoice_id: str) -> Invoice | None:
    try:
        return Invoice.get(f"INVOICE#{invoice_id}", "INVOICE", consistent_read=True)
    except DoesNotExist:
        return None


def prepare_invoice(contract: Contract, period: Period) -> Invoice:
    """The period's draft from its billable time entries and ticket counters; a draft is recomputed, an invoice
    already sent or paid is left as it is."""
    org = contract.organisation_id
    invoice_id = invoice_id_for(org, period.key)
    existing = get_invoice(invoice_id)
    if existing is not None and existing.status != "draft":
        return existing
    minutes_by_service: dict[str, int] = {}
    for entry in entries_between(org, period.start, period.end):
        if entry.billable:
            minutes_by_service[entry.service] = minutes_by_service.get(entry.service, 0) + int(entry.minutes)
    tickets = tickets_by_service(org, period.key)
    lines = []
    for service in sorted(set(minutes_by_service) | set(tickets)):
        minutes = minutes_by_service.get(service, 0)
        lines.append(
            {
                "service": service,
                "tickets": tickets.get(service, 0),
                "billable_minutes": minutes,
                "hours": str(hours(minutes)),
                "amount": str(amount_for(minutes, contract.rate_per_hour)),
            }
        )
    total_minutes = sum(minutes_by_service.values())
    invoice = existing or Invoice(f"INVOICE#{invoice_id}", "INVOICE", invoice_id=invoice_id, organisation_id=org)
    invoice.period_key, invoice.period_start, invoice.period_end = (
        period.key,
        period.start.isoformat(),
        period.end.isoformat(),
    )
    invoice.currency, invoice.rate_per_hour = contract.currency, contract.rate_per_hour
    invoice.lines = lines
    invoice.billable_minutes = total_minutes
    invoice.tickets = sum(tickets.values())
    invoice.amount = str(sum((Decimal(line["amount"]) for line in lines), Decimal("0.00")))
    invoice.status = "draft"
    invoice.due_date = due_date_for(contract, period).isoformat()
    invoice.prepared_at = clock.now_iso()
    invoice.gsi2pk, invoice.gsi2sk = f"INVOICES#{org}", period.key
    invoice.owner_pk, invoice.owner_sk = INVOICES_ALL, f"{period.key}#{org}"
    invoice.save()
    bus.publish("InvoiceUpdated", invoice_event(invoice))
    return invoice


def invoice_event(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.invoice_id,
        "organisation_id": invoice.organisation_id,
        "period": invoice.period_key,
        "status": invoice.status,
        "amount": invoice.amount,
        "currency": invoice.currency,
        "due_date": invoice.due_date,
        "at": clock.now_iso(),
    }


def prepare_for(caller: Caller, org_id: str, period_key: str | None) -> Invoice:
    require_manager(caller)
    contract = get_contract(org_id)
    if contract is None:
        raise NotFound(f"Organisation {org_id} has no contract to invoice.")
    period = period_by_key(contract.period, period_key) if period_key else period_of(contract.period, today_for(org_id))
    return prepare_invoice(contract, period)


def read_invoice(caller: Caller, invoice_id: str) -> Invoice:
    if caller.role == Role.AGENT:
        raise Forbidden("Invoices are for managers and the customer organisation's admin.")
    invoice = get_invoice(invoice_id)
    if invoice is None:
        if not caller.is_staff and caller.role == Role.CUSTOMER:
            raise NotFound(f"No invoice {invoice_id} that you can see.")
        raise NotFound(f"No invoice {invoice_id}.")
    require_reader(caller, invoice.organisation_id)
    return invoice


def list_invoices(
    caller: Caller, org_id: str | None, *, limit: int, cursor: str | None
) -> tuple[list[Invoice], str | None]:
    if caller.role not in (Role.MANAGER, Role.SYSTEM):
        if caller.role == Role.AGENT:
            raise Forbidden("Invoices are for managers and the customer organisation's admin.")
        org_id = org_id or caller.org_id
        require_reader(caller, org_id)
    if org_id:
        items, next_cursor = store.query_page(
            Entity.organisation_index, "gsi2pk", f"INVOICES#{org_id}", limit=limit, cursor=cursor, newest_first=True
        )
    else:
        items, next_cursor = store.query_page(
            Entity.owner_index, "owner_pk", INVOICES_ALL, limit=limit, cursor=cursor, newest_first=True
        )
    return [i for i in items if isinstance(i, Invoice)], next_cursor


PAYMENT_MOVES = {"draft": ("sent",), "sent": ("paid", "draft"), "overdue": ("paid",), "paid": ()}


def set_invoice_status(caller: Caller, invoice_id: str, status: str) -> Invoice:
    require_manager(caller)
    invoice = read_invoice(caller, invoice_id)
    if status == invoice.status:
        return invoice
    if status == "overdue":
        raise Unprocessable(
            "Overdue is computed by the daily billing check once the due date passes unpaid.",
            errors=[{"field": "status", "message": "one of sent, paid, draft"}],
        )
    allowed = PAYMENT_MOVES[invoice.status]
    if status not in allowed:
        raise Conflict(
            f"Invoice {invoice_id} is {invoice.status}; it can become: {', '.join(allowed) or 'nothing more'}."
        )
    now = clock.now_iso()
    invoice.status = status
    if status == "sent":
        invoice.sent_at = now
        invoice.open_pk, invoice.open_sk = INVOICES_DUE, f"{invoice.due_date}#{invoice.invoice_id}"
    elif status == "paid":
        invoice.paid_at = now
        invoice.open_pk = invoice.open_sk = None
    else:  # back to draft (sent by mistake)
        invoice.sent_at = None
        invoice.open_pk = invoice.open_sk = None
    try:
        invoice.save()
    except PutError as error:
        raise Conflict(f"Invoice {invoice_id} changed meanwhile; reload it.") from error
    bus.publish("InvoiceUpdated", invoice_event(invoice))
    if status == "paid":
        incident = get_incident(incident_id_for("invoice_overdue", invoice.invoice_id))
        if incident is not None and incident.status != "resolved":
            update_incident(Caller.system(), incident.incident_id, "resolve", "paid")
    return invoice


def get_incident(incident_id: str) -> Incident | None:
    try:
        return Incident.get(f"INCIDENT#{incident_id}", "INCIDENT", consistent_read=True)
    except DoesNotExist:
        return None


def invoice_view(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.invoice_id,
        "organisation_id": invoice.organisation_id,
        "period": invoice.period_key,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "currency": invoice.currency,
        "rate_per_hour": invoice.rate_per_hour,
        "lines": invoice.lines,
        "tickets": int(invoice.tickets),
        "billable_minutes": int(invoice.billable_minutes),
        "hours": str(hours(int(invoice.billable_minutes))),
        "amount": invoice.amount,
        "status": invoice.status,
        "due_date": invoice.due_date,
        "prepared_at": invoice.prepared_at,
        "sent_at": invoice.sent_at,
        "paid_at": invoice.paid_at,
    }


def invoice_csv(invoice: Invoice) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["invoice", "organisation", "period", "service", "tickets", "billable_minutes", "hours",
                     "rate_per_hour", "amount", "currency"])  # fmt: skip
    for line in invoice.lines:
        writer.writerow(
            [invoice.invoice_id, invoice.organisation_id, invoice.period_key, line["service"], line["tickets"],
             line["billable_minutes"], line["hours"], invoice.rate_per_hour, line["amount"], invoice.currency]
        )  # fmt: skip
    writer.writerow(
        [invoice.invoice_id, invoice.organisation_id, invoice.period_key, "TOTAL", int(invoice.tickets),
         int(invoice.billable_minutes), str(hours(int(invoice.billable_minutes))), invoice.rate_per_hour,
         invoice.amount, invoice.currency]
    )  # fmt: skip
    return out.getvalue()


# --- the daily billing check -------------------------------------------------------------------------


def billing_check() -> dict[str, Any]:
    """Per contract: usage of the current period (counters and time entries of the period only), the 80 % /
    100 % incidents, invoice drafts within INVOICE_AHEAD_DAYS of the period end (and the previous period's if it
    was missed); then sent invoices past their due date become overdue, each with an incident."""
    raised: list[str] = []
    drafts: list[str] = []
    for contract in list_contracts():
        org = contract.organisation_id
        today = today_for(org)
        if not is_active(contract, today):
            continue
        period = period_of(contract.period, today)
        raised += [i.incident_id for i in check_thresholds(contract, period, usage(contract, period))]
        previous = period_of(contract.period, period.start - timedelta(days=1))
        missed = previous.end >= date.fromisoformat(contract.start_date) and not get_invoice(
            invoice_id_for(org, previous.key)
        )
        if missed and (used := usage(contract, previous)) and (used["tickets"] or used["billable_minutes"]):
            drafts.append(prepare_invoice(contract, previous).invoice_id)
        if (period.end - today).days < INVOICE_AHEAD_DAYS:
            drafts.append(prepare_invoice(contract, period).invoice_id)
    overdue = []
    today_utc = clock.now().date().isoformat()
    for invoice in Entity.open_index.query(INVOICES_DUE, Entity.open_sk < today_utc):
        if not isinstance(invoice, Invoice) or invoice.status != "sent":
            continue
        invoice.status = "overdue"
        invoice.save()
        bus.publish("InvoiceUpdated", invoice_event(invoice))
        overdue.append(invoice.invoice_id)
        incident = raise_incident(
            "invoice_overdue",
            invoice.invoice_id,
            f"Invoice {invoice.invoice_id} ({invoice.amount} {invoice.currency}) is overdue since {invoice.due_date}",
            organisation_id=invoice.organisation_id,
            due_date=invoice.due_date,
            amount=invoice.amount,
        )
        if incident:
            raised.append(incident.incident_id)
    return {"incidents": raised, "invoices": drafts, "overdue": overdue}


def contract_view(contract: Contract, with_usage: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "organisation_id": contract.organisation_id,
        "period": contract.period,
        "limits": {
            "questions_per_user_per_day": _int(contract.questions_per_user_per_day),
            "tickets_per_period": _int(contract.tickets_per_period),
            "hours_per_period": contract.hours_per_period,
        },
        "rate_per_hour": contract.rate_per_hour,
        "currency": contract.currency,
        "services": contract.services,
        "renewal": contract.renewal,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "billing_day": int(contract.billing_day),
        "payment_terms_days": int(contract.payment_terms_days),
        "ticket_hours_incident": int(contract.ticket_hours_incident),
        "updated_at": contract.updated_at,
    }
    if with_usage:
        view["usage"] = usage(contract, period_of(contract.period, today_for(contract.organisation_id)))
    return view


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None
