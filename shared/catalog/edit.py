"""The catalog as data (R5): managers define services through the API; adding a service that uses an existing
route needs no code change."""

from __future__ import annotations

import re
from typing import Any

from shared.directory import items as directory
from shared.directory import services
from shared.directory.items import Service
from shared.platform.domain import Role
from shared.platform.errors import Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.routes.licences import licence_account, set_licence_limit

_SERVICE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_GROUP = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def require_manager(caller: Caller) -> None:
    if caller.role != Role.MANAGER:
        raise Forbidden("Only managers change the service catalog and licence limits.")


def service_view(service: Service) -> dict[str, Any]:
    return {
        "key": service.key,
        "title": service.title,
        "description": service.description,
        "route": service.route,
        "intake_fields": service.intake_fields,
        "groups": service.groups,
        "customer_visible": service.customer_visible,
        "deadline_working_days": int(service.deadline_working_days) if service.deadline_working_days else None,
        "position": int(service.position),
    }


def _intake_fields(fields: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for n, field in enumerate(fields):
        key = field["key"]
        if key not in services.QUESTION_BANK:
            problems.append(
                {
                    "field": f"intake_fields.{n}.key",
                    "message": f"{key!r} is not in the question bank; choose from: {', '.join(services.QUESTION_BANK)}",
                }
            )
        elif key in seen:
            problems.append({"field": f"intake_fields.{n}.key", "message": f"{key!r} is asked twice"})
        else:
            seen.add(key)
            out.append({"key": key, **services.QUESTION_BANK[key], "required": bool(field.get("required"))})
    return out, problems


def put_service(caller: Caller, key: str, definition: dict[str, Any]) -> tuple[Service, bool]:
    """Create or replace a service. Returns (service, created)."""
    require_manager(caller)
    problems: list[dict[str, str]] = []
    if not _SERVICE_KEY.match(key):
        problems.append({"field": "key", "message": "2-63 characters: lower-case letters, digits and dashes"})
    if definition["route"] not in services.KNOWN_ROUTES:
        problems.append(
            {
                "field": "route",
                "message": f"no route {definition['route']!r}; routes: {', '.join(services.KNOWN_ROUTES)}",
            }
        )
    fields, field_problems = _intake_fields(definition["intake_fields"])
    problems += field_problems
    for n, group in enumerate(definition["groups"]):
        if not _GROUP.match(group):
            problems.append({"field": f"groups.{n}", "message": "letters, digits, '_' and '-', at most 64"})
    if problems:
        raise Unprocessable("This service definition is invalid; see errors.", errors=problems)
    existing = directory.get_service(key)
    position = definition.get("position")
    if position is None:
        position = existing.position if existing else 100
    service = Service(
        directory.CATALOG_PK,
        directory.service_sk(key),
        key=key,
        title=definition["title"],
        description=definition["description"],
        route=definition["route"],
        intake_fields=fields,
        groups=list(dict.fromkeys(definition["groups"])),
        customer_visible=definition["customer_visible"],
        deadline_working_days=definition.get("deadline_working_days"),
        position=position,
    )
    service.save()
    return service, existing is None


def list_all(caller: Caller) -> list[Service]:
    """Staff see the whole catalog, hidden services included."""
    caller.require_staff()
    return directory.list_services()


def licences_view(caller: Caller, org_id: str) -> dict[str, Any]:
    require_manager(caller)
    if directory.get_organisation(org_id) is None:
        raise NotFound(f"No organisation {org_id}.")
    account = licence_account(org_id)
    return {"organisation_id": org_id, "limit": int(account.limit), "issued": int(account.issued)}


def set_limit(caller: Caller, org_id: str, limit: int) -> dict[str, Any]:

    require_manager(caller)
    if directory.get_organisation(org_id) is None:
        raise NotFound(f"No organisation {org_id}.")
    set_licence_limit(org_id, limit)
    return licences_view(caller, org_id)
