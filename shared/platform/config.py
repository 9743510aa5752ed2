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
WEBFORM_RATE_PER_HOUR = "CASEWAY_WEBFORM_RATE_PER_HOUR"  # web-form submissions per source IP and per address an hour
# After this many submissions in an hour for one typed address, or from one source IP (an office shares one), each
# further one carries a solved proof-of-work challenge (shared/tickets/proof_of_work.py) of this many leading zero bits
WEBFORM_FREE_PER_HOUR = "CASEWAY_WEBFORM_FREE_PER_HOUR"
WEBFORM_FREE_PER_IP_HOUR = "CASEWAY_WEBFORM_FREE_PER_IP_HOUR"
WEBFORM_PROOF_BITS = "CASEWAY_WEBFORM_PROOF_BITS"
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
REPLY_SECRET_ARN = "CASEWAY_REPLY_SECRET_ARN"  # noqa: S105 (a variable name) the secret holding it, in the cloud
INBOUND_BUCKET = "CASEWAY_INBOUND_BUCKET"  # where SES (locally the SMTP server) stores each received e-mail, raw
INBOUND_PREFIX = "CASEWAY_INBOUND_PREFIX"  # the key prefix of those e-mails: <prefix><SES message id>
# Which service a new e-mail opens, by the receiving address's local part: "support=functionality-question,..."; the
# first pair is also what an address not listed opens.
INBOUND_SERVICES = "CASEWAY_INBOUND_SERVICES"
INBOUND_RATE_PER_HOUR = "CASEWAY_INBOUND_RATE_PER_HOUR"  # e-mails one sender may send into the desk per hour
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
    WEBFORM_FREE_PER_HOUR: "3",
    WEBFORM_FREE_PER_IP_HOUR: "20",
    WEBFORM_PROOF_BITS: "16",
    WORKER_FUNCTION: "caseway-route-tasks",
    INCIDENTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:caseway-incidents",
    USER_POOL_ID: "",
    TELEGRAM_API_URL: "https://api.telegram.org",
    TELEGRAM_TOKEN_SECRET: "caseway/telegram-bot-token",
    TELEGRAM_BOT_USERNAME: "caseway_desk_bot",
    TELEGRAM_FUNCTION: "caseway-telegram",
    REPLY_DOMAIN: "caseway.example",
    REPLY_SECRET: "local-reply-secret",
    REPLY_SECRET_ARN: "",
    INBOUND_BUCKET: "caseway-inbound-mail",
    INBOUND_PREFIX: "inbound/",
    INBOUND_SERVICES: "support=functionality-question",
    INBOUND_RATE_PER_HOUR: "20",
    AWS_REGION: "us-east-1",
}


def get(name: str) -> str:
    """The variable's value, or the documented default."""
    return os.environ.get(name) or DEFAULTS[name]


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULTS[AWS_REGION]
