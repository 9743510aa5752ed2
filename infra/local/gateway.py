"""Plays API Gateway's HTTP API in front of the API Lambda handler: builds the payload v2 event from an HTTP
request, checks bearer tokens as the Cognito JWT authorizer does (tokens signed by a per-process key), and
answers CORS as the stage's CORS configuration makes API Gateway answer (infra.stages: CORS_*): preflights
itself, and the allow-origin and exposed headers on every answer to an allowed origin."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from typing import Any

import jwt

from functions.api import app
from infra import stages
from infra.local import emulation, fake_aws

LOCAL_JWT_SECRET = secrets.token_hex(32)
LOCAL_ISSUER = "https://cognito-idp.local/caseway-local"
LOCAL_AUDIENCE = "caseway-local-portal"

Response = tuple[int, dict[str, str], bytes]


def issue_token(claims: dict[str, Any], ttl: int = 12 * 3600) -> str:
    now = int(time.time())
    payload = {
        **claims,
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_AUDIENCE,
        "iat": now,
        "exp": now + ttl,
        "auth_time": now,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(payload, LOCAL_JWT_SECRET, algorithm="HS256")


def verify_token(token: str) -> dict[str, Any]:
    return jwt.decode(token, LOCAL_JWT_SECRET, algorithms=["HS256"], audience=LOCAL_AUDIENCE, issuer=LOCAL_ISSUER)


def gateway_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """HTTP API's JWT authorizer passes claims as strings, flattening arrays to "[a b]"."""
    out = {}
    for key, value in claims.items():
        if isinstance(value, list):
            out[key] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            out[key] = str(value) if not isinstance(value, str) else value
    return out


def problem(status: int, title: str, detail: str) -> Response:
    """An RFC 9457 problem answered by the gateway itself (the handler never ran)."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    headers = {"content-type": "application/problem+json", "x-content-type-options": "nosniff"}
    return status, headers, json.dumps(body).encode()


def _route_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$")


class Gateway:
    """Plays API Gateway in front of the API Lambda handler."""

    def __init__(self, cors_origins: tuple[str, ...] | None = None) -> None:
        self.api = app
        # One request at a time through the handler, as one Lambda instance serves one request at a time: powertools
        # keeps the request being served in class-level state (BaseRouter.current_event), so two requests on two
        # server threads at once read each other's caller, body and query.
        self._one_request = threading.Lock()
        self.public = [(method, _route_pattern(path)) for method, path in app.PUBLIC_ROUTES]
        self.cors_origins = cors_origins or (stages.LOCAL_DEV_ORIGIN,)

    def cors(self, headers: dict[str, str]) -> dict[str, str]:
        """The CORS headers API Gateway adds to an answer to this request (none unless its Origin is allowed)."""
        origin = headers.get("origin")
        if origin not in self.cors_origins:
            return {}
        return {
            "access-control-allow-origin": origin,
            "access-control-expose-headers": ",".join(stages.CORS_EXPOSED_HEADERS),
            "vary": "origin",
        }

    def preflight(self, headers: dict[str, str]) -> Response:
        """OPTIONS: API Gateway answers a CORS preflight itself, 204, without calling the Lambda; the allow
        headers only for an allowed origin asking for an allowed method."""
        out = self.cors(headers)
        asked = headers.get("access-control-request-method", "").upper()
        if out and asked in stages.CORS_METHODS:
            out.pop("access-control-expose-headers")
            out.update(
                {
                    "access-control-allow-methods": ",".join(stages.CORS_METHODS),
                    "access-control-allow-headers": ",".join(stages.CORS_HEADERS),
                    "access-control-max-age": str(stages.CORS_MAX_AGE_SECONDS),
                }
            )
        else:
            out = {}
        return 204, out, b""

    def is_public(self, method: str, path: str) -> bool:
        return any(m == method and p.match(path) for m, p in self.public) or path.startswith("/docs")

    def event(
        self,
        method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str,
        claims: dict[str, Any] | None,
    ) -> dict[str, Any]:
        path, _, query = raw_path.partition("?")
        params = {k: ",".join(v) for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        text = body.decode("utf-8", errors="replace") if body else None
        now = time.time()
        context: dict[str, Any] = {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        }
        if claims is not None:
            context["authorizer"] = {"jwt": {"claims": gateway_claims(claims), "scopes": None}}
        return {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "queryStringParameters": params or None,
            "requestContext": context,
            "body": text,
            "isBase64Encoded": False,
        }

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str) -> Response:
        path = raw_path.partition("?")[0]
        claims = None
        if not self.is_public(method, path):
            auth = headers.get("authorization", "")
            if auth:
                token = auth.removeprefix("Bearer ").strip()
                try:
                    claims = verify_token(token)
                except Exception as error:
                    status, out, text = problem(
                        401, "Authentication required", f"The bearer token was refused: {error}."
                    )
                    return status, {**out, **self.cors(headers)}, text
        event = self.event(method, raw_path, headers, body, source_ip, claims)
        with self._one_request:
            if emulation.REHEARSAL is not None:  # the API function's own process (infra/rehearsal/runner.py)
                try:
                    result = emulation.call(f"{emulation.FUNCTION_PREFIX}api", event)
                except RuntimeError:  # the invocation failed: API Gateway answers 500, the record names why
                    return 500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}'
            else:
                result = self.api.handler(event, fake_aws.LambdaContext())
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        out_headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for cookie in result.get("cookies") or []:
            out_headers.setdefault("set-cookie", cookie)
        out_headers.update(self.cors(headers))
        return int(result.get("statusCode", 200)), out_headers, data
