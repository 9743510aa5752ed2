"""R23: what an organisation used in a period, against its contract, and the thresholds crossed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shared.money.contracts import CENT, DEFAULT_TIMEZONE, Period, as_int, hours, number, period_of, today_for
from shared.money.incidents import raise_incident
from shared.money.items import Contract, Incident, TimeEntry, UsageCounter
from shared.money.keys import contract_pk
from shared.platform.table import Entity

WARN_SHARE = Decimal("0.8")  # R24: an incident when 80 % of a limit is used


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


def billable_minutes(org_id: str, period: Period) -> int:
    return sum(int(e.minutes) for e in entries_between(org_id, period.start, period.end) if e.billable)


def usage(contract: Contract, period: Period) -> dict[str, Any]:
    """What the organisation used of the period: tickets (counters) and billable minutes (time entries)."""
    by_service = tickets_by_service(contract.organisation_id, period.key)
    minutes = billable_minutes(contract.organisation_id, period)
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


def contract_view(contract: Contract, with_usage: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "organisation_id": contract.organisation_id,
        "period": contract.period,
        "limits": {
            "questions_per_user_per_day": as_int(contract.questions_per_user_per_day),
            "tickets_per_period": as_int(contract.tickets_per_period),
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
        "plan_id": contract.plan_id,
        "calendar_id": contract.calendar_id,
        "timezone": contract.timezone or DEFAULT_TIMEZONE,  # what PUT takes back unchanged (the console's form)
        "updated_at": contract.updated_at,
    }
    if with_usage:
        view["usage"] = usage(contract, period_of(contract.period, today_for(contract.organisation_id)))
    return view
