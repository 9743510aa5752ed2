"""The Lambda SES's receipt rule invokes for each e-mail to the desk's receiving addresses, after its S3 action
stored the raw message (infra/cdk/inbound.py); locally the SMTP server (infra/local/smtp.py) stores the message in
the emulated S3 and calls this handler with the same event.

The event: {"Records": [{"eventSource": "aws:ses", "ses": {"mail": {"messageId", "source", "destination", ...},
"receipt": {"recipients", "spamVerdict", "virusVerdict", "spfVerdict", "dkimVerdict", "dmarcVerdict", ...}}}]}.
The raw message is at <CASEWAY_INBOUND_PREFIX><messageId> in CASEWAY_INBOUND_BUCKET. SES invokes asynchronously
and may invoke twice: shared.channels.inbound processes each message id once. A failure raises (Lambda retries,
then the failed-invocations queue); the e-mail stays in the bucket.
"""

from __future__ import annotations

from typing import Any

from functions import entry
from shared.channels import inbound
from shared.platform import config, files

logger = entry.start("caseway-inbound-email")


def verdicts_of(receipt: dict[str, Any]) -> dict[str, str]:
    """{"spam": "PASS", "virus": "FAIL", ...} from SES's receipt."""
    names = ("spam", "virus", "spf", "dkim", "dmarc")
    return {n: str((receipt.get(f"{n}Verdict") or {}).get("status", "")) for n in names if receipt.get(f"{n}Verdict")}


def delivery_of(record: dict[str, Any]) -> inbound.Delivery:
    ses = record["ses"]
    mail, receipt = ses["mail"], ses.get("receipt") or {}
    message_id = mail["messageId"]
    bucket = config.get(config.INBOUND_BUCKET)
    key = config.get(config.INBOUND_PREFIX) + message_id
    return inbound.Delivery(
        raw=files.read_object(bucket, key),
        ses_message_id=message_id,
        recipients=[str(r).lower() for r in receipt.get("recipients") or mail.get("destination") or []],
        verdicts=verdicts_of(receipt),
        bucket=bucket,
        key=key,
        source=str(mail.get("source") or ""),
    )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcomes = []
    for record in event.get("Records") or []:
        if record.get("eventSource") != "aws:ses":
            raise ValueError(f"inbound-email: not an SES event: {record.get('eventSource')!r}")
        outcome = inbound.receive(delivery_of(record))
        logger.info("inbound e-mail", extra={"ses_message_id": record["ses"]["mail"]["messageId"], **outcome.as_dict()})
        outcomes.append(outcome.as_dict())
    return {"outcomes": outcomes}
