"""The billing check (a schedule): invoices due, overdue payments."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from shared.money.contracts import is_active, list_contracts, period_of, today_for
from shared.money.incidents import raise_incident
from shared.money.invoices import get_invoice, invoice_event, prepare_invoice
from shared.money.items import Invoice
from shared.money.keys import INVOICES_DUE, invoice_id_for
from shared.money.usage import check_thresholds, usage
from shared.platform import bus, clock
from shared.platform.table import Entity

logger = logging.getLogger(__name__)


INVOICE_AHEAD_DAYS = 3  # R25: drafts are prepared this many days before the period ends


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
