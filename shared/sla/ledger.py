"""The SLA ledger: a pure function of plan, calendar and a ticket's log (R7, R10, R21)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from shared.platform.domain import BALL_SIDE, BallSide, Status
from shared.platform.durations import format_duration
from shared.sla.calendars import Calendar
from shared.sla.plans import (
    CLASSIFICATIONS,
    STAFF_ROLES,
    TIMER_ORDER,
    UNCLASSIFIED,
    ClockName,
    ClockPhase,
    SegmentKind,
    SupportPlan,
    Target,
    TimerKind,
    add_working_days,
    aware,
)


@dataclass(frozen=True)
class _Entry:
    """One history entry (`views.event_view`), reduced to what the clocks read."""

    at: datetime
    type: str
    role: str
    public: bool
    data: Mapping[str, Any]


def _entries(events: Sequence[Mapping[str, Any]]) -> list[_Entry]:
    """History entries in time order (stable, so same-instant entries keep the log's order)."""
    if not isinstance(events, Sequence) or isinstance(events, str | bytes):
        raise ValueError("the event log must be a list of history entries")
    entries = []
    for number, raw in enumerate(events, start=1):
        if not isinstance(raw, Mapping):
            raise ValueError(f"event {number} is not an object")
        type_, at = raw.get("type"), raw.get("at")
        if not isinstance(type_, str) or not isinstance(at, str):
            raise ValueError(f"event {number} needs 'type' and 'at' strings")
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise ValueError(f"event {number} ({type_}): 'at' {at!r} is not an ISO 8601 instant") from None
        if moment.tzinfo is None:
            raise ValueError(f"event {number} ({type_}): 'at' {at!r} needs a UTC offset or Z")
        actor = raw.get("actor") if isinstance(raw.get("actor"), Mapping) else {}
        data = raw.get("data") if isinstance(raw.get("data"), Mapping) else {}
        public = raw.get("public", True) is True and data.get("internal") is not True
        entries.append(_Entry(moment.astimezone(UTC), type_, str(actor.get("role") or ""), public, data))
    return sorted(entries, key=lambda entry: entry.at)


@dataclass(frozen=True)
class ClockState:
    """One SLA clock. `due` is when the promise runs out, `internal_due` when the internal target does.

    While the clock is paused, a due instant not yet reached is projected as if the clock resumed now
    (`projected` is true); it moves on for as long as the pause lasts. For a met or stopped clock the dues are
    those that stood at that moment.
    """

    classification: str
    target: Target
    phase: ClockPhase
    due: datetime
    internal_due: datetime
    projected: bool
    met_at: datetime | None
    breached: bool
    consumed: timedelta
    remaining: timedelta

    def to_json(self, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "classification": self.classification,
            "target": self.target.to_json(),
            "phase": self.phase,
            "due": _iso(self.due, zone),
            "internal_due": _iso(self.internal_due, zone),
            "projected": self.projected,
            "met_at": _iso(self.met_at, zone),
            "breached": self.breached,
            "consumed": _duration(self.consumed),
            "remaining": _duration(self.remaining),
        }


@dataclass(frozen=True)
class Segment:
    """A stretch of one clock's time: counted (ours, open), paused (customer's, open), or outside working hours
    (`paused` then says whether the ball was on the customer's side too)."""

    start: datetime
    end: datetime
    kind: SegmentKind
    clock: ClockName
    paused: bool = False

    def to_json(self, zone: ZoneInfo) -> dict[str, Any]:
        return {
            "clock": self.clock,
            "kind": self.kind,
            "start": _iso(self.start, zone),
            "end": _iso(self.end, zone),
            "duration": _duration(self.end - self.start),
        }


@dataclass(frozen=True)
class Note:
    """How the ledger read one event of the log, so a figure can be traced back to its cause."""

    at: datetime
    type: str
    effect: str

    def to_json(self, zone: ZoneInfo) -> dict[str, Any]:
        return {"at": _iso(self.at, zone), "type": self.type, "effect": self.effect}


@dataclass(frozen=True)
class Ledger:
    """Both clocks of a ticket at `now`, what happens next, and why (the explanation and the notes).

    `paused` holds the real intervals with the ball on the customer's side (end None: still paused).
    `next_timer` is the earliest pending instant at or after `now` (one already passed has happened and is not
    next). `next_step_at` is the date the customer is shown (R10).
    """

    plan: str
    service: str
    timezone: str
    now: datetime
    submitted_at: datetime
    status: str
    classification: str | None
    reaction: ClockState
    resolution: ClockState | None
    paused: tuple[tuple[datetime, datetime | None], ...]
    reminder_at: datetime | None
    auto_close_at: datetime | None
    next_timer: tuple[datetime, TimerKind] | None
    next_step_at: datetime | None
    explanation: tuple[Segment, ...]
    notes: tuple[Note, ...]

    def to_json(self) -> dict[str, Any]:
        """Instants as ISO 8601 with the calendar zone's offset, durations as ISO 8601 hours (no days)."""
        zone = ZoneInfo(self.timezone)
        return {
            "plan": self.plan,
            "service": self.service,
            "timezone": self.timezone,
            "now": _iso(self.now, zone),
            "submitted_at": _iso(self.submitted_at, zone),
            "status": self.status,
            "classification": self.classification,
            "reaction": self.reaction.to_json(zone),
            "resolution": self.resolution.to_json(zone) if self.resolution else None,
            "paused": [{"start": _iso(start, zone), "end": _iso(end, zone)} for start, end in self.paused],
            "reminder_at": _iso(self.reminder_at, zone),
            "auto_close_at": _iso(self.auto_close_at, zone),
            "next_timer": (
                {"at": _iso(self.next_timer[0], zone), "kind": self.next_timer[1]} if self.next_timer else None
            ),
            "next_step_at": _iso(self.next_step_at, zone),
            "explanation": [segment.to_json(zone) for segment in self.explanation],
            "notes": [note.to_json(zone) for note in self.notes],
        }

    def render_text(self) -> str:
        """For people: the figures first, then each event's effect, then the intervals that made them."""
        zone = ZoneInfo(self.timezone)

        def when(moment: datetime | None) -> str:
            return _human(moment, zone) if moment else "-"

        side = BALL_SIDE[Status(self.status)]
        lines = [
            f"SLA ledger: plan {self.plan}, service {self.service}, times in {self.timezone}",
            f"  {'now':<13}{when(self.now)}",
            f"  {'submitted':<13}{when(self.submitted_at)}",
            f"  {'status':<13}{self.status} (ball: {side.value if side else 'none'}), "
            f"classification {self.classification or UNCLASSIFIED}",
        ]
        for name, clock in (("reaction", self.reaction), ("resolution", self.resolution)):
            if clock is None:
                lines.append(f"{name}: no target ({self.classification or UNCLASSIFIED})")
                continue
            lines += [
                f"{name} ({clock.classification}): {_verdict(clock)}",
                f"  {'promise':<13}{_duration(clock.target.promise):<10}due {when(clock.due)}"
                + (" (projected: as if resumed now)" if clock.projected else ""),
                f"  {'internal':<13}{_duration(clock.target.internal):<10}due {when(clock.internal_due)}",
                f"  {'consumed':<13}{_duration(clock.consumed):<10}remaining {_duration(clock.remaining)}",
            ]
            if clock.met_at:
                lines.append(f"  {'met at':<13}{when(clock.met_at)}")
        lines.append("paused" + ("" if self.paused else ": never"))
        lines += [f"  {when(start)} -> {when(end) if end else '(still paused)'}" for start, end in self.paused]
        timer = f"{when(self.next_timer[0])}  {self.next_timer[1]}" if self.next_timer else "-"
        lines += [
            f"{'reminder':<15}{when(self.reminder_at)}",
            f"{'auto-close':<15}{when(self.auto_close_at)}",
            f"{'next timer':<15}{timer}",
            f"{'next step':<15}{when(self.next_step_at)}  (the date the customer is shown, R10)",
            "events",
        ]
        width = max((len(note.type) for note in self.notes), default=0)
        lines += [f"  {when(note.at)}  {note.type:<{width}}  {note.effect}" for note in self.notes]
        lines.append("explanation")
        for segment in self.explanation:
            span = f"{when(segment.start)} -> {when(segment.end)}"
            duration = _duration(segment.end - segment.start)
            lines.append(f"  {segment.clock:<11}{span}  {segment.kind:<14}{duration}")
        return "\n".join(lines) + "\n"


def ledger(
    plan: SupportPlan,
    events: Sequence[Mapping[str, Any]],
    service: str,
    now: datetime,
    calendar: Calendar | None = None,
) -> Ledger:
    """Replay the ticket's log up to `now` on the plan (or on `calendar` instead of the plan's, for what-if).

    Raises ValueError for a log the clocks cannot read (no submission yet, unknown status or classification) and
    KeyError when the plan has no targets for the ticket's service and classification.
    """
    calendar = calendar or plan.calendar
    now = aware(now, "now").astimezone(UTC)
    replay = _replay(_entries(events), now)
    reaction = _reaction_clock(plan, calendar, service, replay, now)
    resolution = _resolution_clock(plan, calendar, service, replay, now)
    reminder_at, auto_close_at = _housekeeping(plan, calendar, replay)
    return Ledger(
        plan=plan.name,
        service=service,
        timezone=calendar.timezone,
        now=now,
        submitted_at=replay.submitted,
        status=replay.status.value,
        classification=replay.classification,
        reaction=reaction,
        resolution=resolution,
        paused=_paused(replay),
        reminder_at=reminder_at,
        auto_close_at=auto_close_at,
        next_timer=_next_timer(reaction, resolution, reminder_at, auto_close_at, now),
        next_step_at=_next_step(replay, reaction, resolution, auto_close_at),
        explanation=tuple(_explanation(calendar, replay, with_resolution=resolution is not None)),
        notes=tuple(replay.notes),
    )


def _reaction_end(replay: _Replay) -> datetime | None:
    return replay.reaction_at or replay.stopped


def _reaction_clock(plan: SupportPlan, calendar: Calendar, service: str, replay: _Replay, now: datetime) -> ClockState:
    """The reaction clock runs from submission to the first reaction (or the close), on the class first promised."""
    reaction_class = replay.reaction_class or replay.classification or UNCLASSIFIED
    reaction_end = _reaction_end(replay)
    reaction_phase: ClockPhase = "met" if replay.reaction_at else "stopped" if replay.stopped else "running"
    return _clock(
        calendar,
        plan.targets_for(service, reaction_class).reaction,
        reaction_class,
        reaction_phase,
        [(replay.submitted, reaction_end)],
        now=now,
        anchor=reaction_end,
    )


def _resolution_clock(
    plan: SupportPlan, calendar: Calendar, service: str, replay: _Replay, now: datetime
) -> ClockState | None:
    """The resolution clock runs while the ball is on our side; None when the plan sets no resolution target."""
    resolution_class = replay.classification or UNCLASSIFIED
    resolution_target = plan.targets_for(service, resolution_class).resolution
    if resolution_target is None:
        return None
    phase = _resolution_phase(replay)
    anchor = {"met": replay.resolved_at, "stopped": replay.stopped, "paused": now}.get(phase)
    runs: list[tuple[datetime, datetime | None]] = [(start, end) for start, end, run in replay.periods if run]
    if phase == "running":
        runs[-1] = (runs[-1][0], None)
    return _clock(calendar, resolution_target, resolution_class, phase, runs, now=now, anchor=anchor)


def _on_customer_side(replay: _Replay) -> bool:
    return replay.stopped is None and replay.status in (Status.WAITING_FOR_CUSTOMER, Status.RESOLVED)


def _housekeeping(plan: SupportPlan, calendar: Calendar, replay: _Replay) -> tuple[datetime | None, datetime | None]:
    """The reminder and the auto-close while the customer has the ball (R21), counted from when the ticket entered
    its current status."""
    waiting = replay.stopped is None and replay.status == Status.WAITING_FOR_CUSTOMER
    reminder_at = _as_utc(calendar.add(replay.status_since, plan.reminder_after)) if waiting else None
    auto_close_at = (
        _as_utc(add_working_days(calendar, replay.status_since, plan.auto_close_after_days))
        if _on_customer_side(replay)
        else None
    )
    return reminder_at, auto_close_at


def _next_step(
    replay: _Replay, reaction: ClockState, resolution: ClockState | None, auto_close_at: datetime | None
) -> datetime | None:
    """R10, in this order: the auto-close date while the customer has the ball (also when the desk itself handed it
    over before anyone reacted, e.g. a route that resolved the ticket); the reaction promise until reacted; the
    resolution promise while its clock runs. A closed ticket has no next step."""
    if replay.stopped is not None:
        return None
    if _on_customer_side(replay):
        return auto_close_at
    if reaction.phase == "running":
        return reaction.due
    if resolution is not None and resolution.phase == "running":
        return resolution.due
    return None


def _explanation(calendar: Calendar, replay: _Replay, *, with_resolution: bool) -> list[Segment]:
    """Both clocks' time cut at the events and at opening and closing times."""
    limit = replay.limit
    cuts = sorted({note.at for note in replay.notes if replay.submitted < note.at < limit})
    reaction_end = _reaction_end(replay)
    explanation = _segments(calendar, "reaction", [(replay.submitted, min(reaction_end or limit, limit), True)], cuts)
    if with_resolution:
        explanation += _segments(calendar, "resolution", replay.periods, cuts)
    return explanation


def _paused(replay: _Replay) -> tuple[tuple[datetime, datetime | None], ...]:
    """The intervals with the ball on the customer's side; the last one is open while still paused."""
    last = len(replay.periods) - 1
    return tuple(
        (start, None if index == last and replay.stopped is None else end)
        for index, (start, end, running) in enumerate(replay.periods)
        if not running
    )


def _resolution_phase(replay: _Replay) -> ClockPhase:
    if replay.resolved_at:
        return "met"
    if replay.stopped:
        return "stopped"
    return "paused" if BALL_SIDE[replay.status] == BallSide.CUSTOMER else "running"


def _next_timer(
    reaction: ClockState,
    resolution: ClockState | None,
    reminder_at: datetime | None,
    auto_close_at: datetime | None,
    now: datetime,
) -> tuple[datetime, TimerKind] | None:
    """The earliest pending instant at or after `now`; a paused clock has no timers, its dues still move."""
    timers: list[tuple[datetime | None, TimerKind]] = [(reminder_at, "reminder"), (auto_close_at, "auto_close")]
    if reaction.phase == "running":
        timers += [(reaction.internal_due, "reaction_warning"), (reaction.due, "reaction_breach")]
    if resolution is not None and resolution.phase == "running":
        timers += [(resolution.internal_due, "resolution_warning"), (resolution.due, "resolution_breach")]
    pending: list[tuple[datetime, TimerKind]] = [(at, kind) for at, kind in timers if at is not None and at >= now]
    return min(pending, key=lambda item: (item[0], TIMER_ORDER.index(item[1])), default=None)


@dataclass
class _Replay:
    """What the log says, as of `now`; built by `_replay` and read by `ledger`."""

    submitted: datetime
    limit: datetime
    stopped: datetime | None
    status: Status
    status_since: datetime
    classification: str | None
    reaction_at: datetime | None
    reaction_class: str | None
    resolved_at: datetime | None
    periods: list[tuple[datetime, datetime, bool]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def _replay(entries: list[_Entry], now: datetime) -> _Replay:
    """Walk the log once: the status and ball side over time, the classification, the reaction and resolution."""
    seen = [entry for entry in entries if entry.at <= now]
    start = next((i for i, entry in enumerate(seen) if entry.type == "TicketSubmitted"), None)
    if start is None:
        raise ValueError(f"no TicketSubmitted event at or before {now.isoformat()}: a draft has no SLA clocks yet")
    submitted = seen[start].at
    state = _Replay(submitted, now, None, Status.NEW, submitted, None, None, None, None)
    notes = [Note(entry.at, entry.type, "before submission: the clocks have not started") for entry in seen[:start]]
    notes.append(Note(submitted, "TicketSubmitted", "both clocks start (at the next opening, R4)"))
    changes: list[tuple[datetime, bool]] = [(submitted, True)]
    for entry in seen[start + 1 :]:
        if state.stopped is not None:
            notes.append(Note(entry.at, entry.type, "after closing: ignored"))
            continue
        notes.append(Note(entry.at, entry.type, _apply(state, entry)))
        running = BALL_SIDE[state.status] == BallSide.US
        if state.stopped is None and running != changes[-1][1]:
            changes.append((entry.at, running))
    state.limit = min(now, state.stopped or now)
    bounds = [at for at, _ in changes[1:]] + [state.limit]
    state.periods = [(at, end, running) for (at, running), end in zip(changes, bounds, strict=True) if end > at]
    if not state.periods or state.periods[-1][2] != changes[-1][1]:
        # Keep the current (possibly zero-length) period so a clock that just resumed knows where it resumed.
        state.periods.append((changes[-1][0], state.limit, changes[-1][1]))
    state.notes = notes
    return state


def _apply(state: _Replay, entry: _Entry) -> str:
    """Apply one event to the replay state; returns how it was read, for the explanation."""
    staff = entry.role in STAFF_ROLES
    automatic = entry.data.get("automatic") is True
    pending = state.reaction_at is None
    before_class = state.classification  # the reaction is judged on the target the customer was promised

    def react(effect: str) -> str:
        state.reaction_at = entry.at
        state.reaction_class = before_class or UNCLASSIFIED
        return f"{effect}; this is the reaction"

    if entry.type == "TicketClassified":
        classification = entry.data.get("classification")
        if classification not in CLASSIFICATIONS:
            raise ValueError(
                f"TicketClassified at {entry.at.isoformat()}: unknown classification {classification!r}; "
                f"use one of {', '.join(CLASSIFICATIONS)}"
            )
        state.classification = classification
        effect = f"classified as {classification}"
        if pending and staff and not automatic:
            return react(effect)
        if automatic or not staff:
            return f"{effect} ({'automatic' if automatic else 'not by staff'}: not a reaction)"
        return effect
    if entry.type == "MessageAdded":
        if not entry.public:
            return "internal note: not a reaction"
        if automatic:
            return "automatic message: not a reaction"
        if entry.role == "customer":
            return "customer message: not a reaction"
        if not staff:
            return f"message from {entry.role or 'unknown'}: not a reaction"
        return react("staff public reply") if pending else "staff public reply"
    if entry.type == "StatusChanged":
        return _status_change(state, entry)
    if entry.type == "TicketResolved":
        _enter(state, Status.RESOLVED, entry.at)
        state.resolved_at = entry.at
        effect = "resolved: the resolution is met, its clock pauses"
        return react(effect) if pending and staff else effect
    if entry.type == "TicketReopened":
        state.resolved_at = None
        _enter(state, Status.IN_PROGRESS, entry.at)
        return "reopened: the resolution clock resumes and the next resolution counts"
    if entry.type == "TicketClosed":
        state.stopped, state.status, state.status_since = entry.at, Status.CLOSED, entry.at
        return "closed: every clock stops"
    return "no effect on the clocks"


def _status_change(state: _Replay, entry: _Entry) -> str:
    raw = entry.data.get("after")
    try:
        after = Status(raw)
    except ValueError:
        raise ValueError(f"StatusChanged at {entry.at.isoformat()}: unknown status {raw!r}") from None
    before = state.status
    if after == Status.CLOSED:
        state.stopped, state.status, state.status_since = entry.at, after, entry.at
        return f"{before.value} -> closed: every clock stops"
    if before == Status.RESOLVED and after != Status.RESOLVED:
        state.resolved_at = None
    _enter(state, after, entry.at)
    side = BALL_SIDE[after]
    if side == BallSide.CUSTOMER:
        return f"{before.value} -> {after.value}: ball on the customer's side, the resolution clock pauses"
    reopened = ", the resolution is no longer met" if before == Status.RESOLVED else ""
    return f"{before.value} -> {after.value}: ball on our side, the resolution clock runs{reopened}"


def _enter(state: _Replay, status: Status, at: datetime) -> None:
    """Move to `status`; the time it was entered only changes on a real change (reminders count from it)."""
    if state.status != status:
        state.status, state.status_since = status, at


def _clock(
    calendar: Calendar,
    target: Target,
    classification: str,
    phase: ClockPhase,
    runs: Sequence[tuple[datetime, datetime | None]],
    *,
    now: datetime,
    anchor: datetime | None,
) -> ClockState:
    """One clock from its running periods (the last open-ended while it runs) and where it would go on from.

    `anchor` is where the rest of the target is counted from when the runs fall short of it: the met or stop
    instant, or now for a paused clock (a projection); a running clock goes on from its current run's start.
    """
    finished = [(start, end) for start, end in runs if end is not None]
    resume = runs[-1][0] if phase == "running" else anchor
    assert resume is not None
    due, reached = _due(calendar, finished, target.promise, resume)
    internal_due, _ = _due(calendar, finished, target.internal, resume)
    consumed = sum((calendar.between(start, end or now) for start, end in runs), timedelta(0))
    met_at = anchor if phase == "met" else None
    judged_at = anchor if phase in ("met", "stopped") else now
    assert judged_at is not None
    return ClockState(
        classification=classification,
        target=target,
        phase=phase,
        due=due,
        internal_due=internal_due,
        projected=phase == "paused" and not reached,
        met_at=met_at,
        breached=judged_at > due if phase == "met" else judged_at >= due,
        consumed=consumed,
        remaining=max(target.promise - consumed, timedelta(0)),
    )


def _due(
    calendar: Calendar, runs: Sequence[tuple[datetime, datetime]], amount: timedelta, resume: datetime
) -> tuple[datetime, bool]:
    """When `amount` of working time is used up over `runs`, then from `resume`; True if the runs reached it."""
    used = timedelta(0)
    for start, end in runs:
        worked = calendar.between(start, end)
        if used + worked >= amount:
            return _as_utc(calendar.add(start, amount - used)), True
        used += worked
    return _as_utc(calendar.add(resume, amount - used)), False


def _segments(
    calendar: Calendar,
    clock: ClockName,
    periods: Sequence[tuple[datetime, datetime, bool]],
    cuts: Sequence[datetime],
) -> list[Segment]:
    """Each period split at the events inside it and at opening and closing times; closed time wins over paused."""
    segments = []
    for start, end, running in periods:
        bounds = [start, *(cut for cut in cuts if start < cut < end), end]
        for piece_start, piece_end in pairwise(bounds):
            for part_start, part_end, is_open in _by_hours(calendar, piece_start, piece_end):
                kind: SegmentKind = ("counted" if running else "paused") if is_open else "outside_hours"
                segments.append(Segment(part_start, part_end, kind, clock, paused=not running))
    return segments


def _by_hours(calendar: Calendar, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime, bool]]:
    """`[start, end)` cut into open and closed stretches of the calendar."""
    cursor = start
    for opens, closes in _openings(calendar, start, end):
        if opens > cursor:
            yield cursor, opens, False
        yield opens, closes, True
        cursor = closes
    if cursor < end:
        yield cursor, end, False


def _openings(calendar: Calendar, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Opening intervals clipped to `[start, end)`, as UTC instants.

    Calendar has no public "openings between" query, so this reads its day walker `_openings_from`: the one
    place that knows the day's intervals across DST changes. Recomputing them here could disagree with `add`.
    """
    if end <= start:
        return
    if calendar.twenty_four_seven:
        yield start, end
        return
    for opens, closes in calendar._openings_from(start):
        if opens >= end:
            return
        yield opens, min(closes, end)


def _as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _duration(duration: timedelta) -> str:
    """A duration for people and for the ledger's JSON: whole seconds (half a second rounds up), never the
    sub-second noise of instants read off a real clock (PT12S, not PT12.318913S)."""
    return format_duration(timedelta(seconds=(duration + timedelta(milliseconds=500)) // timedelta(seconds=1)))


def _iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat() if moment else None


def _human(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%a %Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _verdict(clock: ClockState) -> str:
    if clock.phase == "met":
        return "met late (breached)" if clock.breached else "met in time"
    if clock.breached:
        return f"BREACHED ({clock.phase})"
    return {"running": "running", "paused": "paused (ball on the customer's side)", "stopped": "stopped (closed)"}[
        clock.phase
    ]
