"""Request bodies of the notification routes (functions.api.notifications)."""

from __future__ import annotations

from pydantic import Field

from functions.api.bodies import Body


class Seen(Body):
    at: str | None = Field(
        default=None, max_length=40, description="Looked until this instant (ISO 8601; default: now)"
    )
