"""E-mail to people (SES)."""

from __future__ import annotations

import logging

from shared.platform import aws, config

logger = logging.getLogger(__name__)


def send_email(to: str | None, subject: str, body: str) -> None:
    """R10: tell the customer. Failures are logged; the ticket's log already holds the message."""
    if not to:
        return
    try:
        aws.client("ses").send_email(
            Source=config.get(config.SENDER_EMAIL),
            Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}},
        )
    except Exception:
        logger.exception("could not email %s", to)
