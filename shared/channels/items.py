"""Item types of the inbound e-mail (no indexes of their own):

| item                                   | keys                                                           |
|----------------------------------------|----------------------------------------------------------------|
| an inbound e-mail, once per SES id     | pk=INMAIL#<SES message id>, sk=INMAIL (what became of it)      |
| a quarantined e-mail                   | pk=QUARANTINE, sk=<received at>#<SES message id>               |
| a message's Message-ID from a sender   | pk=MAILCOPY#<ticket id or new>#<hash of sender, Message-ID>,   |
|   (its first copy; expires after 90 d) |   sk=MAILCOPY                                                  |

The raw message stays in the inbound bucket under the key SES wrote it to; a quarantined one is read from there
when a manager releases it.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from shared.platform.table import Entity

QUARANTINE_PK = "QUARANTINE"


def inbound_pk(ses_message_id: str) -> str:
    return f"INMAIL#{ses_message_id}"


INBOUND_SK = "INMAIL"
MAIL_COPY_SK = "MAILCOPY"


def mail_copy_pk(copy: str) -> str:
    return f"MAILCOPY#{copy}"


class InboundMail(Entity, discriminator="inbound_mail"):
    """What one inbound e-mail became: the record that makes SES's second delivery of it a no-op."""

    ses_message_id = UnicodeAttribute()
    sender = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()  # processing | message | ticket | ignored | quarantined | refused
    reason = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    reference = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute()
    done_at = UnicodeAttribute(null=True)


class QuarantinedMail(Entity, discriminator="quarantined_mail"):
    """An e-mail a failed SES verdict held back (spam, virus, SPF, DKIM, DMARC): never dropped silently, a manager
    releases it into the desk or deletes it."""

    ses_message_id = UnicodeAttribute()
    bucket = UnicodeAttribute()
    key = UnicodeAttribute()
    sender = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    recipients = JSONAttribute(default=list)
    verdicts = JSONAttribute(default=dict)  # {"spam": "FAIL", ...}: the ones that failed
    received_at = UnicodeAttribute()


class MailCopy(Entity, discriminator="mail_copy"):
    """The first delivery of one message (a sender's Message-ID) into one ticket, or into a new one: a second copy
    with another SES message id is the same e-mail again, logged and dropped (shared/channels/inbound.py)."""

    ses_message_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute(null=True)
    reference = UnicodeAttribute(null=True)
