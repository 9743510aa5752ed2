"""The Lambda that routes (Step Functions state machines) call for their steps.

Each action is one step of a route; its result is what the route needs next (a timer for the next
human step, the branch to take). Logic lives in shared/support.py and shared/tasks.py.
"""

from __future__ import annotations

from typing import Any

from functions import entry
from shared.clocks import explain
from shared.clocks import plans as clock_plans
from shared.figures import resolution as figures_resolution
from shared.kb import mandatory
from shared.money import scheduling
from shared.platform import workflows
from shared.routes import actions as route_actions
from shared.routes import followups, retime, start, support
from shared.tasks.work import create_task
from shared.tickets.intake import START_ROUTE_ACTION

logger = entry.start("caseway-routes")


def _step_task(event: dict[str, Any]) -> dict[str, Any]:
    """A human step: the task the route waits on (its token), with due date and priority from the SLA."""
    if support.is_closed(event["ticket_id"]):
        # Closed while the route was between steps (e.g. closed by a timer): end the step at once.
        if event.get("task_token"):
            workflows.task_success(event["task_token"], {"outcome": "ticket closed", "note": None, "by": None})
        return {"task_id": None}
    fields = support.step_task_fields(event["ticket_id"], event["step"])
    note = event.get("note")
    task = create_task(
        ticket_id=event["ticket_id"],
        step_key=event.get("step_key") or event["step"],
        task_type=fields["task_type"],
        title=fields["title"] + (f" (L1 notes: {note})" if note else ""),
        group=fields["group"],
        task_token=event.get("task_token"),
        due_at=fields["due_at"],
        priority=fields["priority"],
    )
    logger.info("task for route step", extra={"task_id": task.task_id, "priority_reason": fields["priority_reason"]})
    return {"task_id": task.task_id}


def _terms_changed(event: dict[str, Any]) -> dict[str, Any]:
    """A calendar or plan changed (shared.directory.plans): re-time the open tickets on it, and bring the plans'
    generated agreements (R29: targets and office hours) up to date."""
    result = retime.retime_terms(event["kind"], event["terms_id"], int(event["number"]))
    result["articles"] = mandatory.seed_mandatory()
    return result


def _error(error: Any) -> tuple[str, str | None]:
    """The route's caught error ({"Error", "Cause"}), whatever parts of it arrived."""
    if isinstance(error, dict):
        return str(error.get("Error") or "unknown"), error.get("Cause")
    return str(error or "unknown"), None


ACTIONS = {
    START_ROUTE_ACTION: lambda e: start.start(  # a submitted ticket, from the API
        e["ticket_id"], e["route"], e.get("reference"), e.get("service")
    ),
    "step_task": _step_task,
    "classified": lambda e: support.classified(e["ticket_id"], e.get("classification", ""), e.get("note"), e.get("by")),
    "timer": lambda e: support.on_timer(e["ticket_id"]),
    "follow_up": lambda e: support.follow_up(e["ticket_id"]),
    "fault": lambda e: support.fault(e["ticket_id"], *_error(e.get("error"))),
    "refresh": lambda e: followups.refresh(e["ticket_id"], e.get("trigger", "")),
    "figures_resolved": lambda e: figures_resolution.resolved_from_worker(e),  # R27: the SLA met ratio needs the ledger
    "money_offer": lambda e: scheduling.offer_from_worker(e),  # R23, R26: a contract limit told to the customer
    explain.EXPLAIN_ACTION: lambda e: explain.explain_ticket(e["ticket_id"]),  # the API's GET /tickets/{id}/sla
    retime.RETIME_ACTION: lambda e: _terms_changed(e),
    retime.RETIME_ORGANISATION_ACTION: lambda e: retime.retime_organisation(
        e["org_id"], (e["plan_id"], e.get("calendar_id"))
    ),
}
ACTIONS.update(route_actions.ACTIONS)  # the catalog's routes: licence key, document request, change request


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    clock_plans.new_invocation()  # each step reads the calendars and plans as they are now
    action = event.get("action")
    if action == "create_task":  # the minimal route's step, kept for executions started before the SLA route
        task = create_task(
            ticket_id=event["ticket_id"],
            step_key=event["step_key"],
            task_type=event["task_type"],
            title=event["title"],
            group=event["group"],
            task_token=event.get("task_token"),
            due_at=event.get("due_at"),
            priority=int(event.get("priority", 0)),
        )
        return {"task_id": task.task_id}
    if action not in ACTIONS:
        raise ValueError(f"unknown route action {action!r}")
    return ACTIONS[action](event)
