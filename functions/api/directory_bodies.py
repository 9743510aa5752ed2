"""Request bodies of the directory routes (functions.api.directory: organisations, people, machine clients),
loaded on the first request with a body."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, HttpUrl

from functions.api.bodies import Body
from functions.api.public_bodies import EMAIL


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value.lower()


EmailStr = Annotated[str, Field(max_length=254), AfterValidator(_email)]


class OrganisationSettings(Body):
    name: str = Field(min_length=1, max_length=200)
    email_domains: list[str] = Field(
        default_factory=list, max_length=20, description="Senders from these domains belong to the organisation"
    )
    importance: Literal["standard", "vip"] = "standard"
    language: str = Field(
        default="en",
        min_length=2,
        max_length=8,
        description="What the desk writes to the organisation's customers in: a language it has messages for (en, cs)",
    )
    timezone: str | None = Field(default=None, max_length=64, description="IANA time zone, e.g. Europe/Prague")
    plan: str | None = Field(default=None, max_length=64, description="Support plan id (default: by importance)")
    calendar: str | None = Field(default=None, max_length=64, description="Working calendar id (default: the plan's)")
    contract_url: HttpUrl | None = Field(default=None, description="Link to the signed contract")


class Invitation(Body):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    role: Literal["customer", "agent", "manager"]
    organisation_id: str | None = Field(default=None, max_length=64, description="Customers: their organisation")
    org_admin: bool = Field(default=False, description="Customers: the organisation's admin")
    groups: list[str] = Field(default_factory=list, max_length=20, description="Agents: support groups, e.g. L1")
    line: str | None = Field(default=None, max_length=16, description="Agents: L1, L2, L3 or managers")
    skills: list[str] = Field(default_factory=list, max_length=30, description="Agents: e.g. databases, billing")
    send_invitation: bool = Field(default=True, description="Cognito e-mails a temporary password")


class PersonRouting(Body):
    groups: list[str] = Field(max_length=20, description="Support groups (several per line allowed)")
    line: str | None = Field(default=None, max_length=16, description="L1, L2, L3 or managers")
    skills: list[str] = Field(default_factory=list, max_length=30, description="e.g. databases, billing")


StaffMailKind = Literal["customer_reply", "sla_warning", "sla_breach", "incident"]  # shared/directory/mail_settings.py


class MailSettingsChange(Body):
    kinds: dict[StaffMailKind, bool] = Field(
        max_length=10,
        description="Kinds of staff e-mail turned on (true) or off (false); kinds not named keep their setting: "
        "customer_reply (a customer wrote into a ticket you own), sla_warning and sla_breach (a ticket you own), "
        "incident (managers)",
    )


class MachineClientMapping(Body):
    name: str = Field(min_length=1, max_length=200, description="What the integration is, e.g. Acme monitoring")
    email: EmailStr | None = Field(default=None, description="Where the desk writes about the client's tickets")
