"""Telegram's items in the desk's table: link codes, linked chats, the updates already taken, what the bot sent.

| pattern                                   | how                                                          |
|-------------------------------------------|--------------------------------------------------------------|
| a link code (one use, minutes)            | GetItem pk=TGCODE#<code> sk=CODE, deleted on use (condition) |
| who a chat belongs to                     | GetItem pk=TGCHAT#<chat> sk=LINK                             |
| a customer's linked chats                 | Query pk=USER#<sub>, sk begins_with TGCHAT#                  |
| an update already taken (webhook retries) | PutItem pk=TGUPDATE#<update id> if it does not exist (TTL)  |
| the ticket a bot message was about        | GetItem pk=TGCHAT#<chat> sk=SENT#<message id> (TTL)          |
| what the chat is being asked              | GetItem pk=TGCHAT#<chat> sk=ASKING (TTL)                     |
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError

from shared.directory.items import user_pk
from shared.platform import clock
from shared.platform.table import Entity

LINK_SK = "LINK"
ASKING_SK = "ASKING"
UPDATE_TTL = timedelta(days=2)  # Telegram stops re-sending an update after a day


def code_pk(code: str) -> str:
    return f"TGCODE#{code}"


def chat_pk(chat_id: int) -> str:
    return f"TGCHAT#{chat_id}"


def update_pk(update_id: int) -> str:
    return f"TGUPDATE#{update_id}"


class TelegramLinkCode(Entity, discriminator="telegram_link_code"):
    """The one-time code of a deep link (t.me/<bot>?start=<code>): whose it is, until when (expires_at)."""

    code = UnicodeAttribute()
    sub = UnicodeAttribute()
    created_at = UnicodeAttribute()


class TelegramChat(Entity, discriminator="telegram_chat"):
    """A linked chat: pk=TGCHAT#<chat> sk=LINK says whose it is; the same item under pk=USER#<sub>
    sk=TGCHAT#<chat> lists a customer's chats."""

    chat_id = NumberAttribute()
    sub = UnicodeAttribute()
    name = UnicodeAttribute(null=True)  # the Telegram user's first name and @username, as the portal shows it
    linked_at = UnicodeAttribute()


class TelegramUpdate(Entity, discriminator="telegram_update"):
    """An update the webhook took: Telegram repeats an update it got no 200 for; the second is dropped."""

    update_id = NumberAttribute()
    received_at = UnicodeAttribute()


class TelegramSent(Entity, discriminator="telegram_sent"):
    """A bot message about a ticket: a reply to it (reply_to_message) goes into that ticket."""

    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()


class TelegramAsking(Entity, discriminator="telegram_asking"):
    """What the bot asked the chat (which service, which ticket) and the text waiting for the answer."""

    text = UnicodeAttribute()
    question = UnicodeAttribute()  # "service" or "ticket"
    options = JSONAttribute(default=list)


def get_link(chat_id: int) -> TelegramChat | None:
    try:
        return TelegramChat.get(chat_pk(chat_id), LINK_SK)
    except DoesNotExist:
        return None


def chats_of(sub: str) -> list[TelegramChat]:
    return list(TelegramChat.query(user_pk(sub), TelegramChat.sk.startswith("TGCHAT#")))


def get_code(code: str) -> TelegramLinkCode | None:
    try:
        return TelegramLinkCode.get(code_pk(code), "CODE")
    except DoesNotExist:
        return None


def get_sent(chat_id: int, message_id: int) -> TelegramSent | None:
    try:
        return TelegramSent.get(chat_pk(chat_id), f"SENT#{message_id}")
    except DoesNotExist:
        return None


def get_asking(chat_id: int) -> TelegramAsking | None:
    try:
        return TelegramAsking.get(chat_pk(chat_id), ASKING_SK)
    except DoesNotExist:
        return None


def take_update(update_id: int) -> bool:
    """True the first time this update arrives; False for Telegram's repeat of it (a conditional put, kept two
    days by its TTL). The webhook calls it, so this module stays light: no ticket code is loaded for it."""
    now = clock.now()
    try:
        TelegramUpdate(
            update_pk(update_id),
            "UPDATE",
            update_id=update_id,
            received_at=clock.iso(now),
            expires_at=int((now + UPDATE_TTL).timestamp()),
        ).save(condition=TelegramUpdate.pk.does_not_exist())
    except PutError as error:
        if "ConditionalCheckFailed" in str(error):
            return False
        raise
    return True


def release_update(update_id: int) -> None:
    """Forget an update that could not be handed on, so Telegram's retry of it is taken."""
    TelegramUpdate(update_pk(update_id), "UPDATE").delete()
