"""The local stack's Cognito token endpoint: the claims a token would carry, for demo users, for people invited
through the API (their Cognito user lives on the emulated user pool, and the claims come from the same
pre-token-generation trigger the cloud runs), and for machine clients (client credentials)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from functions import cognito_pre_token
from infra.local import demo, emulation
from shared.directory import items as directory
from shared.platform import userpool
from shared.platform.errors import DomainError

LOCAL_PORTAL_CLIENT = "caseway-local-portal"
PERSON_SCOPES = "openid email profile"


class TokenRefused(DomainError):
    status = 401
    title = "Authentication required"


def person_claims(email: str, use: str = "id") -> dict[str, Any] | None:
    """The claims of a person's ID or access token; None when no demo user or pool user has this address."""
    if use not in ("id", "access"):
        raise TokenRefused(f"use is id or access, not {use!r}.")
    found = demo.user_by_email(email)
    if found is not None:
        record = directory.get_user(found["sub"])
        if record is not None and record.active is False:
            raise TokenRefused(f"{email} has been deactivated and cannot sign in.")
        claims = demo.claims_for(found)
        return as_access(claims) if use == "access" else claims
    user = userpool.get_user(email.strip().lower())
    if user is None:
        return None
    if not user["enabled"]:
        raise TokenRefused(f"{email} is disabled in the user pool and cannot sign in.")
    event = {
        "version": "2",
        "triggerSource": "TokenGeneration_Authentication",
        "userName": user["username"],
        "request": {
            "userAttributes": user["attributes"],
            "groupConfiguration": {"groupsToOverride": user["groups"]},
            "scopes": PERSON_SCOPES.split(),
        },
        "response": {"claimsAndScopeOverrideDetails": None},
    }
    try:
        details = _pre_token(event)
    except DomainError as error:  # the trigger refuses: Cognito fails the sign-in
        raise TokenRefused(f"The pre-token trigger refused {email}: {error.detail}") from None
    groups = details["groupOverrideDetails"]["groupsToOverride"]
    sub = user["attributes"]["sub"]
    if use == "id":
        base = {"sub": sub, "cognito:groups": groups, "token_use": "id", "cognito:username": user["username"]}
        return {**base, **details["idTokenGeneration"]["claimsToAddOrOverride"]}
    base = {
        "sub": sub,
        "cognito:groups": groups,
        "token_use": "access",
        "client_id": LOCAL_PORTAL_CLIENT,
        "username": user["username"],
        "scope": PERSON_SCOPES,
    }
    return {**base, **details["accessTokenGeneration"]["claimsToAddOrOverride"]}


def _pre_token(event: dict[str, Any]) -> dict[str, Any]:
    """What the pre-token trigger answers for the event: its own process in rehearsal mode (a failure fails the
    sign-in, as in Cognito), else its logic in this process."""
    if emulation.REHEARSAL is None:
        return cognito_pre_token.claims_response(event)
    try:
        answered = emulation.call(f"{emulation.FUNCTION_PREFIX}pre-token", event)
    except RuntimeError as error:  # the runner's InvocationFailed
        raise TokenRefused(f"The pre-token trigger failed: {error}") from None
    return answered["response"]["claimsAndScopeOverrideDetails"]


def as_access(id_claims: dict[str, Any]) -> dict[str, Any]:
    """A demo user's access token: what the trigger puts into access tokens is what their ID token carries."""
    return {
        **id_claims,
        "token_use": "access",
        "client_id": LOCAL_PORTAL_CLIENT,
        "username": id_claims["sub"],
        "scope": PERSON_SCOPES,
    }


def machine_claims(authorization: str, form: dict[str, list[str]]) -> dict[str, Any]:
    """Cognito's /oauth2/token with grant_type=client_credentials: the client's id and secret (HTTP Basic or
    the form), the scopes asked for (default: every scope the client is allowed)."""
    if (form.get("grant_type") or [""])[0] != "client_credentials":
        raise TokenRefused("grant_type must be client_credentials.")
    client_id, secret = _client_credentials(authorization, form)
    client = userpool.describe_client(client_id)
    if client is None or not secrets.compare_digest(str(client.get("ClientSecret") or ""), secret):
        raise TokenRefused("invalid_client: unknown client id or wrong secret.")
    allowed = list(client.get("AllowedOAuthScopes") or [])
    if "client_credentials" not in (client.get("AllowedOAuthFlows") or []):
        raise TokenRefused("unauthorized_client: the app client does not allow client credentials.")
    asked = (form.get("scope") or [" ".join(allowed)])[0].split()
    refused = sorted(set(asked) - set(allowed))
    if refused:
        raise TokenRefused(f"invalid_scope: the client may not ask for {', '.join(refused)}.")
    return {"sub": client_id, "client_id": client_id, "token_use": "access", "scope": " ".join(asked)}


def _client_credentials(authorization: str, form: dict[str, list[str]]) -> tuple[str, str]:
    if authorization.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(authorization[6:].strip()).decode().partition(":")
        except ValueError:
            raise TokenRefused("invalid_client: the Basic credentials are not base64 of id:secret.") from None
        return client_id, secret
    client_id = (form.get("client_id") or [""])[0]
    secret = (form.get("client_secret") or [""])[0]
    if not client_id:
        raise TokenRefused("invalid_client: send the client id and secret (HTTP Basic).")
    return client_id, secret


__all__ = ["TokenRefused", "machine_claims", "person_claims"]
