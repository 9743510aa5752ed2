"""HTTP routes of the catalog: the catalog as data (managers), the customer's decision on a change request's
estimate (R26; signed in or through the follow link), L2's estimate, and organisations' licence limits (R6)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.callers import FOLLOW_KEY_QUERY, caller, ticket_caller
from functions.api.http import json_response
from functions.api.router import CUSTOMER, MANAGER, STAFF, ApiRouter
from shared.tasks.views import single_task_view
from shared.tasks.work import complete_task

router = ApiRouter(bodies="functions.api.catalog_bodies")

# shared.catalog_edit and shared.routes_catalog are imported where used: they bring the SLA calendars (holidays),
# which only these requests need, so the API's cold start does not pay for them.


@router.declare(
    "PUT",
    "/services/{key}",
    "Create or replace a service of the catalog: intake form, route, groups, deadline (managers)",
    "intake",
    body="CatalogService",
    roles=(MANAGER,),
)
def put_service(key: str) -> Response:
    from shared.catalog import (
        edit as catalog_edit,  # the catalog's editing is the managers': kept off the API's cold start
    )

    who = caller()
    body = router.body("CatalogService")
    service, created = catalog_edit.put_service(who, key, body.model_dump())
    return json_response(201 if created else 200, catalog_edit.service_view(service))


@router.declare(
    "GET",
    "/catalog/services",
    "The whole catalog with hidden services and route settings (staff)",
    "intake",
    roles=STAFF,
)
def catalog_services() -> dict[str, Any]:
    from shared.catalog import (
        edit as catalog_edit,  # the catalog's editing is the managers': kept off the API's cold start
    )

    return {"items": [catalog_edit.service_view(s) for s in catalog_edit.list_all(caller())]}


@router.declare(
    "POST",
    "/tickets/{ticket_id}/approval",
    "Approve or decline a change request's estimate before any work is done (R26; the ticket's customer)",
    "tickets",
    body="CatalogApproval",
    roles=(CUSTOMER,),
    resource="ticket",
)
@router.declare(
    "POST",
    "/public/tickets/{ticket_id}/approval",
    "Approve or decline a web-form change request's estimate through its follow link (R26)",
    "intake",
    name="approval_public",
    public=True,
    body="CatalogApproval",
    query=FOLLOW_KEY_QUERY,
)
def approval(ticket_id: str) -> dict[str, Any]:
    from shared.routes import approvals  # estimates and approvals are rare: kept off the API's cold start

    pass

    acting = ticket_caller(ticket_id)
    body = router.body("CatalogApproval")
    approvals.decide(acting.who, ticket_id, decision=body.decision, comment=body.comment)
    return acting.view()


@router.declare(
    "POST",
    "/tasks/{task_id}/estimate",
    "Complete an evaluate task with the estimate in hours the customer will approve (R26)",
    "tasks",
    body="CatalogEstimate",
    roles=STAFF,
    resource="task",
)
def estimate(task_id: str) -> dict[str, Any]:
    from shared.routes import approvals  # estimates and approvals are rare: kept off the API's cold start

    pass

    who = caller()
    body = router.body("CatalogEstimate")
    approvals.record_estimate(who, task_id, hours=body.hours, note=body.note)
    task = complete_task(who, task_id, outcome="estimated", note=body.note)
    return {"task": single_task_view(task)}


@router.declare(
    "GET",
    "/organisations/{org_id}/licences",
    "An organisation's licence-key limit and count (managers)",
    "admin",
    roles=(MANAGER,),
)
def licences(org_id: str) -> dict[str, Any]:
    from shared.catalog import (
        edit as catalog_edit,  # the catalog's editing is the managers': kept off the API's cold start
    )

    return catalog_edit.licences_view(caller(), org_id)


@router.declare(
    "PUT",
    "/organisations/{org_id}/licences",
    "Set an organisation's licence-key limit (managers)",
    "admin",
    body="CatalogLicenceLimit",
    roles=(MANAGER,),
)
def set_licences(org_id: str) -> dict[str, Any]:
    from shared.catalog import (
        edit as catalog_edit,  # the catalog's editing is the managers': kept off the API's cold start
    )

    who = caller()
    body = router.body("CatalogLicenceLimit")
    return catalog_edit.set_limit(who, org_id, body.limit)
