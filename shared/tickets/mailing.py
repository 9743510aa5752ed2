"""The customer's e-mail about their ticket (R10), as mail clients and people read it:

- `[CW-1042]` in the subject; a text and an HTML part saying the same; a link to the ticket's page in the portal;
- dates in the reader's language and time zone, the zone named (shared/tickets/readers.py);
- Reply-To the ticket's signed reply address (shared/tickets/mailthread.py), so a reply lands in the ticket;
- In-Reply-To and References naming the ticket's earlier e-mails by the Message-IDs SES gave them (kept in the
  ticket's MailThread item and, per Message-ID, by mailthread.remember_sent for the inbound side): one thread per
  ticket in the customer's mail client.
"""

from __future__ import annotations

import logging
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from shared.platform import clock, mail
from shared.platform.domain import Status
from shared.tickets import mailthread
from shared.tickets.items import MAIL_THREAD_SK, MailThread, Ticket, mail_thread_pk
from shared.tickets.readers import Reader

logger = logging.getLogger(__name__)


def thread_of(ticket_id: str) -> list[str]:
    """The Message-IDs of the ticket's e-mails so far, oldest first."""
    try:
        return list(MailThread.get(mail_thread_pk(ticket_id), MAIL_THREAD_SK, consistent_read=True).message_ids or [])
    except DoesNotExist:
        return []


def _remember(ticket: Ticket, message_id: str, at: str) -> None:
    """The Message-ID SES gave the e-mail: for the next e-mail's References and for replies (mail-in)."""
    mailthread.remember_sent(message_id, ticket.ticket_id, ticket.reference, at)
    MailThread(mail_thread_pk(ticket.ticket_id), MAIL_THREAD_SK).update(
        actions=[
            MailThread.kind.set(MailThread),
            MailThread.ticket_id.set(ticket.ticket_id),
            MailThread.message_ids.set((MailThread.message_ids | []).append([message_id])),
        ]
    )


def compose(ticket: Ticket, headline: str, text: str, link: str, reader: Reader, thread: list[str]) -> mail.Mail:
    """The e-mail, threaded after `thread` (the ticket's earlier Message-IDs)."""
    said_headline = reader.say(f"headline.{headline}")
    subject = reader.say("mail.subject", reference=ticket.reference, headline=said_headline, subject=ticket.subject)
    status = reader.status(ticket.status)
    next_at = reader.time(datetime.fromisoformat(ticket.next_step_at)) if ticket.next_step_at else None
    closed = ticket.status == Status.CLOSED.value
    reply = reader.say("mail.reply_closed" if closed else "mail.reply_open")
    body = reader.say(
        "mail.body",
        text=text,
        reference=ticket.reference,
        subject=ticket.subject,
        status=status,
        next_step=reader.say("mail.next_step", at=next_at) if next_at else "",
        link=link,
        reply=reply,
    )
    facts = [(reader.say("mail.label_ticket"), f"{ticket.reference}: {ticket.subject}")]
    facts.append((reader.say("mail.label_status"), status))
    if next_at:
        facts.append((reader.say("mail.label_next_step"), next_at))
    html = mail.html_document(
        language=reader.language,
        title=f"{said_headline}: {ticket.subject}",
        text=f"{text}\n\n{reply}",
        facts=facts,
        link=link,
        link_label=reader.say("mail.open_ticket"),
    )
    return mail.Mail(
        to=ticket.requester_email or "",
        subject=subject,
        text=body,
        html=html,
        reply_to=mailthread.reply_address(ticket.reference),
        in_reply_to=thread[-1] if thread else None,
        references=tuple(thread),
    )


def send_to_customer(ticket: Ticket, headline: str, text: str, link: str, reader: Reader) -> str | None:
    """Send the e-mail to the ticket's requester and remember its Message-ID; the Message-ID, or None when there is
    no address or it could not be sent (logged: the ticket's log holds what it said)."""
    if not ticket.requester_email:
        return None
    message_id = mail.send(compose(ticket, headline, text, link, reader, thread_of(ticket.ticket_id)))
    if message_id is None:
        return None
    try:
        _remember(ticket, message_id, clock.now_iso())
    except Exception:  # the mail went out; a reply still finds the ticket by its reply address
        logger.exception("could not remember Message-ID %s of ticket %s", message_id, ticket.ticket_id)
    return message_id
