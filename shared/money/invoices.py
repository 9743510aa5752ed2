"""Invoices per contract period: prepared, sent, paid, overdue; CSV for accounting."""

from __future__ import annotations

import calendar as month_calendar
import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from shared.money.contracts import (
    Period,
    amount_for,
    get_contract,
    hours,
    period_by_key,
    period_of,
    require_manager,
    require_reader,
    today_for,
)
from shared.money.incidents import get_incident, update_incident
from shared.money.items import Contract, Invoice
from shared.money.keys import INVOICES_ALL, INVOICES_DUE, incident_id_for, invoice_id_for
from shared.money.usage import entries_between, tickets_by_service
from shared.platform import bus, clock, store
from shared.platform.domain import Role
from shared.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity

INVOICE_STATUSES = ("draft", "sent", "paid", "overdue")


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
