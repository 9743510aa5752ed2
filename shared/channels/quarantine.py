"""The quarantine: e-mails a failed SES verdict held back, for a manager to release into the desk or delete
(never dropped silently). The raw e-mail stays where SES stored it until then."""

from __future__ import annotations

from typing import Any

from shared.channels import inbound
from shared.channels.items import INBOUND_SK, QUARANTINE_PK, InboundMail, QuarantinedMail, inbound_pk
from shared.directory import people
from shared.platform import files, store
from shared.platform.errors import NotFound
from shared.platform.identity import Caller


def view(item: QuarantinedMail) -> dict[str, Any]:
    return {
        "id": item.ses_message_id,
        "received_at": item.received_at,
        "sender": item.sender,
        "subject": item.subject,
        "recipients": item.recipients,
        "failed_verdicts": item.verdicts,
    }


def list_page(caller: Caller, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The quarantined e-mails, newest first (managers)."""
    people.require_manager(caller)
    found, next_cursor = store.query_page(
        QuarantinedMail, "pk", QUARANTINE_PK, limit=limit, cursor=cursor, newest_first=True
    )
    return [view(i) for i in found if isinstance(i, QuarantinedMail)], next_cursor


def _held(mail_id: str) -> QuarantinedMail:
    missing = NotFound(f"No e-mail {mail_id} in the quarantine; list them with GET /mail/quarantine.")
    try:
        record = InboundMail.get(inbound_pk(mail_id), INBOUND_SK)
        return QuarantinedMail.get(QUARANTINE_PK, inbound.quarantine_sk(record.received_at, mail_id))
    except (InboundMail.DoesNotExist, QuarantinedMail.DoesNotExist):
        raise missing from None


def release(caller: Caller, mail_id: str) -> dict[str, Any]:
    """Let the e-mail in as if its verdicts had passed; the automatic-mail and threading rules still apply."""
    people.require_manager(caller)
    item = _held(mail_id)
    raw = files.read_object(item.bucket, item.key)
    outcome = inbound.receive(
        inbound.Delivery(raw=raw, ses_message_id=item.ses_message_id, recipients=item.recipients),
        released=True,
    )
    item.delete()
    return {"id": mail_id, **outcome.as_dict()}


def delete(caller: Caller, mail_id: str) -> None:
    """Delete the e-mail and its stored raw message; its record says it was deleted."""
    people.require_manager(caller)
    item = _held(mail_id)
    files.delete_object(item.bucket, item.key)
    item.delete()
    try:
        record = InboundMail.get(inbound_pk(item.ses_message_id), INBOUND_SK)
    except InboundMail.DoesNotExist:
        return
    record.outcome, record.reason = "deleted", f"deleted from the quarantine by {caller.email or caller.sub}"
    record.save()
