"""Pure helpdesk rules: statuses and their transitions, ball side, references, who may see what.

Nothing here touches AWS, so every rule is unit-tested directly.
"""

from __future__ import annotations

import re
from enum import StrEnum

from shared.platform.errors import Conflict

# The default plan calendar's time zone (shared/sla.py PRAGUE_OFFICE): the days of figures, contracts and
# schedules. Here, not in shared.sla, so that modules the API imports need not load the calendars.
DESK_TIMEZONE = "Europe/Prague"

# What L1 classifies a support request as (R7); SLA targets are set per classification, and "unclassified" until
# L1 has classified. "*" in a plan's targets stands for any service.
CLASSIFICATIONS: tuple[str, ...] = ("question", "bug", "critical_bug", "improvement")
UNCLASSIFIED = "unclassified"
ANY_SERVICE = "*"


class Status(StrEnum):
    DRAFT = "draft"
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class BallSide(StrEnum):
    """R13: at each moment the ball is on the customer's side or on ours."""

    CUSTOMER = "customer"
    US = "us"


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    MANAGER = "manager"
    SYSTEM = "system"  # the desk itself: schedules and routes; never granted through a token


class TaskStatus(StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    DONE = "done"


# The one place where ticket status transitions are declared. Closed is final: a customer who
# needs more opens a new ticket (R2: one problem, one ticket).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.NEW, Status.CLOSED}),
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER, Status.RESOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING_FOR_CUSTOMER, Status.RESOLVED, Status.CLOSED}),
    Status.WAITING_FOR_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

OPEN_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER, Status.RESOLVED})

# Whose move it is in each status (R13). A draft waits for its author; a resolved ticket waits for the
# customer's confirmation; a closed ticket has no ball.
BALL_SIDE: dict[Status, BallSide | None] = {
    Status.DRAFT: BallSide.CUSTOMER,
    Status.NEW: BallSide.US,
    Status.IN_PROGRESS: BallSide.US,
    Status.WAITING_FOR_CUSTOMER: BallSide.CUSTOMER,
    Status.RESOLVED: BallSide.CUSTOMER,
    Status.CLOSED: None,
}


def check_transition(reference: str, current: Status, target: Status) -> None:
    """Raise 409 with what is allowed when `current -> target` is not a legal move."""
    if target in TRANSITIONS[current]:
        return
    allowed = sorted(s.value for s in TRANSITIONS[current])
    allowed_text = ", ".join(allowed) if allowed else "nothing (closed is final; open a new ticket)"
    raise Conflict(
        f"Ticket {reference} is {current.value}; it cannot become {target.value}. "
        f"Allowed from {current.value}: {allowed_text}.",
        current_status=current.value,
        allowed=allowed,
    )


def status_after_message(current: Status, *, from_customer: bool, internal: bool) -> Status:
    """Where a ticket goes when someone writes into it (R11: writing never breaks the route).

    A customer's message puts the ball on our side (and reopens a resolved ticket); a staff public
    reply puts it on the customer's side; an internal note changes nothing.
    """
    if current in (Status.DRAFT, Status.CLOSED) or internal:
        return current
    if from_customer:
        if current in (Status.WAITING_FOR_CUSTOMER, Status.RESOLVED):
            return Status.IN_PROGRESS
        return current
    if current in (Status.NEW, Status.IN_PROGRESS):
        return Status.WAITING_FOR_CUSTOMER
    return current


REFERENCE_PREFIX = "CW"
REFERENCE_OFFSET = 1000
_REFERENCE_RE = re.compile(rf"^{REFERENCE_PREFIX}-(\d+)$")


def reference_for(sequence: int) -> str:
    """Short reference customers can quote: CW-1001, CW-1002, ..."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{REFERENCE_PREFIX}-{REFERENCE_OFFSET + sequence}"


def parse_reference(text: str) -> int:
    match = _REFERENCE_RE.match(text.strip().upper())
    if not match or int(match.group(1)) <= REFERENCE_OFFSET:
        raise ValueError(f"{text!r} is not a ticket reference like {REFERENCE_PREFIX}-1042")
    return int(match.group(1)) - REFERENCE_OFFSET
