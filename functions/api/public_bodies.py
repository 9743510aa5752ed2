"""Request bodies of the web form's routes (functions.api.public), loaded on the first request with a body."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from functions.api.tickets_bodies import CreateTicket

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


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

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.lower()
