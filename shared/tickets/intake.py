"""Intake (R1, R2): drafts, submission, the route's start."""

from __future__ import annotations

import logging
from typing import Any

from pynamodb.exceptions import TransactWriteError

from shared.directory import items as directory
from shared.directory import services
from shared.platform import bus, clock, config, metrics, store, workflows
from shared.platform.domain import BALL_SIDE, Role, Status, reference_for
from shared.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.store import with_retries
from shared.tickets import follow, hooks
from shared.tickets import items as ticket_items
from shared.tickets.access import visible_ticket
from shared.tickets.conversation import notify_customer
from shared.tickets.idempotency import Idempotency, commit, replayed_record
from shared.tickets.items import Event, ReferenceLink, Ticket
from shared.tickets.log import new_event, set_index_keys, set_status, ticket_detail
from shared.tickets.readers import form_language, reader_of

logger = logging.getLogger(__name__)


def _replayed_ticket(resource: str) -> Ticket:
    """The ticket an earlier request with the same Idempotency-Key created, its route started if it failed to."""
    ticket = ticket_items.get_ticket(resource.split(":", 1)[1])
    if ticket is None:
        raise NotFound("The ticket created with this Idempotency-Key no longer exists.")
    ensure_route(ticket)
    return ticket


def _customer_service(service_key: str) -> directory.Service:
    service = directory.get_service(service_key)
    if service is None or not service.customer_visible:
        known = ", ".join(s.key for s in directory.list_services() if s.customer_visible)
        raise Unprocessable(
            f"Unknown service {service_key!r}. Choose one of: {known}.",
            errors=[{"field": "service", "message": f"choose one of: {known}"}],
        )
    return service


def checked_answers(service_key: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The answers of a request to be submitted, checked against the service's intake form (422 naming the field):
    a request held for confirmation is checked when it is sent, not when it is confirmed."""
    service = _customer_service(service_key)
    return services.validate_answers(service.intake_fields, fields, complete=True)


def _new_ticket(
    caller: Caller,
    service: directory.Service,
    *,
    subject: str,
    description: str,
    answers: dict[str, Any],
    submit: bool,
    channel: str,
    with_follow_key: bool,
    language: str | None = None,
    unproven_sender: bool = False,
) -> Ticket:
    """The ticket item, with its reference drawn from the counter; a draft, or new when submitted at once."""
    now = clock.now_iso()
    ticket_id = store.new_id()
    reference = reference_for(store.next_sequence("ticket"))
    ticket = Ticket(
        ticket_items.ticket_pk(ticket_id),
        ticket_items.TICKET_SK,
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
        language=form_language(caller.org_id, language),
        unproven_sender=unproven_sender or None,
    )
    if with_follow_key:
        follow.issue(ticket)
    if submit:
        set_status(ticket, Status.NEW, now)
        ticket.submitted_at = now
    set_index_keys(ticket)
    return ticket


def _check_opener(caller: Caller, on_behalf: Caller | None) -> None:
    if on_behalf is not None:
        caller.require_staff()
    elif caller.role != Role.CUSTOMER:
        raise Forbidden("Tickets are opened by customers; staff open one for a customer with on_behalf and channel.")


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
    on_behalf: Caller | None = None,
    language: str | None = None,
    unproven_sender: bool = False,
) -> tuple[Ticket, str | None, bool]:
    """Create a ticket (draft or submitted). Returns (ticket, follow key or None, replayed). Staff open one for
    a customer (`on_behalf`: phone, walk-in, e-mail): the customer is its requester and is told as usual, the
    log says who opened it and how the customer reached us. `language`: the web form's (shared.tickets.readers).
    `unproven_sender`: the requester's address is a claim nobody proved (shared.tickets.mailing writes to it
    without their text)."""
    _check_opener(caller, on_behalf)
    previous = replayed_record(idem)
    if previous:
        ticket = _replayed_ticket(previous.resource)
        return ticket, follow.key_of(ticket), True

    service = _customer_service(service_key)
    answers = services.validate_answers(service.intake_fields, fields, complete=submit)
    requester = on_behalf or caller
    ticket = _new_ticket(
        requester,
        service,
        subject=subject,
        description=description,
        answers=answers,
        submit=submit,
        channel=channel,
        with_follow_key=with_follow_key,
        language=language,
        unproven_sender=unproven_sender,
    )
    event = _opening_event(ticket, caller, service.title, channel=channel, submit=submit, on_behalf=on_behalf)
    link = ReferenceLink(ticket_items.reference_pk(ticket.reference), "REF", ticket_id=ticket.ticket_id)
    try:
        commit(
            [(ticket, Ticket.pk.does_not_exist()), (link, None), (event, None)],
            idem,
            f"ticket:{ticket.ticket_id}",
            201,
        )
    except TransactWriteError as error:
        # A concurrent request with the same Idempotency-Key won the race: answer with its ticket.
        if idem and store.conflict_reasons(error)[-1:] == ["ConditionalCheckFailed"]:
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
                on_behalf=on_behalf,
                language=language,
                unproven_sender=unproven_sender,
            )
        raise

    if submit:
        _start_route_or_undo(ticket, service.route, [ticket, link, event, *filter(None, [ticket.text])], idem)
    bus.publish("TicketCreated", {**ticket_detail(ticket), "channel": channel})
    metrics.count(metrics.TICKETS_CREATED)
    if submit:
        after_submit(ticket, service.route, route_started=True)
    return ticket, follow.key_of(ticket), False


def _opening_event(
    ticket: Ticket, caller: Caller, title: str, *, channel: str, submit: bool, on_behalf: Caller | None
) -> Event:
    """The log's first entry: how the request came (and, for one staff opened, who opened it for whom)."""
    opened_for = {} if on_behalf is None else {"on_behalf_of": on_behalf.sub, "opened_by": caller.sub}
    return new_event(
        ticket,
        caller,
        "TicketSubmitted" if submit else "TicketCreated",
        f"{'Request received' if submit else 'Draft created'} via {channel.replace('_', ' ')}: {title}"
        + (" (opened for the customer by our staff)" if on_behalf is not None else ""),
        public=True,
        at=ticket.created_at,  # the instant the ticket says it was created (and submitted)
        channel=channel,
        **opened_for,
    )


def _start_route_or_undo(ticket: Ticket, route: str, written: list[Any], idem: Idempotency | None) -> None:
    """A submitted ticket without its route would wait for nobody: when the route worker cannot be handed it
    (Lambda throttled or unreachable after the client's retries), the ticket's items are deleted again and the
    error goes to the caller (503), so nothing is half-written and the request can simply be repeated."""
    try:
        start_route(ticket, route)
    except Exception:
        if idem is not None:
            written.append(idem.record(f"ticket:{ticket.ticket_id}", 201))
        try:
            store.delete_together(written)
        except Exception:
            logger.exception("ticket %s is stored without its route; submitting it again starts it", ticket.ticket_id)
        raise


# Routes that answer by themselves within moments (shared/routes/licence_key.py): no "received" e-mail before the
# result, whose e-mail would follow within a second.
ANSWERED_AT_ONCE = frozenset({"licence-key"})


def after_submit(ticket: Ticket, route: str, *, route_started: bool = False) -> None:
    detail = ticket_detail(ticket)
    hooks.ticket_submitted(ticket, detail)  # R23, R26: the contract's limits, checked at creation
    if not route_started:
        start_route(ticket, route)
    # A route that answers at once: its first e-mail is its result (or why there is none yet), moments later.
    if route not in ANSWERED_AT_ONCE:
        reader = reader_of(ticket)
        said = reader.say("intake.received", reference=ticket.reference)
        sent = notify_customer(ticket, "received", said, reader, remember=False)
        if sent:
            detail["received_mail"] = {"message_id": sent, "sent_at": clock.now_iso()}
    # Its consumer (functions/counters.py) keeps the counters off the request path: R28 new tickets per day, R23
    # the contract's usage in the period the check chose (detail["contract"]); and the "received" e-mail's
    # Message-ID (shared/tickets/mailing.py remember_received). Published once the route has started.
    bus.publish("TicketSubmitted", detail)


# The route worker's action that tells the customer the first deadline and then starts the route
# (shared/routes/start.py): only the worker has the SLA calendars, and no route spends a state on its intake.
START_ROUTE_ACTION = "start_route"


def start_route(ticket: Ticket, route: str) -> None:
    """Hand the submitted ticket to the route worker (an asynchronous invoke: Lambda retries it, then its
    dead-letter queue). Raises when the invocation is not accepted, so the caller can undo or answer 503."""
    workflows.invoke_async(
        config.get(config.WORKER_FUNCTION),
        {
            "action": START_ROUTE_ACTION,
            "ticket_id": ticket.ticket_id,
            "route": route,
            "reference": ticket.reference,
            "service": ticket.service,
        },
    )


def ensure_route(ticket: Ticket) -> None:
    """A submitted ticket whose route failed to start gets it on retry (same execution name)."""
    if ticket.status == Status.NEW.value:
        service = directory.get_service(ticket.service)
        if service:
            start_route(ticket, service.route)


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
        ticket, _ = visible_ticket(caller, ticket_id)
        if ticket.requester_sub != caller.sub:
            raise Forbidden("Only the author of a draft can edit it.")
        if ticket.status != Status.DRAFT.value:
            raise Conflict(f"Ticket {ticket.reference} is {ticket.status}; only drafts can be edited.")
        service = directory.get_service(ticket.service)
        changed = []
        if subject is not None:
            ticket.subject, _ = subject, changed.append("subject")
        if description is not None:
            ticket.description, _ = description, changed.append("description")
        if fields is not None:
            merged = {**ticket.fields, **fields}
            ticket.fields = services.validate_answers(service.intake_fields if service else [], merged, complete=False)
            changed.append("fields")
        ticket.updated_at = clock.now_iso()
        event = new_event(
            ticket,
            caller,
            "TicketUpdated",
            f"Draft edited: {', '.join(changed) or 'nothing'}",
            public=True,
            changed=changed,
        )
        store.transact([(ticket, None), (event, None)])
        return ticket

    ticket = with_retries("This ticket", attempt)
    bus.publish("TicketUpdated", ticket_detail(ticket))
    return ticket


def submit_ticket(caller: Caller, ticket_id: str) -> Ticket:
    ticket, _ = visible_ticket(caller, ticket_id)
    if caller.role != Role.CUSTOMER or ticket.requester_sub != caller.sub:
        raise Forbidden("Only the ticket's author submits it.")
    if ticket.status == Status.NEW.value:
        ensure_route(ticket)  # a retried submit: same execution name, so never a second route
        return ticket
    service = directory.get_service(ticket.service)
    if service is None:
        raise Conflict(f"The service {ticket.service!r} of this draft no longer exists; create a new ticket.")

    def attempt() -> Ticket:
        current, _ = visible_ticket(caller, ticket_id)
        services.validate_answers(service.intake_fields, current.fields, complete=True)
        before = current.status
        now = clock.now_iso()
        set_status(current, Status.NEW, now)
        current.submitted_at = current.updated_at = now
        set_index_keys(current)
        event = new_event(current, caller, "TicketSubmitted", "Request submitted", public=True, at=now, before=before)
        store.transact([(current, None), (event, None)])
        return current

    ticket = with_retries("This ticket", attempt)
    after_submit(ticket, service.route)
    return ticket
