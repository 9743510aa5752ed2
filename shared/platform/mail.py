"""E-mail to people (SES): a raw MIME message built with the standard library's `email` package, so it carries what
plain SendEmail cannot: Reply-To, In-Reply-To and References (one thread per ticket in the reader's mail client), a
text and an HTML part, and Auto-Submitted (mail the desk sends by itself: well-behaved auto-responders stay quiet).

SES replaces the Message-ID a sender sets with its own, `<MessageId@<region>.amazonses.com>` (us-east-1:
`email.amazonses.com`), built from the MessageId SendRawEmail returns: that is the one to remember for threading,
and the one `send` returns.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from shared.platform import aws, clock, config

logger = logging.getLogger(__name__)

# RFC 5322 lines stay short: References keeps the first message (the thread's root) and the newest ones.
REFERENCES_KEPT = 20
# Written out with CRLF line ends (the wire's), headers folded only past RFC 5322's hard limit: the standard
# library's folding at 78 characters moves a long subject whole onto a continuation line, which some clients show
# with a leading space. Bodies are quoted-printable (7-bit clean, lines of at most 76) whatever the language.
WIRE = SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Mail:
    """One e-mail to one person."""

    to: str
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: Sequence[str] = field(default_factory=tuple)
    automatic: bool = True  # sent by the desk itself (Auto-Submitted: auto-generated)


def ses_message_id(ses_id: str, region: str | None = None) -> str:
    """The Message-ID header SES gives a message it sent with MessageId `ses_id`."""
    region = region or config.region()
    host = "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"
    return f"<{ses_id}@{host}>"


def references_line(references: Sequence[str]) -> list[str]:
    """The References header's ids, oldest first: the root and the newest, at most REFERENCES_KEPT."""
    ids = [r for r in references if r]
    if len(ids) > REFERENCES_KEPT:
        ids = [ids[0], *ids[-(REFERENCES_KEPT - 1) :]]
    return ids


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message: text/plain, and with `mail.html` a multipart/alternative with the HTML last."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = mail.to
    message["Date"] = format_datetime(clock.now())
    message["Subject"] = " ".join(mail.subject.split())  # one line, whatever the ticket's subject holds
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
    references = references_line(mail.references)
    if references:
        message["References"] = " ".join(references)
    if mail.automatic:
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def address_ref(address: str) -> str:
    """How a log line names an e-mail address: a short digest, never the address (no personal data in logs). The
    same address gives the same reference, so an operator who knows an address can still find its lines."""
    return "addr-" + hashlib.sha256(address.strip().lower().encode()).hexdigest()[:12]


def send(mail: Mail) -> str | None:
    """Send one e-mail; the Message-ID it went out with (SES's), or None when it was not sent (logged: the ticket's
    log already holds what it said)."""
    if not mail.to:
        return None
    sender = config.get(config.SENDER_EMAIL)
    try:
        raw = build_message(mail, sender).as_bytes(policy=WIRE)
        response = aws.client("ses").send_raw_email(Source=sender, Destinations=[mail.to], RawMessage={"Data": raw})
    except Exception:
        logger.exception("could not email %s", address_ref(mail.to))
        return None
    return ses_message_id(str(response["MessageId"]))


def send_email(to: str | None, subject: str, body: str) -> str | None:
    """A plain-text e-mail (staff notices); the Message-ID, or None when not sent."""
    if not to:
        return None
    return send(Mail(to=to, subject=subject, text=body))


# --- a simple, safe HTML body: every piece of text escaped, links only http(s) ----------------------------------

_LINK = re.compile(r"https?://[^\s<>\"']+")
STYLE_BODY = "font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;max-width:640px"
STYLE_FACTS = "color:#57606a;font-size:13px;border-top:1px solid #d0d7de;padding-top:12px;margin-top:24px"
STYLE_BUTTON = "display:inline-block;background:#0b5cad;color:#ffffff;padding:10px 18px;border-radius:4px"


def html_text(text: str) -> str:
    """Plain text as HTML paragraphs: escaped, line breaks kept, http(s) links made links."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "\n".join(f"<p>{_linked(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _linked(text: str) -> str:
    out, last = [], 0
    for found in _LINK.finditer(text):
        out.append(html.escape(text[last : found.start()]))
        url = found.group(0).rstrip(".,;:)")
        out.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        last = found.start() + len(url)
    out.append(html.escape(text[last:]))
    return "".join(out)


def html_document(
    *, language: str, title: str, text: str, facts: Sequence[tuple[str, str]], link: str | None, link_label: str
) -> str:
    """The HTML part: the title, the text, a button to `link`, the facts (label, value) below; inline styles only
    (mail clients drop style sheets), no scripts, no images."""
    rows = "".join(
        f'<tr><td style="padding-right:12px">{html.escape(label)}</td><td>{html.escape(value)}</td></tr>'
        for label, value in facts
    )
    button = ""
    if link and link.startswith(("https://", "http://")):
        button = f'<p><a href="{html.escape(link)}" style="{STYLE_BUTTON}">{html.escape(link_label)}</a></p>'
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        f'<body style="{STYLE_BODY}">\n<h1 style="font-size:18px">{html.escape(title)}</h1>\n{html_text(text)}\n'
        f'{button}\n<table style="{STYLE_FACTS}">{rows}</table>\n</body></html>\n'
    )
