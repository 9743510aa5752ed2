"""The whole helpdesk over real HTTP: `caseway local` on a free port, driven like people would."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local.process import running_stack

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = "new.customer@example.org"


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is answered to the test as it came


class Http:
    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                status = response.status
                kind = response.headers.get("content-type", "")
        except urllib.error.HTTPError as error:
            text, status, kind = error.read().decode(), error.code, error.headers.get("content-type", "")
        return status, (json.loads(text) if "json" in kind and text else {"text": text})

    def redirect(self, path: str) -> tuple[int, str | None]:
        """GET `path` without following a redirect: the status and the Location it names."""
        opener = urllib.request.build_opener(_Stay)
        try:
            with opener.open(self.base + path, timeout=30) as response:
                return response.status, response.headers.get("location")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("location")

    def token(self, email: str) -> str:
        status, body = self("GET", f"/local/token?user={email}")
        assert status == 200, body
        return body["token"]


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Http, list[str]]]:
    with running_stack() as (url, lines):
        yield Http(url), lines


def _poll(fn, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_start_prints_every_demo_user_with_role_and_the_emulated_aws_url(stack):
    _, lines = stack
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("  ") and "@" in line}
    assert rows["alice@acme.example"][:2] == ["customer", "-"]
    assert rows["lena.l1@caseway.example"][:2] == ["agent", "L1"]
    assert rows["maria.manager@caseway.example"][:2] == ["manager", "accounts"]
    assert any("aws --endpoint-url http://127.0.0.1:" in line for line in lines)


def test_a_port_in_use_gives_a_clear_error(stack):
    http, _ = stack
    port = http.base.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "local", "--port", port],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert f"Port {port}" in done.stdout + done.stderr and "already in use" in done.stdout + done.stderr


def test_web_form_ticket_from_submission_to_closing(stack):
    http, _ = stack
    # The web form's address leads to the web app's form, and the catalog it offers is there
    assert http.redirect("/form") == (302, f"{http.base}/app/form")
    status, services = http("GET", "/services")
    assert "functionality-question" in [s["key"] for s in services["items"]]

    # A customer without an account submits the web form
    status, created = http(
        "POST",
        "/public/tickets",
        {
            "service": "functionality-question",
            "email": CUSTOMER,
            "name": "Nora New",
            "subject": "Cannot log in after password change",
            "description": "Since this morning the portal rejects my new password.",
            "fields": {"problem": "Login rejected", "contact": "+420 777 000 111", "reachable_in_an_hour": True},
        },
    )
    assert status == 201, created
    reference, follow = created["reference"], created["follow_url"]
    assert reference.startswith("CW-") and follow

    # L1 takes the task the route created and answers
    lena = http.token("lena.l1@caseway.example")

    def l1_task():
        _, queue = http("GET", "/tasks?group=L1", token=lena)
        return next((t for t in queue["items"] if t["reference"] == reference), None)

    task = _poll(l1_task)
    status, taken = http("POST", f"/tasks/{task['id']}/take", token=lena)
    assert status == 200 and taken["ticket"]["owner"] == "agent-lena"
    ticket_id = task["ticket_id"]
    status, _ = http("POST", f"/tickets/{ticket_id}/messages", {"body": "Please clear the browser cache."}, lena)
    assert status == 201
    http("POST", f"/tickets/{ticket_id}/messages", {"body": "Known SSO cache issue", "internal": True}, lena)

    # The customer replies through the follow link
    status, reply = http("POST", follow.replace("?", "/messages?"), {"body": "Cleared it, still failing."})
    assert status == 201, reply
    assert reply["ticket"]["status"] == "in_progress" and reply["ticket"]["ball_side"] == "us"

    # L1 resolves with the preventive measure; the customer confirms and the ticket closes
    status, resolved = http(
        "POST",
        f"/tickets/{ticket_id}/resolve",
        {"resolution": "Session store flushed for the account", "preventive_measure": "Flush on password change"},
        lena,
    )
    assert status == 200 and resolved["status"] == "resolved", resolved
    status, closed = http("POST", follow.replace("?", "/close?"), {"reason": "Works now, thanks"})
    assert status == 200 and closed["status"] == "closed", closed
    # Closing rotates the follow key: the old link opens nothing, the answer carries the new one
    assert http("GET", follow)[0] == 404
    follow = closed["follow_url"]
    status, rated = http("POST", follow.replace("?", "/feedback?"), {"rating": 5, "comment": "Fast and kind"})
    assert status == 200 and rated["satisfaction"] == {"rating": 5, "comment": "Fast and kind"}, rated

    # The history shows every step; the customer's view hides internal ones
    status, seen = http("GET", follow)
    types = [e["type"] for e in seen["history"]]
    for step in ("TicketSubmitted", "MessageAdded", "TicketResolved", "TicketClosed", "StatusChanged"):
        assert step in types, types
    assert all(not m["internal"] for m in seen["messages"])
    assert "Known SSO cache issue" not in json.dumps(seen)
    status, staff = http("GET", f"/tickets/{ticket_id}", token=lena)
    staff_types = [e["type"] for e in staff["history"]]
    assert {"TaskCreated", "TaskTaken", "TaskCompleted"} <= set(staff_types)
    assert any(m["internal"] for m in staff["messages"])

    # The mailbox shows the customer's e-mails (none about the close the customer made on the page that asked for
    # the rating)
    status, mailbox = http("GET", f"/local/mailbox?to={CUSTOMER}")
    subjects = [m["subject"] for m in mailbox["items"]]
    assert [s.split("]")[1].split(":")[0].strip() for s in subjects] == [
        "Request received",
        "New reply",
        "Resolved",
    ]
    assert all(reference in s for s in subjects)


def test_portal_customer_and_org_admin_over_http(stack):
    http, _ = stack
    bob, alice, vera = (http.token(u) for u in ("bob@acme.example", "alice@acme.example", "vera@globex.example"))
    body = {
        "service": "document-request",
        "subject": "Copy of the October invoice",
        "description": "Our accounting lost it.",
        "fields": {"document_type": "invoice"},
    }
    status, ticket = http("POST", "/tickets", body, bob)
    assert status == 201
    assert http("GET", f"/tickets/{ticket['reference']}", token=bob)[0] == 200
    assert http("GET", f"/tickets/{ticket['id']}", token=vera)[0] == 404
    _, org = http("GET", "/tickets?scope=organisation", token=alice)
    assert ticket["id"] in [t["id"] for t in org["items"]]
    status, problem = http("GET", "/tickets", token="not-a-token")
    assert status == 401 and problem["status"] == 401
    status, docs = http("GET", "/docs")
    assert status == 200 and "swagger" in docs["text"].lower()
    status, spec = http("GET", "/openapi.json")
    assert spec["openapi"].startswith("3.") and "/tickets/{ticket_id}/resolve" in spec["paths"]


def test_the_local_stack_lists_and_fires_the_schedules_the_cloud_would_run(stack):
    http, _ = stack
    status, listed = http("GET", "/local/schedules")
    assert status == 200 and "close-silent-resolved" in [s["name"] for s in listed["items"]]
    status, fired = http("POST", "/local/schedules/close-silent-resolved")
    assert status == 200 and fired["result"] == {"closed": []}
    status, missing = http("POST", "/local/schedules/nope")
    assert status == 404 and "close-silent-resolved" in missing["detail"]


def test_the_web_form_customer_gets_a_follow_page_link_by_email(stack):
    http, _ = stack
    email = "follow.me@example.org"
    status, created = http(
        "POST",
        "/public/tickets",
        {
            "service": "document-request",
            "email": email,
            "subject": "Certificate of insurance",
            "description": "For our auditor.",
            "fields": {"document_type": "certificate"},
        },
    )
    assert status == 201, created
    _, mailbox = http("GET", f"/local/mailbox?to={email}")
    body = mailbox["items"][0]["body"]
    link = next(line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("Follow and reply: "))
    key = created["follow_url"].split("key=")[1]
    # The e-mail opens the ticket's page in the portal, the key in the fragment (never sent to a server)
    assert link == f"{http.base}/app/tickets/{created['id']}#key={key}"
    # An old follow link (the web form's own page, gone with its script) leads to the same page as the e-mail
    assert http.redirect(f"/form?ticket={created['id']}&key={key}") == (302, link)
    status, script = http("GET", "/assets/form.js")
    assert status == 404 and "/app/form" in script["detail"]
