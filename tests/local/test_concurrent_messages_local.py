"""Appends commute over real HTTP: 50 customer messages sent at once to one ticket of `caseway local`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra.local.stack import DEMO_TICKETS_ENV, free_port
from tests.local.test_scenario_local_stack import ROOT, Http

MESSAGES = 50
# 16 connections at once send the 50 messages. The emulated table applies one request at a time and each message
# also runs the route worker's refresh in-process (seconds a message on a loaded 2-core machine), so the last of
# 50 simultaneous connections would wait minutes. http.server listens with a backlog of 5 (resets from about 16
# connections at once): this test's server listens with a longer one until the local gateway's own does.
SENDERS = 16
WAIT_S = 300
BACKLOG = 64
START = (
    "import socketserver, sys; socketserver.TCPServer.request_queue_size = {backlog}; "
    "from infra.local.cli import main; sys.exit(main(['local', '--port', '{port}']))"
)


@pytest.fixture(scope="module")
def stack() -> Iterator[Http]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env[DEMO_TICKETS_ENV] = "0"  # only this test's ticket
    code = START.format(backlog=BACKLOG, port=port)
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith("Press Ctrl-C"):
            break
    if not lines or not lines[-1].startswith("Press Ctrl-C"):
        process.kill()
        pytest.fail("the local stack did not start:\n" + "\n".join(lines))
    yield Http(f"http://127.0.0.1:{port}")
    process.terminate()
    process.wait(timeout=20)


def _send(http: Http, path: str, body: dict, token: str) -> tuple[int, str]:
    request = urllib.request.Request(
        http.base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=WAIT_S) as response:
            return response.status, response.read().decode()[:300]
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()[:300]
    except OSError as error:  # a refused, reset or timed-out connection is an error of the desk, like a 5xx
        return 0, repr(error)


def test_fifty_concurrent_customer_messages_over_http_are_all_stored(stack):
    http = stack
    bob, lena = http.token("bob@acme.example"), http.token("lena.l1@caseway.example")
    question = {
        "service": "functionality-question",
        "subject": "Report totals differ",
        "description": "The monthly total differs from the sum of the rows.",
        "fields": {"problem": "Totals differ", "contact": "+420 123 456 789"},
    }
    status, ticket = http("POST", "/tickets", question, bob)
    assert status == 201, ticket
    # The agent answers, so the first customer message moves the ticket back to in progress (a real conflict)
    deadline = time.monotonic() + 30
    task = None
    while task is None and time.monotonic() < deadline:
        _, queue = http("GET", "/tasks?group=L1", token=lena)
        task = next((t for t in queue["items"] if t["ticket_id"] == ticket["id"]), None)
        time.sleep(0.2)
    assert task is not None, "the route did not create the L1 task"
    assert http("POST", f"/tasks/{task['id']}/take", token=lena)[0] == 200
    status, answered = http("POST", f"/tickets/{ticket['id']}/messages", {"body": "Which month?"}, lena)
    assert status == 201 and answered["ticket"]["status"] == "waiting_for_customer", answered

    path = f"/tickets/{ticket['id']}/messages"
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        replies = list(pool.map(lambda n: _send(http, path, {"body": f"over http {n}"}, bob), range(MESSAGES)))

    failed = [r for r in replies if r[0] != 201]
    assert failed == [], f"{len(failed)} of {MESSAGES} failed, e.g. {failed[:3]}"
    status, seen = http("GET", f"/tickets/{ticket['id']}", token=bob)
    bodies = sorted(m["body"] for m in seen["messages"] if m["body"].startswith("over http "))
    assert bodies == sorted(f"over http {n}" for n in range(MESSAGES))
    assert seen["status"] == "in_progress"
    changes = [e["summary"] for e in seen["history"] if e["type"] == "StatusChanged"]
    moved = [summary for summary in changes if "waiting for customer to in progress" in summary]
    assert len(moved) == 1, changes
