"""What never becomes a ticket or gets an answer: bounces, auto-replies and list mail (answering them is how mail
loops start), too much mail from one sender, and mail SES judged spam, infected or forged (held in quarantine)."""

from __future__ import annotations

from shared.channels.mailparse import InboundMail
from shared.platform import clock, config, store
from shared.tickets import mailthread

AUTOMATIC_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-reply")
LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post")
# SES's verdicts (receipt.*Verdict.status): PASS, FAIL, GRAY, PROCESSING_FAILED. Only FAIL holds a message back; the
# others say SES could not tell, which is most legitimate mail from small senders.
VERDICTS = ("spam", "virus", "spf", "dkim", "dmarc")


def automatic_reason(mail: InboundMail) -> str | None:
    """Why this e-mail was sent by a machine, not a person (None: a person wrote it)."""
    headers = mail.headers
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in AUTOREPLY_HEADERS:
        if name in headers:
            return f"{name} header"
    for name in LIST_HEADERS:
        if name in headers:
            return f"list mail ({name})"
    if "multipart/report" in headers.get("content-type", "").lower():
        return "delivery report (multipart/report)"
    if mail.return_path == "":
        return "empty Return-Path (a bounce)"
    local = mail.sender.split("@", 1)[0]
    if not mail.sender or local in AUTOMATIC_SENDERS:
        return f"sender {mail.sender or '(none)'}"
    if _is_the_desk(mail.sender):
        return "sent by the desk itself (a loop)"
    return None


def _is_the_desk(sender: str) -> bool:
    """The desk's own sender or receiving addresses (support@, support+<reference>.<signature>@): its own mail
    coming back. Staff share the domain and are not the desk."""
    local, _, domain = sender.partition("@")
    if sender == config.get(config.SENDER_EMAIL).lower():
        return True
    return domain == config.get(config.REPLY_DOMAIN).lower() and local.split("+", 1)[0] == mailthread.LOCAL_PART


def failed_verdicts(verdicts: dict[str, str]) -> dict[str, str]:
    """The SES verdicts that failed: {"spam": "FAIL", ...}."""
    return {name: status for name, status in verdicts.items() if name in VERDICTS and status.upper() == "FAIL"}


def within_rate(sender: str) -> bool:
    """One more e-mail from this sender this hour, or False when the sender is over the limit."""
    limit = int(config.get(config.INBOUND_RATE_PER_HOUR))
    hour = clock.now().strftime("%Y%m%d%H")
    return store.take_quota(f"inbound-email#{sender.lower()}#{hour}", limit, ttl_seconds=7200)
