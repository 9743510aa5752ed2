"""Item types of the service routes (catalog issue): licence keys issued per organisation and the customer's
decision on a change request's estimate.

No new global secondary indexes; every item is read by GetItem or a Query on its own partition:

| pattern                                        | how                                               |
|------------------------------------------------|---------------------------------------------------|
| an organisation's licence limit and count      | GetItem pk=ORG#<org>, sk=LICENCES                 |
| the key issued for a ticket (one per ticket)   | GetItem pk=ORG#<org>, sk=LICENCE#<ticket id>      |
| an organisation's issued keys                  | Query pk=ORG#<org>, sk begins_with LICENCE#       |
| a change request's estimate and its approval   | GetItem pk=TICKET#<id>, sk=APPROVAL (the ticket's |
|                                                | own partition, so it comes with the ticket)       |
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute

from shared.platform.table import Entity

LICENCES_SK = "LICENCES"
APPROVAL_SK = "APPROVAL"


def licence_key_sk(ticket_id: str) -> str:
    return f"LICENCE#{ticket_id}"


class LicenceAccount(Entity, discriminator="licence_account"):
    """R6: how many licence keys an organisation may hold, and how many it was issued."""

    organisation_id = UnicodeAttribute()
    limit = NumberAttribute(default=0)
    issued = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()  # issuing and extending never lose each other's update


class LicenceKey(Entity, discriminator="licence_key"):
    """One key per ticket: a retried route step finds it instead of issuing a second one."""

    organisation_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    product = UnicodeAttribute()
    seats = NumberAttribute(null=True)
    key = UnicodeAttribute()
    issued_at = UnicodeAttribute()


class Approval(Entity, discriminator="approval"):
    """R26: the estimate of a change request, waiting for the customer's decision before any work is done."""

    ticket_id = UnicodeAttribute()
    estimate_hours = NumberAttribute()
    estimate_note = UnicodeAttribute(null=True)
    estimated_by = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="pending")  # pending | approved | declined | expired
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    comment = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)  # the route's wait for the decision
    created_at = UnicodeAttribute()
    version = VersionAttribute()
