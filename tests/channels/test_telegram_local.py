"""Telegram end to end over HTTP on the local stack (`caseway local` in a child process): the portal's link, the
user's messages and button presses made into updates by the fake Bot API and delivered to the webhook with the
secret token setWebhook registered, the bot's answers recorded by the fake Bot API, `caseway telegram setup`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BOB, MARIA
from tests.local.process import ROOT, running_stack

pytestmark = pytest.mark.scenario

CHAT = 9001


class Http:
    def __init__(self, base: str) -> None:
        self.base = base
        self.tokens: dict[str, str] = {}

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        sent = {"content-type": "application/json", **(headers or {})}
        if user:
            sent["authorization"] = f"Bearer {self.token(user)}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, out, text = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, out, text = error.code, dict(error.headers), error.read()
        kind = out.get("Content-Type") or out.get("content-type") or ""
        return status, out, json.loads(text) if "json" in kind and text else text.decode()

    def token(self, user: str) -> str:
        if user not in self.tokens:
            status, _, body = self(
                "GET", f"/local/token?user={urllib.request.quote(user)}", headers={"content-type": "text/plain"}
            )
            assert status == 200, body
            self.tokens[user] = body["token"]
        return self.tokens[user]


@pytest.fixture(scope="module")
def stack() -> Iterator[Http]:
    with running_stack() as (url, _lines):
        yield Http(url)


def bot_said(http: Http, chat: int) -> list[dict[str, Any]]:
    status, _, view = http("GET", "/local/telegram/chats")
    assert status == 200
    found = next((c for c in view["chats"] if c["chat_id"] == chat), {"messages": []})
    return [m for m in found["messages"] if m["from"] == "bot"]


def user(http: Http, chat: int, action: str, body: dict[str, Any]) -> None:
    status, _, answer = http("POST", f"/local/telegram/chats/{chat}/{action}", body)
    assert status == 200 and answer["webhook_status"] == 200, answer


def press(http: Http, chat: int, message: dict[str, Any], label: str) -> None:
    data = next(b["callback_data"] for row in message["buttons"] for b in row if b["text"].startswith(label))
    user(http, chat, "buttons", {"message_id": message["message_id"], "data": data})


def test_a_customer_links_a_chat_opens_a_ticket_hears_the_reply_and_answers_it_over_http(stack):
    status, _, link = stack("POST", "/channels/telegram/link", user=BOB)
    assert status == 201, link
    code = link["url"].rsplit("start=", 1)[1]

    user(stack, CHAT, "messages", {"text": f"/start {code}", "name": "Bob"})
    assert bot_said(stack, CHAT)[-1]["text"].startswith(f"This chat is linked to {BOB}")
    user(stack, CHAT, "messages", {"text": "The scanner does not start"})
    asked = bot_said(stack, CHAT)[-1]
    if asked["text"].startswith("Which ticket"):
        press(stack, CHAT, asked, "New ticket")
        asked = bot_said(stack, CHAT)[-1]
    press(stack, CHAT, asked, "Question about functionality")
    reference = re.search(r"Ticket (CW-\d+) is open", bot_said(stack, CHAT)[-1]["text"]).group(1)
    status, _, ticket = stack("GET", f"/tickets/{reference}", user=MARIA)
    assert status == 200 and ticket["channel"] == "telegram" and ticket["requester"]["email"] == BOB

    status, _, _ = stack(
        "POST",
        f"/tickets/{ticket['id']}/messages",
        {"body": "Is it plugged in?", "attachments": [], "internal": False},
        user=MARIA,
    )
    assert status == 201
    deadline = time.monotonic() + 20
    while not any("Is it plugged in?" in m["text"] for m in bot_said(stack, CHAT)) and time.monotonic() < deadline:
        time.sleep(0.2)
    note = next(m for m in bot_said(stack, CHAT) if "Is it plugged in?" in m["text"])
    assert f"/app/tickets/{reference}" in note["text"]
    user(stack, CHAT, "messages", {"text": "Yes, it is.", "reply_to_message_id": note["message_id"]})

    _, _, ticket = stack("GET", f"/tickets/{reference}", user=MARIA)
    answers = [m for m in ticket["messages"] if m["body"] == "Yes, it is."]
    assert [(m["channel"], m["author"]["email"]) for m in answers] == [("telegram", BOB)]


def test_the_webhook_refuses_a_wrong_secret_with_a_401_problem(stack):
    update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": CHAT, "type": "private"}, "text": "hi"}}

    status, headers, problem = stack(
        "POST", "/telegram/webhook", update, headers={"x-telegram-bot-api-secret-token": "guessed"}
    )

    assert status == 401 and headers["content-type"] == "application/problem+json"
    assert problem["status"] == 401 and "Secret-Token" in problem["detail"]


def test_the_local_telegram_page_runs_no_inline_code_and_setup_registers_the_webhook(stack):
    status, headers, page = stack("GET", "/local/telegram", headers={"content-type": "text/plain"})

    assert status == 200 and "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/local/telegram/page.js" defer>']
    assert re.search(r"<[^>]*\son[a-z]+\s*=", page) is None  # no onclick= and the like

    setup = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "telegram", "setup", "--url", stack.base],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr
    assert f"webhook  {stack.base}/telegram/webhook" in setup.stdout and "bot      @caseway_local_bot" in setup.stdout
