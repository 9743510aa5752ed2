"""Cognito's pre-token-generation trigger (event version V2_0), run before every ID and access token of a
person is issued (sign-in, refresh): it keeps the person's User record (creating it for someone added outside
the API) and puts role, groups, organisation and e-mail into both tokens, so an access token works on the API
exactly like an ID token. A deactivated person gets no token (raising here fails the sign-in or refresh).

The local stack runs this same handler to issue its tokens (infra/local/tokens.py)."""

from __future__ import annotations

from typing import Any

from functions import entry
from shared.directory import people

logger = entry.start("caseway-pre-token")


def claims_response(event: dict[str, Any]) -> dict[str, Any]:
    """`response.claimsAndScopeOverrideDetails` for the person of a V2 event."""
    request = event.get("request") or {}
    attributes = {k: str(v) for k, v in (request.get("userAttributes") or {}).items()}
    sub = attributes.get("sub") or str(event.get("userName") or "")
    groups = list((request.get("groupConfiguration") or {}).get("groupsToOverride") or [])
    user = people.keep_record(sub, attributes, groups)
    claims = people.token_claims(user)
    return {
        "idTokenGeneration": {"claimsToAddOrOverride": claims},
        "accessTokenGeneration": {"claimsToAddOrOverride": claims},
        "groupOverrideDetails": {"groupsToOverride": people.token_groups(user)},
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    details = claims_response(event)
    logger.info(
        "token claims", extra={"trigger": event.get("triggerSource"), "groups": details["groupOverrideDetails"]}
    )
    event.setdefault("response", {})["claimsAndScopeOverrideDetails"] = details
    return event
