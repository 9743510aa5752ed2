"""A claimed address is proven before it acts: web-form requests held until their address's owner confirms them.

Anyone can type any address into the web form. When the address is a person's or a contact's, or its domain is one
an organisation claims, the request would act as someone, or join an organisation, on nothing but that claim. So it
is held instead (`hold`: a `HeldTicket`, no ticket), and the address gets an e-mail with a confirmation link
(`link`): signed (HMAC-SHA256 under a key of its own), valid for CONFIRM_HOURS, and usable once. Until the link is
followed nothing happens: no route runs (no licence key issued, no estimate to approve), no file is handed out, the
ticket is in nobody's list and nobody holds a follow link. Following it (`confirm`) opens the ticket as the address's
owner (a new contact of the claiming organisation is created only now) and answers with the ticket's follow link;
the "received" e-mail carries the same link to the same address.

Nothing is remembered per address after a confirmation: a remembered confirmation would let anyone who types the
address act as its owner for as long as it is remembered. People who write often sign in to the portal, which needs
none of this.

The confirmation e-mail carries no text of the sender's (no subject, no description): whoever typed the address
cannot make the desk carry their words to it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import UpdateError

from shared.directory import items as directory
from shared.directory import people
from shared.platform import aws, clock, config, mail, store, words
from shared.platform.errors import Conflict, Gone, NotFound
from shared.platform.identity import Caller
from shared.platform.words import ENGLISH
from shared.tickets import access, follow, intake
from shared.tickets.idempotency import Idempotency, commit
from shared.tickets.items import HELD_SK, HeldTicket, Ticket, held_pk

logger = logging.getLogger(__name__)

# How a confirmed request of a channel other than the web form opens its ticket, by channel (shared/desk.py: e-mail
# registers shared.channels.inbound.open_confirmed, which also attaches the e-mail's files): (held, requester) ->
# the ticket.
OPENERS: dict[str, Callable[[HeldTicket, Caller], Ticket]] = {}

CONFIRM_HOURS = 24
PURPOSE = b"caseway web-form confirmation v1"
# The web app's page that confirms (web/src/routes.ts): the token in the fragment, never sent to a server by the
# browser nor in a Referer; the page sends it in a POST's body when the person presses the button.
CONFIRM_PAGE = "/app/confirm"


def _signature(held: HeldTicket) -> str:
    key = hmac.new(aws.reply_secret().encode(), PURPOSE, hashlib.sha256).digest()
    signed = f"{held.held_id}|{held.email}|{int(held.valid_until)}"
    return hmac.new(key, signed.encode(), hashlib.sha256).hexdigest()[:32]


def token_of(held: HeldTicket) -> str:
    return f"{held.held_id}.{_signature(held)}"


def link(held: HeldTicket) -> str:
    return config.get(config.SITE_URL).rstrip("/") + f"{CONFIRM_PAGE}#token={token_of(held)}"


def hold(
    email: str,
    name: str | None,
    *,
    service_key: str,
    subject: str,
    description: str,
    fields: dict[str, Any],
    language: str | None,
    channel: str,
    idem: Idempotency | None,
    mail: tuple[str, str, str] | None = None,
) -> HeldTicket:
    """Hold a request from a claimed address and send the address its confirmation link. The request is checked
    now (422 naming the field), so the link opens a ticket that is whole. `mail`: an e-mail's (SES message id,
    bucket, key), whose channel opens it (OPENERS)."""
    answers = intake.checked_answers(service_key, fields)
    now = clock.now()
    held = HeldTicket(
        held_pk(store.new_id()),
        HELD_SK,
        email=email.lower(),
        name=name,
        service=service_key,
        subject=subject,
        description=description,
        fields=answers,
        language=language,
        channel=channel,
        created_at=clock.iso(now),
        valid_until=int(now.timestamp()) + CONFIRM_HOURS * 3600,
        expires_at=int(now.timestamp()) + CONFIRM_HOURS * 3600 * 2,
    )
    if mail is not None:
        held.mail_id, held.mail_bucket, held.mail_key = mail
    held.held_id = held.pk.removeprefix("HELD#")
    commit([(held, HeldTicket.pk.does_not_exist())], idem, f"held:{held.held_id}", 202)
    _send_link(held)
    logger.info("web-form request %s held until its address confirms it", held.held_id)
    return held


def _language(held: HeldTicket) -> str:
    """The claimed organisation's language, else the form's, else English."""
    user = directory.get_user_by_email(held.email)
    org = user.organisation_id if user is not None else people.organisation_for_domain(held.email)
    language = people.organisation_reader(org)[0] if org else None
    return words.normalise(language or held.language) or ENGLISH


def _send_link(held: HeldTicket) -> None:
    language = _language(held)
    service = directory.get_service(held.service)
    mail.send_email(
        held.email,
        words.say(language, "confirm.subject"),
        words.say(
            language,
            "confirm.text" if held.channel == "web_form" else "confirm.text_email",
            service=service.title if service is not None else held.service,
            hours=CONFIRM_HOURS,
            link=link(held),
        ),
    )


def _held_of(token: str) -> HeldTicket:
    held_id, _, signature = (token or "").strip().partition(".")
    held = None
    if held_id and signature and len(held_id) <= 40:
        try:
            held = HeldTicket.get(held_pk(held_id), HELD_SK, consistent_read=True)
        except HeldTicket.DoesNotExist:
            held = None
    if held is None or not secrets.compare_digest(_signature(held).encode(), signature.encode()):
        raise NotFound("No request waits for this confirmation link; check that the whole link was opened.")
    held.held_id = held_id
    return held


def confirm(token: str) -> tuple[Ticket, str | None]:
    """Open the held request's ticket as the address's owner: (the ticket, its follow key; None for an e-mail's,
    answered by e-mail). A link used before is 409, an expired one 410; a person deactivated meanwhile gets nothing
    (404, as an unknown link)."""
    held = _held_of(token)
    if held.confirmed_at is not None:
        raise Conflict(
            "This confirmation link was already used: the ticket is open, and its link was sent to "
            f"{held.email}. Open it from that e-mail."
        )
    if int(held.valid_until) < int(clock.now().timestamp()):
        raise Gone(f"This confirmation link expired after {CONFIRM_HOURS} hours; send the web form again.")
    who = access.confirmed_sender(held.email, held.name)
    if who is None:
        logger.info("held request %s not opened: its requester was deactivated", held.held_id)
        raise NotFound("No request waits for this confirmation link; check that the whole link was opened.")
    opener = OPENERS.get(held.channel)
    if opener is not None:
        ticket = opener(held, who)
    else:
        ticket, _, _ = intake.create_ticket(
            who,
            service_key=held.service,
            subject=held.subject,
            description=held.description,
            fields=held.fields or {},
            submit=True,
            channel=held.channel,
            idem=Idempotency(scope="webform-confirm", key=held.held_id, request_hash=held.held_id),
            with_follow_key=True,
            language=held.language,
        )
    try:  # once: a second use of the link, even at the same moment, gets no follow key
        held.update(
            actions=[HeldTicket.confirmed_at.set(clock.now_iso()), HeldTicket.ticket_id.set(ticket.ticket_id)],
            condition=HeldTicket.confirmed_at.does_not_exist(),
        )
    except UpdateError:
        raise Conflict(
            f"This confirmation link was already used: the ticket is open, and its link was sent to {held.email}."
        ) from None
    logger.info("held request %s confirmed: ticket %s", held.held_id, ticket.ticket_id)
    return ticket, follow.key_of(ticket)
