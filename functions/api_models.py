"""Request bodies of the HTTP API, validated with pydantic.

Kept out of functions.api's import path: pydantic model building is most of a cold start's import
time, and only requests with a body need it, so it loads on the first such request.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CreateTicket(_Body):
    service: str = Field(min_length=1, max_length=64, description="Service key from GET /services")
    subject: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=20000, description="Required when submit is true")
    fields: dict[str, Any] = Field(default_factory=dict, description="Answers to the service's intake form")
    submit: bool = Field(default=True, description="false keeps it as a draft to finish later (R2)")


class PublicTicket(CreateTicket):
    email: str = Field(max_length=254, description="Where we write to you")
    name: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.lower()


class UpdateDraft(_Body):
    subject: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    fields: dict[str, Any] | None = Field(default=None, description="Answers to merge into the draft's")


class NewMessage(_Body):
    body: str = Field(min_length=1, max_length=20000)
    internal: bool = Field(default=False, description="Internal note, staff only")
    attachments: list[str] = Field(default_factory=list, max_length=20, description="Attachment ids")


class NewAttachment(_Body):
    file_name: str = Field(min_length=1, max_length=255)
    size: int = Field(gt=0, description="Bytes")
    content_type: str = Field(min_length=3, max_length=200)


class Resolve(_Body):
    resolution: str = Field(min_length=3, max_length=20000, description="How it was solved")
    preventive_measure: str = Field(min_length=3, max_length=20000, description="What stops it happening again")
    articles: list[str] = Field(
        default_factory=list, max_length=10, description="Knowledge base articles (ids or slugs) that answer it"
    )
    kb_task: bool = Field(default=False, description="The answer belongs in the knowledge base: create a task")
    kb_note: str | None = Field(
        default=None, max_length=500, description="What the article should cover; implies kb_task"
    )


class Feedback(_Body):
    rating: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(default=None, max_length=5000)


class Reason(_Body):
    reason: str | None = Field(default=None, max_length=2000)


class CompleteTask(_Body):
    outcome: str = Field(default="done", min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=20000)


# Each feature's bodies, found here by name.
from functions.bodies_catalog import *  # noqa: E402,F403
from functions.bodies_figures import *  # noqa: E402,F403
from functions.bodies_kb import *  # noqa: E402,F403
from functions.bodies_money import *  # noqa: E402,F403
from functions.bodies_review import *  # noqa: E402,F403
from functions.bodies_routing import *  # noqa: E402,F403
