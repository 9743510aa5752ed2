"""Request bodies of the ticket routes (functions.api.tickets), loaded on the first request with a body."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from functions.api.bodies import Body
from shared.platform.errors import Unprocessable


class CreateTicket(Body):
    service: str = Field(min_length=1, max_length=64, description="Service key from GET /services")
    subject: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=20000, description="Required when submit is true")
    fields: dict[str, Any] = Field(default_factory=dict, description="Answers to the service's intake form")
    submit: bool = Field(default=True, description="false keeps it as a draft to finish later (R2)")

    def require_description(self) -> None:
        """A submitted ticket describes the problem; a draft may leave it for later."""
        if self.submit and not self.description:
            raise Unprocessable(
                "Describe the problem before submitting.",
                errors=[{"field": "description", "message": "required when submit is true"}],
            )


class UpdateDraft(Body):
    subject: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    fields: dict[str, Any] | None = Field(default=None, description="Answers to merge into the draft's")


class NewMessage(Body):
    body: str = Field(min_length=1, max_length=20000)
    internal: bool = Field(default=False, description="Internal note, staff only")
    attachments: list[str] = Field(default_factory=list, max_length=20, description="Attachment ids")


class NewAttachment(Body):
    file_name: str = Field(min_length=1, max_length=255)
    size: int = Field(gt=0, description="Bytes")
    content_type: str = Field(min_length=3, max_length=200)


class Resolve(Body):
    resolution: str = Field(min_length=3, max_length=20000, description="How it was solved")
    preventive_measure: str = Field(min_length=3, max_length=20000, description="What stops it happening again")
    articles: list[str] = Field(
        default_factory=list, max_length=10, description="Knowledge base articles (ids or slugs) that answer it"
    )
    kb_task: bool = Field(default=False, description="The answer belongs in the knowledge base: create a task")
    kb_note: str | None = Field(
        default=None, max_length=500, description="What the article should cover; implies kb_task"
    )


class Feedback(Body):
    rating: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(default=None, max_length=5000)


class Reason(Body):
    reason: str | None = Field(default=None, max_length=2000)
