"""Request bodies of the catalog routes (functions.api.catalog), loaded on the first request with a body."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from functions.api.bodies import Body


class CatalogIntakeField(Body):
    key: str = Field(min_length=1, max_length=64, description="A question of the question bank (R3)")
    required: bool = Field(default=False)


class CatalogService(Body):
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=3, max_length=2000)
    route: str = Field(min_length=1, max_length=64, description="A route: statemachines/<route>.asl.json")
    intake_fields: list[CatalogIntakeField] = Field(default_factory=list, max_length=40)
    groups: list[str] = Field(min_length=1, max_length=10, description="Support groups that serve it; first leads")
    customer_visible: bool = Field(default=True)
    deadline_working_days: int | None = Field(
        default=None, ge=1, le=60, description="The route's first human step is due this many working days on"
    )
    position: int | None = Field(default=None, ge=0, le=10000, description="Order in the catalog")


class CatalogApproval(Body):
    decision: Literal["approve", "decline"]
    comment: str | None = Field(default=None, max_length=5000)


class CatalogEstimate(Body):
    hours: float = Field(gt=0, le=10000, description="Estimated work in hours")
    note: str | None = Field(default=None, max_length=20000, description="What the estimate covers")


class CatalogLicenceLimit(Body):
    limit: int = Field(ge=0, le=1_000_000, description="How many licence keys the organisation may hold")
