"""HTTP routes of the catalog issue: the catalog as data (managers), the customer's decision on a change
request's estimate (R26), L2's estimate, and organisations' licence limits (R6).

Imported at the end of functions.api, so everything defined there can be imported here."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api import _follow_key, _view, caller, json_response, parse_body, route
from shared.routes import approvals
from shared.tasks.views import task_view, ticket_view
from shared.tasks.work import complete_task
from shared.tickets import access

# shared.catalog_edit and shared.routes_catalog are imported where used: they bring the SLA calendars (holidays),
# which only these requests need, so the API's cold start does not pay for them.


@route(
    "PUT",
    "/services/{key}",
    "Create or replace a service of the catalog: intake form, route, groups, deadline (managers)",
    "intake",
    body="CatalogService",
)
def put_service(key: str) -> Response:
    from shared.catalog import edit as catalog_edit

    who = caller()
    body = parse_body("CatalogService")
    service, created = catalog_edit.put_service(who, key, body.model_dump())
    return json_response(201 if created else 200, catalog_edit.service_view(service))


@route("GET", "/catalog/services", "The whole catalog with hidden services and route settings (staff)", "intake")
def catalog_services() -> dict[str, Any]:
    from shared.catalog import edit as catalog_edit

    return {"items": [catalog_edit.service_view(s) for s in catalog_edit.list_all(caller())]}


@route(
    "POST",
    "/tickets/{ticket_id}/approval",
    "Approve or decline a change request's estimate before any work is done (R26; the ticket's customer)",
    "tickets",
    body="CatalogApproval",
)
def approval(ticket_id: str) -> dict[str, Any]:
    pass

    who = caller()
    body = parse_body("CatalogApproval")
    approvals.decide(who, ticket_id, decision=body.decision, comment=body.comment)
    return _view(who, ticket_id)


@route(
    "POST",
    "/public/tickets/{ticket_id}/approval",
    "Approve or decline a web-form change request's estimate through its follow link (R26)",
    "intake",
    public=True,
    body="CatalogApproval",
    query=(("key", {"type": "string"}),),
)
def approval_public(ticket_id: str) -> dict[str, Any]:
    pass

    key = _follow_key()
    body = parse_body("CatalogApproval")
    approvals.decide(access.follow_link_caller(ticket_id, key), ticket_id, decision=body.decision, comment=body.comment)
    ticket, items = access.followed_ticket(ticket_id, key)
    return ticket_view(ticket, items, staff=False)


@route(
    "POST",
    "/tasks/{task_id}/estimate",
    "Complete an evaluate task with the estimate in hours the customer will approve (R26)",
    "tasks",
    body="CatalogEstimate",
)
def estimate(task_id: str) -> dict[str, Any]:
    pass

    who = caller()
    body = parse_body("CatalogEstimate")
    approvals.record_estimate(who, task_id, hours=body.hours, note=body.note)
    task = complete_task(who, task_id, outcome="estimated", note=body.note)
    return {"task": task_view(task)}


@route("GET", "/organisations/{org_id}/licences", "An organisation's licence-key limit and count (managers)", "admin")
def licences(org_id: str) -> dict[str, Any]:
    from shared.catalog import edit as catalog_edit

    return catalog_edit.licences_view(caller(), org_id)


@route(
    "PUT",
    "/organisations/{org_id}/licences",
    "Set an organisation's licence-key limit (managers)",
    "admin",
    body="CatalogLicenceLimit",
)
def set_licences(org_id: str) -> dict[str, Any]:
    from shared.catalog import edit as catalog_edit

    who = caller()
    body = parse_body("CatalogLicenceLimit")
    return catalog_edit.set_limit(who, org_id, body.limit)
