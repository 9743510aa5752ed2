"""HTTP routes of tickets: open, list, read, fill in a draft, write, attach, resolve, close, reopen, rate.

The customer's actions (write, close, rate) are also reachable through a web-form ticket's follow link:
one handler serves both paths, and functions.api.callers.ticket_caller says who is acting.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.callers import FOLLOW_KEY_QUERY, caller, follow_view, ticket_caller, view_for
from functions.api.http import LIST_QUERY, created, idempotency_key, json_response, query, query_limit
from functions.api.router import CUSTOMER, SIGNED_IN, STAFF, ApiRouter
from shared.kb import articles as kb
from shared.platform.errors import Unprocessable
from shared.tasks.queues import waiting_on_for
from shared.tickets import (
    access,
    conversation,
    customer_lists,
    downloads,
    follow,
    idempotency,
    intake,
    lifecycle,
    search,
)
from shared.tickets import lists as ticket_lists
from shared.tickets.views import message_view, ticket_summary

router = ApiRouter(bodies="functions.api.tickets_bodies")


@router.declare(
    "POST",
    "/tickets",
    "Open a ticket (submitted, or a draft to finish later); staff open one for a customer with on_behalf",
    "tickets",
    body="OpenTicket",
    status=201,
    idempotent=True,
    roles=SIGNED_IN,  # customers open their own; staff open one on behalf of a customer
    hint="Staff act on tickets through tasks and messages.",
)
def create_ticket() -> Response:
    who = caller()
    body = router.body("OpenTicket")
    body.require_description()
    body.require_staff_fields()
    idem = idempotency.Idempotency.of(who.sub, idempotency_key(), body.model_dump())
    on_behalf = None
    if body.on_behalf is not None:
        target = body.on_behalf
        on_behalf = access.on_behalf_caller(who, target.organisation_id, target.requester, target.name)
    ticket, _, replayed = intake.create_ticket(
        who,
        service_key=body.service,
        subject=body.subject,
        description=body.description,
        fields=body.fields,
        submit=body.submit,
        channel=body.channel or "api",
        idem=idem,
        on_behalf=on_behalf,
    )
    return created(view_for(who, ticket.ticket_id), replayed)


# Filters of staff's lists (shared.tickets.search); a customer naming one is told so, whatever its value.
STAFF_FILTERS = ("service", "classification", "owner", "q", "view")
# Of those, what a customer's lists do not take (customers search their own by q: shared.tickets.customer_lists).
CUSTOMER_REFUSED_FILTERS = tuple(name for name in STAFF_FILTERS if name != "q")


@router.declare(
    "GET",
    "/tickets",
    "My tickets, my organisation's (admins, staff); staff: open tickets by status, organisation, service, "
    "classification, owner, or searched by reference, subject words or requester e-mail",
    "tickets",
    query=(
        ("scope", {"enum": ["mine", "organisation", "owned"], "default": "mine"}),
        ("organisation_id", {"type": "string"}),
        (
            "status",
            {
                "type": "string",
                "description": "staff: open (default), one status, or a comma list; customers: one status",
            },
        ),
        ("service", {"type": "string", "description": "staff: a service key"}),
        ("classification", {"type": "string", "description": "staff: question, bug, critical_bug, improvement"}),
        ("owner", {"type": "string", "description": "staff: the owner's sub, or me"}),
        (
            "q",
            {
                "type": "string",
                "description": "staff: a reference (CW-1042), words of the subject, or an e-mail; "
                "customers: words of the reference or subject",
            },
        ),
        ("view", {"enum": ["mine"], "description": "staff: mine = owner me and open"}),
        *LIST_QUERY,
    ),
    roles=SIGNED_IN,
)
def list_tickets() -> dict[str, Any]:
    who = caller()
    scope = query("scope", max_length=40)
    if who.is_staff and scope in (None, "mine"):
        return _staff_list(who)
    named = [name for name in CUSTOMER_REFUSED_FILTERS if query(name, max_length=100_000) is not None]
    if named and not who.is_staff:
        raise Unprocessable(
            f"Only staff's lists filter by {', '.join(named)}; list your tickets without it.",
            errors=[{"field": name, "message": "a filter of staff's lists"} for name in named],
        )
    if not who.is_staff and (query("status") or query("q")):  # a customer's filtered list: one status, search
        found, next_cursor = customer_lists.customer_tickets(
            who,
            scope=scope or "mine",
            organisation_id=query("organisation_id", max_length=100),
            status=query("status", max_length=40),
            search=query("q", max_length=customer_lists.SEARCH_MAX),
            limit=query_limit(),
            cursor=query("cursor", max_length=2000),
        )
        return {"items": [ticket_summary(t) for t in found], "next_cursor": next_cursor}
    found, next_cursor = ticket_lists.list_tickets(
        who,
        scope=scope or "mine",
        organisation_id=query("organisation_id", max_length=100),
        status=query("status", max_length=40),
        limit=query_limit(),
        cursor=query("cursor", max_length=2000),
    )
    views = [ticket_summary(t) for t in found]
    if who.is_staff:  # R14: where the ball is when it is with another line (never shown to customers)
        waits = waiting_on_for([t.ticket_id for t in found])
        views = [{**v, "waiting_on": waits.get(v["id"])} for v in views]
    return {"items": views, "next_cursor": next_cursor}


def _staff_list(who: Any) -> dict[str, Any]:
    view = query("view", pattern="mine")
    owner = query("owner", max_length=100)
    statuses = search.parse_statuses(query("status", max_length=200))
    if view == "mine":
        owner = "me"
        statuses = tuple(s for s in statuses if s in search.parse_statuses(search.OPEN)) or statuses
    filters = search.Filters(
        statuses=statuses,
        organisation_id=query("organisation_id", max_length=100),
        service=query("service", max_length=100),
        classification=query("classification", max_length=40),
        owner=who.sub if owner == "me" else owner,
        q=query("q", max_length=200),
    )
    found, next_cursor = search.search(who, filters, limit=query_limit(), cursor=query("cursor", max_length=2000))
    waits = waiting_on_for([t.ticket_id for t in found])  # R14: where the ball is when it is with another line
    return {
        "items": [{**search.staff_item(t), "waiting_on": waits.get(t.ticket_id)} for t in found],
        "next_cursor": next_cursor,
    }


@router.declare(
    "GET",
    "/tickets/{ticket_id}",
    "A ticket with the history the caller may see (id or CW- reference)",
    "tickets",
    roles=SIGNED_IN,
    resource="ticket",
)
def get_ticket_route(ticket_id: str) -> dict[str, Any]:
    return view_for(caller(), ticket_id)


@router.declare(
    "PATCH",
    "/tickets/{ticket_id}",
    "Fill in a draft (R2: several steps before submitting)",
    "tickets",
    body="UpdateDraft",
    roles=(CUSTOMER,),
    resource="own_ticket",
)
def update_draft(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = router.body("UpdateDraft")
    intake.update_draft(who, ticket_id, subject=body.subject, description=body.description, fields=body.fields)
    return view_for(who, ticket_id)


@router.declare(
    "POST",
    "/tickets/{ticket_id}/submit",
    "Submit a draft; repeating it is safe",
    "tickets",
    roles=(CUSTOMER,),
    resource="own_ticket",
)
def submit(ticket_id: str) -> dict[str, Any]:
    who = caller()
    intake.submit_ticket(who, ticket_id)
    return view_for(who, ticket_id)


@router.declare(
    "POST",
    "/tickets/{ticket_id}/messages",
    "Write into the ticket (staff may add internal notes)",
    "tickets",
    body="NewMessage",
    status=201,
    idempotent=True,
    roles=SIGNED_IN,
    resource="ticket",
)
@router.declare(
    "POST",
    "/public/tickets/{ticket_id}/messages",
    "Reply through a web-form ticket's follow link",
    "intake",
    name="reply_public_ticket",
    public=True,
    body="NewMessage",
    status=201,
    query=FOLLOW_KEY_QUERY,
)
def add_message(ticket_id: str) -> Response:
    acting = ticket_caller(ticket_id)
    body = router.body("NewMessage")
    ticket, message, replayed = conversation.add_message(
        acting.who,
        ticket_id,
        body=body.body,
        internal=body.internal,
        channel=acting.channel,
        attachment_ids=body.attachments,
        idem=acting.idempotency(body.model_dump()),
    )
    return created({"message": message_view(message), "ticket": ticket_summary(ticket)}, replayed)


@router.declare(
    "POST",
    "/tickets/{ticket_id}/attachments",
    "Get a presigned upload for one file (size and type limits)",
    "tickets",
    body="NewAttachment",
    status=201,
    roles=SIGNED_IN,
    resource="ticket",
)
@router.declare(
    "POST",
    "/public/tickets/{ticket_id}/attachments",
    "Get a presigned upload for one file through a web-form ticket's follow link (the same limits)",
    "intake",
    name="add_attachment_public",
    public=True,
    body="NewAttachment",
    status=201,
    query=FOLLOW_KEY_QUERY,
)
def add_attachment(ticket_id: str) -> Response:
    acting = ticket_caller(ticket_id)  # the follow link's key is checked before the body is read
    body = router.body("NewAttachment")
    attachment, upload = conversation.create_attachment_upload(
        acting.who, ticket_id, file_name=body.file_name, size=body.size, content_type=body.content_type
    )
    view = {
        "id": attachment.attachment_id,
        "s3_key": attachment.s3_key,
        "upload": upload,
        "hint": "POST the file to upload.url with upload.fields, then reference the id in a message.",
    }
    return json_response(201, view)


@router.declare(
    "GET",
    "/tickets/{ticket_id}/attachments/{attachment_id}",
    "A short-lived download link for one attachment the caller can see (each download is logged, R12)",
    "tickets",
    roles=SIGNED_IN,
    resource="ticket",
)
@router.declare(
    "GET",
    "/public/tickets/{ticket_id}/attachments/{attachment_id}",
    "A download link for one attachment of a web-form ticket, through its follow link",
    "intake",
    name="download_public_attachment",
    public=True,
    query=FOLLOW_KEY_QUERY,
)
def download_attachment(ticket_id: str, attachment_id: str) -> dict[str, Any]:
    acting = ticket_caller(ticket_id)
    if acting.follow_key is None:
        ticket, items = access.visible_ticket(acting.who, ticket_id)
    else:
        ticket, items = access.followed_ticket(ticket_id, acting.follow_key)
    return downloads.download_attachment(acting.who, ticket, items, attachment_id, channel=acting.channel)


@router.declare(
    "POST",
    "/tickets/{ticket_id}/resolve",
    "Resolve: how it was solved and the preventive measure (R16)",
    "tickets",
    body="Resolve",
    roles=STAFF,
    resource="ticket",
)
def resolve(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = router.body("Resolve")
    cited = kb.resolution_articles(who, ticket_id, body.articles)
    ticket = lifecycle.resolve_ticket(
        who, ticket_id, resolution=body.resolution, preventive_measure=body.preventive_measure, articles=cited
    )
    if body.kb_task or body.kb_note:
        kb.request_article_task(who, ticket, note=body.kb_note, cited=cited)
    return view_for(who, ticket_id)


@router.declare(
    "POST",
    "/tickets/{ticket_id}/close",
    "Close the ticket",
    "tickets",
    body="Reason",
    body_optional=True,
    roles=SIGNED_IN,
    resource="ticket",
)
@router.declare(
    "POST",
    "/public/tickets/{ticket_id}/close",
    "Confirm and close a web-form ticket through its follow link",
    "intake",
    name="close_public_ticket",
    public=True,
    body="Reason",
    body_optional=True,
    query=FOLLOW_KEY_QUERY,
)
def close(ticket_id: str) -> dict[str, Any]:
    acting = ticket_caller(ticket_id)
    body = router.body("Reason", optional=True)
    ticket = lifecycle.close_ticket(acting.who, ticket_id, reason=body.reason)
    if acting.follow_key is None:
        return acting.view()
    # Closing rotates the follow key: the requester who closed it through the link gets the new one, to rate it.
    key = follow.key_of(ticket) or ""
    return {**follow_view(ticket_id, key), "follow_url": f"/public/tickets/{ticket_id}?key={key}"}


@router.declare(
    "POST",
    "/tickets/{ticket_id}/reopen",
    "Reopen a resolved ticket",
    "tickets",
    body="Reason",
    body_optional=True,
    roles=SIGNED_IN,
    resource="ticket",
)
def reopen(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = router.body("Reason", optional=True)
    lifecycle.reopen_ticket(who, ticket_id, reason=body.reason)
    return view_for(who, ticket_id)


@router.declare(
    "POST",
    "/tickets/{ticket_id}/feedback",
    "Rate a closed ticket, 1-5 with a comment (R30)",
    "tickets",
    body="Feedback",
    roles=(CUSTOMER,),
    resource="own_ticket",
)
@router.declare(
    "POST",
    "/public/tickets/{ticket_id}/feedback",
    "Rate a closed web-form ticket through its follow link",
    "intake",
    name="feedback_public",
    public=True,
    body="Feedback",
    query=FOLLOW_KEY_QUERY,
)
def feedback(ticket_id: str) -> dict[str, Any]:
    acting = ticket_caller(ticket_id)
    body = router.body("Feedback")
    lifecycle.give_feedback(acting.who, ticket_id, rating=body.rating, comment=body.comment)
    return acting.view()
