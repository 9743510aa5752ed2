"""Asking for a knowledge-base article from a ticket at any time (R29; the resolution's own request is
shared.kb.articles.request_article_task): a task for the knowledge-base group, or the managers' when the desk has
none. No route waits on it; it outlives the ticket."""

from __future__ import annotations

from shared.kb.articles import KB_TASK_TYPE
from shared.platform import store
from shared.platform.domain import Status
from shared.platform.errors import Conflict
from shared.platform.identity import Caller
from shared.tasks.queues import get_group
from shared.tasks.work import create_task
from shared.tickets import access
from shared.tickets.items import Task

KB_GROUP = "knowledge-base"
MANAGERS_GROUP = "managers"


def article_group() -> str:
    """The knowledge-base group when the desk has one, else the managers'."""
    return KB_GROUP if get_group(KB_GROUP) is not None else MANAGERS_GROUP


def request_article(caller: Caller, ticket_id: str, note: str | None) -> Task:
    caller.require_staff()
    ticket = access.visible_ticket_item(caller, ticket_id)
    if ticket.status == Status.DRAFT.value:
        raise Conflict(f"Ticket {ticket.reference} is a draft; ask for an article once it is submitted.")
    title = f"Knowledge base: write or update an article ({note or ticket.subject})"
    if len(title) > 200:
        title = title[:197] + "..."
    return create_task(
        ticket_id=ticket.ticket_id,
        step_key=f"kb-request:{store.new_id()}",  # each request is a task of its own
        task_type=KB_TASK_TYPE,
        title=title,
        group=article_group(),
        task_token=None,
    )
