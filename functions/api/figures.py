"""HTTP routes of the figures (R27, R28): the manager's process dashboard and each specialist's own figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from functions.api.callers import caller
from functions.api.http import query
from functions.api.router import MANAGER, STAFF, ApiRouter
from shared.platform.errors import Unprocessable

router = ApiRouter()

DATE_QUERY = (
    (
        "date",
        {
            "type": "string",
            "format": "date",
            "description": "YYYY-MM-DD in the plan calendar's zone (Europe/Prague); default today",
        },
    ),
)


def _date() -> date | None:
    raw = query("date", pattern=r"\d{4}-\d{2}-\d{2}", max_length=10)
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise Unprocessable(
            f"date {raw} is not a calendar date.", errors=[{"field": "date", "message": "a real date, YYYY-MM-DD"}]
        ) from None
    if not 2000 <= day.year <= 2100:
        raise Unprocessable("date must be between 2000 and 2100.", errors=[{"field": "date", "message": "2000..2100"}])
    return day


@router.declare(
    "GET",
    "/figures/manager",
    "The manager's process figures of a day: plan/fact, overdue, bugs, new tickets, time, kanban (R28); SLA met "
    "and satisfaction per week (R18, R30)",
    "figures",
    query=DATE_QUERY,
    roles=(MANAGER,),
    hint="Your own figures are at GET /figures/me.",
)
def manager_figures() -> dict[str, Any]:
    from shared.figures import report as figures_report  # the figures' reports: kept off the API's cold start

    return figures_report.manager_figures(caller(), _date())


@router.declare(
    "GET",
    "/figures/me",
    "Your own figures: tasks closed, time logged, SLA met ratio this month (R27)",
    "figures",
    query=DATE_QUERY,
    roles=STAFF,
)
def my_figures() -> dict[str, Any]:
    from shared.figures import report as figures_report  # the figures' reports: kept off the API's cold start

    return figures_report.personal_figures(caller(), None, _date())


@router.declare(
    "GET",
    "/figures/agents/{sub}",
    "A specialist's figures (managers: anyone's; specialists: their own)",
    "figures",
    query=DATE_QUERY,
    roles=STAFF,
    resource="person",
)
def agent_figures(sub: str) -> dict[str, Any]:
    from shared.figures import report as figures_report  # the figures' reports: kept off the API's cold start

    return figures_report.personal_figures(caller(), sub, _date())
