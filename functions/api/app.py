"""The HTTP API Lambda: API Gateway HTTP API (payload v2) -> powertools resolver -> one router per context ->
shared logic. The CDK app deploys `handler`; the local gateway calls it the same way.

Handlers only translate HTTP to calls of the logic layer and back; every rule lives in shared/. Each context
declares its routes on its own router (functions/api/<context>.py); this module answers /health and the API's
own documentation and turns domain errors into problem responses. Everything a request needs is loaded at import,
which is Lambda's init phase: it starts at the entry point (functions/entry.py), which assembles the desk, then
includes every context's router and creates the AWS clients requests use; only the OpenAPI document (/openapi.json,
/docs) is built when it is asked for (docs/performance.md, "Cold start").
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from functions import entry
from functions.api import headers
from functions.api.http import problem, query
from functions.api.router import ApiRouter, Route
from shared.platform import aws
from shared.platform.errors import DomainError
from shared.platform.table import Entity

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
_included: dict[str, ApiRouter] = {}


def load_routers() -> list[ApiRouter]:
    """Every context's router and its request bodies (the pydantic models every write validates), included once in
    ROUTER_MODULES order (the module does it at import: Lambda's init)."""
    for name in ROUTER_MODULES:
        if name not in _included:
            router = import_module(name).router
            if router.bodies:
                import_module(router.bodies)
            app.include_router(router)
            _included[name] = router
    return [_included[name] for name in ROUTER_MODULES]


def all_routes() -> tuple[Route, ...]:
    """Every route of the API, declared once on its router: the OpenAPI document and the CDK app read them."""
    return tuple(route for router in (meta, *load_routers()) for route in router.declared)


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


# The clients of shared/platform/aws.py that nearly every write uses: its counters (dynamodb) and its event on the
# bus (events). The first one also loads what every client of the session shares (the endpoints and partitions).
WRITE_CLIENTS = ("dynamodb", "events")


def connect() -> None:
    """Create the AWS clients requests use, now: the table's (one for every item type, shared/platform/table.py),
    which every request but /health reads the caller's person record with, and WRITE_CLIENTS. Building a client
    (its service's description, the endpoint rules: JSON files botocore parses) was most of what a first request
    still cost once the imports were done. No AWS call is made. A test or the local stack that points the desk at
    other endpoints later gets new clients (table.configure, aws.reset)."""
    Entity._get_connection().connection.client  # noqa: B018 - the property builds the client
    for service in WRITE_CLIENTS:
        aws.client(service)


# Lambda's init phase, with the function's full CPU burst: the desk (assembled by entry.start above: every item type,
# the features its hooks call), every context's router with its request bodies, and the clients requests use, so
# that no request of any context pays for them (docs/performance.md, "Cold start").
connect()
ROUTERS: tuple[ApiRouter, ...] = (meta, *load_routers())
ROUTES: tuple[Route, ...] = all_routes()
# Reachable without a token; every other route sits behind the JWT authorizer.
PUBLIC_ROUTES: tuple[tuple[str, str], ...] = tuple((r.method, r.path) for r in ROUTES if r.public)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return headers.secure(app.resolve(event, context), str(event.get("rawPath") or "/"))
