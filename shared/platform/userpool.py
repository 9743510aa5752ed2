"""The Cognito user pool people sign in with: every raw cognito-idp call of the desk (inviting, groups,
disabling, signing out, reading a machine client). The pool is CASEWAY_USER_POOL_ID (the stack sets it; the
local stack provisions one on its emulated AWS)."""

from __future__ import annotations

from typing import Any

from shared.platform import aws, config
from shared.platform.errors import Conflict, DomainError
from shared.platform.identity import ORG_ATTRIBUTE as _ORG

ORG_ATTRIBUTE = f"custom:{_ORG}"


class UserPoolMissing(DomainError):
    status = 503
    title = "Service unavailable"


def pool_id() -> str:
    value = config.get(config.USER_POOL_ID)
    if not value:
        raise UserPoolMissing(
            f"No user pool is configured ({config.USER_POOL_ID} is empty): deploy the stack, or run the local stack."
        )
    return value


def _client() -> Any:
    return aws.client("cognito-idp")


def attributes(values: dict[str, Any]) -> dict[str, str]:
    """Cognito's [{Name, Value}] as a dict."""
    return {a["Name"]: a["Value"] for a in values}


def create_user(email: str, *, name: str, org_id: str | None, groups: list[str], send_invitation: bool) -> str:
    """AdminCreateUser (Cognito e-mails a temporary password) and AdminAddUserToGroup; returns the user's sub."""
    attrs = [
        {"Name": "email", "Value": email},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "name", "Value": name},
    ]
    if org_id:
        attrs.append({"Name": ORG_ATTRIBUTE, "Value": org_id})
    extra: dict[str, Any] = {} if send_invitation else {"MessageAction": "SUPPRESS"}
    client = _client()
    try:
        created = client.admin_create_user(
            UserPoolId=pool_id(), Username=email, UserAttributes=attrs, DesiredDeliveryMediums=["EMAIL"], **extra
        )
    except client.exceptions.UsernameExistsException:
        raise Conflict(f"{email} already has an account in the user pool.") from None
    for group in groups:
        client.admin_add_user_to_group(UserPoolId=pool_id(), Username=email, GroupName=group)
    return attributes(created["User"]["Attributes"]).get("sub") or created["User"]["Username"]


def disable_user(username: str) -> bool:
    """AdminDisableUser (no more sign-in) and AdminUserGlobalSignOut (its refresh tokens are revoked); False when
    the pool has no such user (someone deleted in the console, a demo user of the local stack)."""
    client = _client()
    try:
        client.admin_disable_user(UserPoolId=pool_id(), Username=username)
        client.admin_user_global_sign_out(UserPoolId=pool_id(), Username=username)
    except client.exceptions.UserNotFoundException:
        return False
    return True


def get_user(username: str) -> dict[str, Any] | None:
    """The user with its attributes, `Enabled` and groups; None when the pool has no such user."""
    client = _client()
    try:
        found = client.admin_get_user(UserPoolId=pool_id(), Username=username)
    except client.exceptions.UserNotFoundException:
        return None
    groups = client.admin_list_groups_for_user(UserPoolId=pool_id(), Username=username)["Groups"]
    return {
        "username": found["Username"],
        "enabled": found.get("Enabled", True),
        "attributes": attributes(found.get("UserAttributes", [])),
        "groups": [g["GroupName"] for g in groups],
    }


def describe_client(client_id: str) -> dict[str, Any] | None:
    """An app client of the pool (its OAuth flows and scopes); None when the pool has none with this id."""
    client = _client()
    try:
        return client.describe_user_pool_client(UserPoolId=pool_id(), ClientId=client_id)["UserPoolClient"]
    except client.exceptions.ResourceNotFoundException:
        return None
