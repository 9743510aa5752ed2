"""Organisations, users and contacts."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from shared.directory import hooks
from shared.directory import items as directory
from shared.directory.items import PUBLIC_ORGANISATION, EmailLink, Organisation, User
from shared.platform import store
from shared.platform.domain import Role
from shared.platform.errors import Forbidden


def save_organisation(
    org_id: str,
    name: str,
    importance: str = "standard",
    email_domains: list[str] | None = None,
    contacts: list[dict] | None = None,
) -> Organisation:
    org = Organisation(
        directory.org_pk(org_id),
        directory.PROFILE_SK,
        organisation_id=org_id,
        name=name,
        importance=importance,
        email_domains=email_domains or [],
        contacts=contacts or [],
    )
    org.save()
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
) -> User:
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
    )
    store.transact([(user, None), (EmailLink(directory.email_pk(email), "EMAIL", sub=sub), None)])
    hooks.person_saved(sub, name, role.value, line, groups or [])  # R28: the specialists' day map
    return user


def organisation_for_domain(email: str) -> str | None:
    domain = email.rsplit("@", 1)[-1].lower()
    try:
        return EmailLink.get(f"DOMAIN#{domain}", "DOMAIN").sub
    except EmailLink.DoesNotExist:
        return None


def match_or_create_contact(email: str, name: str | None) -> User:
    """The web form's sender: an existing user with this address, or a new customer contact."""

    existing = directory.get_user_by_email(email)
    if existing is not None:
        if existing.role != Role.CUSTOMER.value:
            raise Forbidden("Staff addresses cannot open tickets through the public web form.")
        return existing
    sub = f"contact-{store.new_id()}"
    org = organisation_for_domain(email) or PUBLIC_ORGANISATION
    user = User(
        directory.user_pk(sub),
        directory.PROFILE_SK,
        sub=sub,
        email=email.lower(),
        name=name or email,
        role=Role.CUSTOMER.value,
        organisation_id=org,
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
