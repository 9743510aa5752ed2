"""An inbound e-mail into the desk (R1, R10): into the ticket it answers, or a new ticket.

Threading, in this order: (1) the ticket's signed reply address among the recipients (every notification carries it
as Reply-To); (2) In-Reply-To/References naming a notification's Message-ID as SES gave it; (3) a `[CW-1042]`
token in the subject, only when the sender is the ticket's requester or a contact of its organisation. Otherwise
a new ticket on the service the receiving address maps to (config.INBOUND_SERVICES), its requester the customer
with the sender's address, or a new contact of the organisation owning the sender's domain, else a public contact
(as the web form makes one). A reply to a closed ticket opens a new ticket linked to the old one.

Only the new text of a reply is written; the e-mail as received (.eml) and its files are the message's
attachments. Each e-mail is processed once per SES message id (SES may invoke twice): an `InboundMail` record, and
the writes themselves are idempotent on that id (Idempotency records, attachment ids derived from it).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import PutError

from shared.channels import safety
from shared.channels.items import INBOUND_SK, QUARANTINE_PK, InboundMail, QuarantinedMail, inbound_pk
from shared.channels.mailparse import InboundMail as ParsedMail
from shared.channels.mailparse import MailFile, parse
from shared.directory import items as directory
from shared.directory import people
from shared.platform import clock, config, mail
from shared.platform.domain import Role, Status
from shared.platform.errors import DomainError, Unprocessable
from shared.platform.identity import Caller
from shared.tickets import conversation, intake, mailthread
from shared.tickets import items as ticket_items
from shared.tickets.idempotency import Idempotency
from shared.tickets.items import Ticket
from shared.tickets.log import new_event

logger = logging.getLogger(__name__)

CHANNEL = "email"
SUBJECT_TOKEN = re.compile(r"\[(CW-\d+)\]", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|odp|př|pr|sv|vs|ответ|отв|на)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
MAX_TEXT = 20_000  # characters of an e-mail's text kept in a message or a ticket's description
RECORD_TYPE = "message/rfc822"


@dataclass(frozen=True)
class Delivery:
    """One e-mail as SES delivered it: the raw bytes, SES's id, the envelope's recipients, the verdicts, and
    where the raw message is stored (for the quarantine)."""

    raw: bytes
    ses_message_id: str
    recipients: list[str] = field(default_factory=list)
    verdicts: dict[str, str] = field(default_factory=dict)
    bucket: str = ""
    key: str = ""


@dataclass
class Outcome:
    outcome: str  # message | ticket | ignored | quarantined | refused | duplicate
    reason: str | None = None
    ticket_id: str | None = None
    reference: str | None = None
    refused_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}


def receive(delivery: Delivery, *, released: bool = False) -> Outcome:
    """Take one e-mail into the desk; what became of it. `released`: a manager let it out of quarantine."""
    parsed = parse(delivery.raw)
    record, fresh = _claim(delivery, parsed)
    if not fresh and record.outcome != "processing" and not released:
        logger.info("inbound e-mail %s already processed: %s", delivery.ses_message_id, record.outcome)
        return Outcome("duplicate", reason=record.outcome, ticket_id=record.ticket_id, reference=record.reference)
    outcome = _decide(delivery, parsed, released=released, received_at=record.received_at)
    _finish(delivery.ses_message_id, outcome)
    logger.info(
        "inbound e-mail %s from %s: %s", delivery.ses_message_id, mail.address_ref(parsed.sender), outcome.as_dict()
    )
    return outcome


def _decide(delivery: Delivery, parsed: ParsedMail, *, released: bool, received_at: str) -> Outcome:
    failed = {} if released else safety.failed_verdicts(delivery.verdicts)
    if failed:
        _quarantine(delivery, parsed, failed, received_at)
        return Outcome("quarantined", reason=", ".join(f"{k} {v}" for k, v in sorted(failed.items())))
    automatic = safety.automatic_reason(parsed)
    if automatic:
        return Outcome("ignored", reason=automatic)
    if not safety.within_rate(parsed.sender):
        return Outcome("refused", reason=f"more than {config.get(config.INBOUND_RATE_PER_HOUR)} e-mails this hour")
    sender = directory.get_user_by_email(parsed.sender)
    if sender is not None and sender.role != Role.CUSTOMER.value:
        return Outcome("refused", reason="staff write in the desk, not by e-mail to it")
    recipients = [*delivery.recipients, *parsed.recipients]
    ticket = thread_of(parsed, recipients, sender)
    try:
        if ticket is not None and ticket.status not in (Status.CLOSED.value, Status.DRAFT.value):
            return _reply(delivery, parsed, ticket)
        closed = ticket if ticket is not None and ticket.status == Status.CLOSED.value else None
        try:
            return _new_ticket(delivery, parsed, service=service_for(recipients, closed), follows=closed)
        except Unprocessable as error:  # the mapped service asks what an e-mail cannot answer: the default one
            logger.warning("e-mail %s: %s; opened on the default service", delivery.ses_message_id, error.detail)
            return _new_ticket(delivery, parsed, service=default_service(), follows=closed)
    except DomainError as error:  # nothing to retry: the record says why, the operators see it in the log
        logger.error("inbound e-mail %s refused: %s", delivery.ses_message_id, error.detail)
        return Outcome("refused", reason=error.detail)


# --- which ticket -------------------------------------------------------------------------------------------------


def thread_of(parsed: ParsedMail, recipients: list[str], sender: directory.User | None) -> Ticket | None:
    """The ticket this e-mail answers, or None for a new one. A signed reply address, like the web form's follow
    link, is a capability: it was sent only to the ticket's requester, so whoever writes to it writes as them (a
    colleague the requester forwarded it to, too). Message-IDs are SES's own, unguessable; a subject token is not."""
    for address in recipients:
        reference = mailthread.reference_of_reply_address(address)
        if reference:
            found = _ticket_by_reference(reference)
            if found is not None:
                return found
    for message_id in [*parsed.in_reply_to, *parsed.references]:
        reference = mailthread.reference_of_thread_id(message_id)  # the thread root every notification names
        if reference:
            found = _ticket_by_reference(reference)
            if found is not None:
                return found
    ticket_id = mailthread.ticket_of_message_ids([*parsed.references, *parsed.in_reply_to])
    if ticket_id:
        found = ticket_items.get_ticket(ticket_id)
        if found is not None:
            return found
    token = SUBJECT_TOKEN.search(parsed.subject)
    if token and sender is not None:
        found = _ticket_by_reference(token[1].upper())
        if found is not None and _may_use_subject_token(sender, found):
            return found
    return None


def _may_use_subject_token(sender: directory.User, ticket: Ticket) -> bool:
    """A subject token is guessable: it threads only the requester's mail or a contact of the same organisation."""
    if sender.sub == ticket.requester_sub:
        return True
    same_org = sender.organisation_id == ticket.organisation_id
    return same_org and ticket.organisation_id != directory.PUBLIC_ORGANISATION


def _ticket_by_reference(reference: str) -> Ticket | None:
    ticket_id = ticket_items.resolve_ticket_id(reference)
    return ticket_items.get_ticket(ticket_id) if ticket_id else None


# --- writing it -------------------------------------------------------------------------------------------------


def _reply(delivery: Delivery, parsed: ParsedMail, ticket: Ticket) -> Outcome:
    """The new text as the customer's message in the ticket, with the e-mail's files and the e-mail itself. It is
    written as the ticket's requester (the reply address or thread is the requester's), by the sender's address."""
    author = Caller(
        sub=ticket.requester_sub,
        email=parsed.sender,
        role=Role.CUSTOMER,
        org_id=ticket.organisation_id,
        groups=frozenset({Role.CUSTOMER.value}),
    )
    refs, refused = _store_files(delivery, parsed, ticket, author)
    body = _clip(parsed.new_text) or "(files only)"
    conversation.add_message(
        author,
        ticket.ticket_id,
        body=body,
        internal=False,
        channel=CHANNEL,
        attachment_ids=[r["attachment_id"] for r in refs],
        idem=_idempotency("message", delivery),
    )
    _tell_refused(parsed, ticket, refused)
    return Outcome("message", ticket_id=ticket.ticket_id, reference=ticket.reference, refused_files=refused)


def _new_ticket(delivery: Delivery, parsed: ParsedMail, *, service: str, follows: Ticket | None) -> Outcome:
    """A new ticket from the sender; `follows`: the closed ticket the e-mail answered (the new one links to it)."""
    user = people.match_or_create_contact(parsed.sender, parsed.sender_name)
    requester = Caller(
        sub=user.sub,
        email=user.email,
        role=Role.CUSTOMER,
        org_id=user.organisation_id,
        groups=frozenset({Role.CUSTOMER.value}),
    )
    text = _clip(parsed.new_text if follows is not None else parsed.text) or "(the e-mail had no text)"
    if follows is not None:
        text = f"Follows up {follows.reference} (closed), answered by e-mail.\n\n{text}"
    subject = _REPLY_PREFIX.sub("", SUBJECT_TOKEN.sub("", parsed.subject)).strip() or "(no subject)"
    ticket, _, _ = intake.create_ticket(
        requester,
        service_key=service,
        subject=subject[:200],
        description=text,
        fields=_answers(service, text, subject, parsed),
        submit=True,
        channel=CHANNEL,
        idem=_idempotency("ticket", delivery),
        language=parsed.headers.get("content-language") or None,  # a public contact's: as the web form's
    )
    refs, refused = _store_files(delivery, parsed, ticket, requester)
    if follows is not None:
        _link(follows, ticket, requester)
    _tell_refused(parsed, ticket, refused)
    kept = len(refs)
    logger.info("e-mail opened %s with %d files kept", ticket.reference, kept)
    return Outcome("ticket", ticket_id=ticket.ticket_id, reference=ticket.reference, refused_files=refused)


def _mapping() -> list[tuple[str, str]]:
    pairs = [pair.split("=", 1) for pair in config.get(config.INBOUND_SERVICES).split(",") if "=" in pair]
    return [(local.strip().lower().rstrip("@"), key.strip()) for local, key in pairs]


def default_service() -> str:
    mapping = _mapping()
    return mapping[0][1] if mapping else "functionality-question"


def service_for(recipients: list[str], follows: Ticket | None = None) -> str:
    """The service a new e-mail opens: the closed ticket's it follows up, else by the local part of the first
    receiving address the mapping names (its `+tag` ignored), else the mapping's first service."""
    if follows is not None:
        return follows.service
    by_local = dict(_mapping())
    for address in recipients:
        local = address.split("@", 1)[0].split("+", 1)[0].lower()
        if local in by_local and directory.get_service(by_local[local]) is not None:
            return by_local[local]
    return default_service()


def _answers(service_key: str, text: str, subject: str, parsed: ParsedMail) -> dict[str, Any]:
    """The intake answers an e-mail gives: the problem is its text, the contact its sender; any other required
    text question is answered by the subject (an e-mail has no form; the route's people ask for more)."""
    service = directory.get_service(service_key)
    fields = service.intake_fields if service else []
    answers: dict[str, Any] = {}
    for spec in fields:
        key, kind = spec["key"], spec.get("type", "text")
        if key == "contact":
            answers[key] = parsed.sender
        elif key == "reporter_name" and parsed.sender_name:
            answers[key] = parsed.sender_name[:200]
        elif kind == "textarea" and spec.get("required"):
            answers[key] = text[:5000]
        elif kind == "text" and spec.get("required"):
            answers[key] = subject[:5000]
    return answers


def _link(old: Ticket, new: Ticket, author: Caller) -> None:
    """Both tickets' logs name each other."""
    now = clock.now_iso()
    new_event(
        new, author, "TicketLinked", f"Follows up {old.reference}", public=True, at=now, follows=old.reference
    ).save()
    new_event(
        old, author, "TicketLinked", f"Followed up by {new.reference}", public=True, at=now, followed_by=new.reference
    ).save()


def _store_files(
    delivery: Delivery, parsed: ParsedMail, ticket: Ticket, author: Caller
) -> tuple[list[dict[str, Any]], list[str]]:
    """The e-mail as received (.eml, always) and each file within the API's limits; the names of those refused."""
    stem = hashlib.sha256(delivery.ses_message_id.encode()).hexdigest()[:16]
    refs = [
        conversation.attach_file(
            ticket,
            f"mail-{stem}-0",
            author,
            file_name=f"{_safe_stem(parsed.subject)}.eml",
            content_type=RECORD_TYPE,
            data=delivery.raw,
            record=True,
        )
    ]
    refused = []
    for number, item in enumerate(parsed.files, start=1):
        try:
            refs.append(_attach(ticket, f"mail-{stem}-{number}", author, item))
        except DomainError as error:
            refused.append(f"{item.file_name}: {error.detail}")
    return refs, refused


def _attach(ticket: Ticket, attachment_id: str, author: Caller, item: MailFile) -> dict[str, Any]:
    return conversation.attach_file(
        ticket, attachment_id, author, file_name=item.file_name, content_type=item.content_type, data=item.data
    )


def _tell_refused(parsed: ParsedMail, ticket: Ticket, refused: list[str]) -> None:
    """The sender learns which files did not reach the ticket, and why (to a person only: automatic mail never
    gets here)."""
    if not refused:
        return
    mail.send_email(
        parsed.sender,
        f"[{ticket.reference}] Some files of your e-mail were not accepted",
        "Your e-mail reached ticket "
        + ticket.reference
        + ", but these files were not added to it:\n\n"
        + "\n".join(f"- {line}" for line in refused)
        + f"\n\nAccepted are files of at most {conversation.MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB of these "
        + "types: "
        + ", ".join(sorted(conversation.ALLOWED_ATTACHMENT_TYPES))
        + f".\nYou can add them on the ticket's page: {conversation.ticket_page(ticket)}\n",
    )


# --- once per SES message id; the quarantine -------------------------------------------------------------------


def _claim(delivery: Delivery, parsed: ParsedMail) -> tuple[InboundMail, bool]:
    """The e-mail's record, and whether this is its first delivery (False: SES delivered it before)."""
    record = InboundMail(
        inbound_pk(delivery.ses_message_id),
        INBOUND_SK,
        ses_message_id=delivery.ses_message_id,
        sender=parsed.sender or None,
        subject=parsed.subject[:300] or None,
        outcome="processing",
        received_at=clock.now_iso(),
    )
    try:
        record.save(condition=InboundMail.pk.does_not_exist())
    except PutError:
        return InboundMail.get(inbound_pk(delivery.ses_message_id), INBOUND_SK, consistent_read=True), False
    return record, True


def _finish(ses_message_id: str, outcome: Outcome) -> None:
    record = InboundMail.get(inbound_pk(ses_message_id), INBOUND_SK, consistent_read=True)
    record.outcome, record.reason = outcome.outcome, outcome.reason
    record.ticket_id, record.reference = outcome.ticket_id, outcome.reference
    record.done_at = clock.now_iso()
    record.save()


def quarantine_sk(received_at: str, ses_message_id: str) -> str:
    return f"{received_at}#{ses_message_id}"  # newest first by the time it arrived


def _quarantine(delivery: Delivery, parsed: ParsedMail, failed: dict[str, str], received_at: str) -> None:
    QuarantinedMail(
        QUARANTINE_PK,
        quarantine_sk(received_at, delivery.ses_message_id),
        ses_message_id=delivery.ses_message_id,
        bucket=delivery.bucket,
        key=delivery.key,
        sender=parsed.sender or None,
        subject=parsed.subject[:300] or None,
        recipients=list(dict.fromkeys([*delivery.recipients, *parsed.recipients])),
        verdicts=failed,
        received_at=received_at,
    ).save()


def _idempotency(kind: str, delivery: Delivery) -> Idempotency:
    return Idempotency(scope=f"email-{kind}", key=delivery.ses_message_id, request_hash=delivery.ses_message_id)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "\n[... the rest is in the attached e-mail]"


def _safe_stem(subject: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", subject).strip("._")[:60] or "e-mail"
