"""Request bodies of the web form's routes (functions.api.public), loaded on the first request with a body."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from functions.api.bodies import Body
from functions.api.tickets_bodies import CreateTicket

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class Proof(Body):
    """A solved proof-of-work challenge (shared/tickets/proof_of_work.py), asked after a few submissions an hour."""

    challenge: str = Field(max_length=200, description="The challenge of the desk's 429 answer")
    solution: str = Field(
        max_length=64,
        description="A string whose SHA-256 of `<challenge>:<solution>` starts "
        "with the challenge's number of zero bits",
    )


class PublicTicket(CreateTicket):
    email: str = Field(max_length=254, description="Where we write to you")
    name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(
        default=None,
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$",
        description="The language the form was filled in (e.g. cs, cs-CZ): a sender without an organisation is "
        "written to in it when the desk has messages in it, else in English",
    )
    proof: Proof | None = Field(default=None, description="After a few submissions an hour: the solved challenge")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.lower()


class Confirmation(Body):
    token: str = Field(min_length=10, max_length=120, description="The token of the confirmation link's #token=")
