"""Request bodies of the ticket routes (functions.api.tickets), loaded on the first request with a body."""

from __future__ import annotations

from typing import Any, Literal

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


class OnBehalf(Body):
    organisation_id: str = Field(min_length=1, max_length=64, description="The customer's organisation")
    requester: str = Field(
        min_length=1, max_length=254, description="The customer: their sub, or an e-mail address (a new contact)"
    )
    name: str | None = Field(default=None, max_length=200, description="A new contact's name")


class OpenTicket(CreateTicket):
    """POST /tickets: a customer's own ticket, or one staff open for a customer who phoned or walked in."""

    on_behalf: OnBehalf | None = Field(default=None, description="Staff only: the customer the ticket is for")
    channel: Literal["phone", "walk_in", "email"] | None = Field(
        default=None, description="Staff only, with on_behalf: how the customer reached us"
    )

    def require_staff_fields(self) -> None:
        """The channel goes with on_behalf: staff say how the customer they open the ticket for reached them."""
        if (self.on_behalf is None) != (self.channel is None):
            field = "channel" if self.channel is None else "on_behalf"
            raise Unprocessable(
                "A ticket opened on behalf of a customer names the customer (on_behalf) and how they reached us "
                "(channel: phone, walk_in or email).",
                errors=[
                    {"field": field, "message": "required with " + ("on_behalf" if field == "channel" else "channel")}
                ],
            )
        if self.on_behalf is not None and not self.submit:
            raise Unprocessable(
                "A ticket opened on behalf of a customer is submitted at once; drafts are the customer's own.",
                errors=[{"field": "submit", "message": "must be true with on_behalf"}],
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
