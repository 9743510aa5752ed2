"""`caseway telegram setup`: the stage's bot token into its secret and the bot's webhook registered with Telegram
(setWebhook with the secret token the webhook function checks), one bot per stage.

    caseway telegram setup --stage dev [--token <token from BotFather>]   (or CASEWAY_TELEGRAM_BOT_TOKEN=...)
    caseway telegram setup --url http://127.0.0.1:8000                     (the local stack's fake Bot API)

Without a token the one already stored is used (a second run after a redeploy). It prints the bot's @username: the
portal's deep links need it (`-c caseway:telegram_bot=<username>` when deploying).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

from shared.channels import telegram_api
from shared.platform import config

TOKEN_SHAPE = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{20,}$")
TOKEN_VARIABLE = "CASEWAY_TELEGRAM_BOT_TOKEN"  # noqa: S105 - a variable's name
LOCAL_TOKEN = "424242:local-fake-bot-token"  # noqa: S105 - infra/local/telegram.py's fake Bot API, local only


def add_parser(sub: argparse._SubParsersAction) -> None:
    telegram = sub.add_parser("telegram", help="the desk's Telegram bot")
    commands = telegram.add_subparsers(dest="telegram_command", required=True)
    setup = commands.add_parser("setup", help="store the bot's token and register its webhook with a secret token")
    target = setup.add_mutually_exclusive_group(required=True)
    target.add_argument("--stage", help="a deployed stage (stack caseway-<stage>), with your AWS credentials")
    target.add_argument("--url", help="the local stack, e.g. http://127.0.0.1:8000 (its fake Bot API)")
    setup.add_argument(
        "--token", help=f"the bot's token from BotFather (default: ${TOKEN_VARIABLE}, else the stored one)"
    )
    setup.add_argument("--region", help="AWS region of the stack (default: your AWS configuration)")
    setup.add_argument("--profile", help="AWS profile (default: your AWS configuration)")


def run(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get(TOKEN_VARIABLE) or None
    try:
        result = setup_local(args.url) if args.url else setup_stage(args.stage, token, args.profile, args.region)
    except (ValueError, telegram_api.BotApiError) as error:
        print(f"caseway telegram setup: error: {error}", file=sys.stderr)
        return 2
    print(f"webhook  {result['webhook']}")
    print(f"bot      @{result['bot']}")
    print(f"Deep links use @{result['bot']}: deploy with -c caseway:telegram_bot={result['bot']} if it differs.")
    return 0


def register(webhook_url: str, token: str) -> dict[str, Any]:
    telegram_api.set_webhook(webhook_url, token=token)
    me = telegram_api.call("getMe", token=token)
    return {"webhook": webhook_url, "bot": me.get("username", "")}


def setup_local(url: str) -> dict[str, Any]:
    base = url.rstrip("/")
    os.environ[config.TELEGRAM_API_URL] = f"{base}/local/telegram"
    return register(f"{base}/telegram/webhook", LOCAL_TOKEN)


def setup_stage(stage_name: str, token: str | None, profile: str | None, region: str | None) -> dict[str, Any]:
    from infra.local import deployed  # only a deployed stage loads boto3

    try:
        stage = deployed.find_stage(stage_name, profile=profile, region=region)
        secret_arn = stage.output("TelegramTokenSecretArn")
        webhook_url = stage.output("TelegramWebhookUrl")
        secrets = stage.client("secretsmanager")
        if token:
            if not TOKEN_SHAPE.match(token):
                raise ValueError("that is not a bot token (BotFather gives <digits>:<35 characters>)")
            secrets.put_secret_value(SecretId=secret_arn, SecretString=token)
        else:
            token = str(secrets.get_secret_value(SecretId=secret_arn)["SecretString"]).strip()
            if not TOKEN_SHAPE.match(token):
                raise ValueError(f"no bot token stored yet: pass --token or set {TOKEN_VARIABLE}")
    except deployed.StageError as error:
        raise ValueError(str(error)) from None
    return register(webhook_url, token)
