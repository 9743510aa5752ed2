"""Demo data of tiered routing: a second group on the second line (the default desk has the groups the routes name,
shared/setup/defaults.py) and every group's members, from the demo users' groups (directory.DEMO_USERS)."""

from __future__ import annotations

from infra.local.demo.directory import DEMO_USERS
from shared.tasks.items import ROUTING_PK, GroupMember, SupportGroup

GROUPS = [
    ("L2-db", "L2", "Second line: databases and data fixes", ["databases"]),
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
