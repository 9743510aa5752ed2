"""The catalog's own routes (R5, R6, R26): licence key, document request and change request.

Each route is a state machine in statemachines/ (licence-key, document-request, change-request) whose Lambda
steps are the functions below, called through functions/route_tasks.py. Like the support route, every step
reads the ticket's own log, writes what happened back into it (public milestones and automatic messages, so the
customer always sees the status and the next step, R8, R10), and tells the route which way to go (`branch`).
Human steps are tasks that hold the route's task token (shared/tasks.py); the customer's approval of an
estimate (R26) is an `Approval` item that holds it.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared import clock, integrations, store
from shared.domain import Role, Status, TaskStatus
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.identity import Caller
from shared.models import Attachment, Service, Ticket
from shared.models_catalog import APPROVAL_SK, LICENCES_SK, Approval, LicenceAccount, LicenceKey, licence_key_sk
from shared.sla import add_working_days
from shared.support import _customer_time, _load, _save, _system_message, plan_for
from shared.tasks import create_task
from shared.tickets import (
    _event,
    _set_index_keys,
    _set_status,
    _status_event,
    _with_retries,
    can_see,
    close_ticket,
    resolve_ticket,
    ticket_detail,
)

logger = logging.getLogger(__name__)

# The routes of this module; "support" is shared/support.py's. Services may only name routes the code knows.
CATALOG_ROUTES = ("licence-key", "document-request", "change-request")

# Working days a route's first human step is due in when the service does not say (Service.deadline_working_days).
DEFAULT_DEADLINE_DAYS = {"document-request": 3, "change-request": 5, "licence-key": 1}
WORKING_HOURS_PER_DAY = 8

# The human steps: task type, the group that does them unless the service names its own, title, priority.
STEPS: dict[str, dict[str, Any]] = {
    "prepare": {
        "type": "prepare_document",
        "group": "office",
        "title": "Prepare the requested document, attach it and complete with 'sent' (or 'declined' with the reason)",
        "priority": 300,
    },
    "evaluate": {
        "type": "evaluate",
        "group": "L2",
        "title": "Evaluate the change: estimate it in hours (POST /tasks/{id}/estimate) or decline with the reason",
        "priority": 300,
    },
    "work": {"type": "change_work", "group": "L2", "title": "Do the approved change", "priority": 400},
    "licence_limit": {
        "type": "licence_limit",
        "group": "accounts",
        "title": "Licence limit reached: extend the organisation's limit, or decline with the reason",
        "priority": 600,
    },
}
FAULT_PRIORITY = 900


# --- small helpers -------------------------------------------------------------------------------------------


def _service(ticket: Ticket) -> Service | None:
    return store.get_service(ticket.service)


def _step_group(ticket: Ticket, step: str) -> str:
    """The step's own group when the service is served by it, else the service's first group (a manager can
    point a document-request service at "billing"); the step's default when the service names none."""
    default = STEPS[step]["group"]
    if step == "licence_limit":
        return default  # always the account manager
    service = _service(ticket)
    groups = list(service.groups) if service and service.groups else []
    return default if not groups or default in groups else groups[0]


def deadline_days(ticket: Ticket, route: str) -> int:
    service = _service(ticket)
    if service is not None and service.deadline_working_days:
        return int(service.deadline_working_days)
    return DEFAULT_DEADLINE_DAYS[route]


def _deadline(ticket: Ticket, days: int, now: datetime | None = None) -> datetime:
    return add_working_days(plan_for(ticket).calendar, now or clock.now(), days)


def _say(ticket: Ticket, text: str, *milestones: tuple[str, str, dict[str, Any]]) -> None:
    """An automatic public message and public milestones (R9), saved with the ticket in one transaction."""
    now = clock.now_iso()
    message, said = _system_message(ticket, text, now)
    events = [_event(ticket, None, type_, summary, public=True, **data) for type_, summary, data in milestones]
    _save(ticket, message, said, *events)
    integrations.publish("MessageAdded", {**ticket_detail(ticket), "message_id": message.message_id, "internal": False})
    for event in events:
        _milestone(ticket, event.type, event.summary, **event.data)


def _milestone(ticket: Ticket, milestone: str, summary: str, **data: Any) -> None:
    """On the bus as one detail-type, RouteMilestone, named by `milestone` (docs/events.md)."""
    integrations.publish(
        "RouteMilestone", {**ticket_detail(ticket), "milestone": milestone, "summary": summary, **data}
    )


def _close(ticket_id: str, reason: str) -> None:
    try:
        close_ticket(Caller.system(), ticket_id, reason=reason)
    except Conflict:
        logger.info("ticket %s was closed meanwhile", ticket_id)


def _resolve(ticket_id: str, resolution: str, preventive_measure: str) -> None:
    try:
        resolve_ticket(Caller.system(), ticket_id, resolution=resolution, preventive_measure=preventive_measure)
    except Conflict:
        logger.info("ticket %s changed before it could be resolved", ticket_id)


def _ended_elsewhere(ticket: Ticket) -> str | None:
    """A step's task can also end because someone resolved or closed the ticket by hand: follow that."""
    if ticket.status == Status.CLOSED.value:
        return "done"
    if ticket.status == Status.RESOLVED.value:
        return "follow_up"
    return None


def keeps_next_step(ticket: Ticket) -> bool:
    """While we work on a catalog route's ticket, its next-step date is the route's own promise (the document's
    deadline, the estimate, the finished change), not the support plan's reaction clock."""
    if ticket.status not in (Status.NEW.value, Status.IN_PROGRESS.value):
        return False
    service = _service(ticket)
    return service is not None and service.route in CATALOG_ROUTES


# --- steps shared by the routes -------------------------------------------------------------------------------


def intake(ticket_id: str, route: str) -> dict[str, Any]:
    """Tell the customer who does what by when (R10): the first human step's deadline in working days."""
    result: dict[str, Any] = {}

    def attempt() -> None:
        ticket, items = _load(ticket_id)
        if any(getattr(i, "automatic", False) for i in items):
            result["due_at"] = ticket.due_at
            return  # a retried step: already told
        plan = plan_for(ticket)
        due = _deadline(ticket, deadline_days(ticket, route))
        service = _service(ticket)
        document = ticket.fields.get("document_type") or (service.title if service else "document")
        what = {
            "document-request": f"we will send you the document ({document})",
            "change-request": "a specialist will evaluate the change and send you an estimate to approve",
        }.get(route, "a specialist will handle it")
        text = f"We have received your request: {what} by {_customer_time(due, plan)}."
        ticket.due_at = ticket.next_step_at = clock.iso(due)
        message, said = _system_message(ticket, text, clock.now_iso())
        _save(ticket, message, said)
        result["due_at"] = ticket.due_at

    _with_retries("This ticket", attempt)
    return result


def step_task(ticket_id: str, step: str, task_token: str | None) -> dict[str, Any]:
    """A human step: the task the route waits on, due at the ticket's promised date."""
    ticket = store.get_ticket(ticket_id)
    if ticket is None or ticket.status in (Status.CLOSED.value, Status.RESOLVED.value):
        if task_token:
            outcome = f"ticket {ticket.status if ticket else 'gone'}"
            integrations.task_success(task_token, {"outcome": outcome, "note": None, "by": None})
        return {"task_id": None}
    spec = STEPS[step]
    due = ticket.due_at
    if step == "licence_limit":
        due = clock.iso(_deadline(ticket, DEFAULT_DEADLINE_DAYS["licence-key"]))
    task = create_task(
        ticket_id=ticket_id,
        step_key=step,
        task_type=spec["type"],
        title=spec["title"],
        group=_step_group(ticket, step),
        task_token=task_token,
        due_at=due,
        priority=spec["priority"],
    )
    return {"task_id": task.task_id}


def fault(ticket_id: str, error: str, cause: str | None) -> dict[str, Any]:
    """R6: anything a step could not do becomes a manual task for a person; the customer is told it goes on by hand.
    Never a failed execution."""
    ticket, _ = _load(ticket_id)
    service = _service(ticket)
    if service is not None and service.route == "licence-key":
        group = STEPS["licence_limit"]["group"]  # licences are the account manager's
    else:
        group = (service.groups[0] if service and service.groups else None) or "L1"
    store.transact(
        [
            (
                _event(
                    ticket,
                    None,
                    "RouteFault",
                    f"Route step failed: {error}",
                    public=False,
                    error=error,
                    cause=(cause or "")[:500],
                ),
                None,
            )
        ]
    )
    task = create_task(
        ticket_id=ticket_id,
        step_key=f"fault#{store.new_id()}",
        task_type="manual",
        title=f"Handle by hand: the automatic route failed ({error})",
        group=group,
        task_token=None,
        due_at=clock.iso(_deadline(ticket, 1)),
        priority=FAULT_PRIORITY,
    )
    if ticket.status not in (Status.CLOSED.value, Status.RESOLVED.value):
        ticket, _ = _load(ticket_id)
        _say(ticket, "We could not finish your request automatically; a specialist is handling it by hand now.")
    return {"task_id": task.task_id, "group": group}


# --- licence key (R6) ---------------------------------------------------------------------------------------


def generate_key(product: str) -> str:
    """A licence key: 5 groups of 5 characters from an unambiguous alphabet (no 0/O, 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(5))


def licence_account(org_id: str) -> LicenceAccount:
    """The organisation's limit and count; an organisation without one has a limit of 0 (every request goes to
    the account manager)."""
    try:
        return LicenceAccount.get(store.org_pk(org_id), LICENCES_SK, consistent_read=True)
    except DoesNotExist:
        return LicenceAccount(store.org_pk(org_id), LICENCES_SK, organisation_id=org_id, limit=0, issued=0)


def set_licence_limit(org_id: str, limit: int) -> LicenceAccount:
    def attempt() -> LicenceAccount:
        account = licence_account(org_id)
        account.limit = limit
        account.updated_at = clock.now_iso()
        store.transact([(account, None)])
        return account

    return _with_retries("This organisation's licences", attempt)


def issued_key(org_id: str, ticket_id: str) -> LicenceKey | None:
    try:
        return LicenceKey.get(store.org_pk(org_id), licence_key_sk(ticket_id), consistent_read=True)
    except DoesNotExist:
        return None


def _product(ticket: Ticket) -> tuple[str, int | None]:
    seats = ticket.fields.get("licence_seats")
    return str(ticket.fields.get("licence_product") or "the product"), int(seats) if seats else None


def _issue(ticket_id: str, *, extend: bool, by: str | None = None) -> str:
    """Generate the key and post it, counting it against the limit in the same transaction (extending the limit
    first when the account manager said so); then resolve and close. Returns the branch."""
    state: dict[str, Any] = {}

    def attempt() -> None:
        ticket, _ = _load(ticket_id)
        if (ended := _ended_elsewhere(ticket)) is not None:
            state["branch"] = ended
            return
        existing = issued_key(ticket.organisation_id, ticket_id)
        if existing is not None:  # a retried step: the key is already posted
            state["branch"] = "issued"
            return
        account = licence_account(ticket.organisation_id)
        writes: list[tuple[Any, Any]] = []
        if account.issued >= account.limit:
            if not extend:
                state["branch"] = "over_limit"
                state["account"] = account
                return
            before = int(account.limit)
            account.limit = int(account.issued) + 1
            writes.append(
                (
                    _event(
                        ticket,
                        None,
                        "LicenceLimitExtended",
                        f"Licence limit extended from {before} to {int(account.limit)}",
                        public=False,
                        before=before,
                        after=int(account.limit),
                        by=by,
                    ),
                    None,
                )
            )
        product, seats = _product(ticket)
        key = generate_key(product)
        now = clock.now_iso()
        account.issued = int(account.issued) + 1
        account.updated_at = now
        licence = LicenceKey(
            store.org_pk(ticket.organisation_id),
            licence_key_sk(ticket_id),
            organisation_id=ticket.organisation_id,
            ticket_id=ticket_id,
            product=product,
            seats=seats,
            key=key,
            issued_at=now,
        )
        seats_text = f" ({seats} seats)" if seats else ""
        message, said = _system_message(
            ticket,
            f"Your licence key for {product}{seats_text}: {key}\n"
            f"Your organisation now holds {int(account.issued)} of {int(account.limit)} keys.",
            now,
        )
        milestone = _event(
            ticket, None, "LicenceKeyIssued", f"Licence key issued for {product}", public=True, product=product
        )
        ticket.next_step_at = ticket.due_at = None
        ticket.updated_at = now
        _set_index_keys(ticket)
        store.transact(
            [
                (licence, LicenceKey.pk.does_not_exist()),
                (account, None),
                (ticket, None),
                (message, None),
                (said, None),
                (milestone, None),
                *writes,
            ]
        )
        state.update(branch="issued", ticket=ticket, product=product, message_id=message.message_id)

    _with_retries("This organisation's licences", attempt)
    if state["branch"] == "over_limit":
        _over_limit(ticket_id, state["account"])
        return "over_limit"
    if "ticket" in state:
        ticket = state["ticket"]
        integrations.publish("MessageAdded", {**ticket_detail(ticket), "message_id": state["message_id"]})
        _milestone(ticket, "LicenceKeyIssued", f"Licence key issued for {state['product']}", product=state["product"])
    if state["branch"] == "issued":
        ticket = store.get_ticket(ticket_id)
        if ticket is not None and ticket.status not in (Status.RESOLVED.value, Status.CLOSED.value):
            _resolve(ticket_id, "Licence key issued and posted in the ticket", "Not applicable: a licence request")
        _close(ticket_id, "licence key issued")
        return "done"
    return state["branch"]


def _over_limit(ticket_id: str, account: LicenceAccount) -> None:
    """Tell the customer why there is no key yet and what happens next; the route then asks the account manager."""

    def attempt() -> None:
        ticket, items = _load(ticket_id)
        if any(getattr(i, "type", None) == "LicenceLimitReached" for i in items):
            return
        due = _deadline(ticket, DEFAULT_DEADLINE_DAYS["licence-key"])
        ticket.next_step_at = ticket.due_at = clock.iso(due)
        text = (
            f"Your organisation has already been issued {int(account.issued)} licence keys, its limit is "
            f"{int(account.limit)}, so we cannot issue another one automatically. We have asked your account "
            f"manager to extend the limit; you will hear from us by {_customer_time(due, plan_for(ticket))}."
        )
        _say(
            ticket,
            text,
            (
                "LicenceLimitReached",
                f"Licence limit reached ({int(account.issued)} of {int(account.limit)})",
                {"issued": int(account.issued), "limit": int(account.limit)},
            ),
        )

    _with_retries("This ticket", attempt)


def licence_issue(ticket_id: str) -> dict[str, Any]:
    return {"branch": _issue(ticket_id, extend=False)}


def licence_decided(ticket_id: str, outcome: str, note: str | None, by: str | None) -> dict[str, Any]:
    """The account manager extended the limit (the key is issued) or declined (the customer is told why)."""
    ticket, _ = _load(ticket_id)
    if (ended := _ended_elsewhere(ticket)) is not None:
        return {"branch": ended}
    if outcome == "extend":
        return {"branch": _issue(ticket_id, extend=True, by=by)}
    reason = note or "your organisation's licence limit stays as it is"
    _say(ticket, f"Your account manager declined to extend the licence limit: {reason}.")
    _close(ticket_id, "the licence limit was not extended")
    return {"branch": "done"}


# --- document request -------------------------------------------------------------------------------------


def document_done(ticket_id: str, outcome: str, note: str | None) -> dict[str, Any]:
    """The office sent the document (attached in the ticket): tell the customer and resolve; the customer's
    confirmation or silence closes it (R21). Declined: tell why and close."""
    ticket, items = _load(ticket_id)
    if (ended := _ended_elsewhere(ticket)) is not None:
        return {"branch": ended}
    document = ticket.fields.get("document_type") or "document"
    if outcome in ("declined", "unavailable"):
        _say(ticket, f"We cannot provide the {document}: {note or 'it is not available'}.")
        _close(ticket_id, f"the {document} cannot be provided")
        return {"branch": "done"}
    attached = [i.file_name for i in items if isinstance(i, Attachment) and i.uploaded_by != ticket.requester_sub]
    where = f" It is attached in the ticket: {', '.join(attached)}." if attached else ""
    _say(
        ticket,
        f"Your {document} is ready.{where}"
        + (f" {note}" if note else "")
        + " Please confirm by closing the ticket, or reply if something is missing.",
        ("DocumentSent", f"Document sent: {document}", {"document": document}),
    )
    _resolve(ticket_id, f"Document provided: {document}", "Not applicable: a document request")
    return {"branch": "follow_up"}


# --- change request (R26) ---------------------------------------------------------------------------------

_HOURS = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*h", re.IGNORECASE)


def record_estimate(caller: Caller, task_id: str, *, hours: float, note: str | None) -> None:
    """L2's estimate of a change, kept for the customer's approval; completing the evaluate task follows."""
    from shared.tasks import _load as load_task

    caller.require_staff()
    task, ticket = load_task(task_id)
    if task.task_type != STEPS["evaluate"]["type"]:
        raise Unprocessable(f"Task {task_id} is a {task.task_type} task; only evaluate tasks take an estimate.")
    if task.status != TaskStatus.TAKEN.value:
        raise Conflict(f"Task {task_id} is {task.status}; take it before estimating (POST /tasks/{task_id}/take).")
    if task.assignee != caller.sub and caller.role != Role.MANAGER:
        raise Forbidden(f"Task {task_id} is assigned to {task.assignee}; only they or a manager can estimate it.")
    approval = _approval(ticket.ticket_id)
    if approval is not None and approval.status != "pending":
        raise Conflict(f"The customer already {approval.status} the estimate of {ticket.reference}.")
    Approval(
        store.ticket_pk(ticket.ticket_id),
        APPROVAL_SK,
        ticket_id=ticket.ticket_id,
        estimate_hours=hours,
        estimate_note=note,
        estimated_by=caller.sub,
        status="pending",
        created_at=clock.now_iso(),
    ).save()


def _approval(ticket_id: str) -> Approval | None:
    try:
        return Approval.get(store.ticket_pk(ticket_id), APPROVAL_SK, consistent_read=True)
    except DoesNotExist:
        return None


def change_evaluated(ticket_id: str, outcome: str, note: str | None, by: str | None) -> dict[str, Any]:
    """Declined: the customer is told why, closed. Estimated: the customer gets the estimate to approve (R26);
    the ball is on their side until they decide, at the latest until the plan's silent-customer close."""
    ticket, _ = _load(ticket_id)
    if (ended := _ended_elsewhere(ticket)) is not None:
        return {"branch": ended, "wait": None}
    if outcome != "estimated":
        _say(ticket, f"We evaluated your change request and cannot take it on: {note or 'no reason given'}.")
        _close(ticket_id, "the change request was declined")
        return {"branch": "done", "wait": None}
    approval = _approval(ticket_id)
    if approval is None:
        match = _HOURS.match(note or "")
        if match is None:
            raise ValueError("the evaluation ended 'estimated' without an estimate in hours")
        approval = Approval(
            store.ticket_pk(ticket_id),
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
        current, _ = _load(ticket_id)
        plan = plan_for(current)
        now = clock.now()
        decide_by = add_working_days(plan.calendar, now, plan.auto_close_after_days)
        hours = _hours_text(approval.estimate_hours)
        before = current.status
        events = []
        if before != Status.WAITING_FOR_CUSTOMER.value:
            _set_status(current, Status.WAITING_FOR_CUSTOMER)
            events.append(_status_event(current, None, before, "waiting for your approval of the estimate"))
        current.next_step_at = current.due_at = clock.iso(decide_by)
        text = (
            f"We estimate the change at {hours} hours"
            + (f" ({approval.estimate_note})" if approval.estimate_note else "")
            + ". Nothing is done before you approve it: approve or decline the estimate in the ticket "
            f"(POST /tickets/{current.reference}/approval) by {_customer_time(decide_by, plan)}; "
            "without a decision the request is closed then."
        )
        message, said = _system_message(current, text, clock.iso(now))
        milestone = _event(
            current,
            None,
            "EstimateGiven",
            f"Estimated at {hours} hours; waiting for the customer's approval",
            public=True,
            hours=approval.estimate_hours,
        )
        _save(current, message, said, milestone, *events)
        result["wait"] = {"seconds": max(1, math.ceil((decide_by - now).total_seconds())), "at": clock.iso(decide_by)}
        result["ticket"] = current
        result["before"] = before

    _with_retries("This ticket", attempt)
    ticket = result.pop("ticket")
    before = result.pop("before")
    hours_text = _hours_text(approval.estimate_hours)
    _milestone(ticket, "EstimateGiven", f"Estimated at {hours_text} hours", hours=approval.estimate_hours)
    if before != ticket.status:
        integrations.publish("StatusChanged", {**ticket_detail(ticket), "before": before})
    from shared.tickets import _notify_customer

    _notify_customer(
        ticket, "Estimate to approve", f"We estimate your change at {_hours_text(approval.estimate_hours)} hours."
    )
    return result


def _hours_text(hours: float) -> str:
    return f"{hours:g}"


def await_approval(ticket_id: str, task_token: str) -> dict[str, Any]:
    """Keep the route's token with the estimate; a decision that came first is handed over at once."""
    state: dict[str, Any] = {}

    def attempt() -> None:
        approval = _approval(ticket_id)
        if approval is None:
            raise NotFound(f"No estimate on ticket {ticket_id}")
        approval.task_token = task_token
        store.transact([(approval, None)])
        state["approval"] = approval

    _with_retries("This estimate", attempt)
    approval = state["approval"]
    if approval.status != "pending" or is_closed(ticket_id):
        integrations.task_success(task_token, {"decision": approval.status})
    return {"status": approval.status}


def is_closed(ticket_id: str) -> bool:
    ticket = store.get_ticket(ticket_id)
    return ticket is None or ticket.status == Status.CLOSED.value


def decide(caller: Caller, ticket_id: str, *, decision: str, comment: str | None) -> Ticket:
    """R26: the customer (the requester or their organisation's admin) approves or declines the estimate."""
    if caller.role != Role.CUSTOMER:
        raise Forbidden("The customer approves or declines an estimate; staff cannot decide for them.")
    state: dict[str, Any] = {}

    def attempt() -> None:
        resolved_id = store.resolve_ticket_id(ticket_id)
        items = store.load_ticket_partition(resolved_id) if resolved_id else []
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
            _event(
                ticket,
                caller,
                "EstimateApproved" if decision == "approve" else "EstimateDeclined",
                f"Estimate of {_hours_text(approval.estimate_hours)} hours {approval.status} by the customer"
                + (f": {comment}" if comment else ""),
                public=True,
                decision=approval.status,
                comment=comment,
            )
        ]
        if before == Status.WAITING_FOR_CUSTOMER.value:
            _set_status(ticket, Status.IN_PROGRESS)
            events.append(_status_event(ticket, caller, before, f"estimate {approval.status}"))
        ticket.next_step_at = ticket.due_at = None
        ticket.updated_at = now
        _set_index_keys(ticket)
        store.transact([(approval, None), (ticket, None), *((e, None) for e in events)])
        state.update(ticket=ticket, approval=approval, before=before)

    _with_retries("This ticket", attempt)
    ticket, approval, before = state["ticket"], state["approval"], state["before"]
    _milestone(
        ticket, f"Estimate{approval.status.capitalize()}", f"Estimate {approval.status}", decision=approval.status
    )
    if before != ticket.status:
        integrations.publish("StatusChanged", {**ticket_detail(ticket), "before": before})
    if approval.task_token:
        try:
            integrations.task_success(approval.task_token, {"decision": approval.status})
        except Exception:
            # The route's wait timed out meanwhile: its next step reads the decision from the estimate.
            logger.exception("route of ticket %s was not told the decision", ticket.ticket_id)
    return ticket


def approval_outcome(ticket_id: str) -> dict[str, Any]:
    """After the wait (a decision, or the silent customer's deadline): work, or close and say why."""
    ticket, _ = _load(ticket_id)
    if (ended := _ended_elsewhere(ticket)) is not None:
        return {"branch": ended}
    approval = _approval(ticket_id)
    status = approval.status if approval else "pending"
    if status == "approved":
        hours = float(approval.estimate_hours)
        due = _deadline(ticket, max(1, math.ceil(hours / WORKING_HOURS_PER_DAY)))

        def attempt() -> None:
            current, _ = _load(ticket_id)
            current.due_at = current.next_step_at = clock.iso(due)
            message, said = _system_message(
                current,
                f"Thank you for approving the estimate. We are making the change and will finish it by "
                f"{_customer_time(due, plan_for(current))}.",
                clock.now_iso(),
            )
            _save(current, message, said)

        _with_retries("This ticket", attempt)
        return {"branch": "approved"}
    if status == "declined":
        _say(ticket, "You declined the estimate, so we do not make the change. We close the request.")
        _close(ticket_id, "the customer declined the estimate")
        return {"branch": "done"}
    if approval is not None:
        approval.status = "expired"
        approval.save()
    _close(ticket_id, "no decision on the estimate in time")
    return {"branch": "done"}


def change_done(ticket_id: str, outcome: str, note: str | None) -> dict[str, Any]:
    """The approved change is made: tell the customer and resolve (closing follows their confirmation or silence).
    If the work cannot be done after all, tell why and close."""
    ticket, _ = _load(ticket_id)
    if (ended := _ended_elsewhere(ticket)) is not None:
        return {"branch": ended}
    if outcome in ("declined", "cancelled"):
        _say(ticket, f"We could not make the change after all: {note or 'no reason given'}.")
        _close(ticket_id, "the change could not be made")
        return {"branch": "done"}
    _say(
        ticket,
        "The change is done"
        + (f": {note}" if note else ".")
        + " Please confirm by closing the ticket, or reply if something is not right.",
        ("ChangeDone", "Change done", {}),
    )
    _resolve(ticket_id, "Change done" + (f": {note}" if note else ""), "Not applicable: an approved change")
    return {"branch": "follow_up"}


# --- the route steps, as functions/route_tasks.py dispatches them ---------------------------------------------


def _error(error: Any) -> tuple[str, str | None]:
    if isinstance(error, dict):
        return str(error.get("Error") or "unknown"), error.get("Cause")
    return str(error or "unknown"), None


def _step(e: dict[str, Any]) -> dict[str, Any]:
    return step_task(e["ticket_id"], e["step"], e.get("task_token"))


ACTIONS = {
    "catalog_intake": lambda e: intake(e["ticket_id"], e["route"]),
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
