"""Contracts (R23): scope, limits, rates and billing periods of an organisation; reading and saving them."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.exceptions import DoesNotExist, PutError

from shared.directory import items as directory
from shared.directory import plans
from shared.money.items import Contract
from shared.money.keys import CONTRACT_SK, CONTRACTS_INDEX, contract_pk
from shared.platform import clock, store
from shared.platform.domain import DESK_TIMEZONE, Role
from shared.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity

ACCOUNTS_GROUP = "accounts"  # the account managers: they agree extensions and out-of-scope work


CENT = Decimal("0.01")


# The support plans' calendar zone (shared.sla). The API's asset has no calendars (infra/cdk/bundling.py), so dates
# of the API come from the contract's own zone; working hours are computed by the route worker only.
DEFAULT_TIMEZONE = DESK_TIMEZONE


def zone_of(contract: Contract | None) -> ZoneInfo:
    return ZoneInfo(contract.timezone if contract is not None and contract.timezone else DEFAULT_TIMEZONE)


def today_for(org_id: str, now: datetime | None = None, contract: Contract | None = None) -> date:
    """The date in the contract's time zone (the plan calendar's by default)."""
    return (now or clock.now()).astimezone(zone_of(contract or get_contract(org_id))).date()


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


def add_counter(pk: str, sk: str, by: int, ttl_days: int | None = None) -> int:
    """Atomic ADD on a usage counter; returns the new value."""
    count = store.Count(pk, sk, {"value": by}, {"kind": "usage"}, ttl_days * 86400 if ttl_days else None)
    counted = store.add(count)
    assert counted is not None
    return counted["value"]


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
    problems = plans.check_assignment(spec.get("plan_id"), spec.get("calendar_id"))
    if problems:
        raise Unprocessable(f"The contract names {problems[0]['message']}.", errors=problems)
    before = plans.terms_of_organisation(org_id)
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
    plans.retime_organisation_later(org_id, before)  # its open tickets move to the plan the contract assigns
    return contract, existing is None


def contract_terms(org_id: str) -> tuple[str | None, str | None]:
    """The plan and calendar an organisation's contract assigns (shared.directory.plans.ASSIGNMENTS)."""
    contract = get_contract(org_id)
    return (contract.plan_id, contract.calendar_id) if contract is not None else (None, None)


def as_int(value: Any) -> int | None:
    return int(value) if value is not None else None
