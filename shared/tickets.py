"""Ticket logic: intake, messages, resolution, closing. Handlers call these; these call the store.

Each change is written atomically together with its event-log entry (R12), then published to the
bus and, where the customer must know (R10), emailed.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared import catalog, clock, config, figures, integrations, metrics, store
from shared.domain import (
    BALL_SIDE,
    OPEN_STATUSES,
    TRANSITIONS,
    Role,
    Status,
    TaskStatus,
    check_transition,
    reference_for,
    status_after_message,
)
from shared.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from shared.identity import Caller
from shared.kb import customer_article_lines
from shared.models import Attachment, Entity, Event, IdempotencyRecord, Message, OpenIndex, ReferenceLink, Task, Ticket

logger = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/json",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)
WRITE_RETRIES = 8
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# R21 (seed: 3 days). Calendar days for now; working-calendar clocks replace it with the SLA ledger.
AUTO_CLOSE_RESOLVED_AFTER = timedelta(days=3)


@dataclass(frozen=True)
class Idempotency:
    """An `Idempotency-Key` with the hash of the request it came with."""

    scope: str
    key: str
    request_hash: str

    @staticmethod
    def of(scope: str, key: str | None, body: Any) -> Idempotency | None:
        if not key:
            return None
        if len(key) > 200:
            raise Unprocessable("Idempotency-Key must be at most 200 characters.")
        digest = hashlib.sha256(repr(body).encode()).hexdigest()
        return Idempotency(scope=scope, key=key, request_hash=digest)

    def record(self, resource: str, status_code: int, secret: str | None = None) -> IdempotencyRecord:
        return IdempotencyRecord(
            f"IDEMP#{self.scope}#{self.key}",
            "IDEMP",
            request_hash=self.request_hash,
            resource=resource,
            status_code=status_code,
            secret=secret,
            expires_at=int(clock.now().timestamp()) + IDEMPOTENCY_TTL_SECONDS,
        )


def replayed_record(idem: Idempotency | None) -> IdempotencyRecord | None:
    """The record of a previous request with this key; 422 if the key came with another body."""
    if idem is None:
        return None
    record = store.get_idempotency_record(idem.scope, idem.key)
    if record is None:
        return None
    if record.request_hash != idem.request_hash:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request body; use a new key for a new request."
        )
    return record


def replayed_resource(idem: Idempotency | None) -> str | None:
    """The resource a previous request with this key created."""
    record = replayed_record(idem)
    return record.resource if record else None


# --- who may see and do what ---------------------------------------------------------------------


def can_see(caller: Caller, ticket: Ticket) -> bool:
    if caller.is_staff:
        return True
    if ticket.organisation_id != caller.org_id:
        return False
    return ticket.requester_sub == caller.sub or caller.is_org_admin


def _visible_ticket(caller: Caller, ticket_id: str) -> tuple[Ticket, list[Entity]]:
    resolved_id = store.resolve_ticket_id(ticket_id)
    items = store.load_ticket_partition(resolved_id) if resolved_id else []
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    # Another organisation's ticket answers exactly like a missing one.
    if ticket is None or not can_see(caller, ticket):
        raise NotFound(f"No ticket {ticket_id} that you can see.")
    return ticket, items


def load_for(caller: Caller, ticket_id: str) -> tuple[Ticket, list[Entity]]:
    return _visible_ticket(caller, ticket_id)


# --- building blocks -----------------------------------------------------------------------------


def _set_index_keys(ticket: Ticket) -> None:
    ticket.gsi1pk = store.user_pk(ticket.requester_sub)
    ticket.gsi1sk = f"{ticket.created_at}#{ticket.ticket_id}"
    ticket.gsi2pk = store.org_pk(ticket.organisation_id)
    ticket.gsi2sk = f"{ticket.created_at}#{ticket.ticket_id}"
    if Status(ticket.status) in OPEN_STATUSES:
        ticket.open_pk = store.open_pk(ticket.status)
        ticket.open_sk = f"{ticket.due_at or '9999'}#{ticket.ticket_id}"
    else:
        ticket.open_pk = None
        ticket.open_sk = None
    if ticket.owner and Status(ticket.status) in OPEN_STATUSES:
        ticket.owner_pk = f"OWNER#{ticket.owner}"
        ticket.owner_sk = f"{ticket.ball_since or ticket.created_at}#{ticket.ticket_id}"
    else:
        ticket.owner_pk = None
        ticket.owner_sk = None


def _event(ticket: Ticket, actor: Caller | None, type_: str, summary: str, *, public: bool, **data: Any) -> Event:
    event_id = store.new_id()
    return Event(
        store.ticket_pk(ticket.ticket_id),
        f"EVENT#{event_id}",
        ticket_id=ticket.ticket_id,
        event_id=event_id,
        at=clock.now_iso(),
        type=type_,
        actor_sub=actor.sub if actor else "system",
        actor_role=actor.role.value if actor else "system",
        public=public,
        summary=summary,
        data=data,
    )


def _set_status(ticket: Ticket, target: Status) -> None:
    before = Status(ticket.status)
    check_transition(ticket.reference, before, target)
    ticket.status = target.value
    side = BALL_SIDE[target]
    new_side = side.value if side else None
    if new_side != ticket.ball_side or ticket.ball_since is None:
        ticket.ball_since = clock.now_iso()
    ticket.ball_side = new_side
    if target == Status.RESOLVED:
        # R21: a resolved ticket the customer does not answer closes by itself; the customer sees when.
        ticket.due_at = ticket.next_step_at = clock.iso(clock.now() + AUTO_CLOSE_RESOLVED_AFTER)
    elif before == Status.RESOLVED:
        ticket.due_at = ticket.next_step_at = None


def _status_event(ticket: Ticket, actor: Caller | None, before: str, note: str = "") -> Event:
    summary = f"Status changed from {before.replace('_', ' ')} to {ticket.status.replace('_', ' ')}" + (
        f": {note}" if note else ""
    )
    return _event(ticket, actor, "StatusChanged", summary, public=True, before=before, after=ticket.status)


def _commit(
    writes: list[tuple[Entity, Any]],
    idem: Idempotency | None,
    resource: str,
    status_code: int,
    secret: str | None = None,
) -> None:
    if idem is not None:
        writes = [*writes, (idem.record(resource, status_code, secret), IdempotencyRecord.pk.does_not_exist())]
    store.transact(writes)


def _with_retries(what: str, attempt: Callable[[], Any]) -> Any:
    """Optimistic locking: re-read and re-apply on a version conflict; 409 after a few tries."""
    for attempt_no in range(WRITE_RETRIES):
        try:
            return attempt()
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in store.conflict_reasons(error):
                raise
            time.sleep(random.uniform(0, 0.02 * (attempt_no + 1)))  # noqa: S311 - jitter, not security
    raise Conflict(f"{what} is being changed by others right now; try again in a moment.")


def ticket_detail(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "reference": ticket.reference,
        "organisation_id": ticket.organisation_id,
        "status": ticket.status,
        "ball_side": ticket.ball_side,
        "owner": ticket.owner,
        "service": ticket.service,
        "at": ticket.updated_at,
    }


def _url(path: str) -> str:
    return config.get(config.PUBLIC_BASE_URL).rstrip("/") + path


def follow_page(ticket: Ticket) -> str | None:
    """Where a web-form customer follows, answers and closes their ticket without an account."""
    return _url(f"/form?ticket={ticket.ticket_id}&key={ticket.follow_key}") if ticket.follow_key else None


def _notify_customer(ticket: Ticket, headline: str, text: str) -> None:
    link = follow_page(ticket) or _url(f"/tickets/{ticket.reference}")
    next_step = f"Next step by: {ticket.next_step_at}\n" if ticket.next_step_at else ""
    integrations.send_email(
        ticket.requester_email,
        f"[{ticket.reference}] {headline}: {ticket.subject}",
        f"{text}\n\nTicket {ticket.reference}: {ticket.subject}\nStatus: {ticket.status.replace('_', ' ')}\n"
        f"{next_step}Follow and reply: {link}\n",
    )


# --- intake --------------------------------------------------------------------------------------


def create_ticket(
    caller: Caller,
    *,
    service_key: str,
    subject: str,
    description: str,
    fields: dict[str, Any],
    submit: bool,
    channel: str,
    idem: Idempotency | None = None,
    with_follow_key: bool = False,
) -> tuple[Ticket, str | None, bool]:
    """Create a ticket (draft or submitted). Returns (ticket, follow key or None, replayed)."""
    if caller.role != Role.CUSTOMER:
        raise Forbidden("Tickets are opened by customers; staff act on them through tasks and messages.")
    previous = replayed_record(idem)
    if previous:
        ticket = store.get_ticket(previous.resource.split(":", 1)[1])
        if ticket is None:
            raise NotFound("The ticket created with this Idempotency-Key no longer exists.")
        _ensure_route(ticket)
        return ticket, previous.secret, True

    service = store.get_service(service_key)
    if service is None or not service.customer_visible:
        known = ", ".join(s.key for s in store.list_services() if s.customer_visible)
        raise Unprocessable(
            f"Unknown service {service_key!r}. Choose one of: {known}.",
            errors=[{"field": "service", "message": f"choose one of: {known}"}],
        )
    answers = catalog.validate_answers(service.intake_fields, fields, complete=submit)

    now = clock.now_iso()
    ticket_id = store.new_id()
    reference = reference_for(store.next_sequence("ticket"))
    follow_key = secrets.token_urlsafe(18) if with_follow_key else None
    ticket = Ticket(
        store.ticket_pk(ticket_id),
        store.TICKET_SK,
        ticket_id=ticket_id,
        reference=reference,
        organisation_id=caller.org_id,
        requester_sub=caller.sub,
        requester_email=caller.email or None,
        service=service.key,
        subject=subject,
        description=description,
        fields=answers,
        status=Status.DRAFT.value,
        ball_side=BALL_SIDE[Status.DRAFT].value,
        channel=channel,
        created_at=now,
        updated_at=now,
        follow_key=follow_key,
    )
    if submit:
        _set_status(ticket, Status.NEW)
        ticket.submitted_at = now
    _set_index_keys(ticket)
    event = _event(
        ticket,
        caller,
        "TicketSubmitted" if submit else "TicketCreated",
        f"{'Request received' if submit else 'Draft created'} via {channel.replace('_', ' ')}: {service.title}",
        public=True,
        channel=channel,
    )
    link = ReferenceLink(store.reference_pk(reference), "REF", ticket_id=ticket_id)
    try:
        _commit(
            [(ticket, Ticket.pk.does_not_exist()), (link, None), (event, None)],
            idem,
            f"ticket:{ticket_id}",
            201,
            secret=follow_key,
        )
    except TransactWriteError as error:
        # A concurrent request with the same Idempotency-Key won the race: answer with its ticket.
        if idem and store.conflict_reasons(error)[-1] == "ConditionalCheckFailed":
            return create_ticket(
                caller,
                service_key=service_key,
                subject=subject,
                description=description,
                fields=fields,
                submit=submit,
                channel=channel,
                idem=idem,
                with_follow_key=with_follow_key,
            )
        raise

    integrations.publish("TicketCreated", {**ticket_detail(ticket), "channel": channel})
    metrics.count(metrics.TICKETS_CREATED)
    if submit:
        _after_submit(ticket, service.route)
    return ticket, follow_key, False


def _after_submit(ticket: Ticket, route: str) -> None:
    integrations.publish("TicketSubmitted", ticket_detail(ticket))
    figures.ticket_submitted(ticket)  # R28: new tickets per day
    from shared import money  # R23, R26: contract limits and scope, told to the customer in the ticket

    money.on_submitted(ticket)
    _start_route(ticket, route)
    _notify_customer(
        ticket,
        "Request received",
        f"We have received your request {ticket.reference} and a specialist will pick it up. "
        "You can write into the ticket at any time.",
    )


def _start_route(ticket: Ticket, route: str) -> None:
    integrations.start_route(
        route,
        ticket.ticket_id,
        {"ticket_id": ticket.ticket_id, "reference": ticket.reference, "service": ticket.service},
    )


def _ensure_route(ticket: Ticket) -> None:
    """A submitted ticket whose route failed to start gets it on retry (same execution name)."""
    if ticket.status == Status.NEW.value:
        service = store.get_service(ticket.service)
        if service:
            _start_route(ticket, service.route)


def update_draft(
    caller: Caller,
    ticket_id: str,
    *,
    subject: str | None,
    description: str | None,
    fields: dict[str, Any] | None,
) -> Ticket:
    """R2: a draft is filled in several steps before it is submitted."""

    def attempt() -> Ticket:
        ticket, _ = _visible_ticket(caller, ticket_id)
        if ticket.requester_sub != caller.sub:
            raise Forbidden("Only the author of a draft can edit it.")
        if ticket.status != Status.DRAFT.value:
            raise Conflict(f"Ticket {ticket.reference} is {ticket.status}; only drafts can be edited.")
        service = store.get_service(ticket.service)
        changed = []
        if subject is not None:
            ticket.subject, _ = subject, changed.append("subject")
        if description is not None:
            ticket.description, _ = description, changed.append("description")
        if fields is not None:
            merged = {**ticket.fields, **fields}
            ticket.fields = catalog.validate_answers(service.intake_fields if service else [], merged, complete=False)
            changed.append("fields")
        ticket.updated_at = clock.now_iso()
        event = _event(
            ticket,
            caller,
            "TicketUpdated",
            f"Draft edited: {', '.join(changed) or 'nothing'}",
            public=True,
            changed=changed,
        )
        store.transact([(ticket, None), (event, None)])
        return ticket

    ticket = _with_retries("This ticket", attempt)
    integrations.publish("TicketUpdated", ticket_detail(ticket))
    return ticket


def submit_ticket(caller: Caller, ticket_id: str) -> Ticket:
    ticket, _ = _visible_ticket(caller, ticket_id)
    if caller.role != Role.CUSTOMER or ticket.requester_sub != caller.sub:
        raise Forbidden("Only the ticket's author submits it.")
    if ticket.status == Status.NEW.value:
        _ensure_route(ticket)  # a retried submit: same execution name, so never a second route
        return ticket
    service = store.get_service(ticket.service)
    if service is None:
        raise Conflict(f"The service {ticket.service!r} of this draft no longer exists; create a new ticket.")

    def attempt() -> Ticket:
        current, _ = _visible_ticket(caller, ticket_id)
        catalog.validate_answers(service.intake_fields, current.fields, complete=True)
        before = current.status
        _set_status(current, Status.NEW)
        current.submitted_at = current.updated_at = clock.now_iso()
        _set_index_keys(current)
        event = _event(current, caller, "TicketSubmitted", "Request submitted", public=True, before=before)
        store.transact([(current, None), (event, None)])
        return current

    ticket = _with_retries("This ticket", attempt)
    _after_submit(ticket, service.route)
    return ticket


# --- messages and attachments --------------------------------------------------------------------


def add_message(
    caller: Caller,
    ticket_id: str,
    *,
    body: str,
    internal: bool,
    channel: str,
    attachment_ids: list[str],
    idem: Idempotency | None = None,
) -> tuple[Ticket, Message, bool]:
    """R11: anyone involved can write into the ticket at any time without breaking its route."""
    if internal and not caller.is_staff:
        raise Forbidden("Internal notes are for staff; customers write public messages.")
    previous = replayed_resource(idem)
    if previous:
        _, tid, mid = previous.split(":", 2)
        ticket, items = _visible_ticket(caller, tid)
        message = next((i for i in items if isinstance(i, Message) and i.message_id == mid), None)
        if message is None:
            raise NotFound("The message created with this Idempotency-Key no longer exists.")
        return ticket, message, True

    message_id = store.new_id()
    state: dict[str, Any] = {}

    def attempt() -> None:
        ticket, items = _visible_ticket(caller, ticket_id)
        if ticket.status == Status.CLOSED.value:
            raise Conflict(f"Ticket {ticket.reference} is closed; open a new ticket for a new problem.")
        if ticket.status == Status.DRAFT.value:
            raise Conflict(f"Ticket {ticket.reference} is a draft; submit it before writing messages into it.")
        attachments = _claim_attachments(items, attachment_ids)
        now = clock.now_iso()
        message = Message(
            store.ticket_pk(ticket.ticket_id),
            f"MSG#{message_id}",
            ticket_id=ticket.ticket_id,
            message_id=message_id,
            author_sub=caller.sub,
            author_role=caller.role.value,
            author_email=caller.email or None,
            body=body,
            internal=internal,
            channel=channel,
            attachments=attachments,
            created_at=now,
        )
        before = ticket.status
        target = status_after_message(Status(before), from_customer=not caller.is_staff, internal=internal)
        events = [
            _event(
                ticket,
                caller,
                "MessageAdded",
                ("Internal note" if internal else "Reply from support" if caller.is_staff else "Customer wrote"),
                public=not internal,
                message_id=message_id,
                internal=internal,
            )
        ]
        if target.value != before:
            _set_status(ticket, target)
            events.append(_status_event(ticket, caller, before))
        if caller.role == Role.AGENT and not internal and ticket.owner is None:
            ticket.owner = caller.sub  # R14: whoever first takes the ticket up owns it
        ticket.updated_at = now
        _set_index_keys(ticket)
        _commit(
            [(ticket, None), (message, Message.pk.does_not_exist()), *((e, None) for e in events)],
            idem,
            f"message:{ticket.ticket_id}:{message_id}",
            201,
        )
        state.update(ticket=ticket, message=message, before=before)

    try:
        _with_retries("This ticket", attempt)
    except TransactWriteError as error:
        if idem and store.conflict_reasons(error)[-1] == "ConditionalCheckFailed":
            return add_message(
                caller,
                ticket_id,
                body=body,
                internal=internal,
                channel=channel,
                attachment_ids=attachment_ids,
                idem=idem,
            )
        raise
    ticket, message, before = state["ticket"], state["message"], state["before"]
    integrations.publish(
        "MessageAdded",
        {
            **ticket_detail(ticket),
            "message_id": message_id,
            "internal": internal,
            "author_role": caller.role.value,
        },
    )
    if ticket.status != before:
        integrations.publish("StatusChanged", {**ticket_detail(ticket), "before": before})
    if not internal and (ticket.status != before or not caller.is_staff):
        integrations.hand_over(
            "refresh", ticket.ticket_id, trigger="customer_message" if not caller.is_staff else "status"
        )
    if caller.is_staff and not internal:
        _notify_customer(ticket, "New reply", f"Support replied:\n\n{body}")
    return ticket, message, False


def _claim_attachments(items: list[Entity], attachment_ids: list[str]) -> list[dict[str, Any]]:
    by_id = {i.attachment_id: i for i in items if isinstance(i, Attachment)}
    unknown = [a for a in attachment_ids if a not in by_id]
    if unknown:
        raise Unprocessable(
            "Unknown attachments; upload them to this ticket first (POST /tickets/{id}/attachments).",
            errors=[{"field": "attachments", "message": f"not an upload of this ticket: {a}"} for a in unknown],
        )
    return [
        {
            "attachment_id": a.attachment_id,
            "s3_key": a.s3_key,
            "file_name": a.file_name,
            "size": a.size,
            "content_type": a.content_type,
        }
        for a in (by_id[i] for i in attachment_ids)
    ]


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def create_attachment_upload(
    caller: Caller, ticket_id: str, *, file_name: str, size: int, content_type: str
) -> tuple[Attachment, dict[str, Any]]:
    """A presigned S3 upload for one file, within size and type limits."""
    ticket, _ = _visible_ticket(caller, ticket_id)
    if ticket.status == Status.CLOSED.value:
        raise Conflict(f"Ticket {ticket.reference} is closed; attachments can no longer be added.")
    if size > MAX_ATTACHMENT_BYTES:
        raise PayloadTooLarge(
            f"Files can be at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB; this one is {size} bytes."
        )
    if content_type not in ALLOWED_ATTACHMENT_TYPES:
        raise UnsupportedMediaType(
            f"Files of type {content_type} are not accepted. Accepted: {', '.join(sorted(ALLOWED_ATTACHMENT_TYPES))}."
        )
    attachment_id = store.new_id()
    safe_name = _SAFE_NAME.sub("_", file_name).strip("._")[:120] or "file"
    key = f"tickets/{ticket.ticket_id}/{attachment_id}/{safe_name}"
    attachment = Attachment(
        store.ticket_pk(ticket.ticket_id),
        f"ATT#{attachment_id}",
        ticket_id=ticket.ticket_id,
        attachment_id=attachment_id,
        s3_key=key,
        file_name=file_name,
        size=size,
        content_type=content_type,
        uploaded_by=caller.sub,
        created_at=clock.now_iso(),
    )
    attachment.save()
    upload = integrations.presigned_upload(key, content_type, MAX_ATTACHMENT_BYTES)
    integrations.publish("AttachmentAdded", {**ticket_detail(ticket), "attachment_id": attachment_id})
    return attachment, upload


# --- resolve, close, reopen ----------------------------------------------------------------------


# Work about the desk's knowledge, not the customer's problem: closing the ticket leaves it open (R29).
TASKS_OUTLIVING_TICKET = frozenset({"kb_article"})


def _finish_open_tasks(items: list[Entity], outcome: str, now: str) -> list[Task]:
    finished = []
    for task in (i for i in items if isinstance(i, Task)):
        if task.status != TaskStatus.DONE.value and task.task_type not in TASKS_OUTLIVING_TICKET:
            task.status = TaskStatus.DONE.value
            task.outcome = outcome
            task.completed_at = now
            task.queue_pk = task.queue_sk = None
            finished.append(task)
    return finished


def _change_status(
    caller: Caller,
    ticket_id: str,
    target: Status,
    *,
    event_type: str,
    summary: str,
    mutate: Callable[[Ticket, str], None] | None = None,
    finish_tasks: str | None = None,
    only_from: Status | None = None,
) -> tuple[Ticket, str, list[Task]]:
    state: dict[str, Any] = {}

    def attempt() -> None:
        ticket, items = _visible_ticket(caller, ticket_id)
        before = ticket.status
        if only_from is not None and before != only_from.value:
            raise Conflict(
                f"Ticket {ticket.reference} is {before}; only a {only_from.value} ticket can become "
                f"{target.value} this way.",
                current_status=before,
                allowed=sorted(s.value for s in TRANSITIONS[Status(before)]),
            )
        _set_status(ticket, target)
        now = clock.now_iso()
        ticket.updated_at = now
        if mutate:
            mutate(ticket, now)
        _set_index_keys(ticket)
        tasks = _finish_open_tasks(items, finish_tasks, now) if finish_tasks else []
        events = [
            _status_event(ticket, caller, before),
            _event(ticket, caller, event_type, summary, public=True),
        ]
        events += [
            _event(
                ticket,
                caller,
                "TaskCompleted",
                f"Task {t.title} closed: {finish_tasks}",
                public=False,
                task_id=t.task_id,
            )
            for t in tasks
        ]
        store.transact([(ticket, None), *((t, None) for t in tasks), *((e, None) for e in events)])
        state.update(ticket=ticket, before=before, tasks=tasks)

    _with_retries("This ticket", attempt)
    ticket, before, tasks = state["ticket"], state["before"], state["tasks"]
    integrations.publish("StatusChanged", {**ticket_detail(ticket), "before": before})
    for task in tasks:
        _release_route(task)
    if ticket.owner and (tasks or target == Status.CLOSED):
        from shared import routing

        routing.refresh_waiting_on(ticket.ticket_id)
    if target != Status.CLOSED:
        integrations.hand_over("refresh", ticket.ticket_id, trigger="status")
    return ticket, before, tasks


def _release_route(task: Task) -> None:
    """Tell the route a human step is over; the ticket's log already says so."""
    figures.task_finished(task)  # R27, R28: plan/fact and the assignee's tasks closed
    integrations.publish(
        "TaskCompleted", {"task_id": task.task_id, "ticket_id": task.ticket_id, "outcome": task.outcome}
    )
    if task.task_token:
        try:
            integrations.task_success(
                task.task_token,
                {"task_id": task.task_id, "outcome": task.outcome, "note": task.note, "by": task.assignee},
            )
        except Exception:
            logger.exception("route of task %s was not told it is done", task.task_id)


def resolve_ticket(
    caller: Caller,
    ticket_id: str,
    *,
    resolution: str,
    preventive_measure: str,
    articles: list[dict[str, Any]] | None = None,
) -> Ticket:
    """R16: inform the customer, record how it was solved and what prevents a repeat; R29: with the
    knowledge base articles it cites (checked by shared.kb.resolution_articles)."""
    caller.require_staff()

    def mutate(ticket: Ticket, now: str) -> None:
        ticket.resolution = resolution
        ticket.preventive_measure = preventive_measure
        ticket.kb_articles = articles or None
        ticket.resolved_at = now
        if ticket.owner is None and caller.role == Role.AGENT:
            ticket.owner = caller.sub

    ticket, _, _ = _change_status(
        caller,
        ticket_id,
        Status.RESOLVED,
        event_type="TicketResolved",
        summary=f"Resolved: {resolution}",
        mutate=mutate,
        finish_tasks="ticket resolved",
    )
    figures.ticket_resolved(ticket, caller)  # R27: the owner's SLA met ratio
    _notify_customer(
        ticket,
        "Resolved",
        f"Your request has been resolved:\n\n{resolution}{customer_article_lines(articles)}\n\n"
        "If this does not solve it, just reply in the ticket and it reopens.",
    )
    return ticket


def close_ticket(caller: Caller, ticket_id: str, *, reason: str | None) -> Ticket:
    def mutate(ticket: Ticket, now: str) -> None:
        ticket.closed_at = now

    who = "the customer" if not caller.is_staff else "Caseway" if caller.role == Role.SYSTEM else "support"
    ticket, _, _ = _change_status(
        caller,
        ticket_id,
        Status.CLOSED,
        event_type="TicketClosed",
        summary=f"Closed by {who}" + (f": {reason}" if reason else ""),
        mutate=mutate,
        finish_tasks="ticket closed",
    )
    text = "Your ticket is closed. Thank you for working with us."
    if reason and caller.role == Role.SYSTEM:
        text = f"Your ticket is closed: {reason}. Thank you for working with us."
    # R30: satisfaction beyond the SLA: ask how it went.
    text += "\n\nHow did we do? Rate us from 1 (poor) to 5 (excellent) and tell us why, on the ticket's page."
    _notify_customer(ticket, "Closed", text)
    return ticket


def give_feedback(caller: Caller, ticket_id: str, *, rating: int, comment: str | None) -> Ticket:
    """R30: the requester rates a closed ticket once, 1 to 5, with an optional comment."""
    state: dict[str, Any] = {}

    def attempt() -> None:
        ticket, _ = _visible_ticket(caller, ticket_id)
        if caller.role != Role.CUSTOMER or ticket.requester_sub != caller.sub:
            raise Forbidden("Only the ticket's requester rates it.")
        if ticket.status != Status.CLOSED.value:
            raise Conflict(f"Ticket {ticket.reference} is {ticket.status}; feedback is asked for once it is closed.")
        if ticket.satisfaction is not None:
            raise Conflict(f"Ticket {ticket.reference} was already rated {int(ticket.satisfaction)}; thank you.")
        ticket.satisfaction = rating
        ticket.satisfaction_comment = comment
        ticket.updated_at = clock.now_iso()
        event = _event(
            ticket,
            caller,
            "FeedbackGiven",
            f"Customer rated the support {rating}/5",
            public=True,
            rating=rating,
            comment=comment,
        )
        store.transact([(ticket, None), (event, None)])
        state["ticket"] = ticket

    _with_retries("This ticket", attempt)
    ticket = state["ticket"]
    integrations.publish("TicketUpdated", {**ticket_detail(ticket), "satisfaction": rating})
    return ticket


def close_resolved_after_silence(limit: int = 100) -> list[str]:
    """R21: close resolved tickets whose customer stayed silent past the auto-close time.

    Reads only resolved tickets that are due (the sparse open_index), never all tickets.
    """
    now = clock.now_iso()
    due = Entity.open_index.query(
        store.open_pk(Status.RESOLVED.value), OpenIndex.open_sk < f"{now}#~", limit=limit, page_size=limit
    )
    closed = []
    for ticket in (t for t in due if isinstance(t, Ticket)):
        try:
            close_ticket(
                Caller.system(),
                ticket.ticket_id,
                reason=f"no reply within {AUTO_CLOSE_RESOLVED_AFTER.days} days of the resolution",
            )
            closed.append(ticket.ticket_id)
        except Conflict:
            logger.info("ticket %s changed before it could be closed", ticket.ticket_id)
    return closed


def reopen_ticket(caller: Caller, ticket_id: str, *, reason: str | None) -> Ticket:
    def mutate(ticket: Ticket, now: str) -> None:
        ticket.resolved_at = None

    who = "support" if caller.is_staff else "the customer"
    ticket, _, _ = _change_status(
        caller,
        ticket_id,
        Status.IN_PROGRESS,
        event_type="TicketReopened",
        summary=f"Reopened by {who}" + (f": {reason}" if reason else ""),
        mutate=mutate,
        only_from=Status.RESOLVED,
    )
    if caller.is_staff:
        _notify_customer(ticket, "Reopened", "We have reopened your ticket and are working on it again.")
    return ticket


# --- lists ---------------------------------------------------------------------------------------


def list_tickets(
    caller: Caller,
    *,
    scope: str,
    organisation_id: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Ticket], str | None]:
    if status:
        caller.require_staff()
        try:
            wanted = Status(status)
        except ValueError:
            raise Unprocessable(
                f"Unknown status {status!r}.",
                errors=[{"field": "status", "message": f"one of {[s.value for s in OPEN_STATUSES]}"}],
            ) from None
        if wanted not in OPEN_STATUSES:
            raise Unprocessable(f"Only open statuses can be listed this way: {sorted(s.value for s in OPEN_STATUSES)}.")
        items, next_cursor = store.query_page(
            Entity.open_index,
            "open_pk",
            store.open_pk(wanted.value),
            limit=limit,
            cursor=cursor,
            newest_first=False,
        )
    elif scope == "organisation":
        if caller.is_staff:
            if not organisation_id:
                raise Unprocessable(
                    "Say which organisation: ?scope=organisation&organisation_id=...",
                    errors=[{"field": "organisation_id", "message": "required for staff"}],
                )
            org = organisation_id
        else:
            if not caller.is_org_admin:
                raise Forbidden("Only your organisation's admin can list all of its tickets.")
            if organisation_id and organisation_id != caller.org_id:
                raise NotFound("No such organisation that you can see.")
            org = caller.org_id
        items, next_cursor = store.query_page(
            Entity.organisation_index,
            "gsi2pk",
            store.org_pk(org),
            limit=limit,
            cursor=cursor,
            newest_first=True,
        )
    elif scope == "owned":
        caller.require_staff()
        items, next_cursor = store.query_page(
            Entity.owner_index, "owner_pk", f"OWNER#{caller.sub}", limit=limit, cursor=cursor, newest_first=False
        )
    elif scope == "mine":
        if caller.is_staff:
            raise Unprocessable(
                "Staff list tickets by organisation (?scope=organisation&organisation_id=...) or by open status "
                "(?status=new), and work from the task queue (GET /tasks).",
                errors=[{"field": "scope", "message": "use organisation or status"}],
            )
        items, next_cursor = store.query_page(
            Entity.requester_index,
            "gsi1pk",
            store.user_pk(caller.sub),
            limit=limit,
            cursor=cursor,
            newest_first=True,
        )
    else:
        raise Unprocessable(
            "scope must be mine, organisation or owned.",
            errors=[{"field": "scope", "message": "mine, organisation or owned"}],
        )
    return [i for i in items if isinstance(i, Ticket)], next_cursor


# --- the anonymous web form ----------------------------------------------------------------------

PUBLIC_ORGANISATION = "public"


def web_form_caller(email: str, name: str | None, source_ip: str) -> Caller:
    """Match the sender to a known contact, or create one (linked by e-mail domain when an
    organisation claims it, otherwise to the organisation of individual requesters)."""
    from shared import users  # local import: only the web form needs it

    limit = int(config.get(config.WEBFORM_RATE_PER_HOUR))
    hour = clock.now().strftime("%Y%m%d%H")
    for bucket in (f"webform-ip#{source_ip}#{hour}", f"webform-email#{email.lower()}#{hour}"):
        if not store.take_quota(bucket, limit, ttl_seconds=7200):
            from shared.errors import TooManyRequests

            raise TooManyRequests(
                f"Too many web form submissions from here in the last hour (limit {limit}). "
                "Try again later, or sign in to the portal."
            )
    user = users.match_or_create_contact(email, name)
    return Caller(
        sub=user.sub,
        email=user.email,
        role=Role.CUSTOMER,
        org_id=user.organisation_id,
        groups=frozenset({"customer"}),
    )


def followed_ticket(ticket_id: str, key: str) -> tuple[Ticket, list[Entity]]:
    """The follow link of the web form: the ticket id with its secret key, no account needed."""
    items = store.load_ticket_partition(ticket_id)
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    if ticket is None or not ticket.follow_key or not secrets.compare_digest(ticket.follow_key.encode(), key.encode()):
        raise NotFound("No ticket matches this follow link.")
    return ticket, items


def follow_link_caller(ticket_id: str, key: str) -> Caller:
    """Whoever holds a web-form ticket's follow link acts as its requester on that ticket only."""
    ticket, _ = followed_ticket(ticket_id, key)
    return Caller(
        sub=ticket.requester_sub,
        email=ticket.requester_email or "",
        role=Role.CUSTOMER,
        org_id=ticket.organisation_id,
        groups=frozenset({"customer"}),
    )
