"""Demo data of the catalog's routes: each organisation's licence-key limit (R6). Acme may hold 3 keys and
already has 2, so its third request is issued and its fourth goes to the account manager; Globex may hold 10."""

from __future__ import annotations

from shared.directory import items as directory
from shared.routes.items import LICENCES_SK, LicenceAccount

LICENCE_LIMITS = {"acme": (3, 2), "globex": (10, 0)}  # organisation: (limit, already issued)


def seed() -> None:
    for org_id, (limit, issued) in LICENCE_LIMITS.items():
        LicenceAccount(directory.org_pk(org_id), LICENCES_SK, organisation_id=org_id, limit=limit, issued=issued).save()
