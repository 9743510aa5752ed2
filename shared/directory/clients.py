"""Machine clients: a Cognito app client with the client-credentials flow acts for one organisation (a manager
maps it); its callers are that organisation's integration, limited by the scopes of their token."""

from __future__ import annotations

from typing import Any

from shared.directory import domains
from shared.directory import items as directory
from shared.directory.items import MachineClient
from shared.directory.people import require_manager
from shared.platform import clock, userpool
from shared.platform.domain import Role
from shared.platform.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from shared.platform.identity import Caller, is_machine_token, token_scopes


def client_view(client: MachineClient) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "organisation_id": client.organisation_id,
        "name": client.name,
        "email": client.email,
        "active": client.active is not False,
        "registered_at": client.registered_at,
    }


def register_machine_client(
    caller: Caller, org_id: str, client_id: str, *, name: str, email: str | None
) -> tuple[MachineClient, bool]:
    """Map a client-credentials app client of the pool to one organisation (managers). Returns (client, created)."""
    require_manager(caller)
    domains.refuse_public(org_id, "a machine client's mapping")
    if directory.get_organisation(org_id) is None:
        raise NotFound(f"No organisation {org_id}; create it first (PUT /organisations/{org_id}).")
    app_client = userpool.describe_client(client_id)
    if app_client is None or "client_credentials" not in (app_client.get("AllowedOAuthFlows") or []):
        raise Unprocessable(
            f"No app client {client_id} with the client-credentials flow in the user pool "
            "(the stack's MachineClientId output is one).",
            errors=[{"field": "client_id", "message": "not a client-credentials app client of the pool"}],
        )
    before = directory.get_machine_client(client_id)
    if before is not None and before.active is not False and before.organisation_id != org_id:
        raise Conflict(f"App client {client_id} already acts for organisation {before.organisation_id}.")
    client = MachineClient(
        directory.client_pk(client_id),
        directory.PROFILE_SK,
        client_id=client_id,
        organisation_id=org_id,
        name=name,
        email=email.lower() if email else None,
        active=True,
        registered_at=before.registered_at if before else clock.now_iso(),
        registered_by=caller.sub,
    )
    client.save()
    return client, before is None


def unmap_machine_client(caller: Caller, org_id: str, client_id: str) -> MachineClient:
    """Stop an app client acting for an organisation (managers): its tokens, valid or new, are refused from the next
    request on (`machine_caller`). The record stays, inactive, as the desk's memory of who the client was (its
    tickets name it); a manager may map it again, to this or another organisation."""
    require_manager(caller)
    client = directory.get_machine_client(client_id)
    if client is None or client.organisation_id != org_id or client.active is False:
        raise NotFound(f"App client {client_id} does not act for organisation {org_id}.")
    client.active = False
    client.unmapped_at = clock.now_iso()
    client.unmapped_by = caller.sub
    client.save()
    return client


def machine_caller(claims: dict[str, Any]) -> Caller:
    """A client-credentials token's caller: a customer of the client's one organisation, limited by the token's
    scopes; 403 for a client no manager has mapped to an organisation."""
    if not is_machine_token(claims):
        raise Unauthorized("Not a machine client's access token.")
    client_id = str(claims["client_id"])
    client = directory.get_machine_client(client_id)
    if client is None or client.active is False:
        raise Forbidden(
            f"App client {client_id} acts for no organisation; a manager maps it with "
            "PUT /organisations/{organisation_id}/machine-clients/{client_id}."
        )
    return Caller(
        sub=client_id,
        email=client.email or "",
        role=Role.CUSTOMER,
        org_id=client.organisation_id,
        groups=frozenset({Role.CUSTOMER.value}),
        scopes=token_scopes(claims),
    )
