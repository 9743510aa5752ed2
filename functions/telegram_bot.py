"""The Telegram bot's function: answers the updates the webhook hands it (functions/telegram_webhook.py) and sends
what the desk tells a customer to their linked chats (shared/tickets/hooks.customer_notified ->
shared/channels/telegram.on_customer_notified). Invoked asynchronously: never on an API request's path.

Lambda retries a failed asynchronous invocation twice: a ticket or message written for an update carries an
Idempotency-Key made of the update's id, so a retry writes it once; a Bot API failure after the write is logged,
not raised (the retry would tell the chat again, not write again).
"""

from __future__ import annotations

from typing import Any

from functions import entry
from shared.channels import telegram

logger = entry.start("caseway-telegram")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event.get("update"), dict):
        done = telegram.handle_update(event["update"])
        logger.info("update answered", extra={"update_id": event["update"].get("update_id"), "done": done})
        return {"update_id": event["update"].get("update_id"), "done": done}
    if isinstance(event.get("notified"), dict):
        sent = telegram.deliver_notification(event["notified"])
        logger.info("notification sent", extra={"ticket_id": event["notified"].get("ticket_id"), "chats": sent})
        return {"notified": event["notified"].get("ticket_id"), "chats": sent}
    raise ValueError("telegram: the event carries neither an update nor a notification")
