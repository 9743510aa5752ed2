"""The HTTP API Lambda: API Gateway HTTP API (payload v2) -> powertools resolver -> shared logic.

Handlers here only translate HTTP to calls of the logic layer and back; every rule lives in shared/.
Every route is declared once with `route(...)`: that declaration registers it with the resolver, feeds
the OpenAPI document, and says whether it is public (the CDK app and the local gateway read
PUBLIC_ROUTES from it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from functions import webform
from shared import desk
from shared.directory.items import list_services
from shared.kb import articles as kb
from shared.platform.errors import BadRequest, DomainError, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from shared.platform.identity import Caller
from shared.tasks.views import task_view, ticket_view
from shared.tasks.work import complete_task, list_queue, take_task
from shared.tickets import access, conversation, idempotency, intake, lifecycle
from shared.tickets import lists as ticket_lists
from shared.tickets.items import get_ticket
from shared.tickets.views import message_view, ticket_summary

desk.assemble()
logger = Logger(service="caseway-api")
app = APIGatewayHttpResolver()
MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI style: /tickets/{ticket_id}
    name: str
    summary: str
    tag: str
    public: bool = False
    body: str | None = None  # name of the model in functions.api_models
    body_optional: bool = False
    query: tuple[tuple[str, dict[str, Any]], ...] = ()
    status: int = 200
    idempotent: bool = False
    content_type: str = "application/json"
    path_params: tuple[str, ...] = field(default=())

    @property
    def openapi_path(self) -> str:
        return self.path


ROUTES: list[Route] = []


def route(method: str, path: str, summary: str, tag: str, **options: Any) -> Callable:
    def register(fn: Callable) -> Callable:
        params = tuple(re.findall(r"\{([a-z_]+)\}", path))
        ROUTES.append(Route(method, path, fn.__name__, summary, tag, path_params=params, **options))
        app.route(re.sub(r"\{([a-z_]+)\}", r"<\1>", path), method)(fn)
        return fn

    return register


# --- errors: one shape, RFC 9457 -----------------------------------------------------------------


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    event = getattr(app, "current_event", None)
    if event is not None:
        body["instance"] = event.path
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(status_code=status, content_type="application/problem+json", body=json.dumps(body))


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response:
    return problem(error.status, error.title, error.detail, **error.extra)


@app.not_found
def _not_found(_: Exception) -> Response:
    event = app.current_event
    return problem(404, "Not found", f"No such endpoint: {event.http_method} {event.path}.")


# --- request parsing -----------------------------------------------------------------------------


def parse_body(model_name: str, *, optional: bool = False) -> Any:
    """The JSON body validated by its pydantic model; 400 if it is not JSON, 422 naming bad fields."""
    event = app.current_event
    text = event.body or ""
    if event.decoded_body and event.is_base64_encoded:
        text = event.decoded_body
    if len(text.encode()) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"Request bodies can be at most {MAX_BODY_BYTES // 1024} KB; "
            "upload files as attachments (POST /tickets/{id}/attachments)."
        )
    content_type = (event.headers or {}).get("content-type", "application/json")
    if text and "json" not in content_type.split(";")[0]:
        raise UnsupportedMediaType(f"Send JSON (Content-Type: application/json), not {content_type}.")
    from pydantic import ValidationError

    from functions import api_models

    model = getattr(api_models, model_name)
    if not text.strip():
        if optional:
            return model()
        text = "{}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRequest(f"The request body is not valid JSON: {error.msg} at position {error.pos}.") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in error.errors(include_url=False)
        ]
        raise Unprocessable("Some fields are missing or invalid; see errors.", errors=errors) from None


def query(name: str, default: str | None = None, *, pattern: str | None = None, max_length: int = 200) -> str | None:
    value = app.current_event.get_query_string_value(name, default)
    if value is None:
        return None
    if len(value) > max_length or (pattern and not re.fullmatch(pattern, value)):
        expected = f"matching {pattern}" if pattern else f"at most {max_length} characters"
        raise Unprocessable(f"Query parameter {name} is invalid.", errors=[{"field": name, "message": expected}])
    return value


def query_limit() -> int:
    raw = query("limit", "20", pattern=r"\d{1,3}")
    value = int(raw or 20)
    if not 1 <= value <= 100:
        raise Unprocessable("limit must be between 1 and 100.", errors=[{"field": "limit", "message": "1..100"}])
    return value


def caller() -> Caller:
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    return Caller.from_claims(claims)


def idempotency_key() -> str | None:
    return (app.current_event.headers or {}).get("idempotency-key")


def source_ip() -> str:
    return app.current_event.request_context.http.source_ip or "unknown"


def json_response(status: int, view: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, "application/json", json.dumps(view), headers=headers or {})


def created(view: dict[str, Any], replayed: bool) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return json_response(200 if replayed else 201, view, headers)


LIST_QUERY = (
    ("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
    ("cursor", {"type": "string", "description": "next_cursor of the previous page"}),
)

# --- public routes -------------------------------------------------------------------------------


@route("GET", "/health", "Liveness check", "meta", public=True)
def health() -> dict[str, str]:
    return {"status": "ok"}


@route("GET", "/openapi.json", "This API's OpenAPI 3 document", "meta", public=True)
def openapi_document() -> Response:
    from functions import openapi

    return Response(200, "application/json", openapi.document(tuple(ROUTES)))


@route("GET", "/docs", "Interactive API documentation", "meta", public=True, content_type="text/html")
def docs() -> Response:
    from functions import openapi

    return Response(200, "text/html; charset=utf-8", openapi.swagger_page(openapi.document(tuple(ROUTES))))


@route(
    "GET",
    "/form",
    "The web form for opening a ticket without an account",
    "intake",
    public=True,
    content_type="text/html",
)
def form() -> Response:
    return Response(200, "text/html; charset=utf-8", webform.PAGE)


@route(
    "GET", "/services", "The service catalog: what customers can ask for, with intake questions", "intake", public=True
)
def services() -> dict[str, Any]:
    return {
        "items": [
            {
                "key": s.key,
                "title": s.title,
                "description": s.description,
                "route": s.route,
                "intake_fields": s.intake_fields,
            }
            for s in list_services()
            if s.customer_visible
        ]
    }


def _require_description(body: Any) -> None:
    if body.submit and not body.description:
        raise Unprocessable(
            "Describe the problem before submitting.",
            errors=[{"field": "description", "message": "required when submit is true"}],
        )


@route(
    "POST",
    "/public/tickets",
    "Open a ticket from the web form (anonymous, rate limited)",
    "intake",
    public=True,
    body="PublicTicket",
    status=201,
    idempotent=True,
)
def create_public_ticket() -> Response:
    body = parse_body("PublicTicket")
    _require_description(body)
    if not body.submit:
        raise Unprocessable(
            "The web form submits tickets; drafts need an account.",
            errors=[{"field": "submit", "message": "must be true"}],
        )
    idem = idempotency.Idempotency.of(f"webform:{body.email}", idempotency_key(), body.model_dump())
    # A retry is answered before the rate limit counts it and before any contact is created.
    if record := idempotency.replayed_record(idem):
        ticket = get_ticket(record.resource.split(":", 1)[1])
        return created({**ticket_summary(ticket), "follow_url": _follow_url(ticket.ticket_id, record.secret)}, True)
    who = access.web_form_caller(body.email, body.name, source_ip())
    ticket, follow_key, replayed = intake.create_ticket(
        who,
        service_key=body.service,
        subject=body.subject,
        description=body.description,
        fields=body.fields,
        submit=True,
        channel="web_form",
        idem=idem,
        with_follow_key=True,
    )
    return created({**ticket_summary(ticket), "follow_url": _follow_url(ticket.ticket_id, follow_key)}, replayed)


def _follow_url(ticket_id: str, key: str | None) -> str | None:
    """The follow link (JSON); the same id and key open the web page at /form?ticket=...&key=..."""
    return f"/public/tickets/{ticket_id}?key={key}" if key else None


@route(
    "GET",
    "/public/tickets/{ticket_id}",
    "Follow a web-form ticket with the key from its follow link",
    "intake",
    public=True,
    query=(("key", {"type": "string"}),),
)
def follow_public_ticket(ticket_id: str) -> dict[str, Any]:
    ticket, items = access.followed_ticket(ticket_id, _follow_key())
    return ticket_view(ticket, items, staff=False)


def _follow_key() -> str:
    key = query("key", "")
    if not key:
        raise Unprocessable("The follow link needs its key.", errors=[{"field": "key", "message": "required"}])
    return key


@route(
    "POST",
    "/public/tickets/{ticket_id}/messages",
    "Reply through a web-form ticket's follow link",
    "intake",
    public=True,
    body="NewMessage",
    status=201,
    query=(("key", {"type": "string"}),),
)
def reply_public_ticket(ticket_id: str) -> Response:
    who = access.follow_link_caller(ticket_id, _follow_key())
    body = parse_body("NewMessage")
    idem = idempotency.Idempotency.of(f"follow:{ticket_id}", idempotency_key(), body.model_dump())
    ticket, message, replayed = conversation.add_message(
        who,
        ticket_id,
        body=body.body,
        internal=body.internal,
        channel="web_form",
        attachment_ids=body.attachments,
        idem=idem,
    )
    return created({"message": message_view(message), "ticket": ticket_summary(ticket)}, replayed)


@route(
    "POST",
    "/public/tickets/{ticket_id}/close",
    "Confirm and close a web-form ticket through its follow link",
    "intake",
    public=True,
    body="Reason",
    body_optional=True,
    query=(("key", {"type": "string"}),),
)
def close_public_ticket(ticket_id: str) -> dict[str, Any]:
    key = _follow_key()
    who = access.follow_link_caller(ticket_id, key)
    body = parse_body("Reason", optional=True)
    lifecycle.close_ticket(who, ticket_id, reason=body.reason)
    ticket, items = access.followed_ticket(ticket_id, key)
    return ticket_view(ticket, items, staff=False)


# --- tickets -------------------------------------------------------------------------------------


def _view(who: Caller, ticket_id: str) -> dict[str, Any]:
    ticket, items = access.load_for(who, ticket_id)
    return ticket_view(ticket, items, staff=who.is_staff)


@route(
    "POST",
    "/tickets",
    "Open a ticket (submitted, or a draft to finish later)",
    "tickets",
    body="CreateTicket",
    status=201,
    idempotent=True,
)
def create_ticket() -> Response:
    who = caller()
    body = parse_body("CreateTicket")
    _require_description(body)
    idem = idempotency.Idempotency.of(who.sub, idempotency_key(), body.model_dump())
    ticket, _, replayed = intake.create_ticket(
        who,
        service_key=body.service,
        subject=body.subject,
        description=body.description,
        fields=body.fields,
        submit=body.submit,
        channel="api",
        idem=idem,
    )
    return created(_view(who, ticket.ticket_id), replayed)


@route(
    "GET",
    "/tickets",
    "My tickets, my organisation's (admins, staff) or open tickets by status (staff)",
    "tickets",
    query=(
        ("scope", {"enum": ["mine", "organisation", "owned"], "default": "mine"}),
        ("organisation_id", {"type": "string"}),
        ("status", {"type": "string"}),
        *LIST_QUERY,
    ),
)
def list_tickets() -> dict[str, Any]:
    who = caller()
    found, next_cursor = ticket_lists.list_tickets(
        who,
        scope=query("scope", "mine") or "mine",
        organisation_id=query("organisation_id", max_length=100),
        status=query("status", max_length=40),
        limit=query_limit(),
        cursor=query("cursor", max_length=2000),
    )
    views = [ticket_summary(t) for t in found]
    if who.is_staff:  # R14: where the ball is when it is with another line (never shown to customers)
        from shared.tasks.queues import waiting_on_for

        waits = waiting_on_for([t.ticket_id for t in found])
        views = [{**v, "waiting_on": waits.get(v["id"])} for v in views]
    return {"items": views, "next_cursor": next_cursor}


@route("GET", "/tickets/{ticket_id}", "A ticket with the history the caller may see (id or CW- reference)", "tickets")
def get_ticket_route(ticket_id: str) -> dict[str, Any]:
    return _view(caller(), ticket_id)


@route(
    "PATCH",
    "/tickets/{ticket_id}",
    "Fill in a draft (R2: several steps before submitting)",
    "tickets",
    body="UpdateDraft",
)
def update_draft(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = parse_body("UpdateDraft")
    intake.update_draft(who, ticket_id, subject=body.subject, description=body.description, fields=body.fields)
    return _view(who, ticket_id)


@route("POST", "/tickets/{ticket_id}/submit", "Submit a draft; repeating it is safe", "tickets")
def submit(ticket_id: str) -> dict[str, Any]:
    who = caller()
    intake.submit_ticket(who, ticket_id)
    return _view(who, ticket_id)


@route(
    "POST",
    "/tickets/{ticket_id}/messages",
    "Write into the ticket (staff may add internal notes)",
    "tickets",
    body="NewMessage",
    status=201,
    idempotent=True,
)
def add_message(ticket_id: str) -> Response:
    who = caller()
    body = parse_body("NewMessage")
    idem = idempotency.Idempotency.of(who.sub, idempotency_key(), {"ticket": ticket_id, **body.model_dump()})
    ticket, message, replayed = conversation.add_message(
        who,
        ticket_id,
        body=body.body,
        internal=body.internal,
        channel="api",
        attachment_ids=body.attachments,
        idem=idem,
    )
    return created({"message": message_view(message), "ticket": ticket_summary(ticket)}, replayed)


@route(
    "POST",
    "/tickets/{ticket_id}/attachments",
    "Get a presigned upload for one file (size and type limits)",
    "tickets",
    body="NewAttachment",
    status=201,
)
def add_attachment(ticket_id: str) -> Response:
    body = parse_body("NewAttachment")
    attachment, upload = conversation.create_attachment_upload(
        caller(), ticket_id, file_name=body.file_name, size=body.size, content_type=body.content_type
    )
    view = {
        "id": attachment.attachment_id,
        "s3_key": attachment.s3_key,
        "upload": upload,
        "hint": "POST the file to upload.url with upload.fields, then reference the id in a message.",
    }
    return json_response(201, view)


@route(
    "POST",
    "/tickets/{ticket_id}/resolve",
    "Resolve: how it was solved and the preventive measure (R16)",
    "tickets",
    body="Resolve",
)
def resolve(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = parse_body("Resolve")
    cited = kb.resolution_articles(who, ticket_id, body.articles)
    ticket = lifecycle.resolve_ticket(
        who, ticket_id, resolution=body.resolution, preventive_measure=body.preventive_measure, articles=cited
    )
    if body.kb_task or body.kb_note:
        kb.request_article_task(who, ticket, note=body.kb_note, cited=cited)
    return _view(who, ticket_id)


@route("POST", "/tickets/{ticket_id}/close", "Close the ticket", "tickets", body="Reason", body_optional=True)
def close(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = parse_body("Reason", optional=True)
    lifecycle.close_ticket(who, ticket_id, reason=body.reason)
    return _view(who, ticket_id)


@route("POST", "/tickets/{ticket_id}/reopen", "Reopen a resolved ticket", "tickets", body="Reason", body_optional=True)
def reopen(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = parse_body("Reason", optional=True)
    lifecycle.reopen_ticket(who, ticket_id, reason=body.reason)
    return _view(who, ticket_id)


@route(
    "POST",
    "/tickets/{ticket_id}/feedback",
    "Rate a closed ticket, 1-5 with a comment (R30)",
    "tickets",
    body="Feedback",
)
def feedback(ticket_id: str) -> dict[str, Any]:
    who = caller()
    body = parse_body("Feedback")
    lifecycle.give_feedback(who, ticket_id, rating=body.rating, comment=body.comment)
    return _view(who, ticket_id)


@route(
    "POST",
    "/public/tickets/{ticket_id}/feedback",
    "Rate a closed web-form ticket through its follow link",
    "intake",
    public=True,
    body="Feedback",
    query=(("key", {"type": "string"}),),
)
def feedback_public(ticket_id: str) -> dict[str, Any]:
    key = _follow_key()
    body = parse_body("Feedback")
    lifecycle.give_feedback(
        access.follow_link_caller(ticket_id, key), ticket_id, rating=body.rating, comment=body.comment
    )
    ticket, items = access.followed_ticket(ticket_id, key)
    return ticket_view(ticket, items, staff=False)


# --- tasks ---------------------------------------------------------------------------------------


@route(
    "GET",
    "/tasks",
    "A group's open tasks: highest priority, then earliest due, then arrival",
    "tasks",
    query=(("group", {"type": "string"}), *LIST_QUERY),
)
def tasks() -> dict[str, Any]:
    group = query("group", max_length=64)
    if not group:
        raise Unprocessable("Say which group's queue: ?group=L1", errors=[{"field": "group", "message": "required"}])
    found, next_cursor = list_queue(caller(), group, limit=query_limit(), cursor=query("cursor", max_length=2000))
    return {"items": [task_view(t) for t in found], "next_cursor": next_cursor}


@route("POST", "/tasks/{task_id}/take", "Take a task (the first taker becomes the ticket's owner, R14)", "tasks")
def take(task_id: str) -> dict[str, Any]:
    task, ticket = take_task(caller(), task_id)
    return {"task": task_view(task), "ticket": ticket_summary(ticket) if ticket is not None else None}


@route(
    "POST",
    "/tasks/{task_id}/complete",
    "Complete a taken task; its route goes on",
    "tasks",
    body="CompleteTask",
    body_optional=True,
)
def complete(task_id: str) -> dict[str, Any]:
    who = caller()
    body = parse_body("CompleteTask", optional=True)
    task = complete_task(who, task_id, outcome=body.outcome, note=body.note)
    return {"task": task_view(task)}


# Each feature's routes live in its own module and register themselves with route() on import.
from functions import api_catalog, api_figures, api_kb, api_money, api_review, api_routing  # noqa: E402,F401

# Routes reachable without a token; every other route sits behind the Cognito JWT authorizer.
PUBLIC_ROUTES: tuple[tuple[str, str], ...] = tuple((r.method, r.path) for r in ROUTES if r.public)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
