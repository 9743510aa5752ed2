"""Environment variable names and defaults shared by the Lambdas, the local stack and the CDK app.

One source of truth: the CDK app sets exactly these variables on each function, the local stack
sets them in its own process.
"""

from __future__ import annotations

import os

TABLE_NAME = "CASEWAY_TABLE_NAME"
EVENT_BUS_NAME = "CASEWAY_EVENT_BUS_NAME"
ATTACHMENTS_BUCKET = "CASEWAY_ATTACHMENTS_BUCKET"
SENDER_EMAIL = "CASEWAY_SENDER_EMAIL"
ROUTE_ARN_PREFIX = "CASEWAY_ROUTE_ARN_PREFIX"  # state machine ARN up to the route name
PUBLIC_BASE_URL = "CASEWAY_PUBLIC_BASE_URL"  # where the web form and follow links point
SITE_URL = "CASEWAY_SITE_URL"  # the web app (infra/site.py): its pages are <SITE_URL>/app/...
WEBFORM_RATE_PER_HOUR = "CASEWAY_WEBFORM_RATE_PER_HOUR"
WORKER_FUNCTION = "CASEWAY_WORKER_FUNCTION"  # the route-steps function, for SLA follow-ups the API hands over
INCIDENTS_TOPIC_ARN = "CASEWAY_INCIDENTS_TOPIC_ARN"  # SNS topic managers subscribe to: every incident raised (R24)
USER_POOL_ID = "CASEWAY_USER_POOL_ID"  # the Cognito user pool people are invited into
# Telegram (shared/channels/telegram*.py): the Bot API's base URL (the local stack points it at its fake), the
# secret holding the bot's token, the bot's @username for the deep links, the function that talks to the bot
TELEGRAM_API_URL = "CASEWAY_TELEGRAM_API_URL"
TELEGRAM_TOKEN_SECRET = "CASEWAY_TELEGRAM_TOKEN_SECRET"  # noqa: S105 (a variable name) Secrets Manager id
TELEGRAM_BOT_USERNAME = "CASEWAY_TELEGRAM_BOT_USERNAME"
TELEGRAM_FUNCTION = "CASEWAY_TELEGRAM_FUNCTION"
REPLY_DOMAIN = "CASEWAY_REPLY_DOMAIN"  # the domain of the tickets' reply addresses (SES receives mail for it)
REPLY_SECRET = "CASEWAY_REPLY_SECRET"  # noqa: S105 (a variable name) signs each ticket's reply address (HMAC-SHA256); the stack keeps it secret
AWS_REGION = "AWS_REGION"

DEFAULTS = {
    TABLE_NAME: "caseway",
    EVENT_BUS_NAME: "caseway-ticket-events",
    ATTACHMENTS_BUCKET: "caseway-attachments",
    SENDER_EMAIL: "support@caseway.example",
    ROUTE_ARN_PREFIX: "arn:aws:states:us-east-1:123456789012:stateMachine:caseway-",
    PUBLIC_BASE_URL: "http://127.0.0.1:8000",
    SITE_URL: "http://127.0.0.1:8000",
    WEBFORM_RATE_PER_HOUR: "30",
    WORKER_FUNCTION: "caseway-route-tasks",
    INCIDENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:caseway-incidents",
    USER_POOL_ID: "",
    TELEGRAM_API_URL: "https://api.telegram.org",
    TELEGRAM_TOKEN_SECRET: "caseway/telegram-bot-token",
    TELEGRAM_BOT_USERNAME: "caseway_desk_bot",
    TELEGRAM_FUNCTION: "caseway-telegram",
    REPLY_DOMAIN: "caseway.example",
    REPLY_SECRET: "local-reply-secret",
    AWS_REGION: "us-east-1",
}


def get(name: str) -> str:
    """The variable's value, or the documented default."""
    return os.environ.get(name) or DEFAULTS[name]


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULTS[AWS_REGION]
