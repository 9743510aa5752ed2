"""Item types of the desk's setup: its state, and the stored form of the default calendars and plans.

| pattern                                       | how                                              |
|-----------------------------------------------|--------------------------------------------------|
| the setup's state (version, what it wrote)    | GetItem pk=SETUP, sk=STATE                       |
| the calendars and plans as data               | Query pk=SLA (sk=CALENDAR#<name>, PLAN#<name>)   |
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist

from shared.platform.table import Entity

SETUP_PK = "SETUP"
STATE_SK = "STATE"
SLA_PK = "SLA"


def calendar_sk(name: str) -> str:
    return f"CALENDAR#{name}"


def plan_sk(name: str) -> str:
    return f"PLAN#{name}"


class SetupState(Entity, discriminator="setup_state"):
    """What the setup has done on this desk: the version of the defaults it last wrote, and for each default it
    wrote (an item key such as `service:licence-key` or `kb:working-with-support`) the fingerprint of what it
    wrote, so a later run can tell an item nobody touched from one a manager changed or removed."""

    version = NumberAttribute()  # shared.setup.defaults.SETUP_VERSION of the last run that wrote
    ran_at = UnicodeAttribute()
    written = JSONAttribute(default=dict)  # item key -> fingerprint of what the setup wrote
    history = JSONAttribute(default=list)  # the last runs that wrote: [{version, at, created, updated}]
    revision = VersionAttribute()


class SlaDefinition(Entity, discriminator="sla_definition"):
    """A working calendar or a support plan as data (pk=SLA): `definition` is the JSON shape of
    `Calendar.to_json()` / `SupportPlan.to_json()`, which `from_json` reads back."""

    definition_type = UnicodeAttribute()  # calendar | plan
    name = UnicodeAttribute()
    definition = JSONAttribute()


def get_state() -> SetupState | None:
    try:
        return SetupState.get(SETUP_PK, STATE_SK, consistent_read=True)
    except DoesNotExist:
        return None
