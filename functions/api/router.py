"""Every HTTP route is declared once, on its context's router: the declaration registers the handler with
powertools, feeds the OpenAPI document, and says whether the route is public (the CDK app and the local
gateway read PUBLIC_ROUTES, collected from the routers by functions.api.app).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.http import parse_body


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
            self.declared.append(
                Route(method, path, name or fn.__name__, summary, tag, bodies=bodies, path_params=params, **options)
            )
            self.route(re.sub(r"\{([a-z_]+)\}", r"<\1>", path), method)(fn)
            return fn

        return register

    def body(self, model_name: str, *, optional: bool = False) -> Any:
        """The request body validated by the model `model_name` of this router's bodies module."""
        if self.bodies is None:
            raise LookupError(f"this router declares no request bodies ({model_name})")
        return parse_body(getattr(import_module(self.bodies), model_name), optional=optional)
