"""Request bodies of the agent workspace's routes (functions.api.workspace)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from functions.api.bodies import Body


class Presence(Body):
    activity: Literal["viewing", "replying"] = Field(description="what I am doing on the ticket now")
