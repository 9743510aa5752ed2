"""Staff's notification feed (R27): tasks given to me, customer replies on tickets I own, SLA warnings and
breaches on tickets I own or with open tasks of my groups; read from the tickets' logs since I last looked (the
same mark as customers': shared.tickets.notifications).

Reads: one GetItem for the mark, one page of my owned open tickets, one page of each of my groups' queues, and
the partition of each of those tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.platform import clock
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tasks.queues import caller_groups
from shared.tickets import items as ticket_items
from shared.tickets.items import Event, Task, Ticket
from shared.tickets.notifications import instant, seen_at

LOOK_BACK = timedelta(days=30)  # someone who never looked: the last 30 days
TICKETS_LOOKED_AT = 50  # per list: my owned tickets, each group's queue
SLA_KINDS = {"SlaWarning": "warning", "SlaBreached": "breach"}


def _watched(caller: Caller) -> tuple[set[str], set[str]]:
    """(ids of the open tickets I own, ids of the tickets with open tasks in my groups)."""
    owned = Entity.owner_index.query(f"OWNER#{caller.sub}", limit=TICKETS_LOOKED_AT, page_size=TICKETS_LOOKED_AT)
    mine = {t.ticket_id for t in owned if isinstance(t, Ticket)}
    grouped: set[str] = set()
    for group in caller_groups(caller):
        queue = Entity.queue_index.query(
            ticket_items.queue_pk(group), limit=TICKETS_LOOKED_AT, page_size=TICKETS_LOOKED_AT
        )
        grouped |= {t.ticket_id for t in queue if isinstance(t, Task) and t.ticket_id}
    return mine, grouped


def _kind(event: Event, ticket: Ticket, caller: Caller, watching_since: str) -> str | None:
    """What the event is to the caller, if anything they are told of; SLA events from `watching_since` (the
    ticket's owner: always; a group: once it has a task on the ticket)."""
    if event.actor_sub == caller.sub:
        return None
    if event.type == "TaskReassigned" and event.data.get("to_assignee") == caller.sub:
        return "task_given"
    if event.type == "MessageAdded" and event.actor_role == "customer" and event.public and ticket.owner == caller.sub:
        return "customer_reply"
    if event.type in SLA_KINDS and event.at >= watching_since:
        return SLA_KINDS[event.type]
    return None


def staff_notifications(caller: Caller, since: str | None) -> dict[str, Any]:
    """The feed after `since` (default: when the caller last looked), newest first."""
    caller.require_staff()
    last_seen = seen_at(caller)
    after = instant(since) if since else last_seen or clock.iso(clock.now() - LOOK_BACK)
    owned, grouped = _watched(caller)
    groups = set(caller_groups(caller))
    items = []
    for ticket_id in owned | grouped:
        partition = ticket_items.load_ticket_partition(ticket_id)
        ticket = next((i for i in partition if isinstance(i, Ticket)), None)
        if ticket is None:
            continue
        group_tasks = [t.created_at for t in partition if isinstance(t, Task) and t.group in groups]
        watching_since = "" if ticket.owner == caller.sub else min(group_tasks, default="9999")
        for event in (e for e in partition if isinstance(e, Event) and e.at > after):
            kind = _kind(event, ticket, caller, watching_since)
            if kind is None:
                continue
            items.append(
                {
                    "kind": kind,
                    "ticket_id": ticket.ticket_id,
                    "reference": ticket.reference,
                    "subject": ticket.subject,
                    "at": event.at,
                    "summary": event.summary,
                    "event_id": event.event_id,
                }
            )
    items.sort(key=lambda i: (i["at"], i["event_id"]), reverse=True)
    return {"since": after, "seen_at": last_seen, "unseen": len(items), "items": items}
