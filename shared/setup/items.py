"""Item types of the desk's setup: its state (the calendars and plans are shared/directory/plans.py's).

| pattern                                       | how                                              |
|-----------------------------------------------|--------------------------------------------------|
| the setup's state (version, what it wrote)    | GetItem pk=SETUP, sk=STATE                       |
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist

from shared.platform.table import Entity

SETUP_PK = "SETUP"
STATE_SK = "STATE"


class SetupState(Entity, discriminator="setup_state"):
    """What the setup has done on this desk: the version of the defaults it last wrote, and for each default it
    wrote (an item key such as `service:licence-key` or `kb:working-with-support`) the fingerprint of what it
    wrote, so a later run can tell an item nobody touched from one a manager changed or removed."""

    version = NumberAttribute()  # shared.setup.defaults.SETUP_VERSION of the last run that wrote
    ran_at = UnicodeAttribute()
    written = JSONAttribute(default=dict)  # item key -> fingerprint of what the setup wrote
    history = JSONAttribute(default=list)  # the last runs that wrote: [{version, at, created, updated}]
    revision = VersionAttribute()


def get_state() -> SetupState | None:
    try:
        return SetupState.get(SETUP_PK, STATE_SK, consistent_read=True)
    except DoesNotExist:
        return None
