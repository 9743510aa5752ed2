"""R6: each organisation's licence limit and the keys issued against it (read and set by the API too)."""

from __future__ import annotations

import secrets

from pynamodb.exceptions import DoesNotExist

from shared.directory import items as directory
from shared.platform import clock, store
from shared.platform.store import with_retries
from shared.routes.items import LICENCES_SK, LicenceAccount, LicenceKey, licence_key_sk


def generate_key(product: str) -> str:
    """A licence key: 5 groups of 5 characters from an unambiguous alphabet (no 0/O, 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(5))


def licence_account(org_id: str) -> LicenceAccount:
    """The organisation's limit and count; an organisation without one has a limit of 0 (every request goes to
    the account manager)."""
    try:
        return LicenceAccount.get(directory.org_pk(org_id), LICENCES_SK, consistent_read=True)
    except DoesNotExist:
        return LicenceAccount(directory.org_pk(org_id), LICENCES_SK, organisation_id=org_id, limit=0, issued=0)


def set_licence_limit(org_id: str, limit: int) -> LicenceAccount:
    def attempt() -> LicenceAccount:
        account = licence_account(org_id)
        account.limit = limit
        account.updated_at = clock.now_iso()
        store.transact([(account, None)])
        return account

    return with_retries("This organisation's licences", attempt)


def issued_key(org_id: str, ticket_id: str) -> LicenceKey | None:
    try:
        return LicenceKey.get(directory.org_pk(org_id), licence_key_sk(ticket_id), consistent_read=True)
    except DoesNotExist:
        return None
