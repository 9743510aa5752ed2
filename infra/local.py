"""The local stack (`caseway local`, `make run`): the whole helpdesk on 127.0.0.1 with AWS emulated by moto.

- moto runs in server mode on its own port (printed, so `aws --endpoint-url ...` works against it);
- a small gateway plays API Gateway: it turns HTTP requests into HTTP API (payload v2) events, checks
  bearer tokens like the Cognito JWT authorizer, and calls the same Lambda handler as the cloud;
- routes run on moto's Step Functions interpreter with their Lambda steps dispatched in-process;
- local-only endpoints: GET /local/token?user=<email> and GET /local/mailbox.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infra import fake_aws

LOCAL_JWT_SECRET = secrets.token_hex(32)
LOCAL_ISSUER = "https://cognito-idp.local/caseway-local"
LOCAL_AUDIENCE = "caseway-local-portal"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def issue_token(claims: dict[str, Any], ttl: int = 12 * 3600) -> str:
    import jwt

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
    import jwt

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


def _route_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$")


class Gateway:
    """Plays API Gateway in front of the API Lambda handler."""

    def __init__(self) -> None:
        from functions.api import app

        self.api = app
        self.public = [(method, _route_pattern(path)) for method, path in app.PUBLIC_ROUTES]

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

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        path = raw_path.partition("?")[0]
        claims = None
        if not self.is_public(method, path):
            auth = headers.get("authorization", "")
            if auth:
                token = auth.removeprefix("Bearer ").strip()
                try:
                    claims = verify_token(token)
                except Exception as error:
                    return _problem(401, "Authentication required", f"The bearer token was refused: {error}.")
        event = self.event(method, raw_path, headers, body, source_ip, claims)
        result = self.api.handler(event, fake_aws.LambdaContext())
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        out_headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for cookie in result.get("cookies") or []:
            out_headers.setdefault("set-cookie", cookie)
        return int(result.get("statusCode", 200)), out_headers, data


def _problem(status: int, title: str, detail: str) -> tuple[int, dict[str, str], bytes]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return status, {"content-type": "application/problem+json"}, json.dumps(body).encode()


def make_http_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    from infra import aws_emulation, demo

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

        def _local(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes] | None:
            if path == "/local/token":
                email = (query.get("user") or [""])[0]
                user = demo.user_by_email(email)
                if user is None:
                    known = ", ".join(u["email"] for u in demo.DEMO_USERS)
                    return _problem(404, "Not found", f"No demo user {email!r}. Demo users: {known}.")
                body = {"token": issue_token(demo.claims_for(user)), "claims": demo.claims_for(user)}
                return 200, {"content-type": "application/json"}, json.dumps(body).encode()
            if path == "/local/mailbox":
                to = (query.get("to") or [None])[0]
                mails = [m for m in aws_emulation.sent_emails() if not to or to.lower() in [t.lower() for t in m["to"]]]
                return 200, {"content-type": "application/json"}, json.dumps({"items": mails}).encode()
            if path == "/local/schedules":
                from shared.schedules import SCHEDULES

                items = [
                    {"name": s.name, "expression": s.expression, "timezone": s.timezone, "description": s.description}
                    for s in SCHEDULES
                ]
                return 200, {"content-type": "application/json"}, json.dumps({"items": items}).encode()
            if path == "/":
                return 302, {"location": "/form"}, b""
            return None

        def _fire(self, path: str) -> tuple[int, dict[str, str], bytes] | None:
            """POST /local/schedules/<name>: fire a schedule now (what EventBridge Scheduler does on time)."""
            if not path.startswith("/local/schedules/"):
                return None
            name = path.rsplit("/", 1)[1]
            try:
                result = aws_emulation.fire_schedule(name)
            except KeyError as error:
                return _problem(404, "Not found", str(error).strip("'\""))
            return 200, {"content-type": "application/json"}, json.dumps({"schedule": name, "result": result}).encode()

        def _dispatch(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            if self.command == "GET":
                local = self._local(path, urllib.parse.parse_qs(query))
            else:
                local = self._fire(path) if self.command == "POST" else None
            if local is not None:
                self._send(*local)
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                self._send(*gateway.handle(self.command, self.path, headers, body, self.client_address[0]))
            except Exception as error:  # the Lambda crashing: API Gateway answers 500
                sys.stderr.write(f"handler error: {error!r}\n")
                self._send(*_problem(500, "Internal error", "The handler failed; see the local stack's log."))

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    return Handler


class LocalStack:
    """Start and stop everything: moto server, resources, demo data, gateway."""

    def __init__(self, port: int = 8000, moto_port: int | None = None, seed: bool = True) -> None:
        self.port = port
        self.moto_port = moto_port or free_port()
        self.seed = seed
        self.moto = None
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def start(self) -> LocalStack:
        if not port_is_free(self.port):
            raise SystemExit(f"Port {self.port} on 127.0.0.1 is already in use; stop what uses it or set PORT=...")
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MOTO_PORT": str(self.moto_port),
            "AWS_ENDPOINT_URL": self.moto_url,
            "CASEWAY_PUBLIC_BASE_URL": self.url,
        }.items():
            os.environ[key] = value
        import logging

        from moto.server import ThreadedMotoServer

        from infra import aws_emulation

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self.moto.start()
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - our own loopback moto server
            f"{self.moto_url}/moto-api/config",
            method="POST",
            data=json.dumps(aws_emulation.MOTO_CONFIG).encode(),
            headers={"content-type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 - our own loopback moto server
        aws_emulation.install_lambda_dispatcher()
        aws_emulation.provision()
        if self.seed:
            from infra import demo

            demo.seed()
        self.scheduler = aws_emulation.Scheduler()
        self.scheduler.start()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), make_http_handler(Gateway()))
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, name="caseway-gateway", daemon=True).start()
        return self

    def stop(self) -> None:
        if getattr(self, "scheduler", None):
            self.scheduler.stop()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.moto:
            self.moto.stop()


def banner(stack: LocalStack) -> str:
    from infra import demo

    lines = [
        f"Caseway is running on {stack.url}",
        f"  web form      {stack.url}/form",
        f"  API docs      {stack.url}/docs   (OpenAPI: {stack.url}/openapi.json)",
        f"  mailbox       {stack.url}/local/mailbox",
        f"  schedules     {stack.url}/local/schedules   (fire now: POST /local/schedules/<name>)",
        f"  emulated AWS  {stack.moto_url}   (aws --endpoint-url {stack.moto_url} dynamodb list-tables)",
        "",
        "Demo users (get a token: curl '" + stack.url + "/local/token?user=<email>'):",
    ]
    lines += [f"{u['email']} {u['role'].value}" for u in demo.DEMO_USERS]
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines)


def run(port: int) -> None:
    stack = LocalStack(port=port).start()
    print(banner(stack), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()
