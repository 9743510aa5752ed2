"""Messages to the desk's managers outside the desk: the incidents topic (SNS), to which the stage subscribes the
managers' e-mail addresses (infra/cdk/incidents.py; locally a topic on the emulated SNS)."""

from __future__ import annotations

import json
import logging
from typing import Any

from shared.platform import aws, config

logger = logging.getLogger(__name__)

SUBJECT_LIMIT = 100  # SNS: at most 100 printable ASCII characters, no line breaks


def subject_line(text: str) -> str:
    """`text` as an SNS e-mail subject may be: ASCII, one line, at most 100 characters."""
    ascii_text = " ".join(text.encode("ascii", "replace").decode().split())
    return ascii_text if len(ascii_text) <= SUBJECT_LIMIT else ascii_text[: SUBJECT_LIMIT - 3] + "..."


def tell_managers(subject: str, message: str, attributes: dict[str, str] | None = None) -> str | None:
    """Publish to the incidents topic; the SNS message id, or None when publishing failed (logged: what was raised
    stays in the desk, `GET /incidents`, whether or not the mail went out)."""
    try:
        response = aws.client("sns").publish(
            TopicArn=config.get(config.INCIDENTS_TOPIC_ARN),
            Subject=subject_line(subject),
            Message=message,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in (attributes or {}).items()
                if value
            },
        )
    except Exception:
        logger.exception("could not publish to the incidents topic: %s", subject)
        return None
    return str(response.get("MessageId"))


def as_text(lines: dict[str, Any]) -> str:
    """`name: value` lines for an e-mail body (values that are not text as JSON), empty values left out."""
    out = []
    for name, value in lines.items():
        if value in (None, "", {}, []):
            continue
        out.append(f"{name}: {value if isinstance(value, str) else json.dumps(value, default=str)}")
    return "\n".join(out) + "\n"
