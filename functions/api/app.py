"""The HTTP API Lambda: API Gateway HTTP API (payload v2) -> powertools resolver -> one router per context ->
shared logic. The CDK app deploys `handler`; the local gateway calls it the same way.

Handlers only translate HTTP to calls of the logic layer and back; every rule lives in shared/. Each context
declares its routes on its own router (functions/api/<context>.py); this module includes them all, answers
/health and the API's own documentation, and turns domain errors into problem responses.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from functions.api import catalog, directory, figures, kb, money, plans, public, queues, review, tasks, tickets
from functions.api.http import problem
from functions.api.router import ApiRouter, Route
from shared import desk
from shared.platform.errors import DomainError

desk.assemble()
logger = Logger(service="caseway-api")
app = APIGatewayHttpResolver()
meta = ApiRouter()


@meta.declare("GET", "/health", "Liveness check", "meta", public=True)
def health() -> dict[str, str]:
    return {"status": "ok"}


@meta.declare("GET", "/openapi.json", "This API's OpenAPI 3 document", "meta", public=True)
def openapi_document() -> Response:
    from functions.api import openapi  # pydantic's JSON schema: only for the documentation

    return Response(200, "application/json", openapi.document(ROUTES))


@meta.declare("GET", "/docs", "Interactive API documentation", "meta", public=True, content_type="text/html")
def docs() -> Response:
    from functions.api import openapi  # pydantic's JSON schema: only for the documentation

    return Response(200, "text/html; charset=utf-8", openapi.swagger_page(openapi.document(ROUTES)))


ROUTERS: tuple[ApiRouter, ...] = (
    meta,
    public.router,
    tickets.router,
    tasks.router,
    catalog.router,
    figures.router,
    kb.router,
    money.router,
    review.router,
    queues.router,
    directory.router,
    plans.router,
)
for context_router in ROUTERS:
    app.include_router(context_router)

# Every route of the API, declared once on its router: the OpenAPI document and the CDK app read them.
ROUTES: tuple[Route, ...] = tuple(route for router in ROUTERS for route in router.declared)
# Routes reachable without a token; every other route sits behind the Cognito JWT authorizer.
PUBLIC_ROUTES: tuple[tuple[str, str], ...] = tuple((r.method, r.path) for r in ROUTES if r.public)


@app.exception_handler(DomainError)
def domain_error(error: DomainError) -> Response:
    return problem(error.status, error.title, error.detail, **error.extra)


@app.not_found
def not_found(_: Exception) -> Response:
    event = app.current_event
    return problem(404, "Not found", f"No such endpoint: {event.http_method} {event.path}.")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
