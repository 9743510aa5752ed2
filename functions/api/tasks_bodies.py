"""Request bodies of the task routes (functions.api.tasks), loaded on the first request with a body."""

from __future__ import annotations

from pydantic import Field

from functions.api.bodies import Body


class CompleteTask(Body):
    outcome: str = Field(default="done", min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=20000)
