"""Telegram on the local stack: a fake Bot API that records what the bot sent, the bot's webhook route, and the
`/local/telegram` page where anyone plays the Telegram user.

- The Bot API: `POST /local/telegram/bot<token>/<method>` (the stack points CASEWAY_TELEGRAM_API_URL at
  `/local/telegram`): sendMessage, answerCallbackQuery, setWebhook, getWebhookInfo, getMe, deleteWebhook, as
  Telegram answers them ({"ok": true, "result": ...}; a wrong token: 401 {"ok": false}).
- What the user does: `POST /local/telegram/chats/<chat id>/messages` {"text", "reply_to_message_id"?, "name"?} and
  `POST /local/telegram/chats/<chat id>/buttons` {"message_id", "data"} make the Update Telegram would make and
  deliver it to the registered webhook with the registered secret token, as Telegram does; `GET
  /local/telegram/chats` lists every chat with both sides' messages.
- The webhook: `POST /telegram/webhook` is answered by the webhook's own function (functions/telegram_webhook.py),
  as the cloud's API route does.
- `GET /local/telegram` is the page (its script and style are files: the strict CSP allows no inline code).
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from functions import telegram_bot, telegram_webhook
from infra.local import emulation, fake_aws
from shared.channels import telegram_api
from shared.platform import aws, config

LOCAL_TOKEN = "424242:local-fake-bot-token"  # noqa: S105 - the fake Bot API's token, local only
BOT_USER = {"id": 424242, "is_bot": True, "first_name": "Caseway", "username": "caseway_local_bot"}
PREFIX = "/local/telegram"
WEBHOOK_PATH = "/telegram/webhook"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

Response = tuple[int, dict[str, str], bytes]


def _json(status: int, body: Any) -> Response:
    return status, {"content-type": "application/json"}, json.dumps(body).encode()


def _problem(status: int, title: str, detail: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return status, {"content-type": "application/problem+json"}, json.dumps(body).encode()


class FakeBotApi:
    """Telegram as the bot and its users see it: chats with both sides' messages, the registered webhook, and the
    updates the users' actions make."""

    def __init__(self, token: str = LOCAL_TOKEN) -> None:
        self.token = token
        self._lock = threading.Lock()
        self.chats: dict[int, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every Bot API call, in order
        self.webhook: dict[str, Any] = {}
        self._next_message = 1
        self._next_update = 100000

    # --- the bot's side: the Bot API ------------------------------------------------------------------------------

    def bot_call(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        with self._lock:
            self.calls.append((method, params))
            if method == "sendMessage":
                chat = self._chat(int(params["chat_id"]))
                buttons = (params.get("reply_markup") or {}).get("inline_keyboard") or []
                message = self._add(chat, "bot", str(params.get("text") or ""), buttons=buttons)
                return 200, {"ok": True, "result": self._as_telegram(chat, message)}
            if method == "answerCallbackQuery":
                return 200, {"ok": True, "result": True}
            if method == "setWebhook":
                self.webhook = {"url": params.get("url"), "secret_token": params.get("secret_token")}
                return 200, {"ok": True, "result": True, "description": "Webhook was set"}
            if method == "deleteWebhook":
                self.webhook = {}
                return 200, {"ok": True, "result": True}
            if method == "getWebhookInfo":
                return 200, {"ok": True, "result": {"url": self.webhook.get("url", ""), "pending_update_count": 0}}
            if method == "getMe":
                return 200, {"ok": True, "result": BOT_USER}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _chat(self, chat_id: int, name: str | None = None) -> dict[str, Any]:
        chat = self.chats.setdefault(chat_id, {"chat_id": chat_id, "name": name or f"User {chat_id}", "messages": []})
        if name:
            chat["name"] = name
        return chat

    def _add(self, chat: dict[str, Any], side: str, text: str, **extra: Any) -> dict[str, Any]:
        message = {"message_id": self._next_message, "from": side, "text": text, "date": int(time.time()), **extra}
        self._next_message += 1
        chat["messages"].append(message)
        return message

    def _as_telegram(self, chat: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        sender = BOT_USER if message["from"] == "bot" else self._user(chat)
        out = {
            "message_id": message["message_id"],
            "from": sender,
            "chat": {"id": chat["chat_id"], "type": "private", "first_name": chat["name"]},
            "date": message["date"],
            "text": message["text"],
        }
        if message.get("buttons"):
            out["reply_markup"] = {"inline_keyboard": message["buttons"]}
        return out

    @staticmethod
    def _user(chat: dict[str, Any]) -> dict[str, Any]:
        handle = re.sub(r"[^a-z0-9_]", "", chat["name"].lower().replace(" ", "_"))[:32] or f"user{chat['chat_id']}"
        return {
            "id": chat["chat_id"],
            "is_bot": False,
            "first_name": chat["name"],
            "username": handle,
            "language_code": "en",
        }

    # --- the user's side: the updates Telegram makes -----------------------------------------------------------------

    def user_writes(
        self, chat_id: int, text: str, *, reply_to: int | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """The Update of a user's message (a reply when `reply_to` names a message of the chat)."""
        with self._lock:
            chat = self._chat(chat_id, name)
            message = self._add(chat, "user", text, reply_to=reply_to)
            sent = self._as_telegram(chat, message)
            replied = next((m for m in chat["messages"] if m["message_id"] == reply_to), None) if reply_to else None
            if replied is not None:
                sent["reply_to_message"] = self._as_telegram(chat, replied)
            return self._update({"message": sent})

    def user_presses(self, chat_id: int, message_id: int, data: str) -> dict[str, Any]:
        """The Update of a press on an inline keyboard button of a bot message."""
        with self._lock:
            chat = self._chat(chat_id)
            pressed = next((m for m in chat["messages"] if m["message_id"] == message_id), None)
            if pressed is None or pressed["from"] != "bot":
                raise LookupError(f"chat {chat_id} has no bot message {message_id}")
            chat["messages"].append(
                {"message_id": None, "from": "user", "text": f"[pressed {data}]", "date": int(time.time())}
            )
            query = {
                "id": f"cb{self._next_update}",
                "from": self._user(chat),
                "message": self._as_telegram(chat, pressed),
                "chat_instance": str(chat_id),
                "data": data,
            }
            return self._update({"callback_query": query})

    def _update(self, content: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update, **content}
        self._next_update += 1
        return update

    def deliver(self, update: dict[str, Any]) -> int:
        """POST the update to the registered webhook with the registered secret token, as Telegram does; the
        webhook's HTTP status."""
        url = self.webhook.get("url")
        if not url:
            raise LookupError("No webhook is registered: the local stack registers it on start (setWebhook).")
        request = urllib.request.Request(  # noqa: S310 - the webhook the stack registered on its own loopback
            url,
            data=json.dumps(update).encode(),
            headers={
                "content-type": "application/json",
                "x-telegram-bot-api-secret-token": str(self.webhook.get("secret_token") or ""),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - as above
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def reset(self) -> None:
        """Forget every chat, call and the webhook (a fresh emulation)."""
        with self._lock:
            self.chats.clear()
            self.calls.clear()
            self.webhook = {}

    def view(self) -> dict[str, Any]:
        with self._lock:
            chats = [json.loads(json.dumps(c)) for c in self.chats.values()]
        return {"bot": BOT_USER, "webhook": {"url": self.webhook.get("url")}, "chats": chats}

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        """What the bot sent to the chat, oldest first."""
        with self._lock:
            return [dict(m) for m in self.chats.get(chat_id, {"messages": []})["messages"] if m["from"] == "bot"]


FAKE = FakeBotApi()


def install(base_url: str | None = None) -> None:
    """Telegram in an emulation: the bot's function among the emulated Lambda's handlers (the webhook and every
    notifying function invoke it), its token in Secrets Manager; with the local server's `base_url`, the bot talks
    to the fake Bot API there, and the fake knows the webhook and its secret token as setWebhook tells Telegram
    (`caseway telegram setup --url` registers it again over HTTP)."""
    emulation.HANDLERS[f"{emulation.FUNCTION_PREFIX}telegram"] = telegram_bot.handler
    provision(f"{base_url}{PREFIX}" if base_url else None)
    if base_url:
        register_webhook(base_url)


def register_webhook(base_url: str) -> None:
    """The fake Bot API knows the local server's webhook and its secret token, as setWebhook tells Telegram."""
    FAKE.bot_call(
        FAKE.token,
        "setWebhook",
        {"url": f"{base_url}{WEBHOOK_PATH}", "secret_token": telegram_api.webhook_secret(FAKE.token)},
    )


def provision(api_url: str | None = None) -> None:
    """The bot's token in the emulated Secrets Manager, as the stack's secret holds it; the Bot API at `api_url`."""
    secrets = aws.client("secretsmanager")
    name = config.get(config.TELEGRAM_TOKEN_SECRET)
    try:
        secrets.create_secret(Name=name, SecretString=FAKE.token)
    except secrets.exceptions.ResourceExistsException:
        secrets.put_secret_value(SecretId=name, SecretString=FAKE.token)
    telegram_api.forget_token()
    if api_url:
        import os

        os.environ[config.TELEGRAM_API_URL] = api_url
        os.environ[config.TELEGRAM_BOT_USERNAME] = BOT_USER["username"]


# --- the HTTP side on the local server -----------------------------------------------------------------------------

_BOT_PATH = re.compile(rf"^{PREFIX}/bot([^/]+)/([A-Za-z]+)$")
_CHAT_PATH = re.compile(rf"^{PREFIX}/chats/(-?\d+)/(messages|buttons)$")


def answer(gateway: Any, method: str, raw_path: str, headers: dict[str, str], body: bytes, ip: str) -> Response | None:
    """The answer to a Telegram request on the local server, or None when the path is not Telegram's."""
    path = raw_path.partition("?")[0]
    if path == WEBHOOK_PATH and method == "POST":
        event = gateway.event(method, raw_path, headers, body, ip, None)
        if emulation.REHEARSAL is not None:
            result = emulation.call(f"{emulation.FUNCTION_PREFIX}telegram-webhook", event)
        else:
            result = telegram_webhook.handler(event, fake_aws.LambdaContext("caseway-telegram-webhook"))
        return int(result["statusCode"]), dict(result["headers"]), str(result["body"]).encode()
    if not path.startswith(PREFIX):
        return None
    if method == "GET":
        return _get(path)
    if method != "POST":
        return None
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        return _problem(400, "Bad request", "The body must be JSON.")
    if not isinstance(params, dict):
        return _problem(400, "Bad request", "The body must be a JSON object.")
    found = _BOT_PATH.match(path)
    if found:
        status, out = FAKE.bot_call(found.group(1), found.group(2), params)
        return _json(status, out)
    found = _CHAT_PATH.match(path)
    if found:
        return _user_action(int(found.group(1)), found.group(2), params)
    return None


def _user_action(chat_id: int, action: str, params: dict[str, Any]) -> Response:
    try:
        if action == "messages":
            text = str(params.get("text") or "").strip()
            if not text:
                return _problem(422, "Unprocessable", 'Write some text: {"text": "..."}.')
            reply_to = params.get("reply_to_message_id")
            update = FAKE.user_writes(
                chat_id, text, reply_to=int(reply_to) if reply_to else None, name=params.get("name") or None
            )
        else:
            update = FAKE.user_presses(chat_id, int(params.get("message_id") or 0), str(params.get("data") or ""))
        status = FAKE.deliver(update)
    except LookupError as error:
        return _problem(409, "Conflict", str(error))
    except (TypeError, ValueError):
        return _problem(422, "Unprocessable", "message_id and reply_to_message_id are message numbers.")
    return _json(200, {"update_id": update["update_id"], "webhook_status": status})


def _get(path: str) -> Response | None:
    if path == PREFIX:
        return 200, {"content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_POLICY}, PAGE.encode()
    if path == f"{PREFIX}/page.js":
        return 200, {"content-type": "text/javascript; charset=utf-8"}, SCRIPT.encode()
    if path == f"{PREFIX}/page.css":
        return 200, {"content-type": "text/css; charset=utf-8"}, STYLE.encode()
    if path == f"{PREFIX}/chats":
        return _json(200, FAKE.view())
    return None


class FakeBotServer:
    """The fake Bot API alone on a port of its own (the tests that call the handlers in-process)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                status, _, text = answer(None, "POST", self.path, {}, self.rfile.read(length), "127.0.0.1") or (
                    404,
                    {},
                    b"{}",
                )
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{PREFIX}"
        threading.Thread(target=self.httpd.serve_forever, name="fake-bot-api", daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Caseway: Telegram (local)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/local/telegram/page.css">
</head><body>
<header><h1>Telegram, played locally</h1>
<p>You are the Telegram user; the desk's bot answers through the fake Bot API. To link a chat, press
<b>Link Telegram</b> in the customer portal and paste the <code>t.me</code> link below (it becomes
<code>/start &lt;code&gt;</code>).</p></header>
<main>
<section aria-labelledby="chats-h"><h2 id="chats-h">Chats</h2>
<ul id="chats"></ul>
<form id="new-chat"><label for="chat-id">Chat id</label><input id="chat-id" inputmode="numeric" pattern="-?[0-9]+"
 required value="5001"><label for="chat-name">Your name in Telegram</label><input id="chat-name" value="Bob">
<button type="submit">Open this chat</button></form>
</section>
<section aria-labelledby="chat-h"><h2 id="chat-h">No chat open</h2>
<ol id="messages" aria-live="polite"></ol>
<form id="write"><p id="replying" hidden>Replying to message <span id="reply-id"></span>
<button type="button" id="cancel-reply">Cancel the reply</button></p>
<label for="text">Message (or a t.me link)</label><textarea id="text" required></textarea>
<button type="submit">Send</button></form>
<p id="status" role="status"></p>
</section>
</main>
<script src="/local/telegram/page.js" defer></script>
</body></html>
"""

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#1d2330;background:#f4f6f9}
header{padding:1rem 1.5rem;background:#fff;border-bottom:1px solid #d8dde5}h1{margin:0 0 .4rem;font-size:1.4rem}
main{display:grid;grid-template-columns:16rem 1fr;gap:1rem;padding:1rem 1.5rem}
section{background:#fff;border:1px solid #d8dde5;border-radius:.5rem;padding:1rem}
#chats{list-style:none;padding:0}#chats button{width:100%;text-align:left;margin:.2rem 0}
#chats button[aria-current=true]{font-weight:700;background:#dbe9ff}
#messages{list-style:none;padding:0;max-height:60vh;overflow:auto}
#messages li{margin:.5rem 0;padding:.5rem .7rem;border-radius:.6rem;max-width:80%;white-space:pre-wrap}
#messages li.bot{background:#eef1f5}#messages li.user{background:#d9f2d9;margin-left:auto}
.meta{font-size:.8rem;color:#4a5568}.keyboard button{display:block;margin:.3rem 0}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}input,textarea{width:100%;box-sizing:border-box;
padding:.4rem}textarea{min-height:4rem}button{padding:.4rem .8rem;margin-top:.4rem}
@media (max-width:40rem){main{grid-template-columns:1fr}}
"""

SCRIPT = r"""
const $ = (id) => document.getElementById(id);
let current = null, replyTo = null, state = {chats: []};
async function post(path, body) {
  const r = await fetch(path, {
    method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({}));
  $('status').textContent = r.ok ? `Delivered (webhook answered ${data.webhook_status}).` : (data.detail || r.status);
  await refresh();
}
function chatButton(chat) {
  const li = document.createElement('li'), b = document.createElement('button');
  b.type = 'button'; b.textContent = `${chat.name} (${chat.chat_id})`;
  b.setAttribute('aria-current', String(chat.chat_id === current));
  b.addEventListener('click', () => {
    current = chat.chat_id; $('chat-id').value = chat.chat_id; replyTo = null; render();
  });
  li.append(b); return li;
}
function messageItem(m) {
  const li = document.createElement('li'); li.className = m.from;
  const meta = document.createElement('div'); meta.className = 'meta';
  meta.textContent = `${m.from === 'bot' ? 'Bot' : 'You'}` + (m.message_id ? ` #${m.message_id}` : '') +
    (m.reply_to ? `, replying to #${m.reply_to}` : '');
  const text = document.createElement('div'); text.textContent = m.text;
  li.append(meta, text);
  if (m.from === 'bot') {
    const reply = document.createElement('button'); reply.type = 'button'; reply.textContent = 'Reply';
    reply.addEventListener('click', () => { replyTo = m.message_id; render(); $('text').focus(); });
    const keys = document.createElement('div'); keys.className = 'keyboard';
    for (const row of (m.buttons || [])) for (const key of row) {
      const k = document.createElement('button'); k.type = 'button'; k.textContent = key.text;
      k.addEventListener('click', () => post(`/local/telegram/chats/${current}/buttons`,
        {message_id: m.message_id, data: key.callback_data}));
      keys.append(k);
    }
    li.append(keys, reply);
  }
  return li;
}
function render() {
  $('chats').replaceChildren(...state.chats.map(chatButton));
  const chat = state.chats.find(c => c.chat_id === current);
  $('chat-h').textContent = current === null ? 'No chat open' : `Chat ${current}` + (chat ? ` (${chat.name})` : '');
  $('messages').replaceChildren(...(chat ? chat.messages.map(messageItem) : []));
  $('replying').hidden = replyTo === null; $('reply-id').textContent = replyTo ?? '';
}
async function refresh() {
  const r = await fetch('/local/telegram/chats'); state = await r.json(); render();
}
$('new-chat').addEventListener('submit', (e) => {
  e.preventDefault(); current = Number($('chat-id').value); render();
});
$('cancel-reply').addEventListener('click', () => { replyTo = null; render(); });
$('write').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (current === null) current = Number($('chat-id').value);
  let text = $('text').value.trim();
  const link = text.match(/^https?:\/\/t\.me\/[^?\s]+\?start=([A-Za-z0-9_-]+)$/);
  if (link) text = `/start ${link[1]}`;
  const body = {text, name: $('chat-name').value || undefined};
  if (replyTo !== null) body.reply_to_message_id = replyTo;
  $('text').value = ''; replyTo = null;
  await post(`/local/telegram/chats/${current}/messages`, body);
});
refresh(); setInterval(refresh, 2000);
"""
