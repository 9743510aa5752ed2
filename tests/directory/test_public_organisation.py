"""`public` holds the tickets of senders without an organisation: nobody joins it (invitations, machine clients, a
token of an account put there outside the API) and it claims no domain; and no organisation claims a free-mail
provider's domain, whose addresses anyone can get."""

from __future__ import annotations

import pytest

from functions import cognito_pre_token
from shared.directory import domains, people
from shared.directory import items as directory
from shared.platform import aws, config
from shared.platform.errors import Forbidden
from tests.conftest import MARIA
from tests.tickets.test_authorization import assert_problem

MALLORY = {
    "email": "mallory@example.org",
    "name": "Mallory",
    "role": "customer",
    "organisation_id": "public",
    "org_admin": True,
}


@pytest.mark.usefixtures("user_pool")
def test_nobody_is_invited_into_the_public_organisation(api):
    reply = api("POST", "/people", user=MARIA, body=MALLORY)

    problem = assert_problem(reply, 422)
    assert "'public' organisation holds the tickets of senders without an organisation" in problem["detail"]
    assert problem["errors"] == [{"field": "organisation_id", "message": "'public' has no members"}]
    assert aws.client("cognito-idp").list_users(UserPoolId=config.get(config.USER_POOL_ID))["Users"] == []
    assert directory.get_user_by_email("mallory@example.org") is None
    # nor without organisation admin rights
    assert_problem(api("POST", "/people", user=MARIA, body={**MALLORY, "org_admin": False}), 422)


@pytest.mark.usefixtures("user_pool")
def test_an_account_put_into_the_public_organisation_outside_the_api_gets_no_token(api):
    cognito = aws.client("cognito-idp")
    pool = config.get(config.USER_POOL_ID)
    sub = next(
        a["Value"]
        for a in cognito.admin_create_user(
            UserPoolId=pool,
            Username="mallory@example.org",
            UserAttributes=[
                {"Name": "email", "Value": "mallory@example.org"},
                {"Name": "custom:org_id", "Value": "public"},
            ],
        )["User"]["Attributes"]
        if a["Name"] == "sub"
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="mallory@example.org", GroupName="customer")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="mallory@example.org", GroupName="org_admin")

    event = {
        "version": "2",
        "triggerSource": "TokenGeneration_HostedAuth",
        "userName": "mallory@example.org",
        "request": {
            "userAttributes": {"sub": sub, "email": "mallory@example.org", "custom:org_id": "public"},
            "groupConfiguration": {"groupsToOverride": ["customer", "org_admin"]},
        },
        "response": {"claimsAndScopeOverrideDetails": None},
    }

    with pytest.raises(Forbidden, match="no customer organisation of their own"):
        cognito_pre_token.handler(event, None)
    assert directory.get_user(sub) is None


def test_the_public_organisation_claims_no_domain(api):
    public = api("GET", "/organisations/public", user=MARIA).json
    settings = {k: public[k] for k in ("name", "importance", "language")}

    reply = api(
        "PUT", "/organisations/public", user=MARIA, body={**settings, "email_domains": ["acme-partner.example"]}
    )

    problem = assert_problem(reply, 422)
    assert problem["errors"] == [{"field": "email_domains", "message": "must be empty for 'public'"}]
    assert api("GET", "/organisations/public", user=MARIA).json["email_domains"] == []
    assert people.organisation_for_domain("x@acme-partner.example") is None
    # its other settings stay a manager's to change
    assert api("PUT", "/organisations/public", user=MARIA, body={**settings, "email_domains": []}).status == 200


@pytest.mark.parametrize(
    "domain", ["gmail.com", "Seznam.cz", "mail.ru", "wp.pl", "yandex.ru", "outlook.com", "post.seznam.cz"]
)
def test_no_organisation_claims_a_free_mail_domain(api, domain):
    acme = api("GET", "/organisations/acme", user=MARIA).json
    settings = {k: acme[k] for k in ("name", "importance", "language")}

    reply = api(
        "PUT", "/organisations/acme", user=MARIA, body={**settings, "email_domains": [*acme["email_domains"], domain]}
    )

    problem = assert_problem(reply, 422)
    assert f"free e-mail provider, so no organisation can claim its domain: {domain.lower()}" in problem["detail"]
    assert problem["errors"][0]["field"] == "email_domains"
    assert api("GET", "/organisations/acme", user=MARIA).json["email_domains"] == acme["email_domains"]
    assert people.organisation_for_domain(f"someone@{domain}") is None


def test_a_free_mail_domain_stored_before_matches_nobody(api):
    people.save_organisation("legacy", "Legacy", "standard", ["gmail.com"], None)  # as data written before the rule

    assert people.organisation_for_domain("stranger@gmail.com") is None
    assert people.organisation_for_domain("stranger@acme.example") == "acme"


def test_the_free_mail_list_covers_the_desks_languages():
    listed = domains.free_mail_domains()
    assert {"gmail.com", "outlook.com", "seznam.cz", "email.cz", "mail.ru", "yandex.ru", "wp.pl", "o2.pl"} <= listed
    assert not domains.is_free_mail("acme.example") and not domains.is_free_mail("gmail.com.acme.example")
    assert domains.is_free_mail("GMAIL.COM.")
