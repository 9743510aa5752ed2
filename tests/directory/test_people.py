"""People through the API: one call invites a person (the Cognito user on the user pool, its groups and
organisation, and the desk's record), their first token works at once, ID or access token alike (the
pre-token-generation trigger puts role, groups, organisation and e-mail into both); a deactivated person can
no longer sign in and the tokens they still hold are refused; their tickets stay."""

from __future__ import annotations

import boto3
import pytest

from functions import cognito_pre_token
from infra import invite
from infra.local import tokens
from infra.local.cli import main
from shared.directory import items as directory
from shared.platform import aws, config
from shared.platform.errors import Forbidden
from tests.conftest import ALICE, BOB, LENA, MARIA, QUESTION, open_l1_task
from tests.tickets.test_authorization import assert_problem

pytestmark = pytest.mark.usefixtures("user_pool")  # people are invited into the emulated user pool

NINA = {"email": "Nina@caseway.example", "name": "Nina (L1)", "role": "agent", "groups": ["L1"], "line": "L1"}
CARL = {"email": "carl@acme.example", "name": "Carl (Acme)", "role": "customer", "organisation_id": "acme"}


def cognito_user(email: str) -> dict:
    cognito = aws.client("cognito-idp")
    pool = config.get(config.USER_POOL_ID)
    user = cognito.admin_get_user(UserPoolId=pool, Username=email)
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"]
    return {**user, "groups": sorted(g["GroupName"] for g in groups)}


def test_an_invited_agent_works_their_queue_with_their_first_token(api):
    invited = api("POST", "/people", user=MARIA, body=NINA)
    assert invited.status == 201, invited.text
    person = invited.json
    assert (person["email"], person["role"], person["groups"], person["line"], person["active"]) == (
        "nina@caseway.example",
        "agent",
        ["L1"],
        "L1",
        True,
    )
    pool_user = cognito_user("nina@caseway.example")
    assert pool_user["groups"] == ["agent"]
    assert {a["Name"]: a["Value"] for a in pool_user["UserAttributes"]}["sub"] == person["sub"]

    created = api("POST", "/tickets", user=ALICE, body=QUESTION)
    assert created.status == 201, created.text
    open_l1_task(api, created.json["id"])
    for use in ("id", "access"):
        claims = tokens.person_claims("nina@caseway.example", use)
        assert claims["cognito:groups"] == ["agent"] and claims["email"] == "nina@caseway.example"
        queue = api("GET", "/tasks?group=L1", claims=claims)
        assert queue.status == 200, queue.text
        assert created.json["id"] in [t["ticket_id"] for t in queue.json["items"]]
        assert api("GET", f"/routing/agents/{person['sub']}", claims=claims).json["groups"] == ["L1"]
        assert api("GET", "/figures/me", claims=claims).status == 200
    # The same address cannot be invited twice.
    assert_problem(api("POST", "/people", user=MARIA, body=NINA), 409)


def test_a_customers_access_token_opens_and_reads_tickets_of_their_organisation(api):
    assert api("POST", "/people", user=MARIA, body=CARL).status == 201
    claims = tokens.person_claims(CARL["email"], "access")
    assert claims["token_use"] == "access"
    assert (claims["email"], claims["custom:org_id"], claims["caseway:role"]) == (
        "carl@acme.example",
        "acme",
        "customer",
    )
    created = api("POST", "/tickets", claims=claims, body=QUESTION)
    assert created.status == 201, created.text
    assert api("GET", f"/tickets/{created.json['id']}", user=ALICE).json["requester"]["email"] == "carl@acme.example"
    assert [t["id"] for t in api("GET", "/tickets", claims=claims).json["items"]] == [created.json["id"]]


def test_invitations_are_checked_before_anyone_is_created(api):
    assert_problem(api("POST", "/people", user=LENA, body=NINA), 403)
    assert_problem(api("POST", "/people", user=ALICE, body=CARL), 403)
    cases = [
        ({**CARL, "organisation_id": None}, "organisation_id"),
        ({**CARL, "organisation_id": "nowhere"}, "organisation_id"),
        ({**NINA, "organisation_id": "acme"}, "organisation_id"),
        ({**NINA, "groups": ["L9"]}, "groups"),
        ({**NINA, "email": "not-an-address"}, "email"),
    ]
    for body, field in cases:
        problem = assert_problem(api("POST", "/people", user=MARIA, body=body), 422)
        assert field in {e["field"] for e in problem["errors"]}, problem
    pool = config.get(config.USER_POOL_ID)
    assert aws.client("cognito-idp").list_users(UserPoolId=pool)["Users"] == []


def test_a_deactivated_person_cannot_sign_in_and_their_tokens_are_refused_but_their_tickets_stay(api):
    sub = api("POST", "/people", user=MARIA, body=CARL).json["sub"]
    claims = tokens.person_claims(CARL["email"], "access")
    ticket = api("POST", "/tickets", claims=claims, body=QUESTION).json

    assert_problem(api("POST", f"/people/{sub}/deactivate", user=LENA), 403)
    done = api("POST", f"/people/{sub}/deactivate", user=MARIA)
    assert done.status == 200, done.text
    assert done.json["active"] is False and done.json["deactivated_at"]

    refused = assert_problem(api("GET", "/tickets", claims=claims), 401)
    assert "deactivated" in refused["detail"]
    assert cognito_user(CARL["email"])["Enabled"] is False
    with pytest.raises(tokens.TokenRefused):
        tokens.person_claims(CARL["email"], "id")
    # The trigger itself refuses a token even if Cognito asked (the record says inactive).
    event = {"request": {"userAttributes": {"sub": sub, "email": CARL["email"]}, "groupConfiguration": {}}}
    with pytest.raises(Forbidden):
        cognito_pre_token.handler(event, None)
    kept = api("GET", f"/tickets/{ticket['id']}", user=ALICE)
    assert kept.status == 200 and kept.json["status"] == "new"
    listed = api("GET", "/people?organisation_id=acme", user=ALICE).json["items"]
    assert {p["email"]: p["active"] for p in listed}["carl@acme.example"] is False


def test_the_trigger_keeps_a_record_for_someone_added_outside_the_api(api):
    cognito = aws.client("cognito-idp")
    pool = config.get(config.USER_POOL_ID)
    attrs = [{"Name": "email", "Value": "dora@globex.example"}, {"Name": "custom:org_id", "Value": "globex"}]
    created = cognito.admin_create_user(UserPoolId=pool, Username="dora@globex.example", UserAttributes=attrs)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="dora@globex.example", GroupName="customer")
    sub = {a["Name"]: a["Value"] for a in created["User"]["Attributes"]}["sub"]
    assert directory.get_user(sub) is None
    event = {
        "version": "2",
        "triggerSource": "TokenGeneration_HostedAuth",
        "userName": "dora@globex.example",
        "request": {
            "userAttributes": {"sub": sub, "email": "dora@globex.example", "custom:org_id": "globex"},
            "groupConfiguration": {"groupsToOverride": ["customer"]},
        },
        "response": {"claimsAndScopeOverrideDetails": None},
    }
    details = cognito_pre_token.handler(event, None)["response"]["claimsAndScopeOverrideDetails"]
    expected = {"email": "dora@globex.example", "caseway:role": "customer", "custom:org_id": "globex"}
    assert details["idTokenGeneration"]["claimsToAddOrOverride"] == expected
    assert details["accessTokenGeneration"]["claimsToAddOrOverride"] == expected
    assert details["groupOverrideDetails"]["groupsToOverride"] == ["customer"]
    record = directory.get_user(sub)
    assert (record.role, record.organisation_id, record.email) == ("customer", "globex", "dora@globex.example")


def test_people_are_listed_by_organisation_a_page_at_a_time(api):
    for n in range(3):
        body = {**CARL, "email": f"p{n}@acme.example", "name": f"P{n}"}
        assert api("POST", "/people", user=MARIA, body=body).status == 201
    seen, cursor = [], None
    while True:
        page = api("GET", "/people?organisation_id=acme&limit=2" + (f"&cursor={cursor}" if cursor else ""), user=MARIA)
        assert page.status == 200, page.text
        seen += [p["email"] for p in page.json["items"]]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(
        ["alice@acme.example", "bob@acme.example", "p0@acme.example", "p1@acme.example", "p2@acme.example"]
    )
    staff = [p["email"] for p in api("GET", "/people", user=MARIA).json["items"]]
    assert "lena.l1@caseway.example" in staff and "alice@acme.example" not in staff
    assert_problem(api("GET", "/people?organisation_id=globex", user=ALICE), 404)  # another organisation: as missing
    assert_problem(api("GET", "/people?organisation_id=globex&limit=0", user=ALICE), 404)  # before what was asked
    assert_problem(api("GET", "/people", user=BOB), 403)  # a customer who is not the admin
    assert_problem(api("POST", "/people", user=ALICE, body={"email": 1}), 403)  # who before what was sent
    routed = api("PUT", "/people/agent-petr/routing", user=MARIA, body={"groups": ["L1", "L2"], "skills": ["sql"]})
    assert routed.status == 200, routed.text
    assert (routed.json["groups"], routed.json["skills"]) == (["L1", "L2"], ["sql"])


def test_caseway_invite_makes_the_same_invitation_as_the_api(api):
    args = invite.argparse.Namespace(
        email="Olga.New@caseway.example",
        name="Olga",
        role="agent",
        organisation=None,
        org_admin=False,
        groups="L1,L2",
        line="L1",
        skills="billing",
    )
    person = invite.invite_directly(invite.invitation(args))
    assert (person["email"], person["groups"], person["line"], person["skills"]) == (
        "olga.new@caseway.example",
        ["L1", "L2"],
        "L1",
        ["billing"],
    )
    assert cognito_user("olga.new@caseway.example")["groups"] == ["agent"]
    claims = tokens.person_claims("olga.new@caseway.example", "access")
    assert api("GET", "/tasks?group=L2", claims=claims).status == 200
    with pytest.raises(ValueError, match="No group L9"):
        invite.invite_directly({**invite.invitation(args), "email": "x@caseway.example", "groups": ["L9"]})


def test_a_demo_user_without_a_pool_account_is_deactivated_too(api):
    assert api("GET", "/tickets", user="bob@acme.example").status == 200
    assert api("POST", "/people/cust-bob/deactivate", user=MARIA).status == 200
    assert_problem(api("GET", "/tickets", user="bob@acme.example"), 401)
    with pytest.raises(tokens.TokenRefused):
        tokens.person_claims("bob@acme.example")
    assert_problem(api("POST", f"/people/{directory.get_user('manager-maria').sub}/deactivate", user=MARIA), 409)
    assert_problem(api("POST", "/people/nobody/deactivate", user=MARIA), 404)


def test_caseway_invite_finds_a_deployed_stage_by_its_api_function(api, capsys):

    environment = {
        config.TABLE_NAME: config.get(config.TABLE_NAME),
        config.USER_POOL_ID: config.get(config.USER_POOL_ID),
    }
    role = boto3.client("iam").create_role(RoleName="api", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda").create_function(
        FunctionName="caseway-dev-api",
        Runtime="python3.12",
        Role=role,
        Handler="functions.api.app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={"Variables": {**environment, "POWERTOOLS_SERVICE_NAME": "caseway-api"}},
    )
    assert invite.stage_environment("dev") == environment
    assert (
        main(
            ["invite", "--stage", "dev", "--email", "eva@acme.example", "--role", "customer", "--organisation", "acme"]
        )
        == 0
    )
    assert '"email": "eva@acme.example"' in capsys.readouterr().out
    assert cognito_user("eva@acme.example")["groups"] == ["customer"]
    assert main(["invite", "--stage", "qa", "--email", "x@acme.example", "--role", "customer"]) == 2
    assert "caseway-qa-api" in capsys.readouterr().err


def test_a_person_reads_the_language_and_time_zone_the_desk_uses_for_them(api):
    """The web app shows itself in them (GET /people/{sub}): a customer's organisation's (its zone, else the desk's),
    nothing for staff."""
    jana = api("GET", "/people/cust-jana", user="jana@novak.example")
    assert jana.status == 200
    assert (jana.json["language"], jana.json["timezone"]) == ("cs", "Europe/Prague")
    bob = api("GET", "/people/cust-bob", user=BOB).json
    assert (bob["language"], bob["timezone"]) == ("en", "Europe/Prague")  # Acme names no zone: the desk's, as e-mails
    lena = api("GET", "/people/agent-lena", user=LENA).json
    assert (lena["language"], lena["timezone"]) == (None, None)
