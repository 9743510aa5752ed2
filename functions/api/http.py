"""HTTP helpers every router uses: the request being served, problem responses (RFC 9457), JSON responses,
the request body validated by its pydantic model, query parameters and request headers.

Nothing here knows a route or the logic layer; the routers import these helpers, never the other way.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from shared.platform.errors import BadRequest, PayloadTooLarge, Unprocessable, UnsupportedMediaType

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

MAX_BODY_BYTES = 256 * 1024

LIST_QUERY: tuple[tuple[str, dict[str, Any]], ...] = (
    ("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
    ("cursor", {"type": "string", "description": "next_cursor of the previous page"}),
)


def event() -> APIGatewayProxyEventV2:
    """The request being served: the resolver sets it for itself and every included router."""
    return BaseRouter.current_event  # type: ignore[return-value]


# --- responses -----------------------------------------------------------------------------------


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """Every error has this one shape: application/problem+json (RFC 9457)."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    current = getattr(BaseRouter, "current_event", None)
    if current is not None:
        body["instance"] = current.path
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(status_code=status, content_type="application/problem+json", body=json.dumps(body))


def json_response(status: int, view: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, "application/json", json.dumps(view), headers=headers or {})


def created(view: dict[str, Any], replayed: bool) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return json_response(200 if replayed else 201, view, headers)


# --- the request ---------------------------------------------------------------------------------


def parse_body(model: Any, *, optional: bool = False) -> Any:
    """The JSON body validated by its pydantic model; 400 if it is not JSON, 422 naming bad fields."""
    request = event()
    text = request.body or ""
    if request.decoded_body and request.is_base64_encoded:
        text = request.decoded_body
    if len(text.encode()) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            f"Request bodies can be at most {MAX_BODY_BYTES // 1024} KB; "
            "upload files as attachments (POST /tickets/{id}/attachments)."
        )
    content_type = (request.headers or {}).get("content-type", "application/json")
    if text and "json" not in content_type.split(";")[0]:
        raise UnsupportedMediaType(f"Send JSON (Content-Type: application/json), not {content_type}.")
    from pydantic import ValidationError  # loaded with the first request body, not at cold start

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
    value = event().get_query_string_value(name, default)
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


def idempotency_key() -> str | None:
    return (event().headers or {}).get("idempotency-key")


def source_ip() -> str:
    return event().request_context.http.source_ip or "unknown"
