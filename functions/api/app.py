"""The HTTP API Lambda: API Gateway HTTP API (payload v2) -> powertools resolver -> one router per context ->
shared logic. The CDK app deploys `handler`; the local gateway calls it the same way.

Handlers only translate HTTP to calls of the logic layer and back; every rule lives in shared/. Each context
declares its routes on its own router (functions/api/<context>.py); this module answers /health and the API's
own documentation, turns domain errors into problem responses, and loads a context's router when a path of
that context is first called (CONTEXTS). Its import (the function's init) starts at the entry point
(functions/entry.py), which assembles the desk every request needs (docs/performance.md, "Cold start").
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from functions import entry
from functions.api import headers
from functions.api.http import problem, query
from functions.api.router import ApiRouter, Route
from shared.platform.errors import DomainError

logger = entry.start("caseway-api")  # the desk assembled in init: every request needs it
app = APIGatewayHttpResolver()
meta = ApiRouter()

# The context routers, in the order they are included (static routes match before dynamic ones, each kind in
# this order, exactly as when every router was included at import).
ROUTER_MODULES: tuple[str, ...] = (
    "functions.api.public",
    "functions.api.tickets",
    "functions.api.tasks",
    "functions.api.catalog",
    "functions.api.figures",
    "functions.api.kb",
    "functions.api.money",
    "functions.api.review",
    "functions.api.channels",
    "functions.api.queues",
    "functions.api.directory",
    "functions.api.plans",
    "functions.api.notifications",
    "functions.api.workspace",
    "functions.api.mail",
)
# A path's first segment -> the routers that declare paths under it (tests/api/test_lazy_routes.py checks the
# table against every declared route). A first segment not listed loads every router, so a router missing here
# is slower to start, never unreachable.
CONTEXTS: dict[str, tuple[str, ...]] = {
    "billing": ("functions.api.money",),
    "catalog": ("functions.api.catalog",),
    "channels": ("functions.api.channels",),
    "contracts": ("functions.api.money",),
    "figures": ("functions.api.figures",),
    "assets": ("functions.api.public",),
    "form": ("functions.api.public",),
    "incidents": ("functions.api.money",),
    "invoices": ("functions.api.money",),
    "kb": ("functions.api.kb",),
    "mail": ("functions.api.mail",),
    "notifications": ("functions.api.notifications",),
    "organisations": ("functions.api.catalog", "functions.api.directory"),
    "people": ("functions.api.directory",),
    "public": ("functions.api.public", "functions.api.tickets", "functions.api.catalog"),
    "replies": ("functions.api.workspace",),
    "reviews": ("functions.api.review",),
    "routing": ("functions.api.queues",),
    "sla": ("functions.api.plans",),
    "services": ("functions.api.public", "functions.api.catalog"),
    "tasks": ("functions.api.tasks", "functions.api.catalog", "functions.api.queues"),
    "tickets": ("functions.api.tickets", "functions.api.catalog", "functions.api.money", "functions.api.workspace"),
}
META_SEGMENTS = frozenset({"health", "openapi.json", "docs"})

_included: dict[str, ApiRouter] = {}
_loading = threading.Lock()  # the local gateway serves requests on threads; Lambda runs one at a time


def load_routers(modules: tuple[str, ...] = ROUTER_MODULES) -> list[ApiRouter]:
    """Include the routers of `modules` (each once, in ROUTER_MODULES order); returns them."""
    with _loading:
        missing = [name for name in ROUTER_MODULES if name in modules and name not in _included]
        for name in missing:
            router = import_module(name).router
            app.include_router(router)
            _included[name] = router
    return [_included[name] for name in ROUTER_MODULES if name in modules]


def routers_for(path: str) -> tuple[str, ...]:
    """The router modules a request path needs."""
    segment = path.lstrip("/").split("/", 1)[0]
    if segment in META_SEGMENTS:
        return ()
    return CONTEXTS.get(segment, ROUTER_MODULES)


def all_routes() -> tuple[Route, ...]:
    """Every route of the API, declared once on its router: the OpenAPI document and the CDK app read them."""
    return tuple(route for router in (meta, *load_routers()) for route in router.declared)


def __getattr__(name: str) -> Any:
    # ROUTES, PUBLIC_ROUTES and ROUTERS load every router: the CDK app, the local gateway and the tests read them.
    if name == "ROUTES":
        return all_routes()
    if name == "PUBLIC_ROUTES":  # reachable without a token; every other route sits behind the JWT authorizer
        return tuple((r.method, r.path) for r in all_routes() if r.public)
    if name == "ROUTERS":
        return (meta, *load_routers())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@meta.declare("GET", "/health", "Liveness check", "meta", public=True)
def health() -> dict[str, str]:
    return {"status": "ok"}


@meta.declare("GET", "/openapi.json", "This API's OpenAPI 3 document", "meta", public=True)
def openapi_document() -> Response:
    from functions.api import openapi  # pydantic's JSON schema: only for the documentation

    return Response(200, "application/json", openapi.document(all_routes()))


@meta.declare(
    "GET",
    "/docs",
    "Interactive API documentation (?format=json: the OpenAPI document)",
    "meta",
    public=True,
    content_type="text/html",
    query=(("format", {"enum": ["html", "json"], "default": "html"}),),
)
def docs() -> Response:
    if query("format", max_length=10) == "json":
        return openapi_document()
    from functions.api import pages  # the documentation page: only when it is asked for

    page, policy = pages.docs_page()
    return Response(200, "text/html; charset=utf-8", page, headers={"Content-Security-Policy": policy})


app.include_router(meta)


@app.exception_handler(DomainError)
def domain_error(error: DomainError) -> Response:
    return problem(error.status, error.title, error.detail, **error.extra)


def aws_failed(error: Exception) -> bool:
    """An AWS call that failed after its retries (throttled, timed out, a transaction cancelled)."""
    module = type(error).__module__.split(".", 1)[0]
    return module in {"botocore", "boto3", "pynamodb"}


@app.exception_handler(Exception)
def crashed(error: Exception) -> Response:
    """A failed AWS call is 503 (what the request wrote is whole: every change is one transaction); any other
    failure is still one problem+json (500), never a bare crash; the log has the traceback. The exception
    classes are told apart by their package, so a cold start imports neither the SDK nor pynamodb."""
    if aws_failed(error):
        logger.exception("an AWS call failed after its retries")
        response = problem(
            503,
            "Service unavailable",
            "The desk could not reach its storage or workflow service just now; try again in a moment "
            "(with the same Idempotency-Key, a retried request is never applied twice).",
        )
        response.headers["Retry-After"] = "1"
        return response
    logger.exception("the request failed")
    return problem(500, "Internal error", "The desk failed to handle this request; it is logged for the operators.")


@app.not_found
def not_found(_: Exception) -> Response:
    event = app.current_event
    return problem(404, "Not found", f"No such endpoint: {event.http_method} {event.path}.")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = str(event.get("rawPath") or "/")
    load_routers(routers_for(path))
    return headers.secure(app.resolve(event, context), path)
