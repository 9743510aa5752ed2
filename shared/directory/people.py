"""Organisations, users and contacts as stored; people invited, listed and deactivated through the API
(managers); the claims a person's tokens carry (the pre-token trigger)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError

from shared.directory import domains, hooks
from shared.directory import items as directory
from shared.directory.items import PUBLIC_ORGANISATION, Deactivated, EmailLink, Organisation, User
from shared.platform import clock, store, userpool
from shared.platform.domain import DESK_TIMEZONE, Role
from shared.platform.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from shared.platform.identity import ORG_ADMIN_GROUP, ROLE_CLAIM, Caller
from shared.platform.table import Entity


def save_organisation(
    org_id: str,
    name: str,
    importance: str = "standard",
    email_domains: list[str] | None = None,
    contacts: list[dict] | None = None,
    **settings: Any,
) -> Organisation:
    """Write an organisation (its settings: language, timezone, plan, calendar, contract_url, updated_at)."""
    org = Organisation(
        directory.org_pk(org_id),
        directory.PROFILE_SK,
        organisation_id=org_id,
        name=name,
        importance=importance,
        email_domains=email_domains or [],
        contacts=contacts or [],
        gsi2pk=directory.ORGANISATIONS_INDEX,
        gsi2sk=org_id,
        **settings,
    )
    org.save()
    with _cache_lock:
        _readers.pop(org_id, None)  # this process writes and shows in the new settings at once
    hooks.organisation_saved(org_id, name)  # R28: time per customer
    for domain in email_domains or []:
        EmailLink(f"DOMAIN#{domain.lower()}", "DOMAIN", sub=org_id).save()
    return org


def save_user(
    sub: str,
    email: str,
    name: str,
    role: Role,
    *,
    organisation_id: str | None = None,
    org_admin: bool = False,
    groups: list[str] | None = None,
    line: str | None = None,
    skills: list[str] | None = None,
    invited_by: str | None = None,
    new: bool = False,
) -> User:
    """Write a person and the link from their address; `new`: only if the address has no one yet (409)."""
    user = User(
        directory.user_pk(sub),
        directory.PROFILE_SK,
        sub=sub,
        email=email.lower(),
        name=name,
        role=role.value,
        organisation_id=organisation_id,
        org_admin=org_admin,
        groups=groups or [],
        line=line,
        skills=skills or [],
        active=True,
        invited_by=invited_by,
        invited_at=clock.now_iso() if invited_by else None,
        gsi2pk=directory.people_index_pk(organisation_id),
        gsi2sk=email.lower(),
    )
    link = EmailLink(directory.email_pk(email), "EMAIL", sub=sub)
    try:
        store.transact([(user, None), (link, EmailLink.pk.does_not_exist() if new else None)])
    except TransactWriteError:
        if new and directory.get_user_by_email(email) is not None:
            raise Conflict(f"{email} is already someone's address at the desk.") from None
        raise
    hooks.person_saved(sub, name, role.value, line, groups or [])  # R28: the specialists' day map
    return user


def drop_domains(domains: set[str], org_id: str) -> None:
    """Forget e-mail domains an organisation no longer claims (only where it is still the one claiming them)."""
    for domain in domains:
        link = EmailLink(f"DOMAIN#{domain.lower()}", "DOMAIN")
        try:
            link.delete(condition=EmailLink.sub == org_id)
        except DeleteError:  # claimed by another organisation meanwhile: leave it
            continue


def organisation_for_domain(email: str) -> str | None:
    """The organisation claiming the address's domain; never for a free-mail provider's (whatever was stored)."""
    domain = email.rsplit("@", 1)[-1].lower()
    if domains.is_free_mail(domain):
        return None
    try:
        return EmailLink.get(f"DOMAIN#{domain}", "DOMAIN").sub
    except EmailLink.DoesNotExist:
        return None


def match_or_create_contact(email: str, name: str | None, organisation_id: str | None = None) -> User:
    """The web form's sender: an existing user with this address, or a new customer contact (of
    `organisation_id` when given, else of the organisation claiming the address's domain)."""

    existing = directory.get_user_by_email(email)
    if existing is not None:
        if existing.role != Role.CUSTOMER.value:
            raise Forbidden("Staff addresses cannot open tickets through the public web form.")
        return existing
    sub = f"contact-{store.new_id()}"
    org = organisation_id or organisation_for_domain(email) or PUBLIC_ORGANISATION
    user = User(
        directory.user_pk(sub),
        directory.PROFILE_SK,
        sub=sub,
        email=email.lower(),
        name=name or email,
        role=Role.CUSTOMER.value,
        organisation_id=org,
        gsi2pk=directory.people_index_pk(org),
        gsi2sk=email.lower(),
    )
    try:
        store.transact(
            [
                (user, None),
                (EmailLink(directory.email_pk(email), "EMAIL", sub=sub), EmailLink.pk.does_not_exist()),
            ]
        )
    except TransactWriteError:
        # Two first submissions from one address at once: the other one created the contact.
        again = directory.get_user_by_email(email)
        if again is None:
            raise
        return again
    return user


def requester_for(organisation_id: str, requester: str, name: str | None) -> User:
    """The customer staff open a ticket for: a customer of the organisation by sub or e-mail, or a new contact
    of it when the e-mail address is new to the desk. 422 naming the field otherwise."""
    if directory.get_organisation(organisation_id) is None:
        raise Unprocessable(
            f"No organisation {organisation_id}.",
            errors=[{"field": "on_behalf.organisation_id", "message": "unknown organisation"}],
        )
    by_email = "@" in requester
    user = directory.get_user_by_email(requester) if by_email else directory.get_user(requester)
    if user is None and by_email:
        user = match_or_create_contact(requester, name, organisation_id)
    if user is None or user.role != Role.CUSTOMER.value or user.organisation_id != organisation_id:
        raise Unprocessable(
            f"{requester} is not a customer of {organisation_id}; give a customer's sub or e-mail address.",
            errors=[{"field": "on_behalf.requester", "message": f"not a customer of {organisation_id}"}],
        )
    if user.active is False:
        raise Unprocessable(
            f"{requester} has been deactivated.",
            errors=[{"field": "on_behalf.requester", "message": "deactivated"}],
        )
    return user


# --- people through the API (managers) -----------------------------------------------------------------------

STAFF_ROLES = (Role.AGENT, Role.MANAGER)


def require_manager(caller: Caller) -> None:
    """Managers, or the desk itself (`caseway invite --stage`, run with the account's AWS credentials)."""
    if caller.role not in (Role.MANAGER, Role.SYSTEM):
        raise Forbidden("Only managers can invite, change and deactivate people.")


def person_view(user: User) -> dict[str, Any]:
    return {
        "sub": user.sub,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "organisation_id": user.organisation_id,
        "org_admin": bool(user.org_admin),
        "groups": list(user.groups or []),
        "line": user.line,
        "skills": list(user.skills or []),
        "active": user.active is not False,
        "invited_at": user.invited_at,
        "deactivated_at": user.deactivated_at,
    }


def reader_settings(user: User) -> dict[str, Any]:
    """How the desk writes to the person (the web app shows itself the same way): their organisation's language and
    time zone, a customer's zone the desk's where the organisation names none (as the e-mails); None for staff and
    a language the organisation does not name (the app then follows the browser)."""
    language, zone = organisation_reader(user.organisation_id) if user.organisation_id else (None, None)
    return {"language": language, "timezone": zone or (DESK_TIMEZONE if user.organisation_id else None)}


def cognito_groups(role: Role, org_admin: bool) -> list[str]:
    """The Cognito groups of a role: the role's own, plus org_admin for an organisation's admin."""
    return [role.value] + ([ORG_ADMIN_GROUP] if org_admin and role == Role.CUSTOMER else [])


def check_invitation(role: Role, organisation_id: str | None, org_admin: bool) -> None:
    """Customers belong to an existing organisation; staff to none; only customers are organisation admins."""
    if role == Role.CUSTOMER:
        if not organisation_id:
            raise Unprocessable(
                "A customer belongs to an organisation: give organisation_id.",
                errors=[{"field": "organisation_id", "message": "required for customers"}],
            )
        domains.refuse_public(organisation_id, "an invitation")
        if directory.get_organisation(organisation_id) is None:
            raise Unprocessable(
                f"No organisation {organisation_id}; create it first (PUT /organisations/{organisation_id}).",
                errors=[{"field": "organisation_id", "message": "unknown organisation"}],
            )
    elif organisation_id or org_admin:
        raise Unprocessable(
            "Agents and managers belong to no customer organisation and are never its admin.",
            errors=[{"field": "organisation_id" if organisation_id else "org_admin", "message": "customers only"}],
        )


def invite(
    caller: Caller,
    *,
    email: str,
    name: str,
    role: Role,
    organisation_id: str | None = None,
    org_admin: bool = False,
    send_invitation: bool = True,
) -> User:
    """One call: the Cognito user (AdminCreateUser e-mails a temporary password; groups; custom:org_id) and
    the desk's User record, so the person's first token already works on their queue or tickets."""
    require_manager(caller)
    email = email.strip().lower()
    check_invitation(role, organisation_id, org_admin)
    existing = directory.get_user_by_email(email)
    if existing is not None:
        raise Conflict(f"{email} is already at the desk as {existing.role} ({existing.sub}).")
    sub = userpool.create_user(
        email,
        name=name,
        org_id=organisation_id,
        groups=cognito_groups(role, org_admin),
        send_invitation=send_invitation,
    )
    return save_user(
        sub, email, name, role, organisation_id=organisation_id, org_admin=org_admin, invited_by=caller.sub, new=True
    )


def get_person(caller: Caller, sub: str) -> User:
    """A person by sub (managers see everyone, others only themselves)."""
    if caller.role not in (Role.MANAGER, Role.SYSTEM) and caller.sub != sub:
        raise Forbidden("Only managers can read other people's records.")
    user = directory.get_user(sub)
    if user is None:
        raise NotFound(f"No person {sub}.")
    return user


def require_lister(caller: Caller, organisation_id: str | None) -> None:
    if caller.role == Role.MANAGER:
        return
    if caller.is_org_admin and organisation_id is not None and organisation_id != caller.org_id:
        raise NotFound(f"No organisation {organisation_id} that you can see.")  # another organisation: as missing
    if not (caller.is_org_admin and organisation_id == caller.org_id):
        raise Forbidden("Managers list people; an organisation's admin lists their own organisation's.")


def list_people(
    caller: Caller, *, organisation_id: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """An organisation's people, or the staff (no organisation), by e-mail, a page at a time. Managers list
    anyone; an organisation's admin lists their own organisation's people (without organisation_id too)."""
    if organisation_id is None and caller.is_org_admin:
        organisation_id = caller.org_id
    require_lister(caller, organisation_id)
    found, next_cursor = store.query_page(
        Entity.organisation_index,
        "gsi2pk",
        directory.people_index_pk(organisation_id),
        limit=limit,
        cursor=cursor,
        newest_first=False,
    )
    return [person_view(u) for u in found if isinstance(u, User)], next_cursor


# People deactivated in the last day: their access and ID tokens (one hour; at most a day if a client is set
# so) may still pass API Gateway's JWT check, so the API refuses them itself (`require_active`).
DEACTIVATED_KEEP = timedelta(hours=25)
DEACTIVATED_CACHE_SECONDS = 30.0
_deactivated_cache: dict[str, Any] = {"at": None, "subs": frozenset()}
_cache_lock = threading.Lock()


def deactivate(caller: Caller, sub: str) -> User:
    """No more sign-in (AdminDisableUser, refresh tokens revoked), tokens already issued refused by the API,
    the record kept inactive; their tickets stay as they are."""
    require_manager(caller)
    if sub == caller.sub:
        raise Conflict("You cannot deactivate yourself; ask another manager.")
    user = directory.get_user(sub)
    if user is None:
        raise NotFound(f"No person {sub}.")
    if user.active is False:
        return user
    if not user.sub.startswith("contact-"):  # web-form contacts have no account to disable
        userpool.disable_user(user.email)
    now = clock.now()
    user.active = False
    user.deactivated_at = clock.iso(now)
    user.save()
    _remember_deactivated(sub, now)
    return user


def _remember_deactivated(sub: str, now: Any) -> None:
    cutoff = clock.iso(now - DEACTIVATED_KEEP)
    for _ in range(store.WRITE_RETRIES):
        try:
            record = Deactivated.get(directory.DEACTIVATED_PK, directory.DEACTIVATED_SK, consistent_read=True)
            condition = Deactivated.subs == record.subs
        except DoesNotExist:
            record = Deactivated(directory.DEACTIVATED_PK, directory.DEACTIVATED_SK, subs={})
            condition = Deactivated.pk.does_not_exist()
        record.subs = {s: at for s, at in (record.subs or {}).items() if at >= cutoff} | {sub: clock.iso(now)}
        try:
            record.save(condition=condition)
            break
        except PutError:  # another deactivation meanwhile: read it again
            continue
    with _cache_lock:
        _deactivated_cache["subs"] = frozenset(_deactivated_cache["subs"] | {sub})


def recently_deactivated() -> frozenset[str]:
    """The subs deactivated within DEACTIVATED_KEEP, read at most every DEACTIVATED_CACHE_SECONDS per process:
    one GetItem per warm Lambda per 30 s, not one per request. A deactivation applies at once in the process
    that made it and within 30 s in every other."""
    with _cache_lock:
        at = _deactivated_cache["at"]
        if at is not None and time.monotonic() - at < DEACTIVATED_CACHE_SECONDS:
            return _deactivated_cache["subs"]
    try:
        record = Deactivated.get(directory.DEACTIVATED_PK, directory.DEACTIVATED_SK)
        cutoff = clock.iso(clock.now() - DEACTIVATED_KEEP)
        subs = frozenset(s for s, when in (record.subs or {}).items() if when >= cutoff)
    except DoesNotExist:
        subs = frozenset()
    with _cache_lock:
        _deactivated_cache.update(at=time.monotonic(), subs=subs)
    return subs


def forget_deactivated_cache() -> None:
    """A fresh process's view (tests switch emulations)."""
    with _cache_lock:
        _deactivated_cache.update(at=None, subs=frozenset())
        _readers.clear()


# An organisation's language and time zone, kept per process: every page of a ticket shows its dates in the zone
# and every e-mail is written in the language; reading the organisation each time would double a page's reads (the
# ticket and its history are one Query).
READER_CACHE_SECONDS = 60.0
_readers: dict[str, tuple[float, tuple[str | None, str | None]]] = {}


def organisation_reader(org_id: str) -> tuple[str | None, str | None]:
    """The organisation's (language, time zone), None where it names none or there is no such organisation; read
    at most once a minute per process. A change applies at once in the process that made it and within a minute in
    every other."""
    with _cache_lock:
        kept = _readers.get(org_id)
        if kept is not None and time.monotonic() - kept[0] < READER_CACHE_SECONDS:
            return kept[1]
    organisation = directory.get_organisation(org_id)
    settings = (organisation.language, organisation.timezone) if organisation is not None else (None, None)
    with _cache_lock:
        _readers[org_id] = (time.monotonic(), settings)
    return settings


def is_active(sub: str) -> bool:
    """Whether the person may still act through a door without a token (a follow link, the web form): one GetItem.
    Someone the desk does not know (a ticket's requester removed since) counts as not active."""
    user = directory.get_user(sub)
    return user is not None and user.active is not False


def require_active(caller: Caller) -> None:
    if caller.sub in recently_deactivated():
        raise Unauthorized("This account has been deactivated; its tokens are no longer accepted.")


# --- what a person's tokens carry (the pre-token-generation trigger) -------------------------------------------


def keep_record(sub: str, attributes: dict[str, str], groups: list[str]) -> User:
    """The person's User record, created from their Cognito user when someone made it outside the API (the
    console, aws-cli); an existing record is the desk's truth. A deactivated person gets no token."""
    user = directory.get_user(sub)
    if user is None:
        role = next((r for r in (Role.MANAGER, Role.AGENT, Role.CUSTOMER) if r.value in groups), None)
        if role is None:
            raise Forbidden(f"User {sub} is in none of the groups customer, agent or manager.")
        email = attributes.get("email") or sub
        org_id = attributes.get(userpool.ORG_ATTRIBUTE) or None
        if role == Role.CUSTOMER and not org_id:
            raise Forbidden(f"Customer {email} has no organisation (custom:org_id).")
        if org_id == PUBLIC_ORGANISATION:
            raise Forbidden(f"User {sub} belongs to no customer organisation of their own.")
        user = save_user(
            sub,
            email,
            attributes.get("name") or email,
            role,
            organisation_id=org_id if role == Role.CUSTOMER else None,
            org_admin=ORG_ADMIN_GROUP in groups,
        )
    if user.active is False:
        raise Forbidden(f"{user.email} has been deactivated.")
    if user.organisation_id == PUBLIC_ORGANISATION:  # its contacts have no accounts; an account there is a mistake
        raise Forbidden(f"User {sub} belongs to no customer organisation of their own.")
    return user


def token_claims(user: User) -> dict[str, Any]:
    """What both the ID and the access token of a person carry besides Cognito's own claims."""
    role = Role(user.role)
    claims = {"email": user.email, ROLE_CLAIM: role.value}
    if user.organisation_id and role == Role.CUSTOMER:
        claims[userpool.ORG_ATTRIBUTE] = user.organisation_id
    if user.groups:
        claims["caseway:support_groups"] = " ".join(user.groups)
    return claims


def token_groups(user: User) -> list[str]:
    return cognito_groups(Role(user.role), bool(user.org_admin))
