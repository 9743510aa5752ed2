"""Helpers of the portal's browser tests: the API as staff call it (a demo user's token from the local stack),
the local mailbox, and signing in on the sign-in page the app sent the browser to."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from tests.web.conftest import Browse

BOB = "bob@acme.example"  # Acme customer
ALICE = "alice@acme.example"  # Acme's organisation admin
VERA = "vera@globex.example"  # Globex's organisation admin
LENA = "lena.l1@caseway.example"  # L1 agent
# An Idempotency-Key the app makes (crypto.randomUUID(): a version 4 UUID)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def losing_the_first_answer(keys: list[str], first: dict[str, Any]) -> Callable[[Any], None]:
    """A route handler for page.route: the first POST reaches the API, but its answer is lost on the way back (a
    503); the later ones pass. Keeps each POST's Idempotency-Key in `keys`, the first's real status and body in
    `first`."""

    def handle(route: Any) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) > 1:
            route.fallback()
            return
        answer = route.fetch()
        first.update(status=answer.status, body=answer.json())
        problem = {"type": "about:blank", "title": "Service Unavailable", "status": 503, "detail": "Try again."}
        route.fulfill(status=503, content_type="application/problem+json", body=json.dumps(problem))

    return handle


def call(web: Browse, method: str, path: str, user: str | None = None, body: Any = None) -> Any:
    """The API over HTTP, as `user` (a demo user's ID token from /local/token)."""
    headers = {"content-type": "application/json"}
    if user:
        token = web.context.request.get(f"/local/token?user={user}").json()["token"]
        headers["authorization"] = f"Bearer {token}"
    reply = web.context.request.fetch(path, method=method, headers=headers, data=body)
    assert reply.ok, (method, path, reply.status, reply.text())
    return reply.json() if reply.text() else None


def answer_as_support(web: Browse, reference: str, text: str) -> None:
    call(web, "POST", f"/tickets/{reference}/messages", LENA, {"body": text})


def sign_in_here(web: Browse, email: str) -> None:
    """On the sign-in page the app sent the browser to (keeping where it was going): sign in as `email`."""
    web.page.wait_for_url(re.compile(r"/app/sign-in"))
    web.page.get_by_role("listitem").filter(has_text=email).get_by_role("button").click()
    web.page.wait_for_url(re.compile(r"/app/(?!sign-in)"))


def open_from_nav(web: Browse, name: str, navigation: str = "Main") -> None:
    web.page.get_by_role("navigation", name=navigation).get_by_role("link", name=name).click()


QUESTION = {
    "service": "functionality-question",
    "subject": "Printer driver question",
    "description": "Which driver?",
    "fields": {"problem": "Which driver?", "contact": "+420 1"},
}


def mail_link(web: Browse, to: str, after: int = 0, timeout: float = 15.0) -> str:
    """The ticket link ("Follow and reply: ...") of the newest e-mail to `to`, once there are more than `after`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = call(web, "GET", f"/local/mailbox?to={to}")["items"]
        if len(items) > after:
            body = items[-1]["body"]
            return next(line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("Follow and reply: "))
        time.sleep(0.3)
    raise AssertionError(f"no e-mail to {to}")


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)
