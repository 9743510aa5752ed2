"""Working calendars and support plans as data (R17, R18): versioned items, and which plan an organisation has.

Every save is a new version; no version is ever changed or deleted, and the current one is pointed to:

| item                           | pk                               | sk                         |
|--------------------------------|----------------------------------|----------------------------|
| the current version (pointer)  | SLA_TERMS                        | CALENDAR#<id> / PLAN#<id>  |
| each version                   | SLA_TERMS#CALENDAR#<id> (#PLAN#) | V#000001, V#000002, ...    |

So listing every calendar or plan is one Query, reading the current one a GetItem, the history one Query.
The bodies are in the shapes `plan_terms` checks and `shared.sla` reads. The route worker (which has the
calendars) turns them into a Calendar and a SupportPlan (`shared.clocks.plans`) and re-times the open tickets a
change affects (`shared.routes.retime`), which the save asks it to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from shared.directory import items as directory
from shared.directory import plan_terms
from shared.platform import clock, store, workflows
from shared.platform.domain import Role
from shared.platform.errors import Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity

TermsKind = Literal["calendar", "plan"]

TERMS_PK = "SLA_TERMS"
# The defaults every desk starts with (written by the setup step and the demo): today's office and plans.
DEFAULT_CALENDAR_ID = "office"
DEFAULT_PLAN_ID = "default"
VIP_PLAN_ID = "vip"
# The worker's action that re-times the open tickets a saved version affects (functions/route_tasks.py).
RETIME_ACTION = "retime_terms"
RETIME_ORGANISATION_ACTION = "retime_organisation"


class TermsCurrent(Entity, discriminator="sla_terms"):
    """The current version of a calendar or plan, with its body (one GetItem reads what the clocks need)."""

    terms_kind = UnicodeAttribute()
    terms_id = UnicodeAttribute()
    number = NumberAttribute()
    body = JSONAttribute()
    saved_at = UnicodeAttribute()
    saved_by = UnicodeAttribute()


class TermsVersion(Entity, discriminator="sla_terms_version"):
    """One version, as saved; never changed."""

    terms_kind = UnicodeAttribute()
    terms_id = UnicodeAttribute()
    number = NumberAttribute()
    body = JSONAttribute()
    saved_at = UnicodeAttribute()
    saved_by = UnicodeAttribute()


def current_sk(kind: TermsKind, terms_id: str) -> str:
    return f"{kind.upper()}#{terms_id}"


def versions_pk(kind: TermsKind, terms_id: str) -> str:
    return f"{TERMS_PK}#{current_sk(kind, terms_id)}"


def version_sk(number: int) -> str:
    return f"V#{number:06d}"


def new_items(
    kind: TermsKind, terms_id: str, body: dict[str, Any], number: int, by: str, at: str | None = None
) -> tuple[Any, Any]:
    """The pointer and the version item of one save, saved now or `at` (the setup step writes the defaults with
    these, dated when the defaults were set, so the same defaults are the same items)."""
    now = at or clock.now_iso()
    common = {"terms_kind": kind, "terms_id": terms_id, "number": number, "body": body, "saved_at": now}
    current = TermsCurrent(TERMS_PK, current_sk(kind, terms_id), saved_by=by, **common)
    version = TermsVersion(versions_pk(kind, terms_id), version_sk(number), saved_by=by, **common)
    return current, version


# --- reads ----------------------------------------------------------------------------------------------------


def get_current(kind: TermsKind, terms_id: str) -> TermsCurrent | None:
    try:
        return TermsCurrent.get(TERMS_PK, current_sk(kind, terms_id))
    except DoesNotExist:
        return None


def get_version(kind: TermsKind, terms_id: str, number: int) -> TermsVersion | None:
    try:
        return TermsVersion.get(versions_pk(kind, terms_id), version_sk(number))
    except DoesNotExist:
        return None


def list_current(kind: TermsKind) -> list[TermsCurrent]:
    prefix = current_sk(kind, "")
    return [i for i in Entity.query(TERMS_PK, Entity.sk.startswith(prefix)) if isinstance(i, TermsCurrent)]


def list_versions(kind: TermsKind, terms_id: str) -> list[TermsVersion]:
    """Every version, oldest first."""
    return [i for i in Entity.query(versions_pk(kind, terms_id)) if isinstance(i, TermsVersion)]


def terms_view(item: TermsCurrent | TermsVersion) -> dict[str, Any]:
    return {
        "id": item.terms_id,
        "kind": item.terms_kind,
        "version": int(item.number),
        **item.body,
        "saved_at": item.saved_at,
        "saved_by": item.saved_by,
    }


# --- which plan an organisation has ---------------------------------------------------------------------------


def plan_id_of(organisation: directory.Organisation | None) -> str:
    """The organisation's support plan: the one assigned to it, else the VIP rule (the one place it lives): VIP
    organisations get the VIP plan, every other the default."""
    if organisation is not None and organisation.plan:
        return organisation.plan
    return VIP_PLAN_ID if organisation is not None and organisation.importance == "vip" else DEFAULT_PLAN_ID


# Where else an organisation's plan and calendar are assigned, asked before the organisation's own: the contract's
# (shared.money.contracts.contract_terms, registered in shared/desk.py). Each gives (plan id, calendar id), None
# for what it does not assign.
ASSIGNMENTS: list[Callable[[str], tuple[str | None, str | None]]] = []


def terms_of_organisation(org_id: str | None) -> tuple[str, str | None]:
    """(plan id, calendar id or None: the plan's own calendar) of a customer organisation: what its contract
    assigns, else what is assigned on the organisation, else the VIP rule (`plan_id_of`)."""
    plan_id = calendar_id = None
    for assigned in ASSIGNMENTS if org_id else ():
        contract_plan, contract_calendar = assigned(org_id)
        plan_id, calendar_id = plan_id or contract_plan, calendar_id or contract_calendar
    if plan_id is not None and calendar_id is not None:
        return plan_id, calendar_id
    organisation = directory.get_organisation(org_id) if org_id else None
    own_calendar = organisation.calendar if organisation is not None else None
    return plan_id or plan_id_of(organisation), calendar_id or own_calendar or None


def known_ids(kind: TermsKind) -> list[str]:
    """The calendars or plans an organisation or contract may name: the stored ones and the defaults (which apply
    as built in until the setup step has stored them)."""
    defaults = [DEFAULT_CALENDAR_ID] if kind == "calendar" else [DEFAULT_PLAN_ID, VIP_PLAN_ID]
    return sorted({*defaults, *(item.terms_id for item in list_current(kind))})


def check_assignment(plan_id: str | None, calendar_id: str | None) -> list[dict[str, str]]:
    """Problems with assigning this plan and calendar (each must exist), for a 422."""
    problems = []
    if plan_id is not None and plan_id not in known_ids("plan"):
        problems.append({"field": "plan_id", "message": f"no support plan {plan_id}; see GET /sla/plans"})
    if calendar_id is not None and calendar_id not in known_ids("calendar"):
        problems.append({"field": "calendar_id", "message": f"no calendar {calendar_id}; see GET /sla/calendars"})
    return problems


def retime_organisation_later(org_id: str, before: tuple[str, str | None]) -> None:
    """After an organisation's plan or calendar assignment changed: the worker re-times its open tickets."""
    if terms_of_organisation(org_id) != before:
        workflows.call_worker(RETIME_ORGANISATION_ACTION, "", org_id=org_id, plan_id=before[0], calendar_id=before[1])


# --- saves ----------------------------------------------------------------------------------------------------


def require_manager(caller: Caller) -> None:
    if caller.role not in (Role.MANAGER, Role.SYSTEM):
        raise Forbidden("Only managers can change calendars and support plans.")


def save_terms(caller: Caller, kind: TermsKind, terms_id: str, body: dict[str, Any]) -> tuple[TermsCurrent, bool]:
    """Save a new version of a calendar or plan and make it current; returns it and whether it changed anything.

    The same body as the current version saves nothing (a repeated PUT is safe). After a real change the route
    worker re-times every open ticket on it: their timers move to the new instants and their logs say so.
    """
    require_manager(caller)
    problems = plan_terms.check_id(terms_id, kind)
    stored, found = plan_terms.check_calendar(body) if kind == "calendar" else plan_terms.check_plan(body)
    problems += found
    calendar_id = stored.get("calendar_id")
    named = kind == "plan" and isinstance(calendar_id, str) and not any(p["field"] == "calendar_id" for p in problems)
    if named and get_current("calendar", calendar_id) is None:
        problems.append({"field": "calendar_id", "message": f"no calendar {calendar_id}; create it first"})
    if problems:
        raise Unprocessable(f"The {kind} {terms_id} is not valid: {problems[0]['message']}.", errors=problems)
    current = get_current(kind, terms_id)
    if current is not None and current.body == stored:
        return current, False
    number = 1 if current is None else int(current.number) + 1
    pointer, version = new_items(kind, terms_id, stored, number, caller.sub)
    condition = TermsCurrent.pk.does_not_exist() if current is None else TermsCurrent.number == int(current.number)
    try:
        store.transact([(pointer, condition), (version, TermsVersion.pk.does_not_exist())])
    except TransactWriteError as error:
        store.raise_if_conflict(error, f"The {kind} {terms_id}")
    workflows.call_worker(RETIME_ACTION, "", kind=kind, terms_id=terms_id, number=number)
    return pointer, True


def read_terms(
    caller: Caller, kind: TermsKind, terms_id: str, number: int | None = None
) -> TermsCurrent | TermsVersion:
    caller.require_staff()
    found = get_current(kind, terms_id) if number is None else get_version(kind, terms_id, number)
    if found is None:
        raise NotFound(f"No {kind} {terms_id}" + (f" version {number}." if number is not None else "."))
    return found
