"""The OpenAPI 3 document, generated from the API's declared routes and their pydantic request bodies.

Loaded only when /openapi.json or /docs is asked for.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic.json_schema import models_json_schema

if TYPE_CHECKING:
    from functions.api.router import Route

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}


_CACHE: dict[int, str] = {}


def document(routes: tuple[Route, ...]) -> str:
    key = len(routes)
    if key not in _CACHE:
        _CACHE[key] = _build(routes)
    return _CACHE[key]


def _build(routes: tuple[Route, ...]) -> str:
    models = {r.body: r.body_model() for r in routes if r.body}
    classes = [models[name] for name in sorted(models)]
    _, schemas = models_json_schema([(c, "validation") for c in classes], ref_template="#/components/schemas/{model}")
    components = {"schemas": {**schemas.get("$defs", {}), "Problem": PROBLEM_SCHEMA}}
    components["securitySchemes"] = {
        "cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "Cognito token"}
    }
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        op: dict[str, Any] = {
            "summary": route.summary,
            "operationId": route.name,
            "tags": [route.tag],
            "responses": {
                str(route.status): {"description": "Success", "content": {route.content_type: {}}},
                "default": {
                    "description": "Problem",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            },
        }
        params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in route.path_params]
        params += [{"name": name, "in": "query", "required": False, "schema": schema} for name, schema in route.query]
        if route.idempotent:
            params.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Same key and body returns the first result again; another body is 422.",
                    "schema": {"type": "string", "maxLength": 200},
                }
            )
        if params:
            op["parameters"] = params
        if route.body:
            op["requestBody"] = {
                "required": not route.body_optional,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{route.body}"}}},
            }
        if not route.public:
            op["security"] = [{"cognito": []}]
            if route.roles:  # who the route serves: the router refuses others (401/403) before reading the request
                op["description"] = "For: " + ", ".join(route.roles).replace("_", " ") + "."
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = op
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "Caseway API",
            "version": "0.1.0",
            "description": "Zero-ops helpdesk. Errors are application/problem+json (RFC 9457).",
        },
        "paths": paths,
        "components": components,
    }
    return json.dumps(doc)
