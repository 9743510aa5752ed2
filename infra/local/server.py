"""The local stack's HTTP server: the local-only endpoints, everything else through the gateway to the API handler.

- the web app (infra/site.py, infra/local/site.py): `/` and `/app/*` answer its index.html, `/static/*` its built
  files, `/config.json` its local configuration;
- GET /local/users: the demo users the app's local sign-in page lists;
- GET /local/token?user=<email>[&use=access]: an ID (or access) token for a demo user or a person invited
  through the API, with the claims Cognito and the pre-token trigger would give it;
- POST /local/oauth2/token: a machine client's access token (client credentials), as Cognito's token endpoint;
- GET /local/mailbox[?to=<address>]: what SES sent, as JSON with full headers and both bodies, or as a readable page
  for a browser (infra/local/mailbox.py);
- GET /local/schedules, POST /local/schedules/<name>: the schedules, and firing one now;
- GET /local/demo: how far the demo tickets are (infra/local/demo/tickets.py); while they are being prepared, the
  API and the other local endpoints answer 503 (the web app's files and GET /local/users do not wait).

Like API Gateway in front of it, the server holds many connections at once (a thread each, a deep listen
backlog), answers HEAD as GET without the body, answers CORS preflights (OPTIONS) as the stage's CORS
configuration says, and refuses a method the API has no route for with a 405 problem, never an HTML page.

Telegram (infra/local/telegram.py) answers first: POST /telegram/webhook (the bot's webhook function, as the cloud's
route), the fake Bot API under /local/telegram/bot<token>/, and /local/telegram, where you play the Telegram user.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infra import site
from infra.local import demo, emulation, mailbox, tokens
from infra.local import site as local_site
from infra.local import telegram as local_telegram
from infra.local.demo.tickets import Progress
from infra.local.gateway import Gateway, Response, issue_token, problem


def local_get(path: str, query: dict[str, list[str]], accept: str = "") -> Response | None:
    """The answer to a local-only GET (the web app's files included), or None when `path` is the API's."""
    if site.is_site_path(path):
        return local_site.answer(path)
    if path == "/local/users":
        users = [
            {
                "email": u["email"],
                "name": u["name"],
                "role": str(u["role"]),
                "organisation_id": u.get("organisation_id"),
                "org_admin": bool(u.get("org_admin")),
            }
            for u in demo.DEMO_USERS
        ]
        return 200, {"content-type": "application/json"}, json.dumps({"items": users}).encode()
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
    if path == "/local/mailbox" or path.startswith(("/local/mailbox/", "/local/mailbox.")):
        return mailbox.answer(path, query, accept, emulation.sent_messages())
    if path == "/local/schedules":
        items = [
            {"name": s.name, "expression": s.expression, "timezone": s.timezone, "description": s.description}
            for s in emulation.schedules()
        ]
        return 200, {"content-type": "application/json"}, json.dumps({"items": items}).encode()
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
    except RuntimeError as error:  # the function failed: say so, rather than drop the connection
        return problem(500, "The schedule's function failed", str(error))
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


# The methods the API's routes and the local endpoints answer; HEAD is GET without the body, OPTIONS a preflight.
METHODS = ("GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS")
NOSNIFF = {"x-content-type-options": "nosniff"}


class DeskServer(ThreadingHTTPServer):
    """A thread per connection (daemon threads: stopping the stack never waits for an idle keep-alive), and a
    listen backlog deep enough for a burst of connections: the default of 5 resets about the 20th."""

    request_queue_size = 256
    daemon_threads = True
    allow_reuse_address = True
    demo_progress: Progress | None = None


def make_server(
    port: int, gateway: Gateway, host: str = "127.0.0.1", demo_progress: Progress | None = None
) -> DeskServer:
    server = DeskServer((host, port), make_http_handler(gateway))
    server.demo_progress = demo_progress
    return server


def demo_answer(progress: Progress | None, method: str, path: str) -> Response | None:
    """GET /local/demo, and the 503 of any other request but the web app's files while the demo is prepared."""
    if path == "/local/demo" and method == "GET":
        view = progress.view() if progress is not None else {"state": "ready", "tickets": []}
        return 200, {"content-type": "application/json"}, json.dumps(view).encode()
    if progress is None or not progress.preparing or site.is_site_path(path) or path == "/local/users":
        return None
    status, headers, body = problem(
        503,
        "The demo desk is being prepared",
        f"The demo tickets are being worked through the desk ({progress.done} of {progress.total} steps done): "
        "try again in a few seconds; GET /local/demo says when it is ready.",
    )
    return status, {**headers, "retry-after": "5"}, body


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
            if self.command != "HEAD":  # HEAD: GET's headers, Content-Length included, without the body
                self.wfile.write(body)

        def _body(self) -> bytes:
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""

        def _dispatch(self) -> None:
            body = self._body()
            method = "GET" if self.command == "HEAD" else self.command
            path, _, query = self.path.partition("?")
            headers = {k.lower(): v for k, v in self.headers.items()}
            if method == "OPTIONS":
                self._send(*gateway.preflight(headers))
                return
            telegram = local_telegram.answer(gateway, method, self.path, headers, body, self.client_address[0])
            if telegram is not None:  # the bot's webhook, the fake Bot API and /local/telegram
                self._send(*telegram)
                return
            waiting = demo_answer(getattr(self.server, "demo_progress", None), method, path)
            if waiting is not None:
                self._send(*waiting)
                return
            if method == "GET":
                local = local_get(path, urllib.parse.parse_qs(query), headers.get("accept", ""))
            elif method == "POST" and path == "/local/oauth2/token":
                local = local_oauth_token(headers, body)
            else:
                local = local_post(path) if method == "POST" else None
            if local is not None:
                status, out, text = local
                self._send(status, {**NOSNIFF, **out}, text)
                return
            try:
                answer = gateway.handle(method, self.path, headers, body, self.client_address[0])
            except Exception as error:  # the Lambda crashing: API Gateway answers 500
                sys.stderr.write(f"handler error: {error!r}\n")
                answer = problem(500, "Internal error", "The handler failed; see the local stack's log.")
            try:
                self._send(*answer)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client left before the answer: nothing to tell it

        def _not_allowed(self) -> None:
            self._body()  # read what was sent, so the connection stays usable
            status, out, text = problem(
                405, "Method not allowed", f"The API answers {', '.join(METHODS)}; not {self.command}."
            )
            self._send(status, {**out, "allow": ", ".join(METHODS)}, text)

        def __getattr__(self, name: str) -> Any:
            # http.server looks up do_<METHOD>: every method without a route is 405, not its 501 HTML page
            if name.startswith("do_"):
                return self._not_allowed
            raise AttributeError(name)

        do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = _dispatch

    return Handler
