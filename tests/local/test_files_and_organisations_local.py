"""Over real HTTP against `caseway local`: attachments are what they claim and whose they are (a bidi-disguised name,
the presigned policy's exact size, an executable uploaded as a PDF to the local S3, an agent's internal file named in
a customer's message), nobody joins the `public` organisation, no organisation claims a free-mail domain, and a
manager unmaps a machine client."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
import requests

from tests.local.process import running_stack
from tests.local.test_scenario_local_stack import Http
from tests.uploads import file_like, post_upload

BOB = "bob@acme.example"
LENA = "lena.l1@caseway.example"
MARIA = "maria.manager@caseway.example"
PDF = {"file_name": "invoice.pdf", "size": 1500, "content_type": "application/pdf"}
EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 1500)[:1500]


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Http, list[str]]]:
    with running_stack() as (url, lines):
        yield Http(url), lines


@pytest.fixture(scope="module")
def tokens(stack) -> dict[str, str]:
    http, _ = stack
    return {user: http.token(user) for user in (BOB, LENA, MARIA)}


def _ticket(http: Http, token: str) -> dict:
    body = {
        "service": "functionality-question",
        "subject": "The export fails",
        "description": "Since Monday the monthly export stops half-way.",
        "fields": {"problem": "Export", "contact": "+420 777 000 111", "reachable_in_an_hour": True},
    }
    status, created = http("POST", "/tickets", body, token)
    assert status == 201, created
    return created


def _mine(http: Http, ticket_id: str, token: str) -> list[dict]:
    _, seen = http("GET", f"/tickets/{ticket_id}", token=token)
    return [m for m in seen["messages"] if m["author"]["role"] != "system"]


def test_a_bidi_disguised_executable_is_refused_and_the_policy_names_the_declared_size(stack, tokens):
    http, _ = stack
    ticket = _ticket(http, tokens[BOB])
    base = f"/tickets/{ticket['id']}/attachments"

    status, problem = http("POST", base, {**PDF, "file_name": "invoice\u202efdp.exe"}, tokens[BOB])
    assert status == 422, problem
    assert "'invoicefdp.exe' does not end like a PDF document" in problem["detail"]

    status, slot = http("POST", base, PDF, tokens[BOB])
    assert status == 201, slot
    policy = json.loads(base64.b64decode(slot["upload"]["fields"]["policy"]))
    assert ["content-length-range", 1500, 1500] in policy["conditions"]


def test_an_executable_uploaded_as_a_pdf_is_refused_when_a_message_claims_it(stack, tokens):
    http, _ = stack
    ticket = _ticket(http, tokens[BOB])
    status, slot = http("POST", f"/tickets/{ticket['id']}/attachments", PDF, tokens[BOB])
    assert status == 201, slot
    assert post_upload(slot, EXE) in (200, 201, 204)  # the local S3 stores it: the claim is where it is caught

    status, problem = http(
        "POST", f"/tickets/{ticket['id']}/messages", {"body": "The invoice", "attachments": [slot["id"]]}, tokens[BOB]
    )

    assert status == 422, problem
    assert problem["errors"][0]["message"].endswith("the content is not a PDF document (application/pdf)")
    assert _mine(http, ticket["id"], tokens[BOB]) == []


def test_a_customer_cannot_claim_an_agents_internal_file_and_a_real_pdf_goes_through(stack, tokens):
    http, _ = stack
    ticket = _ticket(http, tokens[BOB])
    base = f"/tickets/{ticket['id']}"
    status, secret = http("POST", f"{base}/attachments", {**PDF, "file_name": "logs.pdf"}, tokens[LENA])
    assert status == 201 and post_upload(secret, file_like("application/pdf", 1500)) in (200, 201, 204)
    note = {"body": "Server logs", "internal": True, "attachments": [secret["id"]]}
    assert http("POST", f"{base}/messages", note, tokens[LENA])[0] == 201

    status, problem = http("POST", f"{base}/messages", {"body": "x", "attachments": [secret["id"]]}, tokens[BOB])
    assert status == 422, problem
    assert http("GET", f"{base}/attachments/{secret['id']}", token=tokens[BOB])[0] == 404

    content = file_like("application/pdf", 1500)
    status, mine = http("POST", f"{base}/attachments", PDF, tokens[BOB])
    assert status == 201 and post_upload(mine, content) in (200, 201, 204)
    status, sent = http("POST", f"{base}/messages", {"body": "Invoice", "attachments": [mine["id"]]}, tokens[BOB])
    assert status == 201, sent
    status, link = http("GET", f"{base}/attachments/{mine['id']}", token=tokens[BOB])
    assert status == 200, link
    assert requests.get(link["url"], timeout=30).content == content


def test_nobody_joins_the_public_organisation_and_no_one_claims_free_mail(stack, tokens):
    http, _ = stack
    invitation = {
        "email": "mallory@example.org",
        "name": "Mallory",
        "role": "customer",
        "organisation_id": "public",
        "org_admin": True,
    }
    status, problem = http("POST", "/people", invitation, tokens[MARIA])
    assert status == 422, problem
    assert problem["errors"] == [{"field": "organisation_id", "message": "'public' has no members"}]
    assert http("GET", "/local/token?user=mallory@example.org")[0] != 200

    status, acme = http("GET", "/organisations/acme", token=tokens[MARIA])
    settings = {k: acme[k] for k in ("name", "importance", "language")}
    for org, domains in (("acme", [*acme["email_domains"], "seznam.cz"]), ("public", ["acme-partner.example"])):
        status, problem = http("PUT", f"/organisations/{org}", {**settings, "email_domains": domains}, tokens[MARIA])
        assert status == 422, problem
        assert problem["errors"][0]["field"] == "email_domains"
    assert http("GET", "/organisations/acme", token=tokens[MARIA])[1]["email_domains"] == acme["email_domains"]


def test_a_manager_unmaps_a_machine_client_and_only_a_manager(stack, tokens):
    http, lines = stack
    line = next(line for line in lines if "client id " in line and " secret " in line)
    client_id, secret = line.split("client id ", 1)[1].split()[0], line.split(" secret ", 1)[1].split()[0]
    path = f"/organisations/acme/machine-clients/{client_id}"
    status, _ = http("PUT", f"/organisations/public/machine-clients/{client_id}", {"name": "x"}, tokens[MARIA])
    assert status == 422
    assert http("PUT", path, {"name": "Acme monitoring"}, tokens[MARIA])[0] == 201
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        http.base + "/local/oauth2/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"authorization": f"Basic {basic}", "content-type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        machine = json.loads(answer.read())["access_token"]
    assert http("GET", "/tickets", token=machine)[0] == 200

    for token in (tokens[LENA], tokens[BOB], machine):
        assert http("DELETE", path, token=token)[0] == 403
    assert http("GET", "/tickets", token=machine)[0] == 200
    assert http("DELETE", path, token=tokens[MARIA])[0] == 204

    status, problem = http("GET", "/tickets", token=machine)
    assert status == 403 and "acts for no organisation" in problem["detail"]
