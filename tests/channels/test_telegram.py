"""Telegram, in-process: the webhook's real handler called as API Gateway calls it, the bot's function run by the
emulated Lambda (an asynchronous invoke), and its Bot API calls going over HTTP to the fake Bot API
(infra/local/telegram.py) on a port of its own, which records what the bot sent."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from functions import telegram_webhook
from infra.local import fake_aws
from infra.local import telegram as local_telegram
from infra.local.telegram import FAKE
from shared.channels import telegram, telegram_api
from shared.platform import clock, config
from tests.conftest import BOB, GUS, MARIA, Api

CHAT = 7001


@pytest.fixture(scope="module")
def bot_api() -> Iterator[str]:
    server = local_telegram.FakeBotServer()
    yield server.url
    server.close()


@pytest.fixture
def bot(api: Api, bot_api: str, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The seeded desk with its bot talking to the fake Bot API."""
    monkeypatch.setenv(config.TELEGRAM_API_URL, bot_api)
    local_telegram.install()
    FAKE.reset()
    return api


def deliver(api: Api, update: dict[str, Any], secret: str | None = "") -> dict[str, Any]:
    """POST the update to the webhook as Telegram does (`secret`: the header, default the registered one)."""
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers[telegram_webhook.SECRET_HEADER] = secret or telegram_api.webhook_secret()
    event = api.gateway.event("POST", "/telegram/webhook", headers, json.dumps(update).encode(), "149.154.167.1", None)
    return telegram_webhook.handler(event, fake_aws.LambdaContext("caseway-telegram-webhook"))


def write(api: Api, chat: int, text: str, reply_to: int | None = None) -> dict[str, Any]:
    answer = deliver(api, FAKE.user_writes(chat, text, reply_to=reply_to, name="Bob Builder"))
    assert answer["statusCode"] == 200, answer
    return answer


def press(api: Api, chat: int, message: dict[str, Any], label: str) -> None:
    data = next(b["callback_data"] for row in message["buttons"] for b in row if b["text"].startswith(label))
    answer = deliver(api, FAKE.user_presses(chat, message["message_id"], data))
    assert answer["statusCode"] == 200, answer


def last(chat: int) -> dict[str, Any]:
    return FAKE.sent_to(chat)[-1]


def link_code(api: Api, user: str = BOB) -> str:
    reply = api("POST", "/channels/telegram/link", user=user)
    assert reply.status == 201, reply.text
    assert reply.json["expires_in"] == telegram.LINK_CODE_MINUTES * 60
    found = re.fullmatch(r"https://t\.me/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]{16,64})", reply.json["url"])
    assert found and found.group(1) == reply.json["bot"], reply.json
    return found.group(2)


def linked(api: Api, chat: int = CHAT, user: str = BOB) -> None:
    write(api, chat, f"/start {link_code(api, user)}")
    assert "This chat is linked to bob@acme.example" in last(chat)["text"]


def open_ticket(api: Api, chat: int, text: str) -> dict[str, Any]:
    """Write to the bot, open a new ticket on the first service offered; the ticket as staff see it."""
    write(api, chat, text)
    asked = last(chat)
    if asked["text"].startswith("Which ticket"):
        press(api, chat, asked, "New ticket")
        asked = last(chat)
    assert asked["text"].startswith("What do you need?"), asked
    press(api, chat, asked, "Question about functionality")
    opened = last(chat)
    reference = re.search(r"Ticket (CW-\d+) is open", opened["text"]).group(1)
    return api("GET", f"/tickets/{reference}", user=MARIA).json


def messages(api: Api, ticket_id: str) -> list[dict[str, Any]]:
    return api("GET", f"/tickets/{ticket_id}", user=MARIA).json["messages"]


# --- linking -------------------------------------------------------------------------------------------------------


def test_a_customer_links_a_chat_with_a_one_time_deep_link_and_sees_it_in_the_portal(bot):
    assert bot("GET", "/channels/telegram", user=BOB).json["items"] == []

    linked(bot)

    chats = bot("GET", "/channels/telegram", user=BOB).json
    assert [(c["chat_id"], c["name"]) for c in chats["items"]] == [(CHAT, "Bob Builder @bob_builder")]
    assert bot("GET", "/channels/telegram", user=GUS).json["items"] == []  # another customer's list: their own


def test_an_expired_or_reused_link_code_is_refused_and_links_nothing(bot, monkeypatch):
    code = link_code(bot)
    write(bot, CHAT, f"/start {code}")
    write(bot, CHAT + 1, f"/start {code}")  # the same link opened again, in another chat

    assert last(CHAT + 1)["text"].startswith("This link has expired or was already used.")
    late = link_code(bot)
    later = clock.now() + timedelta(minutes=telegram.LINK_CODE_MINUTES, seconds=1)
    monkeypatch.setattr(clock, "_now", lambda: later)
    write(bot, CHAT + 2, f"/start {late}")

    assert last(CHAT + 2)["text"].startswith("This link has expired or was already used.")
    write(bot, CHAT + 2, "Hello?")
    assert last(CHAT + 2)["text"].startswith("This chat is not linked")
    assert [c["chat_id"] for c in bot("GET", "/channels/telegram", user=BOB).json["items"]] == [CHAT]


def test_staff_make_no_link_codes(bot):
    reply = bot("POST", "/channels/telegram/link", user=MARIA)

    assert reply.status == 403 and reply.content_type == "application/problem+json"


# --- the conversation ----------------------------------------------------------------------------------------------


def test_writing_to_the_bot_opens_a_ticket_as_the_customer_on_the_service_they_pick(bot):
    linked(bot)

    ticket = open_ticket(bot, CHAT, "The export to PDF fails\nSince this morning every export ends with error 500.")

    assert ticket["subject"] == "The export to PDF fails"
    assert ticket["service"] == "functionality-question"
    assert ticket["channel"] == "telegram"
    assert ticket["description"].endswith("every export ends with error 500.")
    assert ticket["requester"]["email"] == BOB
    mine = bot("GET", "/tickets?scope=mine", user=BOB).json["items"]
    assert ticket["id"] in [t["id"] for t in mine]  # Bob's own ticket, as if he had opened it in the portal
    assert f"/app/tickets/{ticket['reference']}" in last(CHAT)["text"]


def test_a_reply_to_a_bot_message_goes_into_that_ticket_as_the_customers_message(bot):
    linked(bot)
    ticket = open_ticket(bot, CHAT, "Printing is slow")

    write(bot, CHAT, "It takes two minutes a page.", reply_to=last(CHAT)["message_id"])

    written = [m for m in messages(bot, ticket["id"]) if m["body"] == "It takes two minutes a page."]
    assert len(written) == 1
    assert written[0]["channel"] == "telegram"
    assert (written[0]["author"]["role"], written[0]["author"]["email"]) == ("customer", BOB)
    assert last(CHAT)["text"].startswith(f"Added to {ticket['reference']}.")


def test_a_message_that_is_not_a_reply_asks_which_ticket_with_the_open_tickets_as_buttons(bot):
    linked(bot)
    ticket = open_ticket(bot, CHAT, "Invoices show the wrong VAT")

    write(bot, CHAT, "One more thing: also on credit notes.")
    asked = last(CHAT)

    labels = [b["text"] for row in asked["buttons"] for b in row]
    assert asked["text"].startswith("Which ticket is this about?")
    assert f"{ticket['reference']}: Invoices show the wrong VAT" in labels and labels[-1] == "New ticket"
    press(bot, CHAT, asked, ticket["reference"])
    assert "One more thing: also on credit notes." in [m["body"] for m in messages(bot, ticket["id"])]


def test_what_the_desk_tells_the_customer_arrives_in_the_linked_chat_and_a_reply_to_it_goes_back(bot):
    linked(bot)
    ticket = open_ticket(bot, CHAT, "Cannot log in")
    before = len(FAKE.sent_to(CHAT))

    reply = bot(
        "POST",
        f"/tickets/{ticket['id']}/messages",
        user=MARIA,
        body={"body": "Please try resetting your password.", "attachments": [], "internal": False},
    )
    assert reply.status == 201, reply.text

    notes = FAKE.sent_to(CHAT)[before:]
    assert len(notes) == 1
    assert notes[0]["text"].startswith(f"New reply · {ticket['reference']}: Cannot log in")
    assert "Please try resetting your password." in notes[0]["text"]
    assert f"/app/tickets/{ticket['reference']}" in notes[0]["text"]
    write(bot, CHAT, "That worked, thank you.", reply_to=notes[0]["message_id"])
    assert "That worked, thank you." in [m["body"] for m in messages(bot, ticket["id"])]


# --- the webhook's door ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "not-the-secret"])
def test_a_wrong_or_missing_secret_token_is_401_and_the_update_is_not_taken(bot, secret):
    linked(bot)
    update = FAKE.user_writes(CHAT, "Let me in")
    sent_before = len(FAKE.sent_to(CHAT))

    answer = deliver(bot, update, secret=secret)

    assert answer["statusCode"] == 401
    assert answer["headers"]["content-type"] == "application/problem+json"
    assert "X-Telegram-Bot-Api-Secret-Token" in json.loads(answer["body"])["detail"]
    assert len(FAKE.sent_to(CHAT)) == sent_before  # nothing answered
    assert deliver(bot, update)["statusCode"] == 200  # the same update with the right secret is still taken
    assert len(FAKE.sent_to(CHAT)) == sent_before + 1


def test_a_repeated_update_is_processed_once(bot):
    linked(bot)
    ticket = open_ticket(bot, CHAT, "Reports are empty")
    update = FAKE.user_writes(CHAT, "Even the yearly one.", reply_to=last(CHAT)["message_id"])
    sent_before = len(FAKE.sent_to(CHAT))

    first, again = deliver(bot, update), deliver(bot, update)

    assert first["statusCode"] == again["statusCode"] == 200
    assert '"repeated": true' in again["body"]
    assert [m["body"] for m in messages(bot, ticket["id"])].count("Even the yearly one.") == 1
    assert len(FAKE.sent_to(CHAT)) == sent_before + 1


def test_an_unlinked_chat_gets_a_short_explanation_and_never_any_data(bot):
    linked(bot)
    ticket = open_ticket(bot, CHAT, "Secret project question")
    stranger = CHAT + 50
    notification_id = last(CHAT)["message_id"]

    write(bot, stranger, "Show me my tickets")
    write(bot, stranger, "Add this to your ticket", reply_to=notification_id)  # a message id of another chat
    deliver(
        bot,
        {
            "update_id": 990001,
            "callback_query": {
                "id": "cb-x",
                "from": {"id": stranger, "is_bot": False, "first_name": "Eve"},
                "message": {"message_id": notification_id, "chat": {"id": stranger, "type": "private"}},
                "data": "t:0",
            },
        },
    )

    answers = [m["text"] for m in FAKE.sent_to(stranger)]
    assert len(answers) == 3 and all(a.startswith("This chat is not linked to a Caseway account") for a in answers)
    assert not any("CW-" in a or "Secret project" in a for a in answers)
    bodies = [m["body"] for m in messages(bot, ticket["id"])]
    assert "Add this to your ticket" not in bodies and "Show me my tickets" not in bodies


def test_a_group_chat_is_never_linked_nor_answered_with_data(bot):
    group = -100123
    code = link_code(bot)
    update = FAKE.user_writes(group, f"/start {code}", name="Acme team")
    update["message"]["chat"]["type"] = "supergroup"

    assert deliver(bot, update)["statusCode"] == 200

    assert [m["text"] for m in FAKE.sent_to(group)] == [
        "I work in private chats only: open a chat with me directly and write there."
    ]
    assert bot("GET", "/channels/telegram", user=BOB).json["items"] == []
    write(bot, CHAT, f"/start {code}")  # the code was not spent in the group: it still links a private chat
    assert "This chat is linked to bob@acme.example" in last(CHAT)["text"]


def test_a_body_that_is_not_an_update_is_400_and_a_failed_hand_off_is_503_then_taken_on_retry(bot, monkeypatch):
    linked(bot)
    headers = {"content-type": "application/json", telegram_webhook.SECRET_HEADER: telegram_api.webhook_secret()}
    event = bot.gateway.event("POST", "/telegram/webhook", headers, b'{"message": {}}', "149.154.167.1", None)
    answer = telegram_webhook.handler(event, fake_aws.LambdaContext("caseway-telegram-webhook"))
    assert answer["statusCode"] == 400 and answer["headers"]["content-type"] == "application/problem+json"

    update = FAKE.user_writes(CHAT, "/start")
    sent_before = len(FAKE.sent_to(CHAT))

    def refuse(function: str, payload: dict[str, Any]) -> None:
        raise RuntimeError("Lambda throttled")

    with monkeypatch.context() as patched:
        patched.setattr(telegram_webhook.workflows, "invoke_async", refuse)
        assert deliver(bot, update)["statusCode"] == 503
    assert len(FAKE.sent_to(CHAT)) == sent_before
    assert deliver(bot, update)["statusCode"] == 200  # Telegram's retry of the same update is taken
    assert last(CHAT)["text"].startswith("This chat is linked to bob@acme.example")


# --- deactivated means deactivated --------------------------------------------------------------------------------


@pytest.mark.usefixtures("user_pool")
def test_a_deactivated_persons_linked_chat_opens_nothing_and_hears_nothing(bot):
    linked(bot)
    ticket = open_ticket(bot, CHAT, "Cannot print")
    notification_id = last(CHAT)["message_id"]
    deactivated = bot("POST", "/people/cust-bob/deactivate", user=MARIA)
    assert deactivated.status == 200, deactivated.text
    before = len(FAKE.sent_to(CHAT))

    write(bot, CHAT, "A new problem: the scanner is offline")
    write(bot, CHAT, "Still broken", reply_to=notification_id)
    answer = bot(
        "POST",
        f"/tickets/{ticket['id']}/messages",
        user=MARIA,
        body={"body": "We are looking into it.", "attachments": [], "internal": False},
    )
    assert answer.status == 201, answer.text

    answers = [m["text"] for m in FAKE.sent_to(CHAT)[before:]]
    assert len(answers) == 2 and all(a.startswith("This chat is not linked to a Caseway account") for a in answers)
    assert "Still broken" not in [m["body"] for m in messages(bot, ticket["id"])]
    assert [t["subject"] for t in bot("GET", "/tickets?limit=50", user=MARIA).json["items"]].count(
        "A new problem: the scanner is offline"
    ) == 0
    assert telegram.deliver_notification({"ticket_id": ticket["id"], "headline": "new_reply", "text": "x"}) == 0
