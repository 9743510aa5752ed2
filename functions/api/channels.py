"""HTTP routes of the customer's own channels: linking a Telegram chat to their account (shared/channels/telegram.py).

The link is a one-time deep link (t.me/<bot>?start=<code>), good for a few minutes: opening it in Telegram and
pressing Start links that chat. The bot's own webhook is a function of its own (functions/telegram_webhook.py).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.callers import caller
from functions.api.http import json_response
from functions.api.router import CUSTOMER, ApiRouter
from shared.channels import telegram
from shared.platform.errors import NotFound

router = ApiRouter()

HINT = "Staff are reached in the desk; Telegram links a customer's chat to their tickets."


@router.declare(
    "GET",
    "/channels/telegram",
    "My linked Telegram chats and the desk's bot",
    "channels",
    roles=(CUSTOMER,),
    hint=HINT,
)
def telegram_chats() -> dict[str, Any]:
    return telegram.linked_chats(caller())


@router.declare(
    "POST",
    "/channels/telegram/link",
    "A one-time deep link (t.me/<bot>?start=<code>) that links the Telegram chat opening it to my account",
    "channels",
    status=201,
    roles=(CUSTOMER,),
    hint=HINT,
)
def telegram_link() -> Response:
    return json_response(201, telegram.create_link(caller()))


@router.declare(
    "DELETE",
    "/channels/telegram/chats/{chat_id}",
    "Unlink one of my Telegram chats: the bot stops writing to it",
    "channels",
    status=204,
    roles=(CUSTOMER,),
    hint=HINT,
)
def telegram_unlink(chat_id: str) -> Response:
    try:
        number = int(chat_id)
    except ValueError:
        raise NotFound("No Telegram chat of yours with this id; GET /channels/telegram lists them.") from None
    telegram.unlink(caller(), number)
    return Response(204, "application/json", "")
