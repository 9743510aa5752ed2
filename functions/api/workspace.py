"""HTTP routes of the agent workspace (issue 14): who else is on a ticket (collision), saved replies per group,
the SLA explanation, asking for a knowledge-base article. Staff only: a customer never sees any of it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.callers import caller
from functions.api.http import json_response, query
from functions.api.router import STAFF, ApiRouter
from shared.platform import workflows
from shared.platform.domain import Status
from shared.platform.errors import Conflict
from shared.tasks import presence, replies
from shared.tasks.views import single_task_view
from shared.tickets import access

router = ApiRouter(bodies="functions.api.workspace_bodies")

# The route worker's action that explains a ticket's SLA (shared.clocks.explain.EXPLAIN_ACTION: the API leaves the
# calendars out, so it names the action rather than importing it).
SLA_EXPLAIN_ACTION = "sla_explain"
_OTHERS = "everyone else present on the ticket in the last 30 s: [{sub, name, activity, since}]"


@router.declare(
    "POST",
    "/tickets/{ticket_id}/presence",
    "I am viewing or replying to this ticket now (renew every few seconds); answers who else is (" + _OTHERS + ")",
    "workspace",
    body="Presence",
    roles=STAFF,
    resource="ticket",
)
def mark_presence(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = router.body("Presence")
    return presence.mark(who, ticket_id, body.activity)


@router.declare(
    "GET",
    "/tickets/{ticket_id}/presence",
    "Who else is on this ticket now (" + _OTHERS + ")",
    "workspace",
    roles=STAFF,
    resource="ticket",
)
def get_presence(ticket_id: str) -> dict[str, Any]:
    return presence.others(caller(), ticket_id)


@router.declare(
    "GET",
    "/replies",
    "Saved replies of a group (default: my groups; a manager: every group)",
    "workspace",
    query=(("group", {"type": "string"}),),
    roles=STAFF,
)
def list_replies() -> dict[str, Any]:
    who = caller()
    return {"items": replies.list_replies(who, query("group", max_length=64))}


@router.declare(
    "POST",
    "/replies",
    "Save a reply for a group (managers, or agents of that group)",
    "workspace",
    body="SavedReply",
    status=201,
    roles=STAFF,
)
def create_reply() -> Response:
    who = caller()
    body = router.body("SavedReply")
    return json_response(201, replies.create_reply(who, group=body.group, title=body.title, texts=body.texts))


@router.declare(
    "PUT",
    "/replies/{reply_id}",
    "Change a saved reply (managers, or agents of its group)",
    "workspace",
    body="SavedReply",
    roles=STAFF,
)
def update_reply(reply_id: str) -> dict[str, Any]:
    who = caller()
    reply = replies.check_may_edit(who, reply_id)  # the reply and who may change it before its new content
    body = router.body("SavedReply")
    return replies.update_reply(who, reply, group=body.group, title=body.title, texts=body.texts)


@router.declare(
    "DELETE",
    "/replies/{reply_id}",
    "Delete a saved reply (managers, or agents of its group)",
    "workspace",
    status=204,
    roles=STAFF,
)
def delete_reply(reply_id: str) -> Response:
    who = caller()
    replies.delete_reply(who, replies.check_may_edit(who, reply_id))
    return Response(204, "application/json", "")


@router.declare(
    "GET",
    "/tickets/{ticket_id}/replies",
    "The saved replies of my groups filled in for this ticket, in its customer's language",
    "workspace",
    roles=STAFF,
    resource="ticket",
)
def ticket_replies(ticket_id: str) -> dict[str, Any]:
    return {"items": replies.ticket_replies(caller(), ticket_id)}


@router.declare(
    "GET",
    "/tickets/{ticket_id}/sla",
    "Why the ticket's deadlines are what they are: its promises and the ledger's intervals (counted, paused with "
    "the customer, outside working hours, holidays), computed from its log",
    "workspace",
    roles=STAFF,
    resource="ticket",
)
def ticket_sla(ticket_id: str) -> dict[str, Any]:
    who = caller()
    who.require_staff()
    ticket = access.visible_ticket_item(who, ticket_id)
    if ticket.status == Status.DRAFT.value:
        raise Conflict(f"Ticket {ticket.reference} is a draft: its SLA starts when the customer submits it.")
    return workflows.ask_worker(SLA_EXPLAIN_ACTION, ticket.ticket_id)


@router.declare(
    "POST",
    "/tickets/{ticket_id}/article-request",
    "Ask for a knowledge-base article from this ticket (R29): a task for the knowledge-base group, or the "
    "managers' when there is none",
    "workspace",
    body="ArticleRequest",
    body_optional=True,
    status=201,
    roles=STAFF,
    resource="ticket",
)
def article_request(ticket_id: str) -> Response:
    from shared.kb import requests as kb_requests  # the knowledge base's logic: kept off the API's cold start

    who = caller()
    body = router.body("ArticleRequest", optional=True)
    task = kb_requests.request_article(who, ticket_id, body.note)
    return json_response(201, {"task": single_task_view(task)})
