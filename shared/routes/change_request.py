"""The change-request route's steps (statemachines/change-request.asl.json, R26)."""

from __future__ import annotations

import math
from typing import Any

from shared.clocks.ticket import customer_time, plan_for
from shared.platform import bus, clock, store, workflows
from shared.platform.domain import Status
from shared.platform.errors import NotFound
from shared.platform.store import with_retries
from shared.platform.words import Phrase
from shared.routes.approvals import HOURS, approval_of, hours_text
from shared.routes.catalog_steps import deadline
from shared.routes.common import WORKING_HOURS_PER_DAY, close, ended_elsewhere, is_closed, milestone, resolve, say
from shared.routes.items import APPROVAL_SK, Approval
from shared.sla.plans import add_working_days
from shared.tickets import items as ticket_items
from shared.tickets.conversation import notify_customer, system_message
from shared.tickets.items import load_ticket
from shared.tickets.log import new_event, save_ticket, set_status, status_event, ticket_detail
from shared.tickets.readers import reader_of


def change_evaluated(ticket_id: str, outcome: str, note: str | None, by: str | None) -> dict[str, Any]:
    """Declined: the customer is told why, closed. Estimated: the customer gets the estimate to approve (R26);
    the ball is on their side until they decide, at the latest until the plan's silent-customer close."""
    ticket, _ = load_ticket(ticket_id)
    if (ended := ended_elsewhere(ticket)) is not None:
        return {"branch": ended, "wait": None}
    if outcome != "estimated":
        reader = reader_of(ticket)
        text = reader.say("change.declined", reason=note or reader.say("change.no_reason"))
        say(ticket, text)
        close(ticket_id, Phrase("reason.change_declined"), told=text)
        return {"branch": "done", "wait": None}
    approval = approval_of(ticket_id)
    if approval is None:
        match = HOURS.match(note or "")
        if match is None:
            raise ValueError("the evaluation ended 'estimated' without an estimate in hours")
        approval = Approval(
            ticket_items.ticket_pk(ticket_id),
            APPROVAL_SK,
            ticket_id=ticket_id,
            estimate_hours=float(match.group(1).replace(",", ".")),
            estimate_note=note,
            estimated_by=by,
            status="pending",
            created_at=clock.now_iso(),
        )
        approval.save()
    result: dict[str, Any] = {"branch": "estimated"}

    def attempt() -> None:
        current, _ = load_ticket(ticket_id)
        plan = plan_for(current)
        now = clock.now()
        at = clock.iso(now)  # the step's one instant: the deadline counts from it, every write is stamped with it
        decide_by = add_working_days(plan.calendar, now, plan.auto_close_after_days)
        hours = hours_text(approval.estimate_hours)
        before = current.status
        events = []
        if before != Status.WAITING_FOR_CUSTOMER.value:
            set_status(current, Status.WAITING_FOR_CUSTOMER, at)
            events.append(status_event(current, None, before, "waiting for your approval of the estimate", at=at))
        current.next_step_at = current.due_at = clock.iso(decide_by)
        reader = reader_of(current)
        text = reader.say(
            "change.estimate_note" if approval.estimate_note else "change.estimate",
            hours=hours,
            note=approval.estimate_note,
            reference=current.reference,
            due=customer_time(decide_by, plan, reader),
        )
        message, said = system_message(current, text, at)
        reached = new_event(
            current,
            None,
            "EstimateGiven",
            f"Estimated at {hours} hours; waiting for the customer's approval",
            public=True,
            at=at,
            hours=approval.estimate_hours,
        )
        save_ticket(current, message, said, reached, *events, now=at)
        result["wait"] = {"seconds": max(1, math.ceil((decide_by - now).total_seconds())), "at": clock.iso(decide_by)}
        result["ticket"] = current
        result["before"] = before
        result["reader"] = reader
        result["text"] = text

    with_retries("This ticket", attempt)
    ticket = result.pop("ticket")
    before = result.pop("before")
    reader = result.pop("reader")
    text = result.pop("text")
    hours = hours_text(approval.estimate_hours)
    milestone(ticket, "EstimateGiven", f"Estimated at {hours} hours", hours=approval.estimate_hours)
    if before != ticket.status:
        bus.publish("StatusChanged", {**ticket_detail(ticket), "before": before})

    notify_customer(ticket, "estimate", text, reader)  # the estimate itself: what to decide, where, by when
    return result


def await_approval(ticket_id: str, task_token: str) -> dict[str, Any]:
    """Keep the route's token with the estimate; a decision that came first is handed over at once."""
    state: dict[str, Any] = {}

    def attempt() -> None:
        approval = approval_of(ticket_id)
        if approval is None:
            raise NotFound(f"No estimate on ticket {ticket_id}")
        approval.task_token = task_token
        store.transact([(approval, None)])
        state["approval"] = approval

    with_retries("This estimate", attempt)
    approval = state["approval"]
    if approval.status != "pending" or is_closed(ticket_id):
        workflows.task_success(task_token, {"decision": approval.status})
    return {"status": approval.status}


def approval_outcome(ticket_id: str) -> dict[str, Any]:
    """After the wait (a decision, or the silent customer's deadline): work, or close and say why."""
    ticket, _ = load_ticket(ticket_id)
    if (ended := ended_elsewhere(ticket)) is not None:
        return {"branch": ended}
    approval = approval_of(ticket_id)
    status = approval.status if approval else "pending"
    if status == "approved":
        hours = float(approval.estimate_hours)
        now = clock.now()  # the step's one instant: the deadline counts from it, the message is stamped with it
        due = deadline(ticket, max(1, math.ceil(hours / WORKING_HOURS_PER_DAY)), now)

        def attempt() -> None:
            current, _ = load_ticket(ticket_id)
            current.due_at = current.next_step_at = clock.iso(due)
            reader = reader_of(current)
            text = reader.say("change.approved", due=customer_time(due, plan_for(current), reader))
            message, said = system_message(current, text, clock.iso(now))
            save_ticket(current, message, said, now=clock.iso(now))

        with_retries("This ticket", attempt)
        return {"branch": "approved"}
    if status == "declined":
        say(ticket, reader_of(ticket).say("change.customer_declined"))
        close(ticket_id, Phrase("reason.estimate_declined"))
        return {"branch": "done"}
    if approval is not None:
        approval.status = "expired"
        approval.save()
    close(ticket_id, Phrase("reason.estimate_expired"))
    return {"branch": "done"}


def change_done(ticket_id: str, outcome: str, note: str | None) -> dict[str, Any]:
    """The approved change is made: tell the customer and resolve (closing follows their confirmation or silence).
    If the work cannot be done after all, tell why and close."""
    ticket, _ = load_ticket(ticket_id)
    if (ended := ended_elsewhere(ticket)) is not None:
        return {"branch": ended}
    reader = reader_of(ticket)
    if outcome in ("declined", "cancelled"):
        text = reader.say("change.failed", reason=note or reader.say("change.no_reason"))
        say(ticket, text)
        close(ticket_id, Phrase("reason.change_failed"), told=text)
        return {"branch": "done"}
    text = reader.say("change.done_note" if note else "change.done", note=note)
    say(ticket, text, ("ChangeDone", "Change done", {}))
    resolution = Phrase("change.resolution_note", {"note": note}) if note else Phrase("change.resolution")
    resolve(ticket_id, resolution, "Not applicable: an approved change", told=text)
    return {"branch": "follow_up"}
