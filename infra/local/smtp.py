"""The desk's inbound e-mail on one machine: an SMTP server (aiosmtpd) on 127.0.0.1 that does what SES's receipt
rule does in the cloud (infra/cdk/inbound.py): store the raw message in the (emulated) S3 bucket under
<prefix><message id>, then invoke the inbound-email function with SES's event. Send to it with smtplib, swaks or a
mail client: `smtp://127.0.0.1:2525` (SMTP_PORT= moves it).

SES's verdicts are all PASS here, and like SES it writes its `Authentication-Results: amazonses.com; ...` header
and an `X-SES-RECEIPT` header above the message: with SPF, DKIM and DMARC passing for the From header's domain, so
every sender is proven (shared/channels/trust.py). To try the quarantine or a forged sender, a message may carry
`X-Local-SES-Verdicts: spam=FAIL` or `dmarc=GRAY, dkim-domain=evil.example` (what SES would judge of a message
sent by someone else: `dkim-domain` names the domain whose DKIM signature passed). That header is read only by
this local server, never by the cloud's path.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from infra.local import emulation
from shared.platform import aws, config

logger = logging.getLogger(__name__)

DEFAULT_PORT = 2525
VERDICT_HEADER = b"x-local-ses-verdicts:"
MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # SES receives messages of up to 40 MB


def ses_event(
    message_id: str, *, source: str, recipients: list[str], verdicts: dict[str, str] | None = None
) -> dict[str, Any]:
    """The event SES's Lambda action sends (eventSource aws:ses), as far as the desk reads it."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    statuses = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS", **(verdicts or {})}
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": now,
                        "source": source,
                        "messageId": message_id,
                        "destination": recipients,
                        "headersTruncated": False,
                    },
                    "receipt": {
                        "timestamp": now,
                        "recipients": recipients,
                        **{f"{name}Verdict": {"status": status} for name, status in statuses.items()},
                        "action": {"type": "Lambda", "invocationType": "Event"},
                    },
                },
            }
        ]
    }


def ses_headers(raw: bytes, *, source: str, verdicts: dict[str, str]) -> bytes:
    """The headers SES writes above a received message: its Authentication-Results (SPF of the envelope sender,
    DKIM of `verdicts["dkim-domain"]` or else the From domain, DMARC of the From domain) and X-SES-RECEIPT."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    from_domain = parseaddr(str(message.get("From") or ""))[1].rpartition("@")[2].lower() or "unknown.invalid"
    statuses = {"spf": "PASS", "dkim": "PASS", "dmarc": "PASS", **verdicts}
    dkim_domain = verdicts.get("dkim-domain", from_domain).lower()
    spf, dkim, dmarc = (statuses[n].lower() for n in ("spf", "dkim", "dmarc"))
    results = (
        f"amazonses.com; spf={spf} (spfCheck: local) client-ip=127.0.0.1; envelope-from={source or '<>'}; "
        f"helo=localhost; dkim={dkim} header.i=@{dkim_domain}; "
        f"dmarc={'none' if dmarc == 'gray' else dmarc} header.from={from_domain};"
    )
    return f"Authentication-Results: {results}\r\nX-SES-RECEIPT: local\r\n".encode()


def deliver(
    raw: bytes,
    *,
    source: str,
    recipients: list[str],
    verdicts: dict[str, str] | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    """Receive one e-mail as SES would: SES's headers above it, the raw message into the inbound bucket, then the
    inbound function with SES's event. `message_id`: SES's id (the same id again is SES delivering twice). The
    function's answer."""
    message_id = message_id or uuid.uuid4().hex
    verdicts = {k.lower(): v for k, v in (verdicts or {}).items()}
    return_path = b"" if raw.lower().startswith(b"return-path:") else f"Return-Path: <{source}>\r\n".encode()
    raw = return_path + ses_headers(raw, source=source, verdicts=verdicts) + raw  # as SES's receiving MTA adds them
    aws.client("s3").put_object(
        Bucket=config.get(config.INBOUND_BUCKET), Key=config.get(config.INBOUND_PREFIX) + message_id, Body=raw
    )
    receipt = {k: v.upper() for k, v in verdicts.items() if k in ("spam", "virus", "spf", "dkim", "dmarc")}
    event = ses_event(message_id, source=source, recipients=recipients, verdicts=receipt)
    name = f"{emulation.FUNCTION_PREFIX}inbound-email"
    return emulation.call(name, event)


def local_verdicts(raw: bytes) -> dict[str, str]:
    """`X-Local-SES-Verdicts: spam=FAIL, virus=FAIL` in the header block (local only: to try the quarantine)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.splitlines():
        if line.lower().startswith(VERDICT_HEADER):
            pairs = line[len(VERDICT_HEADER) :].decode("ascii", "replace").split(",")
            found = {k.strip().lower(): v.strip() for k, v in (p.split("=", 1) for p in pairs if "=" in p)}
            return {k: v if k == "dkim-domain" else v.upper() for k, v in found.items()}
    return {}


class InboundHandler:
    """aiosmtpd's handler: every accepted message is delivered as SES would deliver it."""

    def __init__(self, domains: set[str]) -> None:
        self.domains = domains

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        domain = parseaddr(address)[1].rsplit("@", 1)[-1].lower()
        if domain not in self.domains:
            return f"550 5.1.2 this desk receives mail for {', '.join(sorted(self.domains))} only"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            result = deliver(
                raw,
                source=envelope.mail_from or "",
                recipients=[r.lower() for r in envelope.rcpt_tos],
                verdicts=local_verdicts(raw),
            )
        except Exception:
            logger.exception("inbound e-mail from %s failed", envelope.mail_from)
            return "451 4.3.0 the desk could not take the message now; try again later"
        logger.info("inbound e-mail from %s: %s", envelope.mail_from, result)
        return "250 Message accepted"


class SmtpServer:
    """The local receiving server on 127.0.0.1:<port>."""

    def __init__(self, port: int = DEFAULT_PORT) -> None:
        self.port = port
        domains = {config.get(config.REPLY_DOMAIN).lower(), config.get(config.SENDER_EMAIL).rsplit("@", 1)[-1]}
        self.controller = Controller(
            InboundHandler(domains),
            hostname="127.0.0.1",
            port=port,
            data_size_limit=MAX_MESSAGE_BYTES,
            decode_data=False,
            server_hostname="caseway.local",
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
