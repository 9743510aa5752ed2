"""The local mailbox: every e-mail the desk sent through the emulated SES, as JSON and as a readable page.

- GET /local/mailbox[?to=<address>]: `{"items": [...]}`, oldest first, each with its full headers (Message-ID as
  SES gives it, Reply-To, In-Reply-To, References, To, Subject, ...), its text and HTML bodies;
  with `Accept: text/html` (a browser) or `?format=html`: the same as a page;
- GET /local/mailbox/<n>/html: the n-th e-mail's HTML part alone, for the page's sandboxed frame.

The pages carry a strict Content-Security-Policy: no scripts at all; the page's style sheet from this server; an
e-mail's own HTML only in a sandboxed frame, with its inline styles (mail clients' way) and nothing else.
"""

from __future__ import annotations

import email
import html
import json
from email import policy
from email.message import EmailMessage
from typing import Any

from shared.platform import mail

PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; frame-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
MAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; base-uri 'none'; frame-ancestors 'self'"
)
HEADERS_SHOWN = (
    "Message-ID",
    "Date",
    "From",
    "To",
    "Reply-To",
    "Subject",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
)

Response = tuple[int, dict[str, str], bytes]


def _part(message: EmailMessage, subtype: str) -> str | None:
    found = message.get_body(preferencelist=(subtype,))
    return found.get_content().replace("\r\n", "\n") if found is not None else None  # encoded parts keep CRLF


def view(index: int, sent: Any) -> dict[str, Any]:
    """One sent e-mail as the mailbox shows it. A raw message (SendRawEmail) is parsed; SES's own Message-ID,
    which replaces any the sender set, is derived from the MessageId SES returned."""
    message_id = mail.ses_message_id(sent.id)
    raw = getattr(sent, "raw_data", None)
    if raw is None:  # a plain SendEmail
        headers = {"Message-ID": message_id, "From": sent.source, "Subject": getattr(sent, "subject", None)}
        headers["To"] = ", ".join(sent.destinations.get("ToAddresses", []))
        text, page = getattr(sent, "body", None), None
        to = list(sent.destinations.get("ToAddresses", []))
    else:
        # the wire's CRLF line ends read as the text's own \n
        parsed = email.message_from_string(raw.replace("\r\n", "\n"), _class=EmailMessage, policy=policy.default)
        headers = {name: " ".join(str(value).split()) for name, value in parsed.items()}
        headers["Message-ID"] = message_id
        text, page = _part(parsed, "plain"), _part(parsed, "html")
        to = list(dict.fromkeys(sent.destinations)) or [str(parsed["To"])]  # moto adds the To header's again
    return {
        "n": index,
        "id": sent.id,
        "message_id": message_id,
        "from": sent.source,
        "to": to,
        "subject": headers.get("Subject"),
        "reply_to": headers.get("Reply-To"),
        "in_reply_to": headers.get("In-Reply-To"),
        "references": headers.get("References", "").split() if headers.get("References") else [],
        "headers": headers,
        "body": text,
        "html": page,
    }


def listing(sent: list[Any], to: str | None) -> list[dict[str, Any]]:
    mails = [view(i, m) for i, m in enumerate(sent)]
    if to:
        mails = [m for m in mails if to.lower() in [t.lower() for t in m["to"]]]
    return mails


def answer(path: str, query: dict[str, list[str]], accept: str, sent: list[Any]) -> Response | None:
    """The mailbox's answer to a GET of `path`, or None when the path is not the mailbox's."""
    if path == "/local/mailbox.css":
        return 200, {"content-type": "text/css; charset=utf-8", "content-security-policy": PAGE_POLICY}, STYLE
    if path == "/local/mailbox":
        mails = listing(sent, (query.get("to") or [None])[0])
        wanted = (query.get("format") or [""])[0]
        if wanted == "html" or (wanted != "json" and "text/html" in accept):
            return 200, _page_headers(PAGE_POLICY), page(mails).encode()
        return 200, {"content-type": "application/json"}, json.dumps({"items": mails}).encode()
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[:2] == ["local", "mailbox"] and parts[3] == "html" and parts[2].isdigit():
        index = int(parts[2])
        found = view(index, sent[index]) if index < len(sent) else None
        if found is None or not found["html"]:
            return 404, {"content-type": "text/plain; charset=utf-8"}, b"No such e-mail, or it has no HTML part."
        return 200, _page_headers(MAIL_POLICY, framed=True), found["html"].encode()
    return None


def _page_headers(csp: str, framed: bool = False) -> dict[str, str]:
    return {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": csp,
        "x-frame-options": "SAMEORIGIN" if framed else "DENY",
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
    }


def page(mails: list[dict[str, Any]]) -> str:
    """The mailbox as a page: newest first, each e-mail's headers, its text, and its HTML in a sandboxed frame."""
    items = []
    for found in reversed(mails):
        rows = "".join(
            f"<tr><th>{html.escape(name)}</th><td>{html.escape(str(found['headers'][name]))}</td></tr>"
            for name in HEADERS_SHOWN
            if found["headers"].get(name)
        )
        frame = ""
        if found["html"]:
            frame = (
                f'<h3>HTML</h3><iframe sandbox title="HTML part of e-mail {found["n"]}" '
                f'src="/local/mailbox/{found["n"]}/html"></iframe>'
            )
        items.append(
            f"<article><h2>{html.escape(found['subject'] or '(no subject)')}</h2><table>{rows}</table>"
            f"<h3>Text</h3><pre>{html.escape(found['body'] or '')}</pre>{frame}</article>"
        )
    body = "\n".join(items) or "<p>No e-mail sent yet.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Local mailbox</title>'
        '<link rel="stylesheet" href="/local/mailbox.css"></head>\n'
        f"<body><main><h1>Local mailbox ({len(mails)})</h1>\n"
        '<p>What the desk sent through the emulated SES, newest first. As JSON: <a href="/local/mailbox?format=json">'
        "/local/mailbox?format=json</a>.</p>\n"
        f"{body}</main></body></html>\n"
    )


STYLE = b"""body { font-family: system-ui, sans-serif; margin: 0; background: #f6f8fa; color: #1f2328; }
main { max-width: 960px; margin: 0 auto; padding: 16px; }
article { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px 16px; margin: 16px 0; }
h2 { font-size: 1.1rem; margin: 0 0 8px; }
h3 { font-size: 0.9rem; margin: 12px 0 4px; color: #57606a; }
table { border-collapse: collapse; font-size: 0.85rem; }
th { text-align: left; padding: 2px 12px 2px 0; vertical-align: top; white-space: nowrap; color: #57606a; }
td { word-break: break-all; }
pre { white-space: pre-wrap; background: #f6f8fa; padding: 8px; border-radius: 4px; }
iframe { width: 100%; height: 360px; border: 1px solid #d0d7de; border-radius: 4px; background: #fff; }
"""
