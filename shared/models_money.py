"""Item types of contracts, limits and time (R23-R26): time entries here; contracts, incidents and
invoices join them.

No new global secondary indexes: the generic ones of shared.models are reused with key prefixes of
their own, so each figure is a Query over what it needs:

| pattern                                   | how                                                            |
|-------------------------------------------|----------------------------------------------------------------|
| a ticket's time entries                   | Query pk=TICKET#<id>, sk begins_with TIME#                     |
| a specialist's day (R27, R28)             | Query requester_index gsi1pk=TIMEBY#<sub>, gsi1sk begins_with <date> |
| time per customer organisation per day    | Query organisation_index gsi2pk=TIMEORG#<org>, gsi2sk between dates |
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from shared.models import Entity


class TimeEntry(Entity, discriminator="time_entry"):
    """Time an agent spent on a ticket (optionally on one of its tasks). pk=TICKET#<ticket_id>,
    sk=TIME#<entry_id>; gsi1pk=TIMEBY#<agent_sub>, gsi1sk=<work_date>#<entry_id>;
    gsi2pk=TIMEORG#<organisation_id>, gsi2sk=<work_date>#<entry_id>."""

    entry_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    task_id = UnicodeAttribute(null=True)
    organisation_id = UnicodeAttribute()
    service = UnicodeAttribute()
    agent_sub = UnicodeAttribute()
    minutes = NumberAttribute()
    billable = BooleanAttribute(default=True)
    work_date = UnicodeAttribute()  # YYYY-MM-DD in the plan calendar's time zone
    started_at = UnicodeAttribute(null=True)  # ISO UTC, for the specialist's timeline
    note = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
