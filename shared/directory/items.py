"""Organisations, people and the service catalog as stored: items, keys and reads."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from shared.platform.table import Entity


class Organisation(Entity, discriminator="organisation"):
    """A customer organisation. Listed through organisation_index gsi2pk=ORGANISATIONS, gsi2sk=<id>."""

    organisation_id = UnicodeAttribute()
    name = UnicodeAttribute()
    importance = UnicodeAttribute(default="standard")  # standard | vip
    email_domains = JSONAttribute(default=list)
    contacts = JSONAttribute(default=list)
    language = UnicodeAttribute(default="en")  # what the desk writes to its customers in
    timezone = UnicodeAttribute(null=True)  # IANA zone of the organisation (None: the desk's)
    plan = UnicodeAttribute(null=True)  # support plan id (None: by importance, default or vip)
    calendar = UnicodeAttribute(null=True)  # working calendar id (None: the plan's)
    contract_url = UnicodeAttribute(null=True)  # link to the signed contract
    updated_at = UnicodeAttribute(null=True)


class User(Entity, discriminator="user"):
    sub = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    organisation_id = UnicodeAttribute(null=True)
    org_admin = BooleanAttribute(default=False)
    groups = JSONAttribute(default=list)  # agents: support groups such as L1, L2
    line = UnicodeAttribute(null=True)  # agents: L1 or L2
    skills = JSONAttribute(default=list)  # agents: what they know, e.g. ["databases", "billing"]
    active = BooleanAttribute(default=True)  # False once deactivated: no sign-in, tokens refused
    invited_at = UnicodeAttribute(null=True)
    invited_by = UnicodeAttribute(null=True)
    deactivated_at = UnicodeAttribute(null=True)


class MailSettings(Entity, discriminator="mail_settings"):
    """Which of the desk's e-mails to staff a person gets (pk=USER#<sub>, sk=MAILSETTINGS); no item: all of them."""

    sub = UnicodeAttribute()
    off = JSONAttribute(default=list)  # the kinds turned off (shared/directory/mail_settings.py KINDS)
    updated_at = UnicodeAttribute(null=True)


MAIL_SETTINGS_SK = "MAILSETTINGS"


class MachineClient(Entity, discriminator="machine_client"):
    """A Cognito app client with client credentials, acting for one organisation (pk CLIENT#<client id>)."""

    client_id = UnicodeAttribute()
    organisation_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)  # where the desk tells about tickets the client opened
    active = BooleanAttribute(default=True)
    registered_at = UnicodeAttribute(null=True)
    registered_by = UnicodeAttribute(null=True)
    unmapped_at = UnicodeAttribute(null=True)  # a manager stopped it acting for the organisation (active False)
    unmapped_by = UnicodeAttribute(null=True)


class Deactivated(Entity, discriminator="deactivated"):
    """The people deactivated recently (sub -> when), read by the API's caller resolution: their tokens still
    valid at API Gateway are refused. Kept only as long as a token can live (DEACTIVATED_KEEP_HOURS)."""

    subs = JSONAttribute(default=dict)


class EmailLink(Entity, discriminator="email"):
    sub = UnicodeAttribute()


class Service(Entity, discriminator="service"):
    key = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute()
    route = UnicodeAttribute()
    intake_fields = JSONAttribute(default=list)
    customer_visible = BooleanAttribute(default=True)
    groups = JSONAttribute(default=list)
    position = NumberAttribute(default=100)  # order in the catalog
    deadline_working_days = NumberAttribute(null=True)  # the route's human step is due this many working days on


PROFILE_SK = "PROFILE"


CATALOG_PK = "CATALOG"


def service_sk(key: str) -> str:
    return f"SERVICE#{key}"


def user_pk(sub: str) -> str:
    return f"USER#{sub}"


def email_pk(email: str) -> str:
    return f"EMAIL#{email.strip().lower()}"


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def client_pk(client_id: str) -> str:
    return f"CLIENT#{client_id}"


ORGANISATIONS_INDEX = "ORGANISATIONS"  # organisation_index partition of every organisation
DEACTIVATED_PK = "DIRECTORY"
DEACTIVATED_SK = "DEACTIVATED"


def people_index_pk(org_id: str | None) -> str:
    """organisation_index partition of an organisation's people, or of the staff (no organisation)."""
    return f"PEOPLE#{org_id or 'staff'}"


def get_machine_client(client_id: str) -> MachineClient | None:
    try:
        return MachineClient.get(client_pk(client_id), PROFILE_SK)
    except DoesNotExist:
        return None


def get_service(key: str) -> Service | None:
    try:
        return Service.get(CATALOG_PK, service_sk(key))
    except DoesNotExist:
        return None


def list_services() -> list[Service]:
    """The catalog in the order customers should see it."""
    found = [s for s in Entity.query(CATALOG_PK, Entity.sk.startswith("SERVICE#")) if isinstance(s, Service)]
    return sorted(found, key=lambda s: (s.position, s.title))


def get_user(sub: str) -> User | None:
    try:
        return User.get(user_pk(sub), PROFILE_SK)
    except DoesNotExist:
        return None


def get_user_by_email(email: str) -> User | None:
    try:
        link = Entity.get(email_pk(email), "EMAIL")
    except DoesNotExist:
        return None
    return get_user(link.sub)


def get_organisation(org_id: str) -> Organisation | None:
    try:
        return Organisation.get(org_pk(org_id), PROFILE_SK)
    except DoesNotExist:
        return None


PUBLIC_ORGANISATION = "public"
