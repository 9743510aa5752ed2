"""Request bodies of the money routes (functions.api.money), loaded on the first request with a body."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from functions.api.bodies import Body


class MoneyContract(Body):
    period: Literal["month", "quarter"] = Field(default="month", description="Billing and limit period")
    questions_per_user_per_day: int | None = Field(default=None, ge=1, le=1000, description="R23, e.g. 3")
    tickets_per_period: int | None = Field(default=None, ge=1, le=1_000_000)
    hours_per_period: Decimal | None = Field(default=None, gt=0, le=100_000, decimal_places=2)
    rate_per_hour: Decimal = Field(ge=0, le=100_000, decimal_places=2, description="Price of one specialist hour")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    services: list[str] = Field(default_factory=list, max_length=100, description="Catalog keys in scope; empty: all")
    renewal: Literal["auto", "manual"] = "auto"
    start_date: date
    end_date: date | None = Field(default=None, description="Required for manual renewal: the contract ends then")
    billing_day: int = Field(default=1, ge=1, le=28, description="Day of the month after the period to invoice")
    payment_terms_days: int = Field(default=14, ge=0, le=120)
    ticket_hours_incident: int = Field(default=10, ge=1, le=1000, description="R24: hours on one ticket")
    timezone: str = Field(default="Europe/Prague", max_length=64, description="IANA zone of periods and work dates")
    plan_id: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="Support plan it assigns (GET /sla/plans)"
    )
    calendar_id: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
        description="Working calendar it assigns instead of the plan's (GET /sla/calendars)",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone; use an IANA name such as Europe/Prague") from None
        return value

    @model_validator(mode="after")
    def _dates(self) -> MoneyContract:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        if self.renewal == "manual" and self.end_date is None:
            raise ValueError("a contract with manual renewal needs its end_date")
        return self


class MoneyTimeEntry(Body):
    minutes: int = Field(ge=1, le=1440, description="Minutes spent, 1..1440")
    billable: bool = True
    task_id: str | None = Field(default=None, max_length=100, description="One of this ticket's tasks")
    work_date: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD; today in the plan's zone")
    started_at: str | None = Field(default=None, max_length=40, description="ISO 8601 instant")
    note: str | None = Field(default=None, max_length=2000)


class MoneyLimitChoice(Body):
    choice: Literal["extend", "next_period"]


class MoneyNote(Body):
    note: str | None = Field(default=None, max_length=2000)


class MoneyInvoiceStatus(Body):
    status: Literal["draft", "sent", "paid", "overdue"]


class MoneyPrepareInvoice(Body):
    organisation_id: str = Field(min_length=1, max_length=100)
    period: str | None = Field(default=None, max_length=10, description="2026-11 (month) or 2026-Q4; default: now")
