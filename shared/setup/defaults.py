"""The default desk: what a fresh deployment starts with, as the items the setup writes.

- the service catalog (R5): shared/directory/services.py DEFAULT_SERVICES, in that order;
- the support groups the routes hand work to (L1, office, L2, managers, accounts; shared/routes);
- the working calendar and the support plans (R17, R18): their first stored versions (shared/clocks/plans.py);
- the mandatory knowledge-base articles (R29): shared/kb/agreements.py (written by shared/kb/mandatory.py).

The demo (infra/local/demo) adds what is not the default desk: organisations, people, their tickets.
Bump SETUP_VERSION whenever a default changes, so a deployed desk picks the change up on its next deploy (items a
manager changed since keep the manager's version).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from shared.clocks import plans as clock_plans
from shared.directory import items as directory
from shared.directory import services
from shared.kb.agreements import mandatory_articles
from shared.platform.table import Entity
from shared.tasks.items import ROUTING_PK, SupportGroup

SETUP_VERSION = 1
# When the defaults of SETUP_VERSION were set: the date of the calendar's and plans' first versions.
DEFAULTS_SET_AT = "2026-11-29T00:00:00Z"


@dataclass(frozen=True)
class Default:
    """One item of the default desk: `key` names it in the setup's state (`<kind>:<name>`)."""

    key: str
    item: Entity


# (name, line, description, skills): the groups the routes name (shared/routes: support.STEPS, common.STEPS)
DEFAULT_GROUPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("L1", "L1", "First line: talks to customers, classifies, answers questions", ()),
    ("office", "L1", "Office: contracts, invoices and access requests", ()),
    ("L2", "L2", "Second line: application bugs", ("application",)),
    ("managers", "managers", "Approvals and escalations", ()),
    ("accounts", "managers", "Account management", ()),
)


def catalog() -> list[Default]:
    return [
        Default(
            f"service:{spec['key']}",
            directory.Service(
                directory.CATALOG_PK,
                directory.service_sk(spec["key"]),
                key=spec["key"],
                title=spec["title"],
                description=spec["description"],
                route=spec["route"],
                intake_fields=spec["intake_fields"],
                groups=spec["groups"],
                customer_visible=True,
                position=position,
                deadline_working_days=spec.get("deadline_working_days"),
            ),
        )
        for position, spec in enumerate(services.DEFAULT_SERVICES)
    ]


def groups() -> list[Default]:
    return [
        Default(
            f"group:{name}",
            SupportGroup(
                ROUTING_PK, f"GROUP#{name}", name=name, line=line, description=description, skills=sorted(skills)
            ),
        )
        for name, line, description, skills in DEFAULT_GROUPS
    ]


def calendars_and_plans() -> list[Default]:
    """The default calendar and plans as their first stored versions (shared/clocks/plans.py): the current
    pointer and version 1 of each. A manager's edit saves a new version and moves the pointer, so it is kept."""
    return [
        Default(
            f"{item.terms_kind}:{item.terms_id}"
            + (f"@v{item.number}" if "VERSION" in type(item).__name__.upper() else ""),
            item,
        )
        for item in clock_plans.default_plans_and_calendars(at=DEFAULTS_SET_AT)
    ]


def default_items() -> list[Default]:
    """Every item of the default desk except the knowledge base (which shared/kb/mandatory.py writes)."""
    return catalog() + groups() + calendars_and_plans()


def defaults_fingerprint() -> str:
    """Changes whenever any default does: the stack passes it to the setup resource, so a deploy that brings new
    defaults runs the setup again."""
    digest = hashlib.sha256(str(SETUP_VERSION).encode())
    for default in default_items():
        digest.update(json.dumps(default.item.serialize(), sort_keys=True).encode())
    built_in = [clock_plans.BUILT_IN_PLANS[plan_id] for plan_id in sorted(clock_plans.BUILT_IN_PLANS)]
    for spec in mandatory_articles(built_in):  # the defaults' own plans: the CDK app reads no table
        digest.update(repr(spec).encode())
    return digest.hexdigest()[:16]
