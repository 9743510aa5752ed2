"""Organisations through the API (managers): name, the e-mail domains that match senders to it, importance,
language, time zone, support plan and calendar, the contract's link; paged lists; an organisation's admin reads
their own, every other customer gets 404 (as for one that does not exist)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.directory import domains, people, plans
from shared.directory import items as directory
from shared.directory.items import Organisation
from shared.platform import clock, store, words
from shared.platform.domain import Role
from shared.platform.errors import Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity

IMPORTANCE = ("standard", "vip")
ORG_ID = r"[a-z0-9][a-z0-9-]{0,62}"
DOMAIN = r"(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"

# The support plans and calendars an organisation may name. Until plans and calendars are stored as data, the
# desk's built-in ones (shared/sla/plans.py DEFAULT_PLAN, VIP_PLAN on the desk's office calendar); a store of
# plans replaces these lookups (set them from the composition root) and the check stays the same.
BUILT_IN_PLANS = ("default", "vip")
BUILT_IN_CALENDARS = ("office",)
plan_ids: Callable[[], Iterable[str]] = lambda: BUILT_IN_PLANS  # noqa: E731 - a replaceable lookup
calendar_ids: Callable[[], Iterable[str]] = lambda: BUILT_IN_CALENDARS  # noqa: E731 - a replaceable lookup


def view(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.organisation_id,
        "name": org.name,
        "email_domains": list(org.email_domains or []),
        "importance": org.importance,
        "language": org.language or "en",
        "timezone": org.timezone,
        "plan": org.plan,
        "calendar": org.calendar,
        "contract_url": org.contract_url,
        "updated_at": org.updated_at,
    }


def require_manager(caller: Caller) -> None:
    if caller.role != Role.MANAGER:
        raise Forbidden("Only managers can create and change organisations.")


def require_reader(caller: Caller, org_id: str) -> None:
    """Staff read every organisation; a customer organisation's admin reads their own; another organisation
    answers like a missing one (404), their own needs the admin (403)."""
    if caller.is_staff:
        return
    if caller.org_id != org_id:
        raise NotFound(f"No organisation {org_id} that you can see.")
    if not caller.is_org_admin:
        raise Forbidden("Only your organisation's admin can read its settings.")


def read(caller: Caller, org_id: str) -> dict[str, Any]:
    require_reader(caller, org_id)
    org = directory.get_organisation(org_id)
    if org is None:
        raise NotFound(f"No organisation {org_id} that you can see.")
    return view(org)


def list_page(caller: Caller, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Every organisation by id, one page at a time (staff)."""
    caller.require_staff()
    found, next_cursor = store.query_page(
        Entity.organisation_index,
        "gsi2pk",
        directory.ORGANISATIONS_INDEX,
        limit=limit,
        cursor=cursor,
        newest_first=False,
    )
    return [view(o) for o in found if isinstance(o, Organisation)], next_cursor


def _problem(field: str, message: str, detail: str) -> Unprocessable:
    return Unprocessable(detail, errors=[{"field": field, "message": message}])


def check_org_id(org_id: str) -> str:
    if not re.fullmatch(ORG_ID, org_id):
        raise _problem("organisation_id", ORG_ID, "An organisation id is 1-63 lower-case letters, digits or '-'.")
    return org_id


def _checked(spec: dict[str, Any]) -> dict[str, Any]:
    """The organisation's settings, each checked against what the desk knows; 422 naming every bad field."""
    errors: list[dict[str, str]] = []
    domains = sorted({d.strip().lower() for d in spec.get("email_domains") or []})
    bad = [d for d in domains if not re.fullmatch(DOMAIN, d)]
    if bad:
        errors.append({"field": "email_domains", "message": f"not a domain: {bad}"})
    checks = (
        ("importance", IMPORTANCE),
        ("language", tuple(words.languages())),  # those with a message file (shared/platform/words)
        ("plan", tuple(plan_ids())),
        ("calendar", tuple(calendar_ids())),
    )
    for field, known in checks:
        value = spec.get(field)
        if value is not None and value not in known:
            errors.append({"field": field, "message": f"unknown {value!r}; one of {list(known)}"})
    zone = spec.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append({"field": "timezone", "message": f"unknown time zone {zone!r}, e.g. Europe/Prague"})
    if errors:
        raise Unprocessable("Some settings of the organisation are invalid; see errors.", errors=errors)
    return {**spec, "email_domains": domains}


def _domains_taken(org_id: str, domains: list[str]) -> None:
    """An e-mail domain matches senders to one organisation only."""
    taken = {d: other for d in domains if (other := people.organisation_for_domain(f"x@{d}")) not in (None, org_id)}
    if taken:
        raise Unprocessable(
            "Some e-mail domains already belong to another organisation: "
            + ", ".join(f"{d} ({o})" for d, o in sorted(taken.items())),
            errors=[{"field": "email_domains", "message": f"taken: {sorted(taken)}"}],
        )


def save(caller: Caller, org_id: str, spec: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Create or replace an organisation's settings (managers). Returns (view, created)."""
    require_manager(caller)
    check_org_id(org_id)
    spec = _checked(spec)
    domains.check_claimable(org_id, spec["email_domains"])
    _domains_taken(org_id, spec["email_domains"])
    before = directory.get_organisation(org_id)
    terms_before = plans.terms_of_organisation(org_id)
    org = people.save_organisation(
        org_id,
        spec["name"],
        spec.get("importance") or "standard",
        spec["email_domains"],
        before.contacts if before is not None else None,
        language=spec.get("language") or "en",
        timezone=spec.get("timezone"),
        plan=spec.get("plan"),
        calendar=spec.get("calendar"),
        contract_url=spec.get("contract_url"),
        updated_at=clock.now_iso(),
    )
    if before is not None:
        people.drop_domains(set(before.email_domains or []) - set(spec["email_domains"]), org_id)
        plans.retime_organisation_later(org_id, terms_before)  # its open tickets move to its new plan or calendar
    return view(org), before is None
