"""HTTP routes of the working calendars and support plans (R17, R18): data, versioned, edited by managers.

Every PUT that changes something is a new version (all are kept; the current one is pointed to), and the route
worker then re-times the open tickets on it (shared.routes.retime). Staff read them.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.callers import caller
from functions.api.http import json_response
from functions.api.router import MANAGER, STAFF, ApiRouter
from shared.directory import plans as stored

router = ApiRouter(bodies="functions.api.plans_bodies")

KINDS: dict[str, stored.TermsKind] = {"calendars": "calendar", "plans": "plan"}
BODIES = {"calendar": "SlaCalendar", "plan": "SlaPlan"}


def _list(kind: stored.TermsKind) -> dict[str, Any]:
    caller().require_staff()
    return {"items": [stored.terms_view(item) for item in sorted(stored.list_current(kind), key=lambda i: i.sk)]}


def _versions(kind: stored.TermsKind, terms_id: str) -> dict[str, Any]:
    stored.read_terms(caller(), kind, terms_id)  # staff only; 404 for an unknown one
    return {"items": [stored.terms_view(item) for item in stored.list_versions(kind, terms_id)]}


def _put(kind: stored.TermsKind, terms_id: str) -> Response:
    who = caller()
    stored.require_manager(who)  # authorization before validation
    body = router.body(BODIES[kind])
    item, changed = stored.save_terms(who, kind, terms_id, body.model_dump(exclude_unset=True))
    status = 201 if changed and int(item.number) == 1 else 200
    return json_response(status, {**stored.terms_view(item), "changed": changed})


@router.declare("GET", "/sla/calendars", "Working calendars, each at its current version (staff)", "sla", roles=STAFF)
def list_calendars() -> dict[str, Any]:
    return _list("calendar")


@router.declare(
    "GET", "/sla/calendars/{calendar_id}", "A working calendar's current version (staff)", "sla", roles=STAFF
)
def get_calendar(calendar_id: str) -> dict[str, Any]:
    return stored.terms_view(stored.read_terms(caller(), "calendar", calendar_id))


@router.declare(
    "GET",
    "/sla/calendars/{calendar_id}/versions",
    "Every version of a working calendar, oldest first (staff)",
    "sla",
    roles=STAFF,
)
def calendar_versions(calendar_id: str) -> dict[str, Any]:
    return _versions("calendar", calendar_id)


@router.declare(
    "PUT",
    "/sla/calendars/{calendar_id}",
    "Create a working calendar or save its new version; open tickets on it are re-timed (managers)",
    "sla",
    roles=(MANAGER,),
    body="SlaCalendar",
)
def put_calendar(calendar_id: str) -> Response:
    return _put("calendar", calendar_id)


@router.declare("GET", "/sla/plans", "Support plans, each at its current version (staff)", "sla", roles=STAFF)
def list_plans() -> dict[str, Any]:
    return _list("plan")


@router.declare("GET", "/sla/plans/{plan_id}", "A support plan's current version (staff)", "sla", roles=STAFF)
def get_plan(plan_id: str) -> dict[str, Any]:
    return stored.terms_view(stored.read_terms(caller(), "plan", plan_id))


@router.declare(
    "GET", "/sla/plans/{plan_id}/versions", "Every version of a support plan, oldest first (staff)", "sla", roles=STAFF
)
def plan_versions(plan_id: str) -> dict[str, Any]:
    return _versions("plan", plan_id)


@router.declare(
    "PUT",
    "/sla/plans/{plan_id}",
    "Create a support plan or save its new version (R17, R18: each internal target shorter than its promise); "
    "open tickets on it are re-timed (managers)",
    "sla",
    roles=(MANAGER,),
    body="SlaPlan",
)
def put_plan(plan_id: str) -> Response:
    return _put("plan", plan_id)
