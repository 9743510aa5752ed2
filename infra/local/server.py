"""The local stack's HTTP server: the local-only endpoints, everything else through the gateway to the API handler.

- GET /local/token?user=<email>[&use=access]: an ID (or access) token for a demo user or a person invited
  through the API, with the claims Cognito and the pre-token trigger would give it;
- POST /local/oauth2/token: a machine client's access token (client credentials), as Cognito's token endpoint;
- GET /local/mailbox[?to=<address>]: what SES sent;
- GET /local/schedules, POST /local/schedules/<name>: the schedules, and firing one now.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any

from infra.local import demo, emulation, tokens
from infra.local.gateway import Gateway, Response, issue_token, problem
from shared.platform.schedules import SCHEDULES


def local_get(path: str, query: dict[str, list[str]]) -> Response | None:
    """The answer to a local-only GET, or None when `path` is the API's."""
    if path == "/local/token":
        email = (query.get("user") or [""])[0]
        try:
            claims = tokens.person_claims(email, (query.get("use") or ["id"])[0])
        except tokens.TokenRefused as refused:
            return problem(refused.status, refused.title, refused.detail)
        if claims is None:
            known = ", ".join(u["email"] for u in demo.DEMO_USERS)
            return problem(
                404, "Not found", f"No user {email!r}: invite them (POST /people) or use a demo user: {known}."
            )
        body = {"token": issue_token(claims), "claims": claims}
        return 200, {"content-type": "application/json"}, json.dumps(body).encode()
    if path == "/local/mailbox":
        to = (query.get("to") or [None])[0]
        mails = [m for m in emulation.sent_emails() if not to or to.lower() in [t.lower() for t in m["to"]]]
        return 200, {"content-type": "application/json"}, json.dumps({"items": mails}).encode()
    if path == "/local/schedules":
        items = [
            {"name": s.name, "expression": s.expression, "timezone": s.timezone, "description": s.description}
            for s in SCHEDULES
        ]
        return 200, {"content-type": "application/json"}, json.dumps({"items": items}).encode()
    if path == "/":
        return 302, {"location": "/form"}, b""
    return None


def local_post(path: str) -> Response | None:
    """POST /local/schedules/<name>: fire a schedule now (what EventBridge Scheduler does on time)."""
    if not path.startswith("/local/schedules/"):
        return None
    name = path.rsplit("/", 1)[1]
    try:
        result = emulation.fire_schedule(name)
    except KeyError as error:
        return problem(404, "Not found", str(error).strip("'\""))
    return 200, {"content-type": "application/json"}, json.dumps({"schedule": name, "result": result}).encode()


def local_oauth_token(headers: dict[str, str], body: bytes) -> Response:
    """POST /local/oauth2/token: Cognito's client-credentials grant against the emulated user pool."""
    form = urllib.parse.parse_qs(body.decode("utf-8", errors="replace"))
    try:
        claims = tokens.machine_claims(headers.get("authorization", ""), form)
    except tokens.TokenRefused as refused:
        return problem(refused.status, refused.title, refused.detail)
    answer = {"access_token": issue_token(claims, ttl=3600), "token_type": "Bearer", "expires_in": 3600}
    return 200, {"content-type": "application/json"}, json.dumps(answer).encode()


def make_http_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "caseway-local"

        def log_message(self, fmt: str, *args: Any) -> None:
            if os.environ.get("CASEWAY_ACCESS_LOG"):
                sys.stderr.write(f"{self.address_string()} {fmt % args}\n")

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _dispatch(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            headers = {k.lower(): v for k, v in self.headers.items()}
            if self.command == "GET":
                local = local_get(path, urllib.parse.parse_qs(query))
            elif self.command == "POST" and path == "/local/oauth2/token":
                local = local_oauth_token(headers, body)
            else:
                local = local_post(path) if self.command == "POST" else None
            if local is not None:
                self._send(*local)
                return
            try:
                self._send(*gateway.handle(self.command, self.path, headers, body, self.client_address[0]))
            except Exception as error:  # the Lambda crashing: API Gateway answers 500
                sys.stderr.write(f"handler error: {error!r}\n")
                self._send(*problem(500, "Internal error", "The handler failed; see the local stack's log."))

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    return Handler
