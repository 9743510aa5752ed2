"""The customer's e-mail about their ticket (R10), as mail clients and people read it:

- `[CW-1042]` in the subject; a text and an HTML part saying the same; a link to the ticket's page in the portal;
- dates in the reader's language and time zone, the zone named (shared/tickets/readers.py);
- Reply-To the ticket's signed reply address (shared/tickets/mailthread.py), so a reply lands in the ticket;
- In-Reply-To and References naming the ticket's thread root (mailthread.thread_id, signed like the reply
  address): one thread per ticket in the customer's mail client, and nothing to read back before sending. The
  Message-ID SES gives each e-mail is kept (mailthread.remember_sent, one PutItem) for a reply that names only it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from shared.platform import clock, mail
from shared.platform.domain import Status
from shared.tickets import mailthread
from shared.tickets.items import Ticket
from shared.tickets.readers import Reader

logger = logging.getLogger(__name__)


def compose(ticket: Ticket, headline: str, text: str, link: str, reader: Reader) -> mail.Mail:
    """The e-mail, in the ticket's thread (its root named by In-Reply-To and References). To a requester whose
    address nobody proved (typed into the web form, or the From of an e-mail new to the desk) it names the ticket
    by its reference only: the desk never carries someone's words to an address they merely typed."""
    said_headline = reader.say(f"headline.{headline}")
    shown = reader.say("mail.your_request") if ticket.unproven_sender else ticket.subject
    subject = reader.say("mail.subject", reference=ticket.reference, headline=said_headline, subject=shown)
    status = reader.status(ticket.status)
    next_at = reader.time(datetime.fromisoformat(ticket.next_step_at)) if ticket.next_step_at else None
    closed = ticket.status == Status.CLOSED.value
    reply = reader.say("mail.reply_closed" if closed else "mail.reply_open")
    body = reader.say(
        "mail.body",
        text=text,
        reference=ticket.reference,
        subject=shown,
        status=status,
        next_step=reader.say("mail.next_step", at=next_at) if next_at else "",
        link=link,
        reply=reply,
    )
    facts = [(reader.say("mail.label_ticket"), f"{ticket.reference}: {shown}")]
    facts.append((reader.say("mail.label_status"), status))
    if next_at:
        facts.append((reader.say("mail.label_next_step"), next_at))
    html = mail.html_document(
        language=reader.language,
        title=f"{said_headline}: {shown}",
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
        in_reply_to=mailthread.thread_id(ticket.reference),
        references=(mailthread.thread_id(ticket.reference),),
    )


def send_to_customer(
    ticket: Ticket, headline: str, text: str, link: str, reader: Reader, *, remember: bool = True
) -> str | None:
    """Send the e-mail to the ticket's requester and remember its Message-ID (unless `remember` is False: the caller
    has it kept); the Message-ID, or None when there is no address or it could not be sent (logged: the ticket's log
    holds what it said)."""
    if not ticket.requester_email:
        return None
    message_id = mail.send(compose(ticket, headline, text, link, reader))
    if message_id is None or not remember:
        return message_id
    try:  # one PutItem: SES's Message-ID, for a reply that names only it (mail-in)
        mailthread.remember_sent(message_id, ticket.ticket_id, ticket.reference, clock.now_iso())
    except Exception:  # the mail went out; a reply still finds the ticket by its reply address
        logger.exception("could not remember Message-ID %s of ticket %s", message_id, ticket.ticket_id)
    return message_id


def remember_received(detail: dict[str, Any]) -> None:
    """The TicketSubmitted event's consumer (functions/counters.py) keeps the Message-ID of the "received" e-mail
    sent on the request path, so creating a ticket writes no more than the ticket itself. Delivered at least once:
    the same Put again changes nothing."""
    sent = detail.get("received_mail")
    if sent:
        mailthread.remember_sent(sent["message_id"], detail["ticket_id"], detail["reference"], sent["sent_at"])
