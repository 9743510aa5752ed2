"""The Telegram bot's webhook (POST /telegram/webhook, its own small Lambda behind the HTTP API; payload v2).

It answers Telegram quickly and does nothing slow itself: it checks X-Telegram-Bot-Api-Secret-Token (the secret
`caseway telegram setup` gave setWebhook; wrong or missing: 401 problem+json), takes each update once (a conditional
put on its update_id with a TTL: Telegram repeats an update it got no 200 for), and hands it to the bot's function
(functions/telegram_bot.py) by an asynchronous invoke, which answers the chat. When the hand-off fails the update
is released and the answer is 503, so Telegram's retry is taken. It loads no ticket code.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from functions import entry
from shared.channels import telegram_api, telegram_items
from shared.platform import config, workflows

logger = entry.start("caseway-telegram-webhook", assemble=False)  # it loads no ticket code

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
MAX_BODY_BYTES = 1024 * 1024  # an update is a few kB; anything larger is not Telegram's


def _answer(status: int, body: dict[str, Any], content_type: str = "application/json") -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {
            "content-type": content_type,
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
        },
        "body": json.dumps(body),
    }


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": "/telegram/webhook"}
    return _answer(status, body, "application/problem+json")


def _update(event: dict[str, Any]) -> dict[str, Any] | None:
    raw = event.get("body") or ""
    data = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    if len(data) > MAX_BODY_BYTES:
        return None
    try:
        update = json.loads(data)
    except ValueError:
        return None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return None
    return update


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    if not telegram_api.secret_matches(headers.get(SECRET_HEADER)):
        return _problem(
            401,
            "Unauthorized",
            "X-Telegram-Bot-Api-Secret-Token is missing or wrong: only Telegram, with the secret token that "
            "`caseway telegram setup` registered, may call this webhook. Run the setup again after a new bot token.",
        )
    update = _update(event)
    if update is None:
        return _problem(400, "Bad request", "The body must be one Telegram Update as JSON, with an integer update_id.")
    update_id = update["update_id"]
    if not telegram_items.take_update(update_id):
        logger.info("repeated update dropped", extra={"update_id": update_id})
        return _answer(200, {"ok": True, "repeated": True})
    try:
        workflows.invoke_async(config.get(config.TELEGRAM_FUNCTION), {"update": update})
    except Exception:
        logger.exception("could not hand the update to the bot", extra={"update_id": update_id})
        telegram_items.release_update(update_id)
        return _problem(503, "Service unavailable", "The update could not be handed on; Telegram will send it again.")
    return _answer(200, {"ok": True})
