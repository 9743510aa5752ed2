"""`/local/mailbox` over real HTTP against `caseway local`: every sent e-mail as JSON with its full headers and both
bodies, and as a readable page under a strict Content-Security-Policy; the e-mail's link opens the portal page."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import BOB, LENA, QUESTION
from tests.local.process import running_stack

SUBJECT = 'Export <fails> & "quotes"'


def get(base: str, path: str, accept: str = "application/json", token: str | None = None) -> tuple[int, dict, bytes]:
    headers = {"accept": accept, **({"authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def post(base: str, path: str, body: dict, token: str) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def token(base: str, user: str) -> str:
    return json.loads(get(base, f"/local/token?user={quote(user)}")[2])["token"]


def mailbox(base: str, to: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 20
    while True:
        status, headers, body = get(base, f"/local/mailbox?to={quote(to)}")
        assert status == 200 and headers["content-type"] == "application/json"
        items = json.loads(body)["items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.2)


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[str, dict, list[dict]]]:
    """The stack, Bob's ticket, and his two e-mails about it (the confirmation, Lena's reply)."""
    with running_stack() as (base, _):
        ticket = post(base, "/tickets", {**QUESTION, "subject": SUBJECT}, token(base, BOB))
        post(base, f"/tickets/{ticket['id']}/messages", {"body": "Try <b>again</b>."}, token(base, LENA))
        yield base, ticket, mailbox(base, BOB, 2)


def test_the_mailbox_lists_each_email_with_its_full_headers_and_both_bodies(stack):
    _, ticket, mails = stack
    first, second = mails[:2]
    for sent in (first, second):
        headers = sent["headers"]
        assert headers["To"] == BOB and headers["Subject"].startswith(f"[{ticket['reference']}] ")
        assert headers["Message-ID"] == sent["message_id"] and sent["message_id"].endswith(".amazonses.com>")
        # signed with the stack's own generated key (its emulated stage's secret): the address names the ticket
        assert headers["Reply-To"].startswith(f"support+{ticket['reference']}.")
        assert sent["body"] and sent["html"].startswith("<!DOCTYPE html>")
    root = first["headers"]["In-Reply-To"]  # the ticket's thread root (signed with the stack's key), named by each
    assert root.startswith(f"<ticket+{ticket['reference']}.")
    assert first["headers"]["In-Reply-To"] == second["headers"]["In-Reply-To"] == root
    assert first["headers"]["References"] == second["headers"]["References"] == root
    assert "Try <b>again</b>." in second["body"] and "Try &lt;b&gt;again&lt;/b&gt;." in second["html"]


def test_the_mailbox_page_is_readable_and_under_a_strict_policy(stack):
    base, ticket, mails = stack
    status, headers, body = get(base, f"/local/mailbox?to={quote(BOB)}", accept="text/html,application/xhtml+xml")
    assert status == 200 and headers["content-type"].startswith("text/html")
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "frame-ancestors 'none'" in policy
    page = body.decode()
    assert "<script" not in page
    assert f"[{ticket['reference']}] Request received: Export &lt;fails&gt; &amp; &quot;quotes&quot;" in page
    assert f'src="/local/mailbox/{mails[1]["n"]}/html"' in page and "sandbox" in page
    # the style sheet and each e-mail's HTML part, the latter only in a sandboxed frame of this origin
    status, headers, _ = get(base, "/local/mailbox.css")
    assert status == 200 and headers["content-type"].startswith("text/css")
    status, headers, framed = get(base, f"/local/mailbox/{mails[1]['n']}/html", accept="text/html")
    assert status == 200 and framed.decode() == mails[1]["html"]
    framed_policy = headers["content-security-policy"]
    assert "sandbox" in framed_policy and "script-src" not in framed_policy and "default-src 'none'" in framed_policy
    assert get(base, "/local/mailbox/99999/html")[0] == 404


def test_the_emails_link_opens_the_tickets_portal_page(stack):
    base, ticket, mails = stack
    link = next(line.split(": ", 1)[1] for line in mails[0]["body"].splitlines() if line.startswith("Follow and reply"))
    parts = urlsplit(link)
    assert parts.path == f"/app/tickets/{ticket['reference']}"
    status, headers, page = get(base, parts.path, accept="text/html")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b'<div id="app">' in page  # the portal, which shows the ticket its path names
    status, _, seen = get(base, f"/tickets/{ticket['reference']}", token=token(base, BOB))
    assert status == 200 and json.loads(seen)["id"] == ticket["id"]
