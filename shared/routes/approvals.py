"""R26: L2's estimate of a change and the customer's decision on it (API actions; no calendars)."""

from __future__ import annotations

import logging
import re
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.platform import bus, clock, store, workflows
from shared.platform.domain import Role, Status, TaskStatus
from shared.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.store import with_retries
from shared.routes.common import STEPS, milestone
from shared.routes.items import APPROVAL_SK, Approval
from shared.tasks.work import load_task
from shared.tickets import items as ticket_items
from shared.tickets.access import can_see
from shared.tickets.items import Ticket
from shared.tickets.log import new_event, set_index_keys, set_status, status_event, ticket_detail

logger = logging.getLogger(__name__)


HOURS = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*h", re.IGNORECASE)


def record_estimate(caller: Caller, task_id: str, *, hours: float, note: str | None) -> None:
    """L2's estimate of a change, kept for the customer's approval; completing the evaluate task follows."""

    caller.require_staff()
    task, ticket = load_task(task_id)
    if task.task_type != STEPS["evaluate"]["type"]:
        raise Unprocessable(f"Task {task_id} is a {task.task_type} task; only evaluate tasks take an estimate.")
    if task.status != TaskStatus.TAKEN.value:
        raise Conflict(f"Task {task_id} is {task.status}; take it before estimating (POST /tasks/{task_id}/take).")
    if task.assignee != caller.sub and caller.role != Role.MANAGER:
        raise Forbidden(f"Task {task_id} is assigned to {task.assignee}; only they or a manager can estimate it.")
    approval = approval_of(ticket.ticket_id)
    if approval is not None and approval.status != "pending":
        raise Conflict(f"The customer already {approval.status} the estimate of {ticket.reference}.")
    Approval(
        ticket_items.ticket_pk(ticket.ticket_id),
        APPROVAL_SK,
        ticket_id=ticket.ticket_id,
        estimate_hours=hours,
        estimate_note=note,
        estimated_by=caller.sub,
        status="pending",
        created_at=clock.now_iso(),
    ).save()


def approval_of(ticket_id: str) -> Approval | None:
    try:
        return Approval.get(ticket_items.ticket_pk(ticket_id), APPROVAL_SK, consistent_read=True)
    except DoesNotExist:
        return None


def hours_text(hours: float) -> str:
    return f"{hours:g}"


def decide(caller: Caller, ticket_id: str, *, decision: str, comment: str | None) -> Ticket:
    """R26: the customer (the requester or their organisation's admin) approves or declines the estimate."""
    if caller.role != Role.CUSTOMER:
        raise Forbidden("The customer approves or declines an estimate; staff cannot decide for them.")
    state: dict[str, Any] = {}

    def attempt() -> None:
        resolved_id = ticket_items.resolve_ticket_id(ticket_id)
        items = ticket_items.load_ticket_partition(resolved_id) if resolved_id else []
        ticket = next((i for i in items if isinstance(i, Ticket)), None)
        if ticket is None or not can_see(caller, ticket):
            raise NotFound(f"No ticket {ticket_id} that you can see.")
        approval = next((i for i in items if isinstance(i, Approval)), None)
        if approval is None:
            raise Conflict(f"Ticket {ticket.reference} has no estimate to approve.")
        if approval.status != "pending" or ticket.status == Status.CLOSED.value:
            raise Conflict(
                f"The estimate of {ticket.reference} was already decided ({approval.status}).",
                current_status=approval.status,
            )
        now = clock.now_iso()
        approval.status = "approved" if decision == "approve" else "declined"
        approval.decided_by = caller.sub
        approval.decided_at = now
        approval.comment = comment
        before = ticket.status
        events = [
            new_event(
                ticket,
                caller,
                "EstimateApproved" if decision == "approve" else "EstimateDeclined",
                f"Estimate of {hours_text(approval.estimate_hours)} hours {approval.status} by the customer"
                + (f": {comment}" if comment else ""),
                public=True,
                at=now,
                decision=approval.status,
                comment=comment,
            )
        ]
        if before == Status.WAITING_FOR_CUSTOMER.value:
            set_status(ticket, Status.IN_PROGRESS, now)
            events.append(status_event(ticket, caller, before, f"estimate {approval.status}", at=now))
        ticket.next_step_at = ticket.due_at = None
        ticket.updated_at = now
        set_index_keys(ticket)
        store.transact([(approval, None), (ticket, None), *((e, None) for e in events)])
        state.update(ticket=ticket, approval=approval, before=before)

    with_retries("This ticket", attempt)
    ticket, approval, before = state["ticket"], state["approval"], state["before"]
    milestone(
        ticket, f"Estimate{approval.status.capitalize()}", f"Estimate {approval.status}", decision=approval.status
    )
    if before != ticket.status:
        bus.publish("StatusChanged", {**ticket_detail(ticket), "before": before})
    if approval.task_token:
        try:
            workflows.task_success(approval.task_token, {"decision": approval.status})
        except Exception:
            # The route's wait timed out meanwhile: its next step reads the decision from the estimate.
            logger.exception("route of ticket %s was not told the decision", ticket.ticket_id)
    return ticket
