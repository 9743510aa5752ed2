"""The local gateway's HTTP server (infra/local/server.py): a burst of connections, HEAD, CORS preflights as the
stage's CORS configuration makes API Gateway answer them, and methods without a route. Requests here need no AWS
(/health, /docs, /form's redirect, a preflight), so the server runs with the gateway alone."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator

import pytest

from infra import stages
from infra.local.gateway import Gateway
from infra.local.server import DeskServer, make_server

PORTAL = stages.LOCAL_DEV_ORIGIN
CONNECTIONS = 64


@pytest.fixture(scope="module")
def server() -> Iterator[DeskServer]:
    httpd = make_server(0, Gateway())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def call(server: DeskServer, method: str, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    conn.request(method, path, headers=headers or {})
    reply = conn.getresponse()
    reply.read()
    conn.close()
    return reply


def test_64_connections_at_once_are_all_answered_without_a_reset(server):
    port = server.server_address[1]
    start = threading.Barrier(CONNECTIONS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()  # every client connects in the same instant
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: desk\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            outcome = answer.split(b"\r\n", 1)[0].decode()
        except OSError as error:  # ConnectionResetError, ConnectionRefusedError, ...
            outcome = type(error).__name__
        with lock:
            outcomes.append(outcome)

    clients = [threading.Thread(target=one) for _ in range(CONNECTIONS)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=60)
    assert len(outcomes) == CONNECTIONS
    assert outcomes == ["HTTP/1.1 200 OK"] * CONNECTIONS, sorted(set(outcomes))


def test_head_is_get_without_the_body(server):
    got = call(server, "GET", "/docs")
    head = call(server, "HEAD", "/docs")
    assert head.status == got.status == 200
    assert head.getheader("content-length") == got.getheader("content-length") != "0"
    assert head.getheader("content-type") == got.getheader("content-type")
    assert head.getheader("content-security-policy") == got.getheader("content-security-policy")


def test_the_web_forms_old_address_is_a_redirect_the_server_passes_on(server):
    moved = call(server, "GET", "/form?service=document-request")
    assert moved.status == 302
    assert moved.getheader("location").endswith("/app/form")
    assert moved.getheader("x-content-type-options") == "nosniff"


def test_a_preflight_from_the_portal_is_answered_as_the_stages_cors_says(server):
    asked = {"origin": PORTAL, "access-control-request-method": "POST", "access-control-request-headers": "x"}
    reply = call(server, "OPTIONS", "/tickets", asked)
    assert reply.status == 204
    assert reply.getheader("access-control-allow-origin") == PORTAL
    assert reply.getheader("access-control-allow-methods").split(",") == list(stages.CORS_METHODS)
    assert reply.getheader("access-control-allow-headers").split(",") == list(stages.CORS_HEADERS)
    assert reply.getheader("access-control-max-age") == str(stages.CORS_MAX_AGE_SECONDS)
    # Another origin gets no CORS headers, and an answer to the portal exposes the headers it may read
    stranger = call(server, "OPTIONS", "/tickets", {**asked, "origin": "https://evil.example"})
    assert stranger.status == 204 and stranger.getheader("access-control-allow-origin") is None
    health = call(server, "GET", "/health", {"origin": PORTAL})
    assert health.getheader("access-control-allow-origin") == PORTAL
    assert health.getheader("access-control-expose-headers").split(",") == list(stages.CORS_EXPOSED_HEADERS)
    assert call(server, "GET", "/health").getheader("access-control-allow-origin") is None


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "BREW"])
def test_a_method_without_a_route_is_405_problem_json(server, method):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    conn.request(method, "/tickets")
    reply = conn.getresponse()
    problem = json.loads(reply.read())
    conn.close()
    assert reply.status == 405 and reply.getheader("content-type") == "application/problem+json"
    assert problem["status"] == 405 and method in problem["detail"] and "GET" in reply.getheader("allow")
    assert reply.getheader("x-content-type-options") == "nosniff"
