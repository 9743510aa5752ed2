"""HTTP routes of money: contracts, the contract-limit choice at intake, time, incidents, invoices, billing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.callers import caller
from functions.api.http import LIST_QUERY, created, idempotency_key, json_response, query, query_limit
from functions.api.router import CUSTOMER, MANAGER, ORG_ADMIN, STAFF, ApiRouter
from shared.money import contracts, offers, usage
from shared.money import incidents as money_incidents
from shared.platform.errors import Unprocessable

router = ApiRouter(bodies="functions.api.money_bodies")

# --- contracts -----------------------------------------------------------------------------------


@router.declare("GET", "/contracts", "Every customer contract with its current usage (staff)", "money", roles=STAFF)
def list_contracts() -> dict[str, Any]:
    who = caller()
    who.require_staff()
    return {"items": [usage.contract_view(c) for c in contracts.list_contracts()]}


@router.declare(
    "GET",
    "/contracts/{organisation_id}",
    "An organisation's contract, limits and usage of the period (staff; the organisation's admin)",
    "money",
    roles=(ORG_ADMIN, *STAFF),
    resource="organisation",
)
def get_contract(organisation_id: str) -> dict[str, Any]:
    return usage.contract_view(contracts.read_contract(caller(), organisation_id))


@router.declare(
    "PUT",
    "/contracts/{organisation_id}",
    "Create or replace an organisation's contract (managers)",
    "money",
    body="MoneyContract",
    roles=(MANAGER,),
)
def put_contract(organisation_id: str) -> Response:
    who = caller()
    contracts.require_manager(who)
    body = router.body("MoneyContract")
    spec = body.model_dump()
    spec["rate_per_hour"] = str(body.rate_per_hour.quantize(contracts.CENT))
    spec["hours_per_period"] = float(body.hours_per_period) if body.hours_per_period is not None else None
    spec["start_date"] = body.start_date.isoformat()
    spec["end_date"] = body.end_date.isoformat() if body.end_date else None
    contract, is_new = contracts.save_contract(who, organisation_id, spec)
    return json_response(201 if is_new else 200, usage.contract_view(contract))


# --- limits at intake ------------------------------------------------------------------------------


@router.declare(
    "POST",
    "/tickets/{ticket_id}/limit-choice",
    "Answer a contract-limit offer: extend, or start in the next period (R23)",
    "money",
    body="MoneyLimitChoice",
    roles=(CUSTOMER, MANAGER),
    resource="ticket",
)
def limit_choice(ticket_id: str) -> dict[str, Any]:
    body = router.body("MoneyLimitChoice")
    return offers.offer_view(offers.choose(caller(), ticket_id, body.choice))


# --- time ----------------------------------------------------------------------------------------


@router.declare(
    "POST",
    "/tickets/{ticket_id}/time",
    "Log time spent on a ticket (agents, managers)",
    "money",
    body="MoneyTimeEntry",
    status=201,
    idempotent=True,
    roles=STAFF,
    resource="ticket",
)
def log_time(ticket_id: str) -> Response:
    from shared.money import time as time_entries  # time entries: kept off the API's cold start

    who = caller()
    who.require_staff()
    body = router.body("MoneyTimeEntry")
    entry, replayed = time_entries.log_time(
        who,
        ticket_id,
        minutes=body.minutes,
        billable=body.billable,
        task_id=body.task_id,
        work_date=body.work_date,
        started_at=body.started_at,
        note=body.note,
        idempotency_key=idempotency_key(),
    )
    return created(time_entries.entry_view(entry), replayed)


@router.declare(
    "GET",
    "/tickets/{ticket_id}/time",
    "Time logged on a ticket, with totals (staff)",
    "money",
    roles=STAFF,
    resource="ticket",
)
def ticket_time(ticket_id: str) -> dict[str, Any]:
    from shared.money import time as time_entries  # time entries: kept off the API's cold start

    who = caller()
    who.require_staff()
    ticket, entries = time_entries.ticket_time(who, ticket_id)
    total = sum(int(e.minutes) for e in entries)
    billable = sum(int(e.minutes) for e in entries if e.billable)
    return {
        "ticket_id": ticket.ticket_id,
        "reference": ticket.reference,
        "items": [time_entries.entry_view(e) for e in entries],
        "total_minutes": total,
        "billable_minutes": billable,
        "total_hours": str(contracts.hours(total)),
    }


# --- incidents -----------------------------------------------------------------------------------


@router.declare(
    "GET",
    "/incidents",
    "Incidents raised by the system (R24): open first, or all newest first (managers)",
    "money",
    query=(("status", {"enum": ["open", "all"], "default": "open"}), *LIST_QUERY),
    roles=(MANAGER,),
)
def incidents() -> dict[str, Any]:
    who = caller()
    contracts.require_manager(who)
    status = query("status", "open", pattern=r"open|all") or "open"
    found, next_cursor = money_incidents.list_incidents(
        who, status=status, limit=query_limit(), cursor=query("cursor", max_length=2000)
    )
    return {"items": [money_incidents.incident_view(i) for i in found], "next_cursor": next_cursor}


@router.declare(
    "POST",
    "/incidents/{incident_id}/acknowledge",
    "Acknowledge an incident (managers)",
    "money",
    body="MoneyNote",
    body_optional=True,
    roles=(MANAGER,),
)
def acknowledge_incident(incident_id: str) -> dict[str, Any]:
    who = caller()
    contracts.require_manager(who)
    body = router.body("MoneyNote", optional=True)
    return money_incidents.incident_view(money_incidents.update_incident(who, incident_id, "acknowledge", body.note))


@router.declare(
    "POST",
    "/incidents/{incident_id}/resolve",
    "Resolve an incident (managers)",
    "money",
    body="MoneyNote",
    body_optional=True,
    roles=(MANAGER,),
)
def resolve_incident(incident_id: str) -> dict[str, Any]:
    who = caller()
    contracts.require_manager(who)
    body = router.body("MoneyNote", optional=True)
    return money_incidents.incident_view(money_incidents.update_incident(who, incident_id, "resolve", body.note))


# --- invoices ------------------------------------------------------------------------------------


@router.declare(
    "GET",
    "/invoices",
    "Invoices, newest period first (managers: all or one organisation's; the organisation's admin: their own)",
    "money",
    query=(("organisation_id", {"type": "string"}), *LIST_QUERY),
    roles=(ORG_ADMIN, MANAGER),
)
def invoices() -> dict[str, Any]:
    from shared.money import invoices as money_invoices  # invoices are the managers': kept off the API's cold start

    found, next_cursor = money_invoices.list_invoices(
        caller(),
        query("organisation_id", max_length=100),
        limit=query_limit(),
        cursor=query("cursor", max_length=2000),
    )
    return {"items": [money_invoices.invoice_view(i) for i in found], "next_cursor": next_cursor}


@router.declare(
    "POST",
    "/invoices",
    "Prepare (or recompute) an organisation's invoice draft for a period now (managers)",
    "money",
    body="MoneyPrepareInvoice",
    status=201,
    roles=(MANAGER,),
)
def prepare_invoice() -> Response:
    from shared.money import invoices as money_invoices  # invoices are the managers': kept off the API's cold start

    who = caller()
    contracts.require_manager(who)
    body = router.body("MoneyPrepareInvoice")
    return json_response(
        201, money_invoices.invoice_view(money_invoices.prepare_for(who, body.organisation_id, body.period))
    )


@router.declare(
    "GET",
    "/invoices/{invoice_id}",
    "One invoice as JSON, or CSV with ?format=csv or the .csv suffix (managers; the organisation's admin)",
    "money",
    query=(("format", {"enum": ["json", "csv"], "default": "json"}),),
    roles=(ORG_ADMIN, MANAGER),
    resource="invoice",
)
def get_invoice(invoice_id: str) -> Response:
    from shared.money import invoices as money_invoices  # invoices are the managers': kept off the API's cold start

    fmt = query("format", None, max_length=10)
    for suffix in ("csv", "json"):
        if invoice_id.endswith(f".{suffix}"):
            invoice_id, fmt = invoice_id[: -len(suffix) - 1], fmt or suffix
    fmt = fmt or "json"
    if fmt not in ("json", "csv"):
        raise Unprocessable("format is json or csv.", errors=[{"field": "format", "message": "json or csv"}])
    invoice = money_invoices.read_invoice(caller(), invoice_id)
    if fmt == "csv":
        return Response(
            200,
            "text/csv; charset=utf-8",
            money_invoices.invoice_csv(invoice),
            headers={"Content-Disposition": f'attachment; filename="{invoice.invoice_id}.csv"'},
        )
    return json_response(200, money_invoices.invoice_view(invoice))


@router.declare(
    "POST",
    "/invoices/{invoice_id}/status",
    "Track payment: draft -> sent -> paid (overdue is set by the daily check) (managers)",
    "money",
    body="MoneyInvoiceStatus",
    roles=(MANAGER,),
)
def invoice_status(invoice_id: str) -> dict[str, Any]:
    from shared.money import invoices as money_invoices  # invoices are the managers': kept off the API's cold start

    who = caller()
    contracts.require_manager(who)
    body = router.body("MoneyInvoiceStatus")
    return money_invoices.invoice_view(money_invoices.set_invoice_status(who, invoice_id, body.status))


@router.declare("POST", "/billing/check", "Run the daily billing check now (managers)", "money", roles=(MANAGER,))
def billing_check() -> dict[str, Any]:
    from shared.money import billing  # the billing check on demand: kept off the API's cold start

    contracts.require_manager(caller())
    return billing.billing_check()
