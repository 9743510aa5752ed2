"""The HTTP API Lambda: API Gateway HTTP API (payload v2) -> powertools resolver -> shared logic.

Handlers here only translate HTTP to calls of the logic layer and back; every rule lives in shared/.
"""

from __future__ import annotations

import contextlib
import json
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from functions import webform
from shared import tickets as ticket_logic
from shared.errors import DomainError, PayloadTooLarge, Unauthorized, UnsupportedMediaType
from shared.identity import Caller
from shared.store import list_services
from shared.tasks import complete_task, list_queue, take_task
from shared.views import message_view, task_view, ticket_summary, ticket_view

logger = Logger(service="caseway-api")

# Routes reachable without a token; every other route sits behind the Cognito JWT authorizer.
# The CDK app and the local gateway both read this list.
PUBLIC_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/health"),
    ("GET", "/services"),
    ("POST", "/public/tickets"),
    ("GET", "/public/tickets/{ticket_id}"),
    ("GET", "/form"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
)
MAX_BODY_BYTES = 256 * 1024

app = APIGatewayHttpResolver(enable_validation=True)
app.enable_swagger(
    path="/docs",
    title="Caseway API",
    version="0.1.0",
    security_schemes={"cognito": HTTPBearer(bearerFormat="JWT", description="Cognito ID or access token")},
)

ErrorList = list[dict[str, str]]


# --- errors: one shape, RFC 9457 -----------------------------------------------------------------


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    with contextlib.suppress(Exception):  # no current event outside a request
        body["instance"] = app.current_event.path
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(status_code=status, content_type="application/problem+json", body=json.dumps(body))


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response:
    return problem(error.status, error.title, error.detail, **error.extra)


@app.exception_handler(RequestValidationError)
def _validation_error(error: RequestValidationError) -> Response:
    errors = []
    for item in error.errors():
        location = [str(p) for p in item.get("loc", ()) if p not in ("body",)]
        field = ".".join(location[1:] if location and location[0] in ("query", "path", "header") else location)
        if item.get("type") == "json_invalid":
            return problem(400, "Malformed JSON", "The request body is not valid JSON.")
        errors.append({"field": field or "body", "message": item.get("msg", "invalid")})
    return problem(422, "Invalid request", "Some fields are missing or invalid; see errors.", errors=errors)


@app.exception_handler(json.JSONDecodeError)
def _bad_json(_: json.JSONDecodeError) -> Response:
    return problem(400, "Malformed JSON", "The request body is not valid JSON.")


@app.not_found
def _not_found(_: Exception) -> Response:
    return problem(404, "Not found", f"No such endpoint: {app.current_event.http_method} {app.current_event.path}.")


def _check_body(app: APIGatewayHttpResolver, next_middleware: Any) -> Response:
    event = app.current_event
    if event.http_method in ("POST", "PUT", "PATCH") and event.body:
        if len(event.body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(
                f"Request bodies can be at most {MAX_BODY_BYTES // 1024} KB; upload files as "
                "attachments (POST /tickets/{id}/attachments)."
            )
        content_type = (event.headers or {}).get("content-type", "application/json")
        if "json" not in content_type.split(";")[0]:
            raise UnsupportedMediaType(f"Send JSON (Content-Type: application/json), not {content_type}.")
    return next_middleware(app)


app.use(middlewares=[_check_body])


def caller() -> Caller:
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.jwt_claim if authorizer else None
    return Caller.from_claims(claims)


def source_ip() -> str:
    return app.current_event.request_context.http.source_ip or "unknown"


IdempotencyKey = Annotated[str | None, Header(alias="idempotency-key", description="Repeat-safe POST key")]
Limit = Annotated[int, Query(ge=1, le=100)]


# --- request bodies ------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CreateTicket(_Body):
    service: str = Field(min_length=1, max_length=64, description="Service key from GET /services")
    subject: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=20000)
    fields: dict[str, Any] = Field(default_factory=dict, description="Answers to the service's intake form")
    submit: bool = Field(default=True, description="false keeps it as a draft to finish later (R2)")


class PublicTicket(CreateTicket):
    email: EmailStr
    name: str | None = Field(default=None, max_length=200)


class UpdateDraft(_Body):
    subject: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    fields: dict[str, Any] | None = None


class NewMessage(_Body):
    body: str = Field(min_length=1, max_length=20000)
    internal: bool = Field(default=False, description="Internal note, staff only")
    attachments: list[str] = Field(default_factory=list, max_length=20, description="Attachment ids")


class NewAttachment(_Body):
    file_name: str = Field(min_length=1, max_length=255)
    size: int = Field(gt=0, description="Bytes")
    content_type: str = Field(min_length=3, max_length=200)


class Resolve(_Body):
    resolution: str = Field(min_length=3, max_length=20000, description="How it was solved")
    preventive_measure: str = Field(min_length=3, max_length=20000, description="What stops it happening again")


class Reason(_Body):
    reason: str | None = Field(default=None, max_length=2000)


class CompleteTask(_Body):
    outcome: str = Field(default="done", min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=20000)


# --- routes --------------------------------------------------------------------------------------


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/openapi.json")
def openapi():
    return Response(200, "application/json", app.get_openapi_json_schema(title="Caseway API", version="0.1.0"))


@app.get("/form")
def form():
    return Response(200, "text/html; charset=utf-8", webform.PAGE)


@app.get("/services")
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


def _created(view: dict[str, Any], replayed: bool):
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(200 if replayed else 201, "application/json", json.dumps(view), headers=headers)


def _require_description(body: CreateTicket) -> None:
    if body.submit and not body.description:
        from shared.errors import Unprocessable

        raise Unprocessable(
            "Describe the problem before submitting.",
            errors=[{"field": "description", "message": "required when submit is true"}],
        )


@app.post("/tickets")
def create_ticket(body: CreateTicket, idempotency_key: IdempotencyKey = None):
    who = caller()
    _require_description(body)
    idem = ticket_logic.Idempotency.of(who.sub, idempotency_key, body.model_dump())
    ticket, _, replayed = ticket_logic.create_ticket(
        who,
        service_key=body.service,
        subject=body.subject,
        description=body.description,
        fields=body.fields,
        submit=body.submit,
        channel="api",
        idem=idem,
    )
    _, items = ticket_logic.load_for(who, ticket.ticket_id)
    return _created(ticket_view(ticket, items, staff=who.is_staff), replayed)


@app.post("/public/tickets")
def create_public_ticket(body: PublicTicket, idempotency_key: IdempotencyKey = None):
    _require_description(body)
    if not body.submit:
        from shared.errors import Unprocessable

        raise Unprocessable(
            "The web form submits tickets; drafts need an account.",
            errors=[{"field": "submit", "message": "must be true"}],
        )
    idem = ticket_logic.Idempotency.of(f"webform:{body.email.lower()}", idempotency_key, body.model_dump())
    if idem and (previous := ticket_logic.replayed_resource(idem)):
        from shared.store import get_ticket

        ticket = get_ticket(previous.split(":", 1)[1])
        return _created({**ticket_summary(ticket), "follow_url": None}, True)
    who = ticket_logic.web_form_caller(body.email, body.name, source_ip())
    ticket, follow_key, replayed = ticket_logic.create_ticket(
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
    follow = f"/public/tickets/{ticket.ticket_id}?key={follow_key}" if follow_key else None
    return _created({**ticket_summary(ticket), "follow_url": follow}, replayed)


@app.get("/public/tickets/<ticket_id>")
def follow_public_ticket(ticket_id: str, key: Annotated[str, Query(min_length=8, max_length=200)]) -> dict:
    ticket, items = ticket_logic.followed_ticket(ticket_id, key)
    return ticket_view(ticket, items, staff=False)


@app.get("/tickets")
def list_tickets(
    scope: Annotated[str, Query(pattern="^(mine|organisation)$")] = "mine",
    organisation_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    found, next_cursor = ticket_logic.list_tickets(
        caller(), scope=scope, organisation_id=organisation_id, status=status, limit=limit, cursor=cursor
    )
    return {"items": [ticket_summary(t) for t in found], "next_cursor": next_cursor}


@app.get("/tickets/<ticket_id>")
def get_ticket(ticket_id: str) -> dict[str, Any]:
    who = caller()
    ticket, items = ticket_logic.load_for(who, ticket_id)
    return ticket_view(ticket, items, staff=who.is_staff)


def _view(who: Caller, ticket_id: str) -> dict[str, Any]:
    ticket, items = ticket_logic.load_for(who, ticket_id)
    return ticket_view(ticket, items, staff=who.is_staff)


@app.patch("/tickets/<ticket_id>")
def update_draft(ticket_id: str, body: UpdateDraft) -> dict[str, Any]:
    who = caller()
    ticket_logic.update_draft(who, ticket_id, subject=body.subject, description=body.description, fields=body.fields)
    return _view(who, ticket_id)


@app.post("/tickets/<ticket_id>/submit")
def submit(ticket_id: str) -> dict[str, Any]:
    who = caller()
    ticket_logic.submit_ticket(who, ticket_id)
    return _view(who, ticket_id)


@app.post("/tickets/<ticket_id>/messages")
def add_message(ticket_id: str, body: NewMessage, idempotency_key: IdempotencyKey = None):
    who = caller()
    idem = ticket_logic.Idempotency.of(who.sub, idempotency_key, {"ticket": ticket_id, **body.model_dump()})
    ticket, message, replayed = ticket_logic.add_message(
        who,
        ticket_id,
        body=body.body,
        internal=body.internal,
        channel="api",
        attachment_ids=body.attachments,
        idem=idem,
    )
    return _created({"message": message_view(message), "ticket": ticket_summary(ticket)}, replayed)


@app.post("/tickets/<ticket_id>/attachments")
def add_attachment(ticket_id: str, body: NewAttachment):
    attachment, upload = ticket_logic.create_attachment_upload(
        caller(), ticket_id, file_name=body.file_name, size=body.size, content_type=body.content_type
    )
    view = {
        "id": attachment.attachment_id,
        "s3_key": attachment.s3_key,
        "upload": upload,
        "hint": "POST the file to upload.url with upload.fields, then reference the id in a message.",
    }
    return Response(201, "application/json", json.dumps(view))


@app.post("/tickets/<ticket_id>/resolve")
def resolve(ticket_id: str, body: Resolve) -> dict[str, Any]:
    who = caller()
    ticket_logic.resolve_ticket(who, ticket_id, resolution=body.resolution, preventive_measure=body.preventive_measure)
    return _view(who, ticket_id)


@app.post("/tickets/<ticket_id>/close")
def close(ticket_id: str, body: Reason | None = None) -> dict[str, Any]:
    who = caller()
    ticket_logic.close_ticket(who, ticket_id, reason=body.reason if body else None)
    return _view(who, ticket_id)


@app.post("/tickets/<ticket_id>/reopen")
def reopen(ticket_id: str, body: Reason | None = None) -> dict[str, Any]:
    who = caller()
    ticket_logic.reopen_ticket(who, ticket_id, reason=body.reason if body else None)
    return _view(who, ticket_id)


@app.get("/tasks")
def tasks(
    group: Annotated[str, Query(min_length=1, max_length=64)],
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> dict[str, Any]:
    found, next_cursor = list_queue(caller(), group, limit=limit, cursor=cursor)
    return {"items": [task_view(t) for t in found], "next_cursor": next_cursor}


@app.post("/tasks/<task_id>/take")
def take(task_id: str) -> dict[str, Any]:
    task, ticket = take_task(caller(), task_id)
    return {"task": task_view(task), "ticket": ticket_summary(ticket)}


@app.post("/tasks/<task_id>/complete")
def complete(task_id: str, body: CompleteTask | None = None) -> dict[str, Any]:
    body = body or CompleteTask()
    task = complete_task(caller(), task_id, outcome=body.outcome, note=body.note)
    return {"task": task_view(task)}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)


__all__ = ["PUBLIC_ROUTES", "Unauthorized", "app", "handler"]
