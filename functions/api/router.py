"""Every HTTP route is declared once, on its context's router: the declaration registers the handler with
powertools, feeds the OpenAPI document, and says who may call it: `public=True` (the CDK app and the local
gateway read PUBLIC_ROUTES, collected from the routers by functions.api.app), or the `roles` it serves and the
`resource` its path names.

The door is checked before the handler reads anything of the request (authorization before validation):
- no token: 401, a role the route does not serve: 403, from the token's claims alone, before the body or
  query is parsed and before any data is read;
- a request refused for its body or query (400, 413, 415, 422) whose path names a resource the caller may not
  see or act on answers as that resource's check does (another organisation's ticket: 404; a task of a group
  the agent is not in: 403), never with the rules of the body. A request the handler accepts has passed the
  logic's own check of the resource (every logic function checks it before acting), so the accepted path
  pays no extra read for it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.http import parse_body
from shared.platform.domain import Role
from shared.platform.errors import BadRequest, Forbidden, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from shared.platform.identity import Caller

# Who a route serves (Route.roles). An organisation's admin is a customer: "customer" admits admins too.
CUSTOMER, ORG_ADMIN, AGENT, MANAGER = "customer", "org_admin", "agent", "manager"
STAFF = (AGENT, MANAGER)
SIGNED_IN = (CUSTOMER, AGENT, MANAGER)
ROLES = (CUSTOMER, ORG_ADMIN, AGENT, MANAGER)
_ROLE_WORDS = {CUSTOMER: "customers", ORG_ADMIN: "organisation admins", AGENT: "agents", MANAGER: "managers"}
_ARTICLE = {Role.CUSTOMER: "a", Role.AGENT: "an", Role.MANAGER: "a", Role.SYSTEM: "the"}

# What a route's path may name (Route.resource); functions.api.callers.RESOURCES checks each (a test keeps the
# two equal). The checks load the logic layer, so the router imports them only when a request arrives.
RESOURCE_KINDS = frozenset({"ticket", "own_ticket", "task", "person", "organisation", "invoice"})

# Refusals for the request's body or query: they never tell a caller more than the resource's own check.
VALIDATION_ERRORS = (BadRequest, Unprocessable, PayloadTooLarge, UnsupportedMediaType)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI style: /tickets/{ticket_id}
    name: str
    summary: str
    tag: str
    public: bool = False
    body: str | None = None  # name of the pydantic model in `bodies`
    bodies: str | None = None  # the module of the router's request bodies
    body_optional: bool = False
    query: tuple[tuple[str, dict[str, Any]], ...] = ()
    status: int = 200
    idempotent: bool = False
    content_type: str = "application/json"
    path_params: tuple[str, ...] = field(default=())
    roles: tuple[str, ...] = ()  # who the route serves (ROLES); () on a non-public route: any signed-in caller
    resource: str | None = None  # what its path names, checked before a body or query refusal: RESOURCE_KINDS
    hint: str | None = None  # what a caller the route does not serve can do instead (added to the 403)

    def __post_init__(self) -> None:
        unknown = set(self.roles) - set(ROLES)
        if unknown:
            raise ValueError(f"{self.method} {self.path}: unknown roles {sorted(unknown)}; roles are {ROLES}")
        if self.resource is not None and self.resource not in RESOURCE_KINDS:
            raise ValueError(f"{self.method} {self.path}: unknown resource {self.resource!r}")
        if self.public and self.roles:
            raise ValueError(f"{self.method} {self.path}: a public route serves anyone; it declares no roles")

    def admits(self, who: Caller) -> bool:
        """Whether the route serves this signed-in caller's role (from the token's claims alone)."""
        if not self.roles:
            return True
        if who.role == Role.CUSTOMER:
            return CUSTOMER in self.roles or (ORG_ADMIN in self.roles and who.is_org_admin)
        return who.role.value in self.roles or who.role == Role.SYSTEM

    def refusal(self, who: Caller) -> str:
        served = " and ".join(_ROLE_WORDS[r] for r in self.roles)
        what = "an organisation admin" if who.is_org_admin else f"{_ARTICLE[who.role]} {who.role.value}"
        return f"{self.method} {self.path} is for {served}; you are signed in as {what}." + (
            f" {self.hint}" if self.hint else ""
        )

    @property
    def openapi_path(self) -> str:
        return self.path

    def body_model(self) -> Any:
        """The pydantic model of the request body (imports the bodies module)."""
        if self.body is None or self.bodies is None:
            raise LookupError(f"{self.method} {self.path} takes no request body")
        return getattr(import_module(self.bodies), self.body)


class ApiRouter(Router):
    """One context's routes. `bodies` names the module of its request bodies: it is imported on the first
    request with a body, because building pydantic models is most of a cold start's import time."""

    def __init__(self, bodies: str | None = None) -> None:
        super().__init__()
        self.bodies = bodies
        self.declared: list[Route] = []

    def declare(
        self, method: str, path: str, summary: str, tag: str, *, name: str | None = None, **options: Any
    ) -> Callable:
        """Declare a route served by the decorated function; `name` is its OpenAPI operationId (default: the
        function's name), so one function can serve two paths."""

        def register(fn: Callable) -> Callable:
            params = tuple(re.findall(r"\{([a-z_]+)\}", path))
            bodies = self.bodies if options.get("body") else None
            route = Route(method, path, name or fn.__name__, summary, tag, bodies=bodies, path_params=params, **options)
            self.declared.append(route)
            self.route(re.sub(r"\{([a-z_]+)\}", r"<\1>", path), method)(guarded(route, fn))
            return fn

        return register

    def body(self, model_name: str, *, optional: bool = False) -> Any:
        """The request body validated by the model `model_name` of this router's bodies module."""
        if self.bodies is None:
            raise LookupError(f"this router declares no request bodies ({model_name})")
        return parse_body(getattr(import_module(self.bodies), model_name), optional=optional)


def guarded(route: Route, fn: Callable) -> Callable:
    """The handler behind the route's door (the module's doc): the role first, the resource before any refusal
    of the body or query."""
    if route.public:
        return fn

    @functools.wraps(fn)
    def handler(**path: str) -> Any:
        from functions.api import callers  # the token's caller and the resource checks: at the first request

        who = callers.caller()  # 401 without a token, 403 without a role
        if not route.admits(who):
            raise Forbidden(route.refusal(who))
        try:
            return fn(**path)
        except VALIDATION_ERRORS:
            if route.resource is not None:
                callers.check_resource(route.resource, who, path)
            raise

    return handler
