"""HTTP routes of the directory: organisations (managers write, staff read, an organisation's admin reads
their own), people (invited, listed, deactivated by managers; agents' groups, line and skills), and machine
clients mapped to one organisation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.callers import caller
from functions.api.http import LIST_QUERY, json_response, query, query_limit
from functions.api.router import MANAGER, ORG_ADMIN, SIGNED_IN, STAFF, ApiRouter
from shared.directory import clients, mail_settings, organisations, people
from shared.platform.domain import Role
from shared.tasks import queues as routing

router = ApiRouter(bodies="functions.api.directory_bodies")

_ORG_QUERY = (("organisation_id", {"type": "string", "description": "an organisation; none: the staff"}),)


# --- organisations ---------------------------------------------------------------------------------------------


@router.declare(
    "GET", "/organisations", "Every organisation, a page at a time (staff)", "directory", query=LIST_QUERY, roles=STAFF
)
def list_organisations() -> dict[str, Any]:
    who = caller()
    who.require_staff()
    items, next_cursor = organisations.list_page(who, limit=query_limit(), cursor=query("cursor", max_length=2000))
    return {"items": items, "next_cursor": next_cursor}


@router.declare(
    "GET",
    "/organisations/{organisation_id}",
    "An organisation's settings (staff; its own admin)",
    "directory",
    roles=(ORG_ADMIN, *STAFF),
    resource="organisation",
)
def get_organisation(organisation_id: str) -> dict[str, Any]:
    return organisations.read(caller(), organisation_id)


@router.declare(
    "PUT",
    "/organisations/{organisation_id}",
    "Create or change an organisation: domains, importance, language, time zone, plan, calendar (managers)",
    "directory",
    roles=(MANAGER,),
    body="OrganisationSettings",
)
def put_organisation(organisation_id: str) -> Response:
    who = caller()
    organisations.require_manager(who)
    body = router.body("OrganisationSettings")
    spec = body.model_dump()
    spec["contract_url"] = str(body.contract_url) if body.contract_url else None
    view, is_new = organisations.save(who, organisation_id, spec)
    return json_response(201 if is_new else 200, view)


@router.declare(
    "PUT",
    "/organisations/{organisation_id}/machine-clients/{client_id}",
    "Let a client-credentials app client act for this organisation (managers)",
    "directory",
    roles=(MANAGER,),
    body="MachineClientMapping",
)
def put_machine_client(organisation_id: str, client_id: str) -> Response:
    who = caller()
    people.require_manager(who)
    body = router.body("MachineClientMapping")
    client, is_new = clients.register_machine_client(who, organisation_id, client_id, name=body.name, email=body.email)
    return json_response(201 if is_new else 200, clients.client_view(client))


@router.declare(
    "DELETE",
    "/organisations/{organisation_id}/machine-clients/{client_id}",
    "Stop a client-credentials app client acting for this organisation (managers); its tokens are refused",
    "directory",
    status=204,
    roles=(MANAGER,),
)
def delete_machine_client(organisation_id: str, client_id: str) -> Response:
    who = caller()
    people.require_manager(who)
    clients.unmap_machine_client(who, organisation_id, client_id)
    return Response(204, "application/json", "")


# --- people ---------------------------------------------------------------------------------------------------


@router.declare(
    "GET",
    "/people",
    "An organisation's people, or the staff without organisation_id (managers; an admin their organisation's)",
    "directory",
    roles=(ORG_ADMIN, MANAGER),
    query=(*_ORG_QUERY, *LIST_QUERY),
)
def list_people() -> dict[str, Any]:
    who = caller()
    organisation_id = query("organisation_id", max_length=64)
    people.require_lister(who, organisation_id or (who.org_id if who.is_org_admin else None))
    items, next_cursor = people.list_people(
        who,
        organisation_id=organisation_id,
        limit=query_limit(),
        cursor=query("cursor", max_length=2000),
    )
    return {"items": items, "next_cursor": next_cursor}


@router.declare(
    "POST",
    "/people",
    "Invite a customer, organisation admin, agent or manager: the Cognito user, groups and record (managers)",
    "directory",
    roles=(MANAGER,),
    body="Invitation",
    status=201,
)
def invite_person() -> Response:
    who = caller()
    people.require_manager(who)
    body = router.body("Invitation")
    role = Role(body.role)
    staff = role in people.STAFF_ROLES
    if staff:  # unknown groups are refused before anyone is created
        routing.check_routing(body.groups, body.line)
    user = people.invite(
        who,
        email=body.email,
        name=body.name,
        role=role,
        organisation_id=body.organisation_id,
        org_admin=body.org_admin,
        send_invitation=body.send_invitation,
    )
    if staff and (body.groups or body.line or body.skills):
        routing.set_agent_routing(who, user.sub, groups=body.groups, line=body.line, skills=body.skills)
    return json_response(201, people.person_view(people.get_person(who, user.sub)))


@router.declare(
    "GET",
    "/people/{sub}",
    "A person's record (managers; anyone their own)",
    "directory",
    roles=SIGNED_IN,
    resource="person",
)
def get_person(sub: str) -> dict[str, Any]:
    """The record, with the language and time zone the desk uses for the person (the web app's too)."""
    person = people.get_person(caller(), sub)
    return {**people.person_view(person), **people.reader_settings(person)}


@router.declare(
    "PUT",
    "/people/{sub}/routing",
    "Set an agent's support groups, line and skills (managers)",
    "directory",
    roles=(MANAGER,),
    body="PersonRouting",
)
def put_person_routing(sub: str) -> dict[str, Any]:
    who = caller()
    people.require_manager(who)
    body = router.body("PersonRouting")
    routing.set_agent_routing(who, sub, groups=body.groups, line=body.line, skills=body.skills)
    return people.person_view(people.get_person(who, sub))


@router.declare(
    "GET",
    "/people/{sub}/mail-settings",
    "Which staff e-mails a person gets: a customer's reply, SLA warnings and breaches, incidents (the person or "
    "a manager)",
    "directory",
    roles=STAFF,
    resource="person",
)
def get_mail_settings(sub: str) -> dict[str, Any]:
    return mail_settings.get_settings(caller(), sub)


@router.declare(
    "PUT",
    "/people/{sub}/mail-settings",
    "Turn kinds of staff e-mail on or off (the person or a manager)",
    "directory",
    roles=STAFF,
    resource="person",
    body="MailSettingsChange",
)
def put_mail_settings(sub: str) -> dict[str, Any]:
    who = caller()
    mail_settings.get_settings(who, sub)  # who may change them, and that the person exists, before the body
    body = router.body("MailSettingsChange")
    return mail_settings.put_settings(who, sub, dict(body.kinds))


@router.declare(
    "POST",
    "/people/{sub}/deactivate",
    "Deactivate a person: no more sign-in, their tokens refused, their tickets stay (managers)",
    "directory",
    roles=(MANAGER,),
)
def deactivate_person(sub: str) -> dict[str, Any]:
    return people.person_view(people.deactivate(caller(), sub))
