"""The Telegram Bot API over HTTPS with the standard library's urllib (no bot framework): the bot's token from
Secrets Manager (read once per process), the base URL from config (the local stack points it at its fake Bot
API, infra/local/telegram.py), and the webhook's secret token derived from the bot's token, so one secret is kept.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from shared.platform import aws, config

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
MAX_TEXT = 4096  # Telegram's limit on a message's text


class BotApiError(Exception):
    """The Bot API refused a call ({"ok": false}) or could not be reached."""


@functools.cache
def bot_token() -> str:
    """The bot's token (Secrets Manager, the stack's secret; `caseway telegram setup` stores it)."""
    secret = aws.client("secretsmanager").get_secret_value(SecretId=config.get(config.TELEGRAM_TOKEN_SECRET))
    return str(secret["SecretString"]).strip()


def forget_token() -> None:
    """Read the token again on the next call (tests, a rotated secret)."""
    bot_token.cache_clear()


def webhook_secret(token: str | None = None) -> str:
    """What Telegram sends back in X-Telegram-Bot-Api-Secret-Token (setWebhook's secret_token): an HMAC of the
    bot's token, so it changes with the token and is never stored apart from it."""
    key = (token or bot_token()).encode()
    return hmac.new(key, b"caseway telegram webhook", hashlib.sha256).hexdigest()


def secret_matches(received: str | None) -> bool:
    return bool(received) and hmac.compare_digest(str(received).encode(), webhook_secret().encode())


def call(method: str, token: str | None = None, **params: Any) -> Any:
    """One Bot API method (POST, JSON body); its `result`. Raises BotApiError."""
    base = config.get(config.TELEGRAM_API_URL).rstrip("/")
    if urlsplit(base).scheme not in ("https", "http"):
        raise BotApiError(f"The Bot API URL must be http(s): {base}")
    data = json.dumps({k: v for k, v in params.items() if v is not None}).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        f"{base}/bot{token or bot_token()}/{method}", data=data, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - as above
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read() or b"{}")
        except ValueError:
            answer = {"ok": False, "description": f"HTTP {error.code}"}
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise BotApiError(f"{method}: the Bot API could not be reached: {error}") from error
    if not answer.get("ok"):
        raise BotApiError(f"{method}: {answer.get('description') or 'refused'}")
    return answer.get("result")


def send_message(chat_id: int, text: str, *, buttons: list[list[dict[str, str]]] | None = None) -> int:
    """sendMessage; returns the message's id. `buttons`: rows of inline keyboard buttons ({text, callback_data})."""
    markup = {"inline_keyboard": buttons} if buttons else None
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    result = call("sendMessage", chat_id=chat_id, text=text, reply_markup=markup)
    return int(result["message_id"])


def answer_callback(callback_query_id: str, text: str | None = None) -> None:
    """answerCallbackQuery: stops the button's spinner in the user's app."""
    call("answerCallbackQuery", callback_query_id=callback_query_id, text=text)


def set_webhook(url: str, token: str | None = None) -> Any:
    """setWebhook for this stage, with the secret token and the update kinds the desk reads."""
    return call(
        "setWebhook",
        token=token,
        url=url,
        secret_token=webhook_secret(token),
        allowed_updates=["message", "callback_query"],
        drop_pending_updates=False,
    )
