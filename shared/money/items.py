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

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from shared.platform.table import Entity


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


class Contract(Entity, discriminator="contract"):
    """One per customer organisation (R23-R26). pk=CONTRACT#<org>, sk=CONTRACT;
    gsi2pk=CONTRACTS, gsi2sk=<org> (every contract, for the daily billing check)."""

    organisation_id = UnicodeAttribute()
    period = UnicodeAttribute(default="month")  # month | quarter
    questions_per_user_per_day = NumberAttribute(null=True)
    tickets_per_period = NumberAttribute(null=True)
    hours_per_period = NumberAttribute(null=True)
    rate_per_hour = UnicodeAttribute()  # decimal as text: money is never a float
    currency = UnicodeAttribute(default="EUR")
    services = JSONAttribute(default=list)  # catalog keys in scope; empty = every service
    renewal = UnicodeAttribute(default="auto")  # auto | manual
    start_date = UnicodeAttribute()
    end_date = UnicodeAttribute(null=True)
    billing_day = NumberAttribute(default=1)  # day of the month after the period the invoice is issued
    payment_terms_days = NumberAttribute(default=14)
    ticket_hours_incident = NumberAttribute(default=10)  # R24: hours on one ticket that make an incident
    timezone = UnicodeAttribute(default="Europe/Prague")  # dates of periods and work (the plan calendar's zone)
    plan_id = UnicodeAttribute(null=True)  # the support plan the contract assigns (shared.directory.plans)
    calendar_id = UnicodeAttribute(null=True)  # and its working calendar; None: the organisation's or the plan's
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class UsageCounter(Entity, discriminator="usage"):
    """Atomic counters of a contract (UpdateItem ADD). pk=CONTRACT#<org>, sk=USAGE#<period>#<service> (tickets of
    the period by service) or DAY#<date>#<sub> (a user's questions of a day, expires)."""

    value = NumberAttribute(default=0)


class LimitOffer(Entity, discriminator="limit_offer"):
    """What the customer was told at intake about the contract's limits or scope, and their answer.
    pk=TICKET#<id>, sk=LIMIT."""

    ticket_id = UnicodeAttribute()
    organisation_id = UnicodeAttribute()
    reasons = JSONAttribute(default=list)  # daily_questions | tickets | hours | out_of_scope
    period_key = UnicodeAttribute()
    counted_in = UnicodeAttribute()  # the period whose ticket count holds this ticket
    scheduled_for = UnicodeAttribute(null=True)  # ISO UTC: when work starts if the customer does not extend
    choices = JSONAttribute(default=list)
    choice = UnicodeAttribute(null=True)
    chosen_at = UnicodeAttribute(null=True)
    chosen_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    version = VersionAttribute()


class Incident(Entity, discriminator="incident"):
    """R24: raised by the system for the manager, once per subject: the id derives from kind and subject.
    pk=INCIDENT#<id>, sk=INCIDENT; gsi2pk=INCIDENTS, gsi2sk=<raised_at>#<id> (all, newest first);
    open_pk=INCIDENTS#OPEN, open_sk=<0 new|1 acknowledged>#<raised_at>#<id> while not resolved."""

    incident_id = UnicodeAttribute()
    incident_type = UnicodeAttribute()
    title = UnicodeAttribute()
    detail = JSONAttribute(default=dict)
    organisation_id = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    reference = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="open")  # open | acknowledged | resolved
    raised_at = UnicodeAttribute()
    acknowledged_at = UnicodeAttribute(null=True)
    acknowledged_by = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    version = VersionAttribute()


class Invoice(Entity, discriminator="invoice"):
    """R25: prepared ahead from the period's billable time and tickets; payment tracked.
    pk=INVOICE#<org>-<period>, sk=INVOICE; gsi2pk=INVOICES#<org>, gsi2sk=<period>; owner_pk=INVOICES,
    owner_sk=<period>#<org> (every invoice); open_pk=INVOICES#DUE, open_sk=<due date>#<id> while sent or overdue."""

    invoice_id = UnicodeAttribute()
    organisation_id = UnicodeAttribute()
    period_key = UnicodeAttribute()
    period_start = UnicodeAttribute()
    period_end = UnicodeAttribute()  # inclusive, YYYY-MM-DD
    currency = UnicodeAttribute()
    rate_per_hour = UnicodeAttribute()
    lines = JSONAttribute(default=list)
    billable_minutes = NumberAttribute(default=0)
    tickets = NumberAttribute(default=0)
    amount = UnicodeAttribute()
    status = UnicodeAttribute(default="draft")  # draft | sent | paid | overdue
    due_date = UnicodeAttribute()
    prepared_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    paid_at = UnicodeAttribute(null=True)
    version = VersionAttribute()
