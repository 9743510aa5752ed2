"""Who is calling: the JWT claims API Gateway's Cognito authorizer passes to the Lambda.

Two kinds of token reach the API. A person's ID or access token carries `cognito:groups` (the role), and the
pre-token-generation trigger (functions/cognito_pre_token.py) adds `email` and `custom:org_id` to both. A machine
client's access token (client credentials) carries no groups: `client_id`, `scope` ("caseway/tickets.read ...")
and `token_use: access`; the API maps its client id to one organisation (shared/directory/people.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.platform.domain import Role
from shared.platform.errors import Forbidden, Unauthorized

ORG_ADMIN_GROUP = "org_admin"
_ROLE_ORDER = (Role.MANAGER, Role.AGENT, Role.CUSTOMER)

# The user pool's groups (infra/cdk/identity.py creates them; the local stack too).
COGNITO_GROUPS: dict[str, str] = {
    Role.CUSTOMER.value: "Customers: open and follow their own tickets",
    Role.AGENT.value: "Agents: work tickets and tasks of their support groups",
    Role.MANAGER.value: "Managers: everything agents do, plus reviews and figures",
    ORG_ADMIN_GROUP: "With customer: an organisation's admin, sees all of the organisation's tickets",
}
ORG_ATTRIBUTE = "org_id"  # the token carries it as custom:org_id

# The API's resource server and the scopes a machine client may hold (infra/cdk/identity.py creates them).
RESOURCE_SERVER = "caseway"
READ_SCOPE = "tickets.read"
WRITE_SCOPE = "tickets.write"
MACHINE_SCOPES = {READ_SCOPE: "Read tickets", WRITE_SCOPE: "Open and update tickets"}
# What a machine client may call: the ticket endpoints only (GET needs tickets.read, anything else tickets.write).
MACHINE_PATH_PREFIX = "/tickets"
# The claim the pre-token trigger adds with the caller's role (groups stay the source of truth).
ROLE_CLAIM = "caseway:role"


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
    # A machine client's scopes (without the resource server prefix); None for a person, whose role decides.
    scopes: frozenset[str] | None = None

    @property
    def is_machine(self) -> bool:
        return self.scopes is not None

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

    def require_scope_for(self, method: str, path: str) -> None:
        """A machine client calls the ticket endpoints only, with tickets.read to read and tickets.write to
        change; a person's role decides for them (no-op)."""
        if self.scopes is None:
            return
        if not (path == MACHINE_PATH_PREFIX or path.startswith(MACHINE_PATH_PREFIX + "/")):
            raise Forbidden(f"Machine clients may call only the ticket endpoints ({MACHINE_PATH_PREFIX}...).")
        needed = READ_SCOPE if method.upper() in ("GET", "HEAD") else WRITE_SCOPE
        if needed not in self.scopes:
            have = ", ".join(sorted(self.scopes)) or "none"
            raise Forbidden(
                f"This call needs the scope {RESOURCE_SERVER}/{needed}; the token has {have}. "
                "Ask for it when requesting the token (scope=...), and allow it on the app client."
            )


def is_machine_token(claims: dict[str, Any] | None) -> bool:
    """A client-credentials access token: no person behind it (no groups, no username), its sub is the client."""
    if not claims or claims.get("token_use") != "access" or claims.get("cognito:groups"):
        return False
    client_id = claims.get("client_id")
    return bool(client_id) and not claims.get("username") and str(claims.get("sub")) == str(client_id)


def token_scopes(claims: dict[str, Any]) -> frozenset[str]:
    """The token's scopes of this API's resource server, without its prefix ("caseway/tickets.read")."""
    raw = claims.get("scope") or ""
    parts = raw if isinstance(raw, list | tuple) else str(raw).strip("[]").split()
    prefix = f"{RESOURCE_SERVER}/"
    return frozenset(p.removeprefix(prefix) for p in (str(x).strip('"') for x in parts) if p.startswith(prefix))
