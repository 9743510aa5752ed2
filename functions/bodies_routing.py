"""Request bodies (pydantic) of tiered routing; star-imported by functions.api_models, so parse_body and
the OpenAPI document find them by name. Names must be unique across the bodies_* modules."""

from __future__ import annotations

from pydantic import Field

from functions.api_models import _Body

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class RoutingGroup(_Body):
    line: str = Field(min_length=2, max_length=16, description="L1, L2, L3 or managers")
    description: str = Field(default="", max_length=500)
    skills: list[str] = Field(default_factory=list, max_length=20, description="What the group's work needs")


class RoutingAgent(_Body):
    groups: list[str] = Field(max_length=20, description="Support groups (several per line allowed)")
    line: str | None = Field(default=None, max_length=16, description="L1, L2, L3 or managers")
    skills: list[str] = Field(default_factory=list, max_length=30, description="e.g. databases, billing")


class TaskReassign(_Body):
    group: str | None = Field(default=None, pattern=_NAME, description="The group that takes the task over")
    assignee: str | None = Field(
        default=None, min_length=1, max_length=254, description="sub or e-mail of a member of that group"
    )
    reason: str | None = Field(default=None, max_length=2000, description="Why it is handed over (internal)")
