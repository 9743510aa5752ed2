"""Machine clients: a client-credentials app client a manager maps to one organisation acts as that
organisation's integration on the ticket endpoints, within its token's scopes (tickets.read to read,
tickets.write to change); another organisation's ticket answers 404; without the scope, 403."""

from __future__ import annotations

import base64
import json

import pytest

from infra.local import emulation, tokens
from tests.conftest import ALICE, GUS, LENA, MARIA, QUESTION
from tests.tickets.test_authorization import assert_problem

pytestmark = pytest.mark.usefixtures("user_pool")  # people are invited into the emulated user pool


def client_token(scope: str | None = None) -> dict:
    client = emulation.machine_client()
    basic = base64.b64encode(f"{client['ClientId']}:{client['ClientSecret']}".encode()).decode()
    form = {"grant_type": ["client_credentials"], **({"scope": [scope]} if scope else {})}
    return tokens.machine_claims(f"Basic {basic}", form)


@pytest.fixture
def mapped(api) -> str:
    client_id = emulation.machine_client()["ClientId"]
    body = {"name": "Acme monitoring", "email": "ops@acme.example"}
    reply = api("PUT", f"/organisations/acme/machine-clients/{client_id}", user=MARIA, body=body)
    assert reply.status == 201, reply.text
    assert reply.json["organisation_id"] == "acme"
    return client_id


def test_a_client_with_tickets_write_opens_a_ticket_for_its_organisation_and_cannot_read_anothers(api, mapped):
    claims = client_token("caseway/tickets.read caseway/tickets.write")
    assert claims["sub"] == claims["client_id"] == mapped and "cognito:groups" not in claims
    created = api("POST", "/tickets", claims=claims, body=QUESTION)
    assert created.status == 201, created.text
    staff_view = api("GET", f"/tickets/{created.json['id']}", user=LENA).json
    assert (staff_view["organisation_id"], staff_view["requester"]["email"]) == ("acme", "ops@acme.example")
    assert api("GET", f"/tickets/{created.json['id']}", claims=claims).status == 200
    assert [t["id"] for t in api("GET", "/tickets", claims=claims).json["items"]] == [created.json["id"]]

    globex = api("POST", "/tickets", user=GUS, body=QUESTION).json
    assert_problem(api("GET", f"/tickets/{globex['id']}", claims=claims), 404)
    assert_problem(api("POST", f"/tickets/{globex['id']}/messages", claims=claims, body={"body": "hi"}), 404)


def test_without_the_scope_the_call_is_403_and_only_ticket_endpoints_are_open(api, mapped):
    read_only = client_token("caseway/tickets.read")
    refused = assert_problem(api("POST", "/tickets", claims=read_only, body=QUESTION), 403)
    assert "caseway/tickets.write" in refused["detail"]
    assert api("GET", "/tickets", claims=read_only).status == 200
    write_only = client_token("caseway/tickets.write")
    assert "caseway/tickets.read" in assert_problem(api("GET", "/tickets", claims=write_only), 403)["detail"]
    for path in ("/tasks?group=L1", "/organisations/acme", "/contracts/acme", "/figures/me"):
        assert_problem(api("GET", path, claims=client_token()), 403)
    # The scope is checked before the body is read: a bad body without the scope is still 403.
    assert_problem(api("POST", "/tickets", claims=read_only, body={"subject": 1}), 403)


def test_an_unmapped_client_is_refused_and_the_mapping_is_checked(api):
    claims = client_token()
    assert "acts for no organisation" in assert_problem(api("GET", "/tickets", claims=claims), 403)["detail"]
    client_id = claims["client_id"]
    assert_problem(api("PUT", f"/organisations/acme/machine-clients/{client_id}", user=LENA, body={"name": "x"}), 403)
    assert_problem(api("PUT", "/organisations/acme/machine-clients/nope", user=MARIA, body={"name": "x"}), 422)
    assert_problem(
        api("PUT", f"/organisations/nowhere/machine-clients/{client_id}", user=MARIA, body={"name": "x"}), 404
    )
    with pytest.raises(tokens.TokenRefused):
        tokens.machine_claims(
            "Basic " + base64.b64encode(f"{client_id}:wrong".encode()).decode(), {"grant_type": ["client_credentials"]}
        )
    with pytest.raises(tokens.TokenRefused):
        client_token("caseway/admin")


def test_the_local_token_endpoints_sign_what_the_gateway_accepts(api, mapped):
    from infra.local import gateway, server  # the local stack's HTTP glue, called without a socket

    client = emulation.machine_client()
    basic = base64.b64encode(f"{client['ClientId']}:{client['ClientSecret']}".encode()).decode()
    status, _, body = server.local_oauth_token(
        {"authorization": f"Basic {basic}"}, b"grant_type=client_credentials&scope=caseway%2Ftickets.write"
    )
    assert status == 200, body
    answer = json.loads(body)
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 3600)
    claims = gateway.verify_token(answer["access_token"])
    assert claims["scope"] == "caseway/tickets.write"
    assert api("POST", "/tickets", claims=claims, body=QUESTION).status == 201
    refused, _, _ = server.local_oauth_token({}, b"grant_type=password")
    assert refused == 401

    assert (
        api(
            "POST",
            "/people",
            user=MARIA,
            body={"email": "kim@acme.example", "name": "Kim", "role": "customer", "organisation_id": "acme"},
        ).status
        == 201
    )
    status, _, body = server.local_get("/local/token", {"user": ["kim@acme.example"], "use": ["access"]})
    assert status == 200, body
    person = gateway.verify_token(json.loads(body)["token"])
    assert (person["token_use"], person["custom:org_id"], person["email"]) == ("access", "acme", "kim@acme.example")
    assert server.local_get("/local/token", {"user": ["nobody@acme.example"]})[0] == 404


def test_a_manager_unmaps_a_client_and_its_tokens_are_refused_from_then_on(api, mapped):
    claims = client_token("caseway/tickets.read caseway/tickets.write")
    assert api("GET", "/tickets", claims=claims).status == 200
    path = f"/organisations/acme/machine-clients/{mapped}"

    # Only a manager unmaps: agents, the organisation's admin and the client itself are refused, nothing changes
    for who in ({"user": LENA}, {"user": ALICE}, {"claims": claims}):
        assert_problem(api("DELETE", path, **who), 403)
    assert api("DELETE", path).status == 401
    assert_problem(api("DELETE", f"/organisations/globex/machine-clients/{mapped}", user=MARIA), 404)
    assert api("GET", "/tickets", claims=claims).status == 200

    reply = api("DELETE", path, user=MARIA)

    assert reply.status == 204, reply.text
    assert "acts for no organisation" in assert_problem(api("GET", "/tickets", claims=claims), 403)["detail"]
    assert_problem(api("DELETE", path, user=MARIA), 404)  # already unmapped
    # A manager may map it again, to another organisation too
    remapped = api("PUT", f"/organisations/globex/machine-clients/{mapped}", user=MARIA, body={"name": "Globex ops"})
    assert remapped.status == 200, remapped.text
    assert (remapped.json["organisation_id"], remapped.json["active"]) == ("globex", True)
    assert api("GET", "/tickets", claims=client_token("caseway/tickets.read")).status == 200


def test_a_client_cannot_be_mapped_to_the_public_organisation(api):
    client_id = emulation.machine_client()["ClientId"]

    reply = api("PUT", f"/organisations/public/machine-clients/{client_id}", user=MARIA, body={"name": "x"})

    problem = assert_problem(reply, 422)
    assert "'public' organisation holds the tickets of senders without an organisation" in problem["detail"]
    assert problem["errors"] == [{"field": "organisation_id", "message": "'public' has no members"}]
    assert "acts for no organisation" in assert_problem(api("GET", "/tickets", claims=client_token()), 403)["detail"]
