"""`caseway telegram setup --stage`: the stage's outputs name the token's secret and the webhook's URL; the command
stores the token there and registers the webhook with the secret token the webhook function checks (the stage found
through its stack is played by emulated AWS; the Bot API by the fake, over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from infra.local import deployed, telegram_setup
from infra.local import telegram as local_telegram
from infra.local.telegram import FAKE
from shared.channels import telegram_api
from shared.platform import config

TOKEN = "7012345678:AAH3jq0Zs5t0vX_example-token-of-35chars"
WEBHOOK = "https://abc123.execute-api.eu-central-1.amazonaws.com/telegram/webhook"


@pytest.fixture
def stage(emulated_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = local_telegram.FakeBotServer()
    FAKE.reset()
    FAKE.token = TOKEN
    monkeypatch.setenv(config.TELEGRAM_API_URL, server.url)
    # The deployed stage's token secret, as the deploy leaves it (the emulation made it from the template).
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    arn = secrets.describe_secret(SecretId="caseway-dev/telegram-bot-token")["ARN"]
    secrets.put_secret_value(SecretId=arn, SecretString="placeholder the deploy generated")
    outputs = {"TelegramTokenSecretArn": arn, "TelegramWebhookUrl": WEBHOOK}
    found = deployed.Stage("dev", boto3.Session(region_name="us-east-1"), "UPDATE_COMPLETE", outputs)
    monkeypatch.setattr(deployed, "find_stage", lambda name, **_: found)
    yield arn
    FAKE.token = local_telegram.LOCAL_TOKEN
    server.close()


def test_setup_stores_the_token_and_registers_the_webhook_with_the_secret_token(stage):
    result = telegram_setup.setup_stage("dev", TOKEN, None, None)

    assert result == {"webhook": WEBHOOK, "bot": local_telegram.BOT_USER["username"]}
    stored = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(SecretId=stage)
    assert stored["SecretString"] == TOKEN
    assert FAKE.webhook == {"url": WEBHOOK, "secret_token": telegram_api.webhook_secret(TOKEN)}
    assert (
        "setWebhook",
        {
            "url": WEBHOOK,
            "secret_token": telegram_api.webhook_secret(TOKEN),
            "allowed_updates": ["message", "callback_query"],
            "drop_pending_updates": False,
        },
    ) in FAKE.calls


def test_setup_without_a_token_uses_the_stored_one_and_refuses_the_deploys_placeholder(stage):
    with pytest.raises(ValueError, match="no bot token stored yet"):
        telegram_setup.setup_stage("dev", None, None, None)
    assert FAKE.webhook == {}

    telegram_setup.setup_stage("dev", TOKEN, None, None)
    FAKE.reset()
    assert telegram_setup.setup_stage("dev", None, None, None)["webhook"] == WEBHOOK
    assert FAKE.webhook["secret_token"] == telegram_api.webhook_secret(TOKEN)


def test_setup_refuses_what_is_not_a_bot_token(stage):
    with pytest.raises(ValueError, match="not a bot token"):
        telegram_setup.setup_stage("dev", "hello", None, None)
    stored = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(SecretId=stage)
    assert stored["SecretString"] == "placeholder the deploy generated"
