"""An inbound e-mail into the desk (R1, R10): into the ticket it answers, or a new ticket.

Who wrote it: a From header is a claim, proven only when SES's SPF, DKIM and DMARC verdicts pass and DMARC's domain
is the From domain, aligned with a passing DKIM or SPF domain (shared/channels/trust.py). Staff and deactivated
people do not write by e-mail (refused).

Threading, in this order: (1) the ticket's signed reply address among the recipients (every notification carries it
as Reply-To), a capability to add a message, never to read; (2) only for a proven sender who is the ticket's
requester or an organisation admin of its organisation: the signed thread root or a notification's Message-ID (as
SES gave it) in In-Reply-To/References, or a `[CW-1042]` token in the subject. A message is written under its
sender's own identity: the proven person, else the address it claims as an unverified e-mail sender
(`UNVERIFIED_SENDER`), never the requester's. Otherwise a new ticket on the service the receiving address maps to
(config.INBOUND_SERVICES), its requester the customer with the sender's address, or a new contact of the
organisation owning the sender's domain, else a public contact (as the web form makes one). A reply to a closed
ticket opens a new ticket linked to the old one.

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

from pynamodb.exceptions import DeleteError, PutError

from shared.channels import safety, trust
from shared.channels.items import (
    INBOUND_SK,
    MAIL_COPY_SK,
    QUARANTINE_PK,
    InboundMail,
    MailCopy,
    QuarantinedMail,
    inbound_pk,
    mail_copy_pk,
)
from shared.channels.mailparse import InboundMail as ParsedMail
from shared.channels.mailparse import MailFile, parse
from shared.directory import items as directory
from shared.directory import people
from shared.platform import clock, config, files, mail
from shared.platform.domain import Role, Status
from shared.platform.errors import DomainError, Unprocessable
from shared.platform.identity import ORG_ADMIN_GROUP, Caller
from shared.tickets import confirmations, conversation, intake, mailthread
from shared.tickets import items as ticket_items
from shared.tickets.idempotency import Idempotency
from shared.tickets.items import HeldTicket, Ticket
from shared.tickets.log import new_event

logger = logging.getLogger(__name__)

CHANNEL = "email"
SUBJECT_TOKEN = re.compile(r"\[(CW-\d+)\]", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|odp|př|pr|sv|vs|ответ|отв|на)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
MAX_TEXT = 20_000  # characters of an e-mail's text kept in a message or a ticket's description
RECORD_TYPE = "message/rfc822"
MAIL_COPY_KEEP_SECONDS = 90 * 24 * 3600  # how long a Message-ID is remembered per sender and ticket
UNVERIFIED_SENDER = "email:"  # the author sub of a message whose sender the e-mail did not prove


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
    source: str = ""  # the envelope sender (SES's mail.source): the address SPF checked


@dataclass
class Outcome:
    outcome: str  # message | ticket | held | ignored | quarantined | refused | duplicate
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
    logger.info("inbound e-mail %s: %s", delivery.ses_message_id, outcome.as_dict())  # ids, never the address
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
    if sender is not None and sender.active is False:
        return Outcome("refused", reason="the sender's account is deactivated")
    proof = _proof(delivery, parsed, released=released)
    proven = proof.proven  # False: whatever this e-mail opens is held unconfirmed until its sender confirms
    logger.info("inbound e-mail %s: sender %s", delivery.ses_message_id, proof.reason)
    recipients = [*delivery.recipients, *parsed.recipients]
    ticket, by_address = thread_of(parsed, recipients, sender if proven else None)
    if ticket is not None and ticket.status in (Status.CLOSED.value, Status.DRAFT.value):
        closed, ticket = (ticket if ticket.status == Status.CLOSED.value else None), None
    else:
        closed = None
    copy = _copy_key(parsed, ticket)
    earlier = _earlier_copy(copy, delivery)
    if earlier is not None:
        logger.info(
            "inbound e-mail %s: its Message-ID from this sender was received before (%s)",
            delivery.ses_message_id,
            earlier.ses_message_id,
        )
        return Outcome(
            "duplicate",
            reason="the same Message-ID from the same sender was received before",
            ticket_id=earlier.ticket_id,
            reference=earlier.reference,
        )
    author = _author(parsed, sender if proven else None)
    outcome = _into_desk(delivery, parsed, recipients, ticket, closed, author, by_address, proven=proven)
    _settle_copy(copy, delivery, outcome)
    return outcome


def _into_desk(
    delivery: Delivery,
    parsed: ParsedMail,
    recipients: list[str],
    ticket: Ticket | None,
    closed: Ticket | None,
    author: Caller,
    by_address: bool,
    *,
    proven: bool,
) -> Outcome:
    """The e-mail as a message in the open ticket it answers, or a new ticket (following up the closed one).
    `proven`: whether the sender proved their From address; a new ticket of an unproven sender from a claimed
    address is held unconfirmed (`_new_ticket`)."""
    try:
        if ticket is not None:
            return _reply(delivery, parsed, ticket, author, by_address)
        logger.info("inbound e-mail %s opens a new ticket; sender proven: %s", delivery.ses_message_id, proven)
        try:
            service = service_for(recipients, closed)
            return _new_ticket(delivery, parsed, service=service, follows=closed, proven=proven)
        except Unprocessable as error:  # the mapped service asks what an e-mail cannot answer: the default one
            logger.warning("e-mail %s: %s; opened on the default service", delivery.ses_message_id, error.detail)
            return _new_ticket(delivery, parsed, service=default_service(), follows=closed, proven=proven)
    except DomainError as error:  # nothing to retry: the record says why, the operators see it in the log
        logger.error("inbound e-mail %s refused: %s", delivery.ses_message_id, error.detail)
        return Outcome("refused", reason=error.detail)


# --- which ticket -------------------------------------------------------------------------------------------------


def _proof(delivery: Delivery, parsed: ParsedMail, *, released: bool) -> trust.Proof:
    """Whether the e-mail proves its From address (shared/channels/trust.py). An e-mail a manager released from
    the quarantine is let in, but its sender stays unproven: a failed verdict is what held it back."""
    if released:
        return trust.Proof(False, "released from the quarantine")
    evidence = trust.evidence_of(delivery.verdicts, parsed.header_list, delivery.source)
    return trust.prove(evidence, parsed.sender)


def thread_of(
    parsed: ParsedMail, recipients: list[str], proven_sender: directory.User | None
) -> tuple[Ticket | None, bool]:
    """The ticket this e-mail answers (None: a new one), and whether its signed reply address named it.

    The reply address is a capability: it proves the e-mail answers the desk's mail about that ticket, whoever
    sends it (a colleague the requester forwarded it to, too), and lets it add a message, never read. Everything
    else the requester's mail client repeats to anyone (the signed thread root and SES's Message-IDs in References,
    the subject's token) threads only the mail of a proven sender who may write into that ticket
    (`proven_sender`: None when the e-mail proves no known customer)."""
    for address in recipients:
        reference = mailthread.reference_of_reply_address(address)
        if reference:
            found = _ticket_by_reference(reference)
            if found is not None:
                return found, True
    if proven_sender is None:
        return None, False
    for candidate in _named_tickets(parsed):
        if _may_thread(proven_sender, candidate):
            return candidate, False
    return None, False


def _named_tickets(parsed: ParsedMail) -> list[Ticket]:
    """The tickets the e-mail's threading headers and subject name: the thread root, a notification's Message-ID,
    the `[CW-1042]` token."""
    found: list[Ticket | None] = []
    for message_id in [*parsed.in_reply_to, *parsed.references]:
        reference = mailthread.reference_of_thread_id(message_id)  # the thread root every notification names
        if reference:
            found.append(_ticket_by_reference(reference))
    ticket_id = mailthread.ticket_of_message_ids([*parsed.references, *parsed.in_reply_to])
    if ticket_id:
        found.append(ticket_items.get_ticket(ticket_id))
    token = SUBJECT_TOKEN.search(parsed.subject)
    if token:
        found.append(_ticket_by_reference(token[1].upper()))
    return [t for t in found if t is not None]


def _may_thread(sender: directory.User, ticket: Ticket) -> bool:
    return trust.may_thread(
        sender_sub=sender.sub,
        sender_org=sender.organisation_id,
        sender_is_org_admin=bool(sender.org_admin),
        requester_sub=ticket.requester_sub,
        ticket_org=ticket.organisation_id,
        public_org=directory.PUBLIC_ORGANISATION,
    )


def _author(parsed: ParsedMail, proven_sender: directory.User | None) -> Caller:
    """Who a reply is written as: the proven sender's own identity, never the requester's; an unproven sender by
    the address the e-mail claims, as an unverified e-mail sender (`UNVERIFIED_SENDER` + address), no account."""
    if proven_sender is not None:
        groups = {Role.CUSTOMER.value, *((ORG_ADMIN_GROUP,) if proven_sender.org_admin else ())}
        return Caller(
            sub=proven_sender.sub,
            email=proven_sender.email,
            role=Role.CUSTOMER,
            org_id=proven_sender.organisation_id,
            groups=frozenset(groups),
        )
    return Caller(
        sub=f"{UNVERIFIED_SENDER}{parsed.sender}",
        email=parsed.sender,
        role=Role.CUSTOMER,
        groups=frozenset({Role.CUSTOMER.value}),
    )


def _ticket_by_reference(reference: str) -> Ticket | None:
    ticket_id = ticket_items.resolve_ticket_id(reference)
    return ticket_items.get_ticket(ticket_id) if ticket_id else None


# --- writing it -------------------------------------------------------------------------------------------------


def _reply(delivery: Delivery, parsed: ParsedMail, ticket: Ticket, author: Caller, by_address: bool) -> Outcome:
    """The new text as a customer's message in the ticket, with the e-mail's files and the e-mail itself, written
    as `author` (`_author`). `by_address`: the signed reply address let it in (a capability to add, not to see)."""
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
        by_capability=by_address,
    )
    _tell_refused(parsed, ticket, refused)
    return Outcome("message", ticket_id=ticket.ticket_id, reference=ticket.reference, refused_files=refused)


def _new_ticket(
    delivery: Delivery, parsed: ParsedMail, *, service: str, follows: Ticket | None, proven: bool = True
) -> Outcome:
    """A new ticket from the sender; `follows`: the closed ticket the e-mail answered (the new one links to it).
    `proven`: SES's verdicts prove the sender's address. An unproven e-mail from an address of a known person or in a
    domain an organisation claims opens nothing yet: it is held until the address confirms it, as the web form's
    requests are (shared/tickets/confirmations.py); from any other address it opens a ticket of a new public
    contact, written to without the sender's words (`unproven_sender`)."""
    text = _clip(parsed.new_text if follows is not None else parsed.text) or "(the e-mail had no text)"
    if follows is not None:
        text = f"Follows up {follows.reference} (closed), answered by e-mail.\n\n{text}"
    subject = (_REPLY_PREFIX.sub("", SUBJECT_TOKEN.sub("", parsed.subject)).strip() or "(no subject)")[:200]
    if not proven and _claimed(parsed.sender):
        return _hold(delivery, parsed, service=service, subject=subject, text=text)
    user = people.match_or_create_contact(parsed.sender, parsed.sender_name)
    requester = Caller(
        sub=user.sub,
        email=user.email,
        role=Role.CUSTOMER,
        org_id=user.organisation_id,
        groups=frozenset({Role.CUSTOMER.value}),
    )
    ticket, _, _ = intake.create_ticket(
        requester,
        service_key=service,
        subject=subject,
        description=text,
        fields=_answers(service, text, subject, parsed),
        submit=True,
        channel=CHANNEL,
        idem=_idempotency("ticket", delivery),
        language=parsed.headers.get("content-language") or None,  # a public contact's: as the web form's
        unproven_sender=not proven,
    )
    refs, refused = _store_files(delivery, parsed, ticket, requester)
    if follows is not None:
        _link(follows, ticket, requester)
    _tell_refused(parsed, ticket, refused)
    kept = len(refs)
    logger.info("e-mail opened %s with %d files kept", ticket.reference, kept)
    return Outcome("ticket", ticket_id=ticket.ticket_id, reference=ticket.reference, refused_files=refused)


def _claimed(address: str) -> bool:
    """The address is a person's or a contact's, or an organisation claims its domain."""
    return directory.get_user_by_email(address) is not None or people.organisation_for_domain(address) is not None


def _hold(delivery: Delivery, parsed: ParsedMail, *, service: str, subject: str, text: str) -> Outcome:
    """Hold an unproven e-mail from a claimed address and send the address a confirmation link (nothing for a
    deactivated person: they get no more tickets)."""
    user = directory.get_user_by_email(parsed.sender)
    if user is not None and user.active is False:
        return Outcome("refused", reason="the sender's account was deactivated")
    confirmations.hold(
        parsed.sender,
        parsed.sender_name,
        service_key=service,
        subject=subject,
        description=text,
        fields=_answers(service, text, subject, parsed),
        language=parsed.headers.get("content-language") or None,
        channel=CHANNEL,
        idem=_idempotency("held", delivery),
        mail=(delivery.ses_message_id, delivery.bucket, delivery.key),
    )
    return Outcome("held", reason="unproven sender: waiting for the address to confirm")


def open_confirmed(held: HeldTicket, requester: Caller) -> Ticket:
    """A held e-mail confirmed by its address's owner (confirmations.OPENERS): its ticket, as the requester, with the
    e-mail's files from where SES stored it."""
    ticket, _, _ = intake.create_ticket(
        requester,
        service_key=held.service,
        subject=held.subject,
        description=held.description,
        fields=held.fields or {},
        submit=True,
        channel=CHANNEL,
        idem=Idempotency(scope="email-ticket", key=held.mail_id or held.held_id, request_hash=held.mail_id or ""),
        language=held.language,
    )
    if held.mail_bucket and held.mail_key and held.mail_id:
        raw = files.read_object(held.mail_bucket, held.mail_key)
        delivery = Delivery(raw=raw, ses_message_id=held.mail_id, bucket=held.mail_bucket, key=held.mail_key)
        parsed = parse(raw)
        _, refused = _store_files(delivery, parsed, ticket, requester)
        _tell_refused(parsed, ticket, refused)
    return ticket


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
        + f".\nYou can add them on the ticket's page: {conversation.ticket_page(ticket, parsed.sender)}\n",
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


def _copy_key(parsed: ParsedMail, ticket: Ticket | None) -> str | None:
    """The e-mail as one copy of a message: its sender's address, its Message-ID and the ticket it goes into ("new"
    for a new ticket). None: no Message-ID to tell copies apart."""
    if not parsed.message_id or not parsed.sender:
        return None
    ident = f"{parsed.sender}\n{mailthread.normal_message_id(parsed.message_id)}"
    return f"{ticket.ticket_id if ticket is not None else 'new'}#{hashlib.sha256(ident.encode()).hexdigest()[:32]}"


def _earlier_copy(copy: str | None, delivery: Delivery) -> MailCopy | None:
    """The earlier delivery of the same message (another SES message id: the e-mail sent to support@ and to a reply
    address at once, or sent again by the mail client), or None when this is the first (or SES's own retry)."""
    if copy is None:
        return None
    record = MailCopy(
        mail_copy_pk(copy),
        MAIL_COPY_SK,
        ses_message_id=delivery.ses_message_id,
        expires_at=int(clock.now().timestamp()) + MAIL_COPY_KEEP_SECONDS,
    )
    try:
        record.save(condition=MailCopy.pk.does_not_exist())
    except PutError:
        earlier = MailCopy.get(mail_copy_pk(copy), MAIL_COPY_SK, consistent_read=True)
        return None if earlier.ses_message_id == delivery.ses_message_id else earlier
    return None


def _settle_copy(copy: str | None, delivery: Delivery, outcome: Outcome) -> None:
    """The copy's record names where the message went; a copy that went nowhere (refused) frees its Message-ID, so
    the same e-mail sent again is not dropped."""
    if copy is None:
        return
    try:
        if outcome.outcome in ("message", "ticket"):
            MailCopy(
                mail_copy_pk(copy),
                MAIL_COPY_SK,
                ses_message_id=delivery.ses_message_id,
                ticket_id=outcome.ticket_id,
                reference=outcome.reference,
                expires_at=int(clock.now().timestamp()) + MAIL_COPY_KEEP_SECONDS,
            ).save(condition=MailCopy.ses_message_id == delivery.ses_message_id)
        else:
            MailCopy(mail_copy_pk(copy), MAIL_COPY_SK).delete(
                condition=MailCopy.ses_message_id == delivery.ses_message_id
            )
    except (PutError, DeleteError):
        logger.warning("inbound e-mail %s: its copy record changed meanwhile", delivery.ses_message_id)


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
