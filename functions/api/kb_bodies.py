"""Request bodies of the knowledge base routes (functions.api.kb), loaded on the first request with a body."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from functions.api.bodies import Body

_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class KbArticle(Body):
    title: str = Field(min_length=3, max_length=200)
    body: str = Field(min_length=1, max_length=50_000, description="Markdown; raw HTML is shown as text")
    audience: Literal["customers", "staff"] = Field(description="Who may read it")
    service: str | None = Field(default=None, min_length=1, max_length=64, description="Service key, or none")
    tags: list[str] = Field(default_factory=list, max_length=20)
    slug: str | None = Field(
        default=None, max_length=80, pattern=_SLUG, description="URL name; derived from the title if left out"
    )
    status: Literal["draft", "published"] = "published"
    note: str | None = Field(default=None, max_length=500, description="What this version is about")


class KbArticleUpdate(Body):
    title: str | None = Field(default=None, min_length=3, max_length=200)
    body: str | None = Field(default=None, min_length=1, max_length=50_000)
    audience: Literal["customers", "staff"] | None = None
    service: str | None = Field(default=None, max_length=64, description="Service key; empty string clears it")
    tags: list[str] | None = Field(default=None, max_length=20)
    slug: str | None = Field(default=None, max_length=80, pattern=_SLUG, description="Earlier slugs keep working")
    status: Literal["draft", "published", "archived"] | None = None
    note: str | None = Field(default=None, max_length=500, description="What changed")
    expected_version: int | None = Field(
        default=None, ge=1, description="The version you edited; 409 if someone saved another meanwhile"
    )
