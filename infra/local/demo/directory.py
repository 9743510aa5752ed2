"""The demo directory: a provider with L1 and L2 agents and a manager, and two customer organisations (one VIP)
with users. Every other context's demo data names these users and organisations."""

from __future__ import annotations

from shared import desk
from shared.directory.people import save_organisation, save_user
from shared.platform.domain import Role
from shared.platform.identity import ORG_ADMIN_GROUP

# (email, role, sub, name, organisation, org admin, support groups)
DEMO_USERS: list[dict] = [
    {
        "email": "lena.l1@caseway.example",
        "role": Role.AGENT,
        "sub": "agent-lena",
        "name": "Lena (L1)",
        "groups": ["L1"],
        "line": "L1",
    },
    {
        "email": "petr.l1@caseway.example",
        "role": Role.AGENT,
        "sub": "agent-petr",
        "name": "Petr (L1)",
        "groups": ["L1"],
        "line": "L1",
    },
    {
        "email": "dev.l2@caseway.example",
        "role": Role.AGENT,
        "sub": "agent-dev",
        "name": "Dana (L2)",
        "groups": ["L2"],
        "line": "L2",
    },
    {
        "email": "office@caseway.example",
        "role": Role.AGENT,
        "sub": "agent-office",
        "name": "Olga (office)",
        "groups": ["office"],
        "line": "L1",
    },
    {
        "email": "maria.manager@caseway.example",
        "role": Role.MANAGER,
        "sub": "manager-maria",
        "name": "Maria (manager, account manager)",
        "groups": ["accounts"],
    },
    {
        "email": "alice@acme.example",
        "role": Role.CUSTOMER,
        "sub": "cust-alice",
        "name": "Alice (Acme admin)",
        "organisation_id": "acme",
        "org_admin": True,
    },
    {
        "email": "bob@acme.example",
        "role": Role.CUSTOMER,
        "sub": "cust-bob",
        "name": "Bob (Acme)",
        "organisation_id": "acme",
    },
    {
        "email": "vera@globex.example",
        "role": Role.CUSTOMER,
        "sub": "cust-vera",
        "name": "Vera (Globex, VIP)",
        "organisation_id": "globex",
        "org_admin": True,
    },
    {
        "email": "jana@novak.example",
        "role": Role.CUSTOMER,
        "sub": "cust-jana",
        "name": "Jana (Novák, Czech)",
        "organisation_id": "novak",
    },
    {
        "email": "gus@globex.example",
        "role": Role.CUSTOMER,
        "sub": "cust-gus",
        "name": "Gus (Globex)",
        "organisation_id": "globex",
    },
]

DEMO_ORGANISATIONS = [
    {
        "org_id": "acme",
        "name": "Acme Manufacturing",
        "importance": "standard",
        "email_domains": ["acme.example"],
    },
    {"org_id": "globex", "name": "Globex Bank", "importance": "vip", "email_domains": ["globex.example"]},
    {"org_id": "public", "name": "Individual requesters", "importance": "standard", "email_domains": []},
    {
        "org_id": "novak",
        "name": "Strojírny Novák s.r.o.",
        "importance": "standard",
        "email_domains": ["novak.example"],
        "language": "cs",
        "timezone": "Europe/Prague",
    },
]

desk.assemble()  # the demo writes through the logic layer, whose hooks the features listen to


def seed() -> None:
    """The organisations and the users (with their groups and lines); the services, calendars and plans are the
    default desk's (shared/setup), written before the demo."""
    for org in DEMO_ORGANISATIONS:
        settings = {k: org[k] for k in ("language", "timezone") if k in org}
        save_organisation(org["org_id"], org["name"], org["importance"], org["email_domains"], **settings)
    for u in DEMO_USERS:
        save_user(
            u["sub"],
            u["email"],
            u["name"],
            u["role"],
            organisation_id=u.get("organisation_id"),
            org_admin=u.get("org_admin", False),
            groups=u.get("groups"),
            line=u.get("line"),
        )


def claims_for(user: dict) -> dict:
    """The claims Cognito would put in the user's token."""
    groups = [user["role"].value]
    if user.get("org_admin"):
        groups.append(ORG_ADMIN_GROUP)
    claims = {"sub": user["sub"], "email": user["email"], "cognito:groups": groups, "token_use": "id"}
    if user.get("organisation_id"):
        claims["custom:org_id"] = user["organisation_id"]
    return claims


def user_by_email(email: str) -> dict | None:
    return next((u for u in DEMO_USERS if u["email"] == email.strip().lower()), None)
