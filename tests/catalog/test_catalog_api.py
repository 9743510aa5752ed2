"""The catalog as data (R5): managers define services through the API; everyone else is refused; an invalid
definition is a 422 naming each bad field; a new service on an existing route works without code."""

from __future__ import annotations

import pytest

from infra.cdk import asl as routes
from infra.local import emulation as aws_emulation
from shared.directory import services as catalog
from tests.conftest import ALICE, BOB, DANA, LENA, MARIA, finish_task, route_task, wait_for

OLGA = "office@caseway.example"

CERTIFICATE = {
    "title": "Certificate of insurance",
    "description": "A certificate that your contract with us is insured.",
    "route": "document-request",
    "intake_fields": [{"key": "wanted_by", "required": True}, {"key": "contact"}],
    "groups": ["office"],
    "deadline_working_days": 2,
}


def test_known_routes_are_exactly_the_state_machine_files():
    assert set(catalog.KNOWN_ROUTES) == set(routes.route_names())


def test_default_services_run_their_own_routes():
    by_key = {s["key"]: s["route"] for s in catalog.DEFAULT_SERVICES}
    assert by_key == {
        "functionality-question": "support",
        "document-request": "document-request",
        "licence-key": "licence-key",
        "change-request": "change-request",
    }


def test_a_manager_adds_a_service_on_an_existing_route_and_a_customer_gets_it_handled(desk):
    api = desk.api
    # When Maria adds a service that uses the document-request route
    reply = api("PUT", "/services/insurance-certificate", user=MARIA, body=CERTIFICATE)
    assert reply.status == 201, reply.text
    assert reply.json["intake_fields"][0] == {
        "key": "wanted_by",
        "label": "By when do you need it?",
        "type": "text",
        "required": True,
    }
    # Then customers see it in the catalog with its form
    listed = {s["key"]: s for s in api("GET", "/services").json["items"]}
    assert listed["insurance-certificate"]["route"] == "document-request"
    # and its required question is enforced
    body = {"service": "insurance-certificate", "subject": "Insurance certificate", "description": "For the audit."}
    missing = api("POST", "/tickets", user=BOB, body=body)
    assert missing.status == 422 and missing.json["errors"][0]["field"] == "fields.wanted_by"
    # When Bob asks for it
    ticket = api("POST", "/tickets", user=BOB, body={**body, "fields": {"wanted_by": "Friday"}}).json
    # Then the route runs with the service's own deadline (2 working days: Wednesday 09:00 Prague)
    task = route_task(api, "office", OLGA, ticket["id"], "prepare_document")
    assert task["due_at"] == "2026-11-25T08:00:00.000Z"
    told = api("GET", f"/tickets/{ticket['id']}", user=BOB).json["messages"][0]["body"]
    assert told.startswith("We have received your request: we will send you the document (Certificate of insurance)")
    finish_task(api, OLGA, task, "sent")
    wait_for(lambda: api("GET", f"/tickets/{ticket['id']}", user=BOB).json["status"] == "resolved", what="resolved")
    states = wait_for(
        lambda: (s := aws_emulation.route_states(ticket["id"], "document-request")) and "FollowUp" in s and s,
        what="the route to follow up",
    )
    assert states[:4] == ["Prepare", "Prepared", "AfterPrepared", "FollowUp"] and "Fault" not in states


def test_a_manager_updates_a_service_and_can_hide_it(desk):
    api = desk.api
    api("PUT", "/services/insurance-certificate", user=MARIA, body={**CERTIFICATE, "position": 7})
    # When Maria replaces it, hidden from customers and served by another group
    reply = api(
        "PUT",
        "/services/insurance-certificate",
        user=MARIA,
        body={**CERTIFICATE, "customer_visible": False, "groups": ["billing", "office"]},
    )
    assert reply.status == 200
    assert reply.json["position"] == 7  # kept when not given
    # Then customers neither see it nor can open a ticket for it; staff still see it
    assert "insurance-certificate" not in [s["key"] for s in api("GET", "/services").json["items"]]
    refused = api(
        "POST",
        "/tickets",
        user=BOB,
        body={"service": "insurance-certificate", "subject": "Certificate", "description": "x", "fields": {}},
    )
    assert refused.status == 422
    staff = {s["key"]: s for s in api("GET", "/catalog/services", user=LENA).json["items"]}
    assert staff["insurance-certificate"]["groups"] == ["billing", "office"]
    assert staff["insurance-certificate"]["customer_visible"] is False
    assert staff["document-request"]["deadline_working_days"] == 3


@pytest.mark.parametrize("user", [LENA, DANA, BOB, ALICE])
def test_only_managers_edit_the_catalog(api, user):
    reply = api("PUT", "/services/insurance-certificate", user=user, body=CERTIFICATE)
    assert reply.status == 403
    assert reply.content_type.startswith("application/problem+json")
    assert "insurance-certificate" not in [s["key"] for s in api("GET", "/services").json["items"]]


def test_editing_the_catalog_needs_a_token(api_without_aws):
    assert api_without_aws("PUT", "/services/insurance-certificate", body=CERTIFICATE).status == 401


def test_customers_cannot_list_the_whole_catalog(api_without_aws):
    assert api_without_aws("GET", "/catalog/services", user=BOB).status == 403


@pytest.mark.parametrize(
    ("key", "change", "field", "hint"),
    [
        ("x-route", {"route": "teleport"}, "route", "routes: change-request, document-request, licence-key, support"),
        ("x-question", {"intake_fields": [{"key": "shoe_size"}]}, "intake_fields.0.key", "not in the question bank"),
        (
            "x-twice",
            {"intake_fields": [{"key": "contact"}, {"key": "contact", "required": True}]},
            "intake_fields.1.key",
            "asked twice",
        ),
        ("Bad_Key!", {}, "key", "lower-case letters"),
        ("x-groups", {"groups": []}, "groups", "at least 1"),
        ("x-group-name", {"groups": ["level 2"]}, "groups.0", "letters, digits"),
        ("x-days", {"deadline_working_days": 0}, "deadline_working_days", "greater than or equal to 1"),
        ("x-title", {"title": ""}, "title", "at least 3"),
        ("x-extra", {"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_invalid_service_definitions_are_422_naming_the_field(api, key, change, field, hint):
    reply = api("PUT", f"/services/{key}", user=MARIA, body={**CERTIFICATE, **change})
    assert reply.status == 422, reply.text
    errors = {e["field"]: e["message"] for e in reply.json["errors"]}
    assert field in errors and hint in errors[field]
    assert key not in [s["key"] for s in api("GET", "/catalog/services", user=MARIA).json["items"]]


def test_managers_see_and_set_an_organisations_licence_limit(api):
    assert api("GET", "/organisations/acme/licences", user=MARIA).json == {
        "organisation_id": "acme",
        "limit": 3,
        "issued": 2,
    }
    reply = api("PUT", "/organisations/globex/licences", user=MARIA, body={"limit": 12})
    assert reply.status == 200 and reply.json["limit"] == 12
    assert api("PUT", "/organisations/globex/licences", user=MARIA, body={"limit": -1}).status == 422
    assert api("GET", "/organisations/nowhere/licences", user=MARIA).status == 404
    for user in (LENA, BOB, ALICE):
        assert api("GET", "/organisations/acme/licences", user=user).status == 403
        assert api("PUT", "/organisations/acme/licences", user=user, body={"limit": 99}).status == 403
    assert api("GET", "/organisations/acme/licences", user=MARIA).json["limit"] == 3


def test_only_the_evaluating_agent_or_a_manager_gives_an_estimate(desk):
    api = desk.api
    ticket = api(
        "POST",
        "/tickets",
        user=BOB,
        body={
            "service": "change-request",
            "subject": "Dark mode",
            "description": "Please add a dark mode.",
            "fields": {"change_description": "A dark theme"},
        },
    ).json
    task = route_task(api, "L2", DANA, ticket["id"], "evaluate")
    # A customer cannot; a task that is not taken cannot be completed
    assert api("POST", f"/tasks/{task['id']}/estimate", user=BOB, body={"hours": 3}).status == 403
    assert api("POST", f"/tasks/{task['id']}/estimate", user=DANA, body={"hours": 3}).status == 409
    assert api("POST", f"/tasks/{task['id']}/estimate", user=DANA, body={"hours": 0}).status == 422
    api("POST", f"/tasks/{task['id']}/take", user=DANA)
    # Another task type takes no estimate
    other = api("POST", "/tickets", user=BOB, body={**_doc()}).json
    prepare = route_task(api, "office", OLGA, other["id"], "prepare_document")
    api("POST", f"/tasks/{prepare['id']}/take", user=OLGA)
    assert api("POST", f"/tasks/{prepare['id']}/estimate", user=OLGA, body={"hours": 3}).status == 422
    assert api("POST", f"/tasks/{task['id']}/estimate", user=DANA, body={"hours": 3.5}).status == 200
    wait_for(
        lambda: api("GET", f"/tickets/{ticket['id']}", user=BOB).json["status"] == "waiting_for_customer",
        what="the estimate",
    )


def _doc() -> dict:
    return {
        "service": "document-request",
        "subject": "Invoice copy",
        "description": "October",
        "fields": {"document_type": "invoice"},
    }
