"""The route worker's half of a resolution's figures: whether the SLA was met (needs the calendars)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.clocks.ticket import ledger_as_of
from shared.figures.counts import agent_updates, count, day_update, local_day, safely
from shared.tickets import items as ticket_items
from shared.tickets.items import Ticket


def resolved_from_worker(event: dict[str, Any]) -> None:
    """The worker's half of ticket_resolved."""
    ticket = ticket_items.get_ticket(event["ticket_id"])
    if ticket is not None:
        safely("ticket resolved", _ticket_resolved, ticket, event["who"], event["resolved_at"])


def sla_met(ticket: Ticket, items: list[Any], at: datetime) -> bool:
    state = ledger_as_of(ticket, items, at)
    return not state.reaction.breached and (state.resolution is None or not state.resolution.breached)


def _ticket_resolved(ticket: Ticket, who: str, resolved_iso: str) -> None:
    resolved_at = datetime.fromisoformat(resolved_iso.replace("Z", "+00:00"))
    met = sla_met(ticket, ticket_items.load_ticket_partition(ticket.ticket_id), resolved_at)
    adds = {"resolved": 1, "sla_met" if met else "sla_missed": 1}
    day = local_day(resolved_at)
    # the owner's ratio (R27) and the desk's per week (R28)
    count([*agent_updates(who, day, adds), day_update(day, adds)], once=f"resolved#{ticket.ticket_id}#{resolved_iso}")
