"""Telegram, one bot per desk: a customer links a chat from the portal with a one-time deep link
(t.me/<bot>?start=<code>); then writing to the bot opens a ticket (the bot asks for the service), a reply to a bot
message about a ticket goes into that ticket, any other message makes the bot ask which ticket; what the desk tells
the customer (shared/tickets/hooks.customer_notified) arrives in the chat with a link to the ticket's page.
A chat nobody linked gets a short explanation and never any data.

Everything is written through the ticket core's one door, as the linked customer, channel "telegram": intake
(shared/tickets/intake.create_ticket) and the conversation (shared/tickets/conversation.add_message).

Where it runs: the webhook (functions/telegram_webhook.py) checks the secret token, takes each update once
(`take_update`) and hands it to the bot's function (functions/telegram_bot.py, `handle_update`), which answers the
chat; a notification is handed to the same function (`on_customer_notified` -> `deliver_notification`). Nothing is
sent to Telegram on an API request's path.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DeleteError

from shared.channels import telegram_api
from shared.channels import telegram_items as items
from shared.channels.telegram_items import TelegramAsking, TelegramChat, TelegramLinkCode, TelegramSent
from shared.directory import items as directory
from shared.platform import clock, config, words, workflows
from shared.platform.domain import OPEN_STATUSES, Role, Status
from shared.platform.errors import Conflict, DomainError, Forbidden, NotFound
from shared.platform.identity import ORG_ADMIN_GROUP, Caller
from shared.platform.words import ENGLISH
from shared.tickets import conversation, intake
from shared.tickets import items as ticket_items
from shared.tickets.idempotency import Idempotency
from shared.tickets.items import Ticket
from shared.tickets.lists import list_tickets
from shared.tickets.readers import Reader

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
LINK_CODE_MINUTES = 10  # a deep link works once, for this long
SENT_TTL = timedelta(days=180)  # a reply to a bot message older than this asks which ticket
ASKING_TTL = timedelta(hours=1)
TICKET_BUTTONS = 8  # the newest open tickets offered as buttons
SUBJECT_LENGTH = 80


def bot_username() -> str:
    return config.get(config.TELEGRAM_BOT_USERNAME).lstrip("@")


def _epoch(delta: timedelta) -> int:
    return int((clock.now() + delta).timestamp())


# --- the portal: link codes and linked chats ---------------------------------------------------------------------


def create_link(caller: Caller) -> dict[str, Any]:
    """A one-time deep link for the signed-in customer: the code works once, for LINK_CODE_MINUTES minutes."""
    if caller.role != Role.CUSTOMER:
        raise Forbidden("Customers link a Telegram chat to their account; staff are reached in the desk.")
    code = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-], what a start parameter allows (<= 64)
    expires = clock.now() + timedelta(minutes=LINK_CODE_MINUTES)
    TelegramLinkCode(
        items.code_pk(code),
        "CODE",
        code=code,
        sub=caller.sub,
        created_at=clock.now_iso(),
        expires_at=int(expires.timestamp()),
    ).save(condition=TelegramLinkCode.pk.does_not_exist())
    return {
        "url": f"https://t.me/{bot_username()}?start={code}",
        "bot": bot_username(),
        "expires_at": clock.iso(expires),
        "expires_in": LINK_CODE_MINUTES * 60,
    }


def chat_view(chat: TelegramChat) -> dict[str, Any]:
    return {"chat_id": chat.chat_id, "name": chat.name, "linked_at": chat.linked_at}


def linked_chats(caller: Caller) -> dict[str, Any]:
    if caller.role != Role.CUSTOMER:
        raise Forbidden("Customers link a Telegram chat to their account; staff are reached in the desk.")
    return {"bot": bot_username(), "items": [chat_view(c) for c in items.chats_of(caller.sub)]}


def unlink(caller: Caller, chat_id: int) -> None:
    """The customer takes a chat back: the bot stops writing to it and treats it as unlinked."""
    link = items.get_link(chat_id)
    if link is None or link.sub != caller.sub:
        raise NotFound("No Telegram chat of yours with this id; GET /channels/telegram lists your linked chats.")
    for item in (link, TelegramChat(directory.user_pk(caller.sub), f"TGCHAT#{chat_id}")):
        item.delete()


def _redeem(code: str, chat_id: int, name: str | None) -> directory.User | None:
    """The code's customer, the chat linked to them; None when the code is unknown, expired or already used.
    Single use: the code is deleted on the condition that it still exists, so two redemptions cannot both win."""
    found = items.get_code(code) if code else None
    if found is None:
        return None
    try:
        found.delete(condition=TelegramLinkCode.pk.exists())
    except DeleteError:
        return None  # redeemed by someone else a moment ago
    if (found.expires_at or 0) < clock.now().timestamp():
        return None
    user = directory.get_user(found.sub)
    if user is None or user.active is False or user.role != Role.CUSTOMER.value:
        return None
    now = clock.now_iso()
    previous = items.get_link(chat_id)
    if previous is not None and previous.sub != user.sub:
        TelegramChat(directory.user_pk(previous.sub), f"TGCHAT#{chat_id}").delete()  # the chat changes hands
    for pk, sk in ((items.chat_pk(chat_id), items.LINK_SK), (directory.user_pk(user.sub), f"TGCHAT#{chat_id}")):
        TelegramChat(pk, sk, chat_id=chat_id, sub=user.sub, name=name, linked_at=now).save()
    return user


# --- the bot: one update ---------------------------------------------------------------------------------------------


class Chat:
    """One update's chat: who it is linked to (None: nobody) and how to talk to them."""

    def __init__(self, chat_id: int, sender: dict[str, Any], update_id: int = 0) -> None:
        self.chat_id = chat_id
        self.sender = sender
        self.update_id = update_id
        link = items.get_link(chat_id)
        user = directory.get_user(link.sub) if link is not None else None
        # a deactivated person, or one who is no longer a customer, is nobody here: the chat is as if unlinked
        active = user is not None and user.active is not False and user.role == Role.CUSTOMER.value
        self.user = user if active else None
        self.reader = _reader(self.user, sender.get("language_code"))

    @property
    def caller(self) -> Caller:
        user = self.user
        assert user is not None
        groups = {Role.CUSTOMER.value, *((ORG_ADMIN_GROUP,) if user.org_admin else ())}
        return Caller(
            sub=user.sub, email=user.email, role=Role.CUSTOMER, org_id=user.organisation_id, groups=frozenset(groups)
        )

    def say(self, key: str, /, **values: Any) -> str:
        return self.reader.say(f"telegram.{key}", **values)

    def send(self, key: str, /, buttons: list[list[dict[str, str]]] | None = None, **values: Any) -> int:
        return telegram_api.send_message(self.chat_id, self.say(key, **values), buttons=buttons)

    def idempotency(self, body: dict[str, Any]) -> Idempotency | None:
        """The update's own key: a retried invocation of the bot writes its ticket or message once."""
        return Idempotency.of(self.caller.sub, f"telegram-update-{self.update_id}", body) if self.update_id else None

    def name(self) -> str:
        first = str(self.sender.get("first_name") or "").strip()
        username = self.sender.get("username")
        return " ".join(p for p in (first, f"@{username}" if username else "") if p) or str(self.chat_id)


def _reader(user: directory.User | None, language_code: str | None) -> Reader:
    """The organisation's language and zone for a linked customer; the Telegram app's language otherwise."""
    if user is not None and user.organisation_id:
        organisation = directory.get_organisation(user.organisation_id)
        if organisation is not None:
            return Reader(words.normalise(organisation.language) or ENGLISH, organisation.timezone)
    return Reader(words.normalise(language_code) or ENGLISH)


def handle_update(update: dict[str, Any]) -> str:
    """Answer one update; returns what was done (for the log and the tests). A Bot API failure is logged, not
    raised: what the update wrote stays written, and a retry of the invocation would only write it again."""
    try:
        if "callback_query" in update:
            return _handle_button(update["callback_query"], int(update.get("update_id") or 0))
        message = update.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
            return "ignored"
        chat = Chat(int(message["chat"]["id"]), message.get("from") or {}, int(update.get("update_id") or 0))
        if message["chat"].get("type", "private") != "private":
            chat.user = None  # a group's members are not the customer who linked it: never act or tell there
            chat.send("private_only")
            return "not_private"
        return _handle_message(chat, message)
    except telegram_api.BotApiError:
        logger.exception("telegram: the Bot API failed while answering update %s", update.get("update_id"))
        return "bot_api_failed"


def _handle_message(chat: Chat, message: dict[str, Any]) -> str:
    text = str(message.get("text") or message.get("caption") or "").strip()
    if text.startswith("/start"):
        return _start(chat, text.removeprefix("/start").strip())
    if chat.user is None:
        chat.send("unlinked")
        return "unlinked"
    if not text:
        chat.send("text_only")
        return "text_only"
    replied = message.get("reply_to_message") or {}
    sent = items.get_sent(chat.chat_id, int(replied["message_id"])) if replied.get("message_id") else None
    if sent is not None:
        return _write_into(chat, sent.ticket_id, text)
    if text.startswith("/new"):
        return _ask_service(chat, text.removeprefix("/new").strip())
    return _ask_ticket(chat, text)


def _start(chat: Chat, code: str) -> str:
    if not code:
        if chat.user is None:
            chat.send("unlinked")
            return "unlinked"
        chat.send("linked", email=chat.user.email)
        return "already_linked"
    user = _redeem(code, chat.chat_id, chat.name())
    if user is None:
        chat.send("code_refused", minutes=LINK_CODE_MINUTES)
        return "code_refused"
    chat.user = user
    chat.reader = _reader(user, chat.sender.get("language_code"))
    chat.send("linked", email=user.email)
    return "linked"


def _ask(chat: Chat, text: str, question: str, options: list[str], buttons: list[list[dict[str, str]]]) -> None:
    TelegramAsking(
        items.chat_pk(chat.chat_id),
        items.ASKING_SK,
        text=text,
        question=question,
        options=options,
        expires_at=_epoch(ASKING_TTL),
    ).save()
    chat.send(f"ask_{question}", buttons=buttons)


def _open_tickets(caller: Caller) -> list[Ticket]:
    tickets, _ = list_tickets(caller, scope="mine", organisation_id=None, status=None, limit=50, cursor=None)
    open_values = {s.value for s in OPEN_STATUSES} - {Status.DRAFT.value}
    return [t for t in tickets if t.status in open_values][:TICKET_BUTTONS]


def _ask_ticket(chat: Chat, text: str) -> str:
    tickets = _open_tickets(chat.caller)
    if not tickets:
        return _ask_service(chat, text)
    buttons = [[{"text": f"{t.reference}: {t.subject}"[:60], "callback_data": f"t:{i}"}] for i, t in enumerate(tickets)]
    buttons.append([{"text": chat.say("new_ticket_button"), "callback_data": "n"}])
    _ask(chat, text, "ticket", [t.ticket_id for t in tickets], buttons)
    return "asked_ticket"


def answerable(service: directory.Service) -> bool:
    """A service the bot can open a ticket on from one message: every required question takes text."""
    return all(f.get("type", "text") in ("text", "textarea") for f in service.intake_fields if f.get("required"))


def _ask_service(chat: Chat, text: str) -> str:
    if not text:
        chat.send("write_first")
        return "asked_text"
    services = [s for s in directory.list_services() if s.customer_visible and answerable(s)]
    buttons = [[{"text": s.title[:60], "callback_data": f"s:{i}"}] for i, s in enumerate(services)]
    _ask(chat, text, "service", [s.key for s in services], buttons)
    return "asked_service"


def _handle_button(query: dict[str, Any], update_id: int) -> str:
    message = query.get("message") or {}
    chat_id = (message.get("chat") or {}).get("id")
    if chat_id is None:
        return "ignored"
    chat = Chat(int(chat_id), query.get("from") or {}, update_id)
    telegram_api.answer_callback(str(query.get("id")))
    if (message.get("chat") or {}).get("type", "private") != "private":
        chat.send("private_only")
        return "not_private"
    if chat.user is None:
        chat.send("unlinked")
        return "unlinked"
    asking = items.get_asking(chat.chat_id)
    kind, _, index = str(query.get("data") or "").partition(":")
    if asking is None or (asking.expires_at or 0) < clock.now().timestamp():
        chat.send("expired")
        return "expired"
    if kind == "n":
        return _ask_service(chat, asking.text)
    if (
        not index.isdigit()
        or int(index) >= len(asking.options)
        or {"t": "ticket", "s": "service"}.get(kind) != (asking.question)
    ):
        chat.send("expired")
        return "expired"
    asking.delete()
    chosen = asking.options[int(index)]
    return _write_into(chat, chosen, asking.text) if kind == "t" else _open_ticket(chat, chosen, asking.text)


def _answers(service: directory.Service, text: str, chat: Chat) -> dict[str, Any]:
    """The service's required questions answered from the message: its text, and where to reach the customer."""
    answers: dict[str, Any] = {}
    for field in service.intake_fields:
        if field.get("required"):
            answers[field["key"]] = f"Telegram: {chat.name()}" if field["key"] == "contact" else text[:5000]
    return answers


def _open_ticket(chat: Chat, service_key: str, text: str) -> str:
    service = directory.get_service(service_key)
    if service is None:
        chat.send("expired")
        return "expired"
    subject = text.splitlines()[0].strip()[:SUBJECT_LENGTH] or service.title
    try:
        ticket, _, _ = intake.create_ticket(
            chat.caller,
            service_key=service_key,
            subject=subject,
            description=text,
            fields=_answers(service, text, chat),
            submit=True,
            channel=CHANNEL,
            idem=chat.idempotency({"service": service_key, "text": text}),
        )
    except DomainError as error:
        logger.warning("telegram: could not open a ticket for chat %s: %s", chat.chat_id, error)
        chat.send("failed")
        return "failed"
    _remember(chat, ticket, chat.send("opened", reference=ticket.reference, subject=ticket.subject, link=_page(ticket)))
    return "opened"


def _write_into(chat: Chat, ticket_id: str, text: str) -> str:
    try:
        ticket, _, _ = conversation.add_message(
            chat.caller,
            ticket_id,
            body=text,
            internal=False,
            channel=CHANNEL,
            attachment_ids=[],
            idem=chat.idempotency({"ticket": ticket_id, "text": text}),
        )
    except Conflict:
        ticket = ticket_items.get_ticket(ticket_id)
        reference = ticket.reference if ticket is not None else ""
        chat.send("closed", reference=reference)
        return "closed"
    except (NotFound, Forbidden):
        chat.send("expired")  # no longer theirs (moved, or they left the organisation): told nothing about it
        return "not_theirs"
    _remember(chat, ticket, chat.send("added", reference=ticket.reference, link=_page(ticket)))
    return "added"


def _page(ticket: Ticket) -> str:
    return conversation.signed_in_page(ticket)  # a chat is a signed-in person's: never the follow link


def _remember(chat: Chat, ticket: Ticket, message_id: int) -> None:
    """A bot message about a ticket: a reply to it goes into that ticket."""
    TelegramSent(
        items.chat_pk(chat.chat_id),
        f"SENT#{message_id}",
        ticket_id=ticket.ticket_id,
        reference=ticket.reference,
        expires_at=_epoch(SENT_TTL),
    ).save()


# --- notifications ---------------------------------------------------------------------------------------------------


def on_customer_notified(ticket: Ticket, headline: str, text: str, link: str) -> None:
    """The customer_notified hook (shared/desk.py): when the requester has a linked chat, the bot's function is
    asked to tell them there (asynchronously: never sent on the request path). A failure is logged: the e-mail
    and the portal still tell them."""
    try:
        if not items.chats_of(ticket.requester_sub):
            return
        workflows.invoke_async(
            config.get(config.TELEGRAM_FUNCTION),
            {"notified": {"ticket_id": ticket.ticket_id, "headline": headline, "text": text}},
        )
    except Exception:
        logger.exception("telegram: could not hand the notification of %s on", ticket.reference)


def deliver_notification(notified: dict[str, Any]) -> int:
    """Send the notification to each chat the requester linked; returns how many were sent. A chat that fails is
    logged and the others still get it."""
    ticket = ticket_items.get_ticket(str(notified.get("ticket_id")))
    if ticket is None:
        return 0
    sent = 0
    for link in items.chats_of(ticket.requester_sub):
        chat = Chat(int(link.chat_id), {})
        if chat.user is None or chat.user.sub != ticket.requester_sub:
            continue
        headline = chat.reader.say(f"headline.{notified.get('headline')}")
        text = chat.say(
            "notification",
            headline=headline,
            reference=ticket.reference,
            subject=ticket.subject,
            text=str(notified.get("text") or ""),
            link=_page(ticket),
        )
        try:
            _remember(chat, ticket, telegram_api.send_message(chat.chat_id, text))
            sent += 1
        except telegram_api.BotApiError:
            logger.exception("telegram: notification of %s to chat %s failed", ticket.reference, chat.chat_id)
    return sent
