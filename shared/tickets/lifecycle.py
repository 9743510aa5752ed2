"""Resolve, close, reopen, feedback, the automatic close (R16, R21, R30)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from shared.platform import bus, clock, store, workflows
from shared.platform.domain import TRANSITIONS, Role, Status, TaskStatus
from shared.platform.errors import Conflict, Forbidden
from shared.platform.identity import Caller
from shared.platform.store import with_retries
from shared.platform.table import Entity, OpenIndex
from shared.platform.words import Phrase
from shared.tickets import follow, hooks
from shared.tickets import items as ticket_items
from shared.tickets.access import visible_ticket
from shared.tickets.articles import customer_article_lines
from shared.tickets.conversation import notify_customer
from shared.tickets.items import Task, Ticket
from shared.tickets.log import (
    AUTO_CLOSE_RESOLVED_AFTER,
    new_event,
    set_index_keys,
    set_status,
    status_event,
    ticket_detail,
)
from shared.tickets.readers import ENGLISH_READER, Reader, reader_of

logger = logging.getLogger(__name__)


# Work about the desk's knowledge, not the customer's problem: closing the ticket leaves it open (R29).
TASKS_OUTLIVING_TICKET = frozenset({"kb_article"})


def finish_open_tasks(items: list[Entity], outcome: str, now: str) -> list[Task]:
    finished = []
    for task in (i for i in items if isinstance(i, Task)):
        if task.status != TaskStatus.DONE.value and task.task_type not in TASKS_OUTLIVING_TICKET:
            task.status = TaskStatus.DONE.value
            task.outcome = outcome
            task.completed_at = now
            task.queue_pk = task.queue_sk = None
            finished.append(task)
    return finished


def change_status(
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
        ticket, items = visible_ticket(caller, ticket_id)
        before = ticket.status
        if only_from is not None and before != only_from.value:
            raise Conflict(
                f"Ticket {ticket.reference} is {before}; only a {only_from.value} ticket can become "
                f"{target.value} this way.",
                current_status=before,
                allowed=sorted(s.value for s in TRANSITIONS[Status(before)]),
            )
        now = clock.now_iso()  # one instant for the change, its events and the ticket's dates
        set_status(ticket, target, now)
        ticket.updated_at = now
        if mutate:
            mutate(ticket, now)
        set_index_keys(ticket)
        tasks = finish_open_tasks(items, finish_tasks, now) if finish_tasks else []
        events = [
            status_event(ticket, caller, before, at=now),
            new_event(ticket, caller, event_type, summary, public=True, at=now),
        ]
        events += [
            new_event(
                ticket,
                caller,
                "TaskCompleted",
                f"Task {t.title} closed: {finish_tasks}",
                public=False,
                at=now,
                task_id=t.task_id,
            )
            for t in tasks
        ]
        counts = [c for t in tasks for c in hooks.task_finished.gather(t)]  # R27, R28: with the tasks done, once
        store.transact([(ticket, None), *((t, None) for t in tasks), *((e, None) for e in events)], counts)
        state.update(ticket=ticket, before=before, tasks=tasks)

    with_retries("This ticket", attempt)
    ticket, before, tasks = state["ticket"], state["before"], state["tasks"]
    bus.publish("StatusChanged", {**ticket_detail(ticket), "before": before})
    if tasks or target == Status.CLOSED:
        hooks.tasks_finished(ticket, tasks, target)  # the routes are told; the owner's waiting board follows
    if target != Status.CLOSED:
        workflows.call_worker("refresh", ticket.ticket_id, trigger="status")
    return ticket, before, tasks


def resolve_ticket(
    caller: Caller,
    ticket_id: str,
    *,
    resolution: str | Phrase,
    preventive_measure: str,
    articles: list[dict[str, Any]] | None = None,
    told: str | None = None,
    notify: bool = True,
) -> Ticket:
    """R16: inform the customer, record how it was solved and what prevents a repeat; R29: with the
    knowledge base articles it cites (checked by shared.kb.resolution_articles). A route's own resolution is a
    `Phrase`: the ticket keeps it in the customer's language, the log in English. A route that already wrote the
    customer what it did hands that text over (`told`): the e-mail says it instead of the bare resolution; a route
    that closes the ticket at once resolves without an e-mail (`notify=False`): the closing e-mail is the one."""
    caller.require_staff()
    readers: list[Reader] = []

    def mutate(ticket: Ticket, now: str) -> None:
        if isinstance(resolution, Phrase) and not readers:
            readers.append(reader_of(ticket))
        ticket.resolution = readers[0].text(resolution) if readers else str(resolution)
        ticket.preventive_measure = preventive_measure
        ticket.kb_articles = articles or None
        ticket.resolved_at = now
        if ticket.owner is None and caller.role == Role.AGENT:
            ticket.owner = caller.sub

    ticket, _, _ = change_status(
        caller,
        ticket_id,
        Status.RESOLVED,
        event_type="TicketResolved",
        summary=f"Resolved: {ENGLISH_READER.text(resolution)}",
        mutate=mutate,
        finish_tasks="ticket resolved",
    )
    hooks.ticket_resolved(ticket, caller)  # R27: the owner's SLA met ratio
    if not notify:
        return ticket
    reader = readers[0] if readers else reader_of(ticket)
    if told:
        text = told + customer_article_lines(articles, reader)
    else:
        lines = customer_article_lines(articles, reader)
        text = reader.say("resolved.text", resolution=ticket.resolution, articles=lines)
    notify_customer(ticket, "resolved", text, reader)
    return ticket


def close_ticket(
    caller: Caller,
    ticket_id: str,
    *,
    reason: str | Phrase | None,
    told: str | None = None,
    headline: str = "closed",
) -> Ticket:
    """Close the ticket; the desk's own reason (a `Phrase`, or text) is told to the customer in their language
    and written to the log in English. A route that closes right after writing the customer its result hands that
    text over (`told`, with its `headline`): one e-mail says both. A web-form ticket's follow key rotates: the
    links sent before stop opening it, and the closing e-mail carries the new one."""

    def mutate(ticket: Ticket, now: str) -> None:
        ticket.closed_at = now
        follow.rotate(ticket)  # the follow links sent so far stop; the closing e-mail carries the new one

    who = "the customer" if not caller.is_staff else "Caseway" if caller.role == Role.SYSTEM else "support"
    logged = ENGLISH_READER.text(reason) if reason else None
    ticket, _, _ = change_status(
        caller,
        ticket_id,
        Status.CLOSED,
        event_type="TicketClosed",
        summary=f"Closed by {who}" + (f": {logged}" if logged else ""),
        mutate=mutate,
        finish_tasks="ticket closed",
    )
    if caller.sub == ticket.requester_sub:
        return ticket  # the requester closed it themselves, on the page that asks them for their rating (R30)
    reader = reader_of(ticket)
    text = reader.say("closed.text")
    if reason and caller.role == Role.SYSTEM:
        text = reader.say("closed.with_reason", reason=reader.text(reason))
    # R30: satisfaction beyond the SLA: ask how it went.
    text += "\n\n" + reader.say("closed.rate")
    if told:
        text = f"{told}\n\n{text}"
    notify_customer(ticket, headline, text, reader)
    return ticket


def give_feedback(caller: Caller, ticket_id: str, *, rating: int, comment: str | None) -> Ticket:
    """R30: the requester rates a closed ticket once, 1 to 5, with an optional comment."""
    state: dict[str, Any] = {}

    def attempt() -> None:
        ticket, _ = visible_ticket(caller, ticket_id)
        if caller.role != Role.CUSTOMER or ticket.requester_sub != caller.sub:
            raise Forbidden("Only the ticket's requester rates it.")
        if ticket.status != Status.CLOSED.value:
            raise Conflict(f"Ticket {ticket.reference} is {ticket.status}; feedback is asked for once it is closed.")
        if ticket.satisfaction is not None:
            raise Conflict(f"Ticket {ticket.reference} was already rated {int(ticket.satisfaction)}; thank you.")
        ticket.satisfaction = rating
        ticket.satisfaction_comment = comment
        ticket.updated_at = clock.now_iso()
        event = new_event(
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

    with_retries("This ticket", attempt)
    ticket = state["ticket"]
    hooks.ticket_rated(ticket, rating, comment)  # R28, R30: satisfaction per week on the manager's dashboard
    bus.publish("TicketUpdated", {**ticket_detail(ticket), "satisfaction": rating})
    return ticket


def close_resolved_after_silence(limit: int = 100) -> list[str]:
    """R21: close resolved tickets whose customer stayed silent past the auto-close time.

    Reads only resolved tickets that are due (the sparse open_index), never all tickets.
    """
    now = clock.now_iso()
    due = Entity.open_index.query(
        ticket_items.open_pk(Status.RESOLVED.value), OpenIndex.open_sk < f"{now}#~", limit=limit, page_size=limit
    )
    closed = []
    for ticket in (t for t in due if isinstance(t, Ticket)):
        try:
            close_ticket(
                Caller.system(),
                ticket.ticket_id,
                reason=Phrase("reason.no_reply_after_resolution", {"days": AUTO_CLOSE_RESOLVED_AFTER.days}),
            )
            closed.append(ticket.ticket_id)
        except Conflict:
            logger.info("ticket %s changed before it could be closed", ticket.ticket_id)
    return closed


def reopen_ticket(caller: Caller, ticket_id: str, *, reason: str | None) -> Ticket:
    def mutate(ticket: Ticket, now: str) -> None:
        ticket.resolved_at = None

    who = "support" if caller.is_staff else "the customer"
    ticket, _, _ = change_status(
        caller,
        ticket_id,
        Status.IN_PROGRESS,
        event_type="TicketReopened",
        summary=f"Reopened by {who}" + (f": {reason}" if reason else ""),
        mutate=mutate,
        only_from=Status.RESOLVED,
    )
    if caller.is_staff:
        reader = reader_of(ticket)
        notify_customer(ticket, "reopened", reader.say("reopened.text"), reader)
    return ticket
