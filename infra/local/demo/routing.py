"""Demo data of tiered routing: the support groups per line (two on the second line) and their members,
from the demo users' groups (directory.DEMO_USERS)."""

from __future__ import annotations

from infra.local.demo.directory import DEMO_USERS
from shared.tasks.items import ROUTING_PK, GroupMember, SupportGroup

GROUPS = [
    ("L1", "L1", "First line: talks to customers, classifies, answers questions", []),
    ("office", "L1", "Office: contracts, invoices and access requests", []),
    ("L2", "L2", "Second line: application bugs", ["application"]),
    ("L2-db", "L2", "Second line: databases and data fixes", ["databases"]),
    ("managers", "managers", "Approvals and escalations", []),
    ("accounts", "managers", "Account management", []),
]


def seed() -> None:
    for name, line, description, skills in GROUPS:
        SupportGroup(ROUTING_PK, f"GROUP#{name}", name=name, line=line, description=description, skills=skills).save()
    for user in DEMO_USERS:
        for group in user.get("groups") or []:
            GroupMember(
                ROUTING_PK,
                f"MEMBER#{group}#{user['sub']}",
                group=group,
                sub=user["sub"],
                name=user["name"],
                email=user["email"],
            ).save()
