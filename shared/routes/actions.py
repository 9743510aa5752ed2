"""The catalog routes' Lambda actions by name, as the ASL files call them (functions/route_tasks.py)."""

from __future__ import annotations

from typing import Any

from shared.routes.catalog_steps import fault, step_task
from shared.routes.change_request import approval_outcome, await_approval, change_done, change_evaluated
from shared.routes.document_request import document_done
from shared.routes.licence_key import licence_decided, licence_issue


def _error(error: Any) -> tuple[str, str | None]:
    if isinstance(error, dict):
        return str(error.get("Error") or "unknown"), error.get("Cause")
    return str(error or "unknown"), None


def _step(e: dict[str, Any]) -> dict[str, Any]:
    return step_task(e["ticket_id"], e["step"], e.get("task_token"))


ACTIONS = {
    "catalog_task": _step,
    "catalog_fault": lambda e: fault(e["ticket_id"], *_error(e.get("error"))),
    "licence_issue": lambda e: licence_issue(e["ticket_id"]),
    "licence_decided": lambda e: licence_decided(e["ticket_id"], e.get("outcome", ""), e.get("note"), e.get("by")),
    "document_done": lambda e: document_done(e["ticket_id"], e.get("outcome", ""), e.get("note")),
    "change_evaluated": lambda e: change_evaluated(e["ticket_id"], e.get("outcome", ""), e.get("note"), e.get("by")),
    "await_approval": lambda e: await_approval(e["ticket_id"], e["task_token"]),
    "approval_outcome": lambda e: approval_outcome(e["ticket_id"]),
    "change_done": lambda e: change_done(e["ticket_id"], e.get("outcome", ""), e.get("note")),
}
