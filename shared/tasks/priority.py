"""A task's priority, computed by the system from the task's data (R15, R19): pure, explainable, no AWS.

    priority(now) = base                                   what the problem is and who has it
                  + DEADLINE_POINTS_PER_HOUR * (now - due + DEADLINE_HORIZON)   how close the deadline is
                  + WAITING_POINTS_PER_HOUR * (now - waiting_since)             how long the ball is on our side

base = classification points (critical bug 800, bug 500, question 300, improvement 100, unclassified 200)
     + 100 for a VIP organisation; a step may fix its own base instead (a failed route's manual task 900,
       the customer's-message task 700, first-line intake 0).

Both time parts grow by the same number of points per hour for every task, so time never changes the
order of two tasks: the queue's stored sort key (`queue_key`) is the priority at a fixed reference
instant and stays right forever, without re-ranking pages or refreshing on a schedule. The number an
agent sees (`explain`) is the priority now, with each part and the reason for it.

First-line groups work in order of arrival (R19): their sort key is the arrival time; the priority is
still shown, for information. Every other line (L2, L3, managers) works by priority, then the earlier
deadline, then arrival.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

CLASSIFICATION_POINTS: dict[str, int] = {"critical_bug": 800, "bug": 500, "question": 300, "improvement": 100}
UNCLASSIFIED_POINTS = 200
VIP_POINTS = 100
DEADLINE_POINTS_PER_HOUR = 5
WAITING_POINTS_PER_HOUR = 1
# A task due this far ahead gets 0 deadline points; it gains 5 points an hour as the deadline comes closer
# (600 at the deadline) and keeps gaining once overdue. A task without a deadline counts as due this long
# after it arrived.
DEADLINE_HORIZON = timedelta(days=5)

LINES = ("L1", "L2", "L3", "managers")
ARRIVAL_ORDER_LINES = frozenset({"L1"})

LABELS = {"question": "question", "bug": "bug", "critical_bug": "critical bug", "improvement": "improvement proposal"}

_REFERENCE = datetime(2000, 1, 1, tzinfo=UTC)  # the instant sort keys are computed at; any fixed one works
_KEY_OFFSET = 10**14


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours or (days and minutes):
        parts.append(f"{hours}h")
    if not days:
        parts.append(f"{minutes}m")
    return " ".join(parts)


def base_priority(classification: str | None, importance: str) -> tuple[int, list[dict[str, Any]]]:
    """The time-independent part: the problem's classification and the customer's importance (R15)."""
    points = CLASSIFICATION_POINTS.get(classification or "", UNCLASSIFIED_POINTS)
    parts = [
        {
            "factor": "classification",
            "points": points,
            "why": LABELS.get(classification or "", "not classified yet"),
        }
    ]
    if importance == "vip":
        parts.append({"factor": "customer", "points": VIP_POINTS, "why": "VIP organisation"})
    return sum(p["points"] for p in parts), parts


@dataclass(frozen=True)
class Basis:
    """What a task's priority is computed from; stored with the task (Task.priority_basis)."""

    base: int
    classification: str | None
    importance: str
    created_at: str
    due_at: str | None
    waiting_since: str
    line: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Basis:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def arrival_order(self) -> bool:
        return self.line in ARRIVAL_ORDER_LINES

    def effective_due(self) -> datetime:
        return _parse(self.due_at) or _parse(self.created_at) + DEADLINE_HORIZON


def components(basis: Basis, now: datetime) -> list[dict[str, Any]]:
    """Each part of the priority at `now`, with its points and a reason a person can read."""
    base, parts = base_priority(basis.classification, basis.importance)
    if base != basis.base:
        why = "first line: order of arrival (R19)" if basis.base == 0 else "set by the step that created the task"
        parts = [{"factor": "step", "points": basis.base, "why": why}]
    due = basis.effective_due()
    deadline = DEADLINE_POINTS_PER_HOUR * _hours(now - due + DEADLINE_HORIZON)
    if basis.due_at is None:
        deadline_why = f"no deadline: counted as due {DEADLINE_HORIZON.days} days after arrival"
    elif due >= now:
        deadline_why = f"due in {_span(due - now)}"
    else:
        deadline_why = f"overdue by {_span(now - due)}"
    since = _parse(basis.waiting_since)
    waiting = WAITING_POINTS_PER_HOUR * _hours(max(timedelta(0), now - since))
    return [
        *parts,
        {"factor": "deadline", "points": round(deadline), "why": deadline_why},
        {"factor": "waiting", "points": round(waiting), "why": f"ball on our side for {_span(now - since)}"},
    ]


def score(basis: Basis, now: datetime) -> float:
    """The priority at `now` (unrounded)."""
    due = basis.effective_due()
    since = _parse(basis.waiting_since)
    return (
        basis.base
        + DEADLINE_POINTS_PER_HOUR * _hours(now - due + DEADLINE_HORIZON)
        + WAITING_POINTS_PER_HOUR * _hours(now - since)
    )


def explain(basis: Basis, now: datetime) -> dict[str, Any]:
    parts = components(basis, now)
    return {
        "score": sum(p["points"] for p in parts),
        "order": "arrival" if basis.arrival_order else "priority",
        "components": parts,
    }


def queue_key(basis: Basis, task_id: str) -> str:
    """The queue_index sort key: arrival for first-line groups; otherwise the priority at a fixed instant
    (descending, so the highest first), then the deadline, then arrival. Valid at any time (see above)."""
    if basis.arrival_order:
        return f"A#{basis.created_at}#{task_id}"
    fixed = round(score(basis, _REFERENCE) * 100)
    return f"P#{_KEY_OFFSET - fixed:015d}#{basis.due_at or '9999'}#{basis.created_at}#{task_id}"


def line_of_group_name(group: str) -> str:
    """A group's line when no one registered it: its name says it (L1, L1-billing, L2-db), else L2."""
    for line in LINES:
        if group == line or group.startswith(f"{line}-"):
            return line
    return "L2"
