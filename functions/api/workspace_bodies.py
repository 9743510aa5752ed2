"""Request bodies of the agent workspace's routes (functions.api.workspace)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from functions.api.bodies import Body


class Presence(Body):
    activity: Literal["viewing", "replying"] = Field(description="what I am doing on the ticket now")


class SavedReply(Body):
    group: str = Field(min_length=1, max_length=64, description="the support group the reply belongs to")
    title: str = Field(min_length=1, max_length=200)
    texts: dict[str, str] = Field(
        description="language -> text (en, cs, ...); placeholders {customer_name}, {reference}, {subject}, "
        "{next_step_at}",
        max_length=10,
    )

    @field_validator("texts")
    @classmethod
    def _texts_fit(cls, texts: dict[str, str]) -> dict[str, str]:
        for language, text in texts.items():
            if not text.strip() or len(text) > 20000:
                raise ValueError(f"the {language} text is 1-20000 characters")
        return texts


class ArticleRequest(Body):
    note: str | None = Field(default=None, max_length=500, description="What the article should cover")
