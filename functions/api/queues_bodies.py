"""Request bodies of the queue routes (functions.api.queues: groups, agents, hand-over of tasks), loaded on
the first request with a body."""

from __future__ import annotations

from pydantic import Field

from functions.api.bodies import Body

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class RoutingGroup(Body):
    line: str = Field(min_length=2, max_length=16, description="L1, L2, L3 or managers")
    description: str = Field(default="", max_length=500)
    skills: list[str] = Field(default_factory=list, max_length=20, description="What the group's work needs")


class RoutingAgent(Body):
    groups: list[str] = Field(max_length=20, description="Support groups (several per line allowed)")
    line: str | None = Field(default=None, max_length=16, description="L1, L2, L3 or managers")
    skills: list[str] = Field(default_factory=list, max_length=30, description="e.g. databases, billing")


class TaskReassign(Body):
    group: str | None = Field(default=None, pattern=_NAME, description="The group that takes the task over")
    assignee: str | None = Field(
        default=None, min_length=1, max_length=254, description="sub or e-mail of a member of that group"
    )
    reason: str | None = Field(default=None, max_length=2000, description="Why it is handed over (internal)")
