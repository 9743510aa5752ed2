"""Who is calling: the JWT claims API Gateway's Cognito authorizer passes to the Lambda."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.platform.domain import Role
from shared.platform.errors import Forbidden, Unauthorized

ORG_ADMIN_GROUP = "org_admin"
_ROLE_ORDER = (Role.MANAGER, Role.AGENT, Role.CUSTOMER)


def parse_groups(raw: Any) -> frozenset[str]:
    """`cognito:groups` as a list (ID token) or as HTTP API flattens it: the string "[a b]"."""
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple | set | frozenset):
        return frozenset(str(g) for g in raw)
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return frozenset(part.strip().strip('"') for part in text.replace(",", " ").split() if part.strip())


@dataclass(frozen=True)
class Caller:
    sub: str
    email: str
    role: Role
    org_id: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.AGENT, Role.MANAGER, Role.SYSTEM)

    @property
    def is_org_admin(self) -> bool:
        return self.role == Role.CUSTOMER and ORG_ADMIN_GROUP in self.groups

    @classmethod
    def from_claims(cls, claims: dict[str, Any] | None) -> Caller:
        if not claims or not claims.get("sub"):
            raise Unauthorized("This endpoint needs a bearer token (a Cognito ID or access token).")
        groups = parse_groups(claims.get("cognito:groups"))
        role = next((r for r in _ROLE_ORDER if r.value in groups), None)
        if role is None:
            raise Forbidden("Your account is in none of the groups customer, agent or manager.")
        org_id = claims.get("custom:org_id") or None
        if role == Role.CUSTOMER and not org_id:
            raise Forbidden("Your customer account is not linked to an organisation (custom:org_id).")
        return cls(
            sub=str(claims["sub"]),
            email=str(claims.get("email") or ""),
            role=role,
            org_id=org_id,
            groups=groups,
        )

    @classmethod
    def system(cls) -> Caller:
        """The desk acting on its own (schedules, routes)."""
        return cls(sub="system", email="", role=Role.SYSTEM)

    def require_staff(self) -> None:
        if not self.is_staff:
            raise Forbidden("Only agents and managers can do this.")
