"""The SLA ledger (R7, R10, R13, R17, R18, R21): support plans, both clocks replayed from a ticket's log, working
days, and `caseway sla explain`. Times are Prague office hours on DEFAULT_PLAN (Mon-Fri 09:00-17:00, CZ holidays)."""

from __future__ import annotations

import json
import socket
import urllib.error
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.local.cli import main
from shared.sla.calendars import Calendar
from shared.sla.ledger import Segment, ledger
from shared.sla.plans import DEFAULT_PLAN, VIP_PLAN, ClassTargets, SupportPlan, Target, add_working_days, plan_named
from tests.canned_http import CannedJson, serving
from tests.conftest import BOB, LENA, QUESTION, open_l1_task

FIXTURES = Path(__file__).parents[1] / "fixtures"
EVENTS = FIXTURES / "sla_events.json"
PLAN_FILE = FIXTURES / "sla_plan_extended.json"
ALWAYS_FILE = FIXTURES / "calendar_24x7.json"
CET, CEST = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))
SERVICE = "functionality-question"
OFFICE = DEFAULT_PLAN.calendar
H, M = timedelta(hours=1), timedelta(minutes=1)


def mar(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in March 2026 (CET: before the DST change on the 29th). Mon 9, Fri 13, Mon 16, Fri 20."""
    return datetime(2026, 3, day, hour, minute, tzinfo=CET)


def entry(at: datetime, type_: str, role: str = "agent", *, public: bool = True, **data: Any) -> dict[str, Any]:
    """A history entry exactly as `views.event_view` returns it."""
    stamp = at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "id": f"{stamp}-{type_}",
        "at": stamp,
        "type": type_,
        "actor": {"sub": f"{role}-1", "role": role},
        "summary": type_,
        "public": public,
        "data": data,
    }


def submitted(at: datetime) -> dict[str, Any]:
    return entry(at, "TicketSubmitted", "customer", channel="api")


def classified(at: datetime, classification: str, role: str = "agent", **data: Any) -> dict[str, Any]:
    return entry(at, "TicketClassified", role, classification=classification, **data)


def staff_reply(at: datetime, before: str = "new") -> list[dict[str, Any]]:
    """A public reply from support, which hands the ball to the customer."""
    return [
        entry(at, "MessageAdded", "agent", message_id="m1", internal=False),
        entry(at, "StatusChanged", "agent", before=before, after="waiting_for_customer"),
    ]


def customer_reply(at: datetime, before: str = "waiting_for_customer") -> list[dict[str, Any]]:
    return [
        entry(at, "MessageAdded", "customer", message_id="m2", internal=False),
        entry(at, "StatusChanged", "customer", before=before, after="in_progress"),
    ]


def resolved(at: datetime, before: str = "in_progress") -> list[dict[str, Any]]:
    return [entry(at, "StatusChanged", before=before, after="resolved"), entry(at, "TicketResolved")]


def explain(events: list[dict[str, Any]], now: datetime, **kwargs: Any) -> Any:
    return ledger(DEFAULT_PLAN, events, SERVICE, now, **kwargs)


# --- support plans ------------------------------------------------------------------------------------------------


def test_internal_target_must_be_shorter_than_the_promise() -> None:
    # Given / When / Then an internal target as long as the promise is refused (R18)
    with pytest.raises(ValueError, match="internal target PT4H must be shorter than the promise PT4H"):
        Target(timedelta(hours=4), timedelta(hours=4))


def test_default_plan_targets() -> None:
    # Given the default plan
    # When the targets of each classification are looked up for any service
    critical = DEFAULT_PLAN.targets_for(SERVICE, "critical_bug")
    improvement = DEFAULT_PLAN.targets_for(SERVICE, "improvement")
    unclassified = DEFAULT_PLAN.targets_for("licence-key", "unclassified")

    # Then they are the plan-wide ones: critical bug fixed within 2 working hours (R7), improvements without one
    assert critical == ClassTargets(Target(timedelta(minutes=30), timedelta(minutes=10)), Target(2 * H, 40 * M))
    assert improvement == ClassTargets(Target(8 * H, 160 * M), None)
    assert unclassified == ClassTargets(Target(4 * H, 80 * M), None)
    assert VIP_PLAN.targets_for(SERVICE, "critical_bug").resolution == Target(H, 20 * M)
    assert plan_named(None) is DEFAULT_PLAN and plan_named("vip") is VIP_PLAN


def test_service_targets_come_before_plan_wide_ones() -> None:
    # Given a plan with a faster question target for one service
    plan = SupportPlan.from_json(json.loads(PLAN_FILE.read_text()))

    # When targets are looked up for that service and for another one
    own = plan.targets_for(SERVICE, "question")
    other = plan.targets_for("document-request", "question")
    fallback = plan.targets_for(SERVICE, "bug")

    # Then the service's own come first, then "*"
    assert own == ClassTargets(Target(H, 20 * M), Target(8 * H, 160 * M))
    assert other == ClassTargets(Target(2 * H, 40 * M), Target(12 * H, 4 * H))
    assert fallback == other
    assert (plan.reminder_after, plan.auto_close_after_days) == (12 * H, 5)


def test_missing_targets_are_a_key_error_that_says_where_it_looked() -> None:
    # Given a plan with targets for bugs only
    plan = SupportPlan("tiny", OFFICE, {"*": {"bug": ClassTargets(Target(H, 20 * M))}})

    # When / Then a question cannot be looked up
    with pytest.raises(KeyError, match=r"plan 'tiny' has no targets for classification 'question' of service 'x'"):
        plan.targets_for("x", "question")


def test_plan_json_round_trip() -> None:
    # Given the default plan's JSON
    data = DEFAULT_PLAN.to_json()

    # When it is read back
    again = SupportPlan.from_json(json.loads(json.dumps(data)))

    # Then it is the same plan, with ISO 8601 durations and the calendar embedded
    assert again == DEFAULT_PLAN
    assert data["targets"]["*"]["critical_bug"] == {
        "reaction": {"promise": "PT30M", "internal": "PT10M"},
        "resolution": {"promise": "PT2H", "internal": "PT40M"},
    }
    assert data["targets"]["*"]["improvement"]["resolution"] is None
    assert (data["reminder_after"], data["auto_close_after_days"]) == ("PT16H", 3)
    assert data["calendar"]["hours"]["mon"] == [["09:00", "17:00"]]
    assert data["calendar"]["holidays"]["country"] == "CZ"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"targets": {"*": {"bug": {"reaction": {"promise": "P1D", "internal": "PT1H"}}}}}, "targets.*.bug.reaction"),
        ({"targets": {"*": {"feature": {"reaction": {"promise": "PT2H", "internal": "PT1H"}}}}}, "'feature'"),
        ({"auto_close_after_days": "3"}, "auto_close_after_days"),
        ({"calendar": {"hours": {}}}, "plan calendar"),
    ],
)
def test_bad_plan_json_names_the_field(change: dict[str, Any], message: str) -> None:
    # Given a plan document with one bad field
    data = {**DEFAULT_PLAN.to_json(), **change}

    # When / Then reading it fails with a message that points at it
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        SupportPlan.from_json(data)


# --- working days (R21) -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (mar(13, 15), 3, mar(18, 15)),  # Friday 15:00 -> Wednesday 15:00, the weekend skipped
        (datetime(2026, 12, 23, 15, tzinfo=CET), 3, datetime(2026, 12, 30, 15, tzinfo=CET)),  # 24-26 Dec are off
        (datetime(2026, 12, 29, 10, tzinfo=CET), 3, datetime(2027, 1, 4, 10, tzinfo=CET)),  # New Year's Day is off
        (mar(13, 17, 30), 1, mar(17, 9)),  # Monday 17:30 is closed: that day's next opening is Tuesday 09:00
        (datetime(2026, 3, 14, 10, tzinfo=CET), 1, mar(16, 10)),  # from a Saturday, Monday is the next working day
        (datetime(2026, 3, 14, 10, tzinfo=CET), 0, mar(16, 9)),  # zero days: just the next opening
        (mar(27, 10), 1, datetime(2026, 3, 30, 10, tzinfo=CEST)),  # the wall-clock time is kept over the DST change
    ],
)
def test_add_working_days(start: datetime, days: int, expected: datetime) -> None:
    # Given / When
    result = add_working_days(OFFICE, start, days)

    # Then
    assert result == expected
    assert result.isoformat() == expected.isoformat()


def test_add_working_days_round_the_clock_counts_every_day() -> None:
    # Given / When / Then on a 24x7 calendar a weekend is working days too
    assert add_working_days(Calendar.always_open("Europe/Prague"), mar(13, 15), 3) == mar(16, 15)


# --- the reaction clock (R7) --------------------------------------------------------------------------------------


def test_reaction_met_by_classification() -> None:
    # Given a ticket submitted on Monday 09:00 and classified as a question by L1 at 10:30
    events = [submitted(mar(16, 9)), classified(mar(16, 10, 30), "question")]

    # When the ledger is read at 11:00
    result = explain(events, mar(16, 11))

    # Then the reaction was met by the classification, judged on the target promised before it (unclassified)
    reaction = result.reaction
    assert (reaction.phase, reaction.classification, reaction.met_at, reaction.breached) == (
        "met",
        "unclassified",
        mar(16, 10, 30),
        False,
    )
    assert (reaction.due, reaction.internal_due) == (mar(16, 13), mar(16, 10, 20))
    assert (reaction.consumed, reaction.remaining) == (90 * M, 150 * M)
    # And the question's resolution clock runs from submission
    resolution = result.resolution
    assert resolution is not None
    assert (resolution.classification, resolution.phase, resolution.consumed) == ("question", "running", 2 * H)
    assert (resolution.due, resolution.internal_due) == (mar(17, 17), mar(16, 14, 20))
    assert result.next_timer == (mar(16, 14, 20), "resolution_warning")
    assert result.next_step_at == mar(17, 17)


def test_reaction_met_by_staff_public_reply() -> None:
    # Given a ticket submitted on Monday 09:00 that support answers publicly at 09:45
    events = [submitted(mar(16, 9)), *staff_reply(mar(16, 9, 45))]

    # When the ledger is read at 10:00
    result = explain(events, mar(16, 10))

    # Then the reply was the reaction; unclassified, there is no resolution target yet
    assert (result.reaction.met_at, result.reaction.consumed, result.reaction.breached) == (
        mar(16, 9, 45),
        45 * M,
        False,
    )
    assert result.resolution is None
    # And the customer has the ball: reminded after 16 working hours, closed after 3 working days (R21)
    assert (result.reminder_at, result.auto_close_at) == (mar(18, 9, 45), mar(19, 9, 45))
    assert result.next_timer == (mar(18, 9, 45), "reminder")
    assert result.next_step_at == mar(19, 9, 45)


@pytest.mark.parametrize(
    "event",
    [
        entry(mar(16, 9, 10), "MessageAdded", "system", message_id="a", internal=False, automatic=True),
        entry(mar(16, 9, 10), "MessageAdded", "agent", message_id="a", internal=False, automatic=True),
        entry(mar(16, 9, 10), "MessageAdded", "customer", message_id="a", internal=False),
        entry(mar(16, 9, 10), "MessageAdded", "agent", public=False, message_id="a", internal=True),
        classified(mar(16, 9, 10), "question", role="system"),
        classified(mar(16, 9, 10), "question", automatic=True),
    ],
    ids=["system-automatic", "agent-automatic", "customer-message", "internal-note", "system-class", "auto-class"],
)
def test_reaction_is_never_met_by(event: dict[str, Any]) -> None:
    # Given a ticket submitted on Monday 09:00 with one event that is not a reaction
    events = [submitted(mar(16, 9)), event]

    # When the ledger is read at 10:00
    result = explain(events, mar(16, 10))

    # Then the reaction clock still runs toward its 4-hour promise
    reaction = result.reaction
    assert (reaction.phase, reaction.met_at, reaction.consumed, reaction.due) == ("running", None, H, mar(16, 13))
    assert result.next_timer == (mar(16, 10, 20), "reaction_warning")
    assert result.next_step_at == mar(16, 13)


FRIDAY_CRITICAL = [
    submitted(mar(13, 16, 50)),
    classified(mar(13, 16, 50), "critical_bug", role="system", automatic=True),  # the route, from the intake form
]


def test_reaction_warning_then_breach_over_the_weekend() -> None:
    # Given a critical bug submitted on Friday 16:50 (30 min promise, 10 min internal)
    # When the ledger is read at 16:55
    before_close = explain(FRIDAY_CRITICAL, mar(13, 16, 55))

    # Then the internal target runs out exactly at closing (10 working minutes), the promise on Monday 09:20
    assert (before_close.reaction.internal_due, before_close.reaction.due) == (mar(13, 17), mar(16, 9, 20))
    assert before_close.reaction.classification == "critical_bug"
    assert before_close.next_timer == (mar(13, 17), "reaction_warning")
    assert before_close.next_step_at == mar(16, 9, 20)

    # When read on Monday 09:00, the warning has passed and the breach is next
    monday = explain(FRIDAY_CRITICAL, mar(16, 9))
    assert monday.next_timer == (mar(16, 9, 20), "reaction_breach")
    assert (monday.reaction.breached, monday.reaction.consumed) == (False, 10 * M)

    # When read at 09:30, the promise is breached and the resolution clock's warning is due right now
    late = explain(FRIDAY_CRITICAL, mar(16, 9, 30))
    assert (late.reaction.breached, late.reaction.consumed, late.reaction.remaining) == (True, 40 * M, timedelta(0))
    assert late.resolution is not None
    assert (late.resolution.internal_due, late.resolution.due) == (mar(16, 9, 30), mar(16, 10, 50))
    assert late.next_timer == (mar(16, 9, 30), "resolution_warning")


def test_what_if_round_the_clock_gives_other_dues() -> None:
    # Given the same Friday 16:50 critical bug
    # When it is replayed on a 24x7 calendar
    result = explain(FRIDAY_CRITICAL, mar(16, 9), calendar=Calendar.always_open("Europe/Prague"))

    # Then the clocks ran through the weekend
    assert (result.reaction.internal_due, result.reaction.due, result.reaction.breached) == (
        mar(13, 17),
        mar(13, 17, 20),
        True,
    )
    assert result.resolution is not None
    assert (result.resolution.due, result.resolution.consumed) == (mar(13, 18, 50), 64 * H + 10 * M)
    assert result.timezone == "Europe/Prague"


# --- the resolution clock (R13) -----------------------------------------------------------------------------------


def test_pause_and_resume_move_the_resolution_deadline_by_the_paused_working_time() -> None:
    # Given a bug (24 h promise, 8 h internal) submitted and classified on Monday 09:00, due Wednesday 17:00
    events = [submitted(mar(16, 9)), classified(mar(16, 9), "bug")]
    assert explain(events, mar(16, 9, 30)).resolution.due == mar(18, 17)
    # And the ball went to the customer from 10:00 to 12:30
    events += [*staff_reply(mar(16, 10)), *customer_reply(mar(16, 12, 30))]

    # When the ledger is read during the pause and after it
    during = explain(events, mar(16, 12)).resolution
    after = explain(events, mar(16, 13)).resolution

    # Then during the pause the dues are projected as if the clock resumed now
    assert (during.phase, during.projected, during.consumed) == ("paused", True, H)
    assert (during.due, during.internal_due) == (mar(19, 11), mar(17, 11))
    # And after it they moved by exactly the 2.5 paused working hours
    assert (after.phase, after.projected, after.consumed) == ("running", False, 90 * M)
    assert (after.due, after.internal_due) == (mar(19, 11, 30), mar(17, 11, 30))
    assert OFFICE.between(mar(18, 17), after.due) == 150 * M
    assert explain(events, mar(16, 13)).paused == ((mar(16, 10), mar(16, 12, 30)),)


def test_pause_over_a_weekend_counts_only_its_working_hours() -> None:
    # Given a bug submitted on Wednesday 09:00, due Friday 17:00, with the ball on the customer's side from Friday
    # 16:00 to Monday 10:00
    events = [submitted(mar(11, 9)), classified(mar(11, 9), "bug"), *staff_reply(mar(13, 16))]
    events += customer_reply(mar(16, 10))

    # When the ledger is read on Monday 10:30
    result = explain(events, mar(16, 10, 30))

    # Then the deadline moved by 2 working hours (Fri 16-17, Mon 9-10), not by the 66 real hours
    resolution = result.resolution
    assert (resolution.due, resolution.consumed, resolution.remaining) == (mar(16, 11), 23 * H + 30 * M, 30 * M)
    assert OFFICE.between(mar(13, 17), resolution.due) == 2 * H
    assert result.paused == ((mar(13, 16), mar(16, 10)),)


def test_explanation_lists_counted_paused_and_outside_hours_intervals() -> None:
    # Given a critical bug submitted Friday 16:00, classified at 16:10, answered at 16:30, customer back Monday 09:15
    events = [submitted(mar(13, 16)), classified(mar(13, 16, 10), "critical_bug"), *staff_reply(mar(13, 16, 30))]
    events += customer_reply(mar(16, 9, 15))

    # When the ledger is read on Monday 09:45
    result = explain(events, mar(16, 9, 45))

    # Then each interval is split at events and at opening and closing times
    assert result.explanation == (
        Segment(mar(13, 16), mar(13, 16, 10), "counted", "reaction"),
        Segment(mar(13, 16), mar(13, 16, 10), "counted", "resolution"),
        Segment(mar(13, 16, 10), mar(13, 16, 30), "counted", "resolution"),
        Segment(mar(13, 16, 30), mar(13, 17), "paused", "resolution", paused=True),
        Segment(mar(13, 17), mar(16, 9), "outside_hours", "resolution", paused=True),  # the weekend, the customer's
        Segment(mar(16, 9), mar(16, 9, 15), "paused", "resolution", paused=True),
        Segment(mar(16, 9, 15), mar(16, 9, 45), "counted", "resolution"),
    )
    # And the clocks agree with it
    assert (result.reaction.classification, result.reaction.due, result.reaction.consumed) == (
        "unclassified",
        mar(16, 12),
        10 * M,
    )
    resolution = result.resolution
    assert (resolution.consumed, resolution.due, resolution.internal_due) == (H, mar(16, 10, 45), mar(16, 9, 25))
    assert result.next_timer == (mar(16, 10, 45), "resolution_breach")


def test_reopening_resumes_the_clock_and_the_next_resolution_counts() -> None:
    # Given a question submitted and classified Monday 09:00, resolved at 11:00
    events = [submitted(mar(16, 9)), classified(mar(16, 9), "question"), *resolved(mar(16, 11), before="new")]
    met = explain(events, mar(16, 12))
    assert (met.resolution.phase, met.resolution.met_at, met.resolution.consumed) == ("met", mar(16, 11), 2 * H)
    assert (met.next_timer, met.next_step_at) == ((mar(19, 11), "auto_close"), mar(19, 11))
    assert met.reminder_at is None  # reminders are for waiting_for_customer, not for a resolved ticket

    # When the customer reopens it on Tuesday 10:00
    events += [
        entry(mar(17, 10), "StatusChanged", "customer", before="resolved", after="in_progress"),
        entry(mar(17, 10), "TicketReopened", "customer"),
    ]
    reopened = explain(events, mar(17, 11))

    # Then the clock resumes from 2 h used, and the resolution is no longer met
    resolution = reopened.resolution
    assert (resolution.phase, resolution.met_at, resolution.consumed) == ("running", None, 3 * H)
    assert resolution.due == mar(18, 16)
    assert reopened.paused == ((mar(16, 11), mar(17, 10)),)
    # And the next resolution is the one that counts
    events += resolved(mar(18, 10))
    again = explain(events, mar(18, 12)).resolution
    assert (again.phase, again.met_at, again.breached, again.consumed) == ("met", mar(18, 10), False, 10 * H)


def test_closing_stops_every_clock() -> None:
    # Given a bug closed on Monday 11:00 before it was resolved (the customer withdrew it)
    events = [submitted(mar(16, 9)), classified(mar(16, 9), "bug")]
    events += [
        entry(mar(16, 11), "StatusChanged", "customer", before="new", after="closed"),
        entry(mar(16, 11), "TicketClosed", "customer"),
    ]

    # When the ledger is read on the Friday after its due date
    result = explain(events, mar(20, 12))

    # Then nothing ran after the close and nothing breaches any more
    resolution = result.resolution
    assert (resolution.phase, resolution.consumed, resolution.due, resolution.breached) == (
        "stopped",
        2 * H,
        mar(18, 17),
        False,
    )
    assert (result.status, result.next_timer, result.next_step_at, result.auto_close_at) == ("closed", None, None, None)
    assert result.explanation[-1] == Segment(mar(16, 9), mar(16, 11), "counted", "resolution")


def test_an_improvement_has_no_resolution_clock() -> None:
    # Given a ticket classified as an improvement proposal (R7: no deadline, needs approval first)
    events = [submitted(mar(16, 9)), classified(mar(16, 10), "improvement")]

    # When the ledger is read
    result = explain(events, mar(16, 10, 30))

    # Then only the reaction clock exists, and the customer is promised no date
    assert result.resolution is None
    assert (result.next_timer, result.next_step_at) == (None, None)
    assert result.explanation == (Segment(mar(16, 9), mar(16, 10), "counted", "reaction"),)


# --- what runs next -----------------------------------------------------------------------------------------------

WAITING = [submitted(mar(16, 9)), classified(mar(16, 9, 30), "bug"), *staff_reply(mar(16, 10))]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (mar(16, 10, 30), (mar(18, 10), "reminder")),  # 16 working hours after the ball moved
        (mar(18, 10), (mar(18, 10), "reminder")),  # at the instant itself it is still next
        (mar(18, 10, 1), (mar(19, 10), "auto_close")),  # 3 working days after the ball moved (R21)
        (mar(19, 10, 1), None),  # nothing pending: overdue housekeeping is not "next"
    ],
)
def test_next_timer_while_the_customer_has_the_ball(now: datetime, expected: tuple[datetime, str] | None) -> None:
    # Given a bug waiting for the customer since Monday 10:00 (the resolution clock paused: no clock timers)
    # When / Then
    assert explain(WAITING, now).next_timer == expected


NEXT_STEPS = [submitted(mar(16, 9)), classified(mar(16, 9, 30), "bug"), *staff_reply(mar(16, 10))]
NEXT_STEPS += customer_reply(mar(16, 11))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (mar(16, 9, 15), mar(16, 13)),  # not reacted yet: the reaction promise
        (mar(16, 9, 45), mar(18, 17)),  # reacted, our side: the resolution promise
        (mar(16, 10, 30), mar(19, 10)),  # the customer's side: when it closes by itself
        (mar(16, 11, 30), mar(19, 10)),  # our side again: the resolution promise, moved by the 1 h pause
    ],
)
def test_next_step_at_is_what_the_customer_is_shown(now: datetime, expected: datetime) -> None:
    # Given a bug that went to the customer from 10:00 to 11:00
    # When / Then (R10)
    assert explain(NEXT_STEPS, now).next_step_at == expected


def test_a_ticket_the_desk_resolved_before_anyone_reacted_shows_its_automatic_close() -> None:
    # Given a route that resolved the ticket itself on Monday 10:00 (a document sent): no staff reaction yet
    events = [
        submitted(mar(16, 9)),
        entry(mar(16, 10), "StatusChanged", "system", before="new", after="resolved"),
        entry(mar(16, 10), "TicketResolved", "system"),
    ]

    # When the customer looks at 10:30
    state = explain(events, mar(16, 10, 30))

    # Then the reaction promise still runs, but the next step is theirs: the automatic close 3 working days on (R21)
    assert state.reaction.phase == "running"
    assert state.next_step_at == state.auto_close_at == mar(19, 10)


# --- output -------------------------------------------------------------------------------------------------------

IMPROVEMENT = [submitted(mar(16, 9)), classified(mar(16, 10), "improvement")]


def test_ledger_json() -> None:
    # Given / When
    data = explain(IMPROVEMENT, mar(16, 10, 30)).to_json()

    # Then instants carry the Prague offset and durations are ISO 8601
    assert data == {
        "plan": "default",
        "service": SERVICE,
        "timezone": "Europe/Prague",
        "now": "2026-03-16T10:30:00+01:00",
        "submitted_at": "2026-03-16T09:00:00+01:00",
        "status": "new",
        "classification": "improvement",
        "reaction": {
            "classification": "unclassified",
            "target": {"promise": "PT4H", "internal": "PT1H20M"},
            "phase": "met",
            "due": "2026-03-16T13:00:00+01:00",
            "internal_due": "2026-03-16T10:20:00+01:00",
            "projected": False,
            "met_at": "2026-03-16T10:00:00+01:00",
            "breached": False,
            "consumed": "PT1H",
            "remaining": "PT3H",
        },
        "resolution": None,
        "paused": [],
        "reminder_at": None,
        "auto_close_at": None,
        "next_timer": None,
        "next_step_at": None,
        "explanation": [
            {
                "clock": "reaction",
                "kind": "counted",
                "start": "2026-03-16T09:00:00+01:00",
                "end": "2026-03-16T10:00:00+01:00",
                "duration": "PT1H",
            }
        ],
        "notes": [
            {
                "at": "2026-03-16T09:00:00+01:00",
                "type": "TicketSubmitted",
                "effect": "both clocks start (at the next opening, R4)",
            },
            {
                "at": "2026-03-16T10:00:00+01:00",
                "type": "TicketClassified",
                "effect": "classified as improvement; this is the reaction",
            },
        ],
    }


def test_durations_are_whole_seconds_whatever_the_instants_sub_seconds() -> None:
    # Given instants read off a real clock, with milliseconds (as every event is stamped) and a microsecond `now`
    events = [
        submitted(mar(16, 9) + timedelta(milliseconds=118)),
        classified(mar(16, 10) + timedelta(milliseconds=812), "improvement"),
    ]
    now = mar(16, 10, 30) + timedelta(seconds=12, microseconds=318913)

    # When it is explained
    state = explain(events, now)
    data, text = state.to_json(), state.render_text()

    # Then every duration is in whole seconds: 1h 0.694s rounds up to PT1H1S, the 2h59m59.306s left down
    assert state.reaction.consumed == timedelta(hours=1, milliseconds=694)
    assert (data["reaction"]["consumed"], data["reaction"]["remaining"]) == ("PT1H1S", "PT2H59M59S")
    assert [segment["duration"] for segment in data["explanation"]] == ["PT1H1S"]
    assert "  consumed     PT1H1S    remaining PT2H59M59S\n" in text
    span = "Mon 2026-03-16 09:00:00 +01:00 -> Mon 2026-03-16 10:00:00 +01:00"
    assert f"  reaction   {span}  counted       PT1H1S\n" in text


def test_ledger_text() -> None:
    # Given / When
    text = explain(IMPROVEMENT, mar(16, 10, 30)).render_text()

    # Then
    assert text == (
        "SLA ledger: plan default, service functionality-question, times in Europe/Prague\n"
        "  now          Mon 2026-03-16 10:30:00 +01:00\n"
        "  submitted    Mon 2026-03-16 09:00:00 +01:00\n"
        "  status       new (ball: us), classification improvement\n"
        "reaction (unclassified): met in time\n"
        "  promise      PT4H      due Mon 2026-03-16 13:00:00 +01:00\n"
        "  internal     PT1H20M   due Mon 2026-03-16 10:20:00 +01:00\n"
        "  consumed     PT1H      remaining PT3H\n"
        "  met at       Mon 2026-03-16 10:00:00 +01:00\n"
        "resolution: no target (improvement)\n"
        "paused: never\n"
        "reminder       -\n"
        "auto-close     -\n"
        "next timer     -\n"
        "next step      -  (the date the customer is shown, R10)\n"
        "events\n"
        "  Mon 2026-03-16 09:00:00 +01:00  TicketSubmitted   both clocks start (at the next opening, R4)\n"
        "  Mon 2026-03-16 10:00:00 +01:00  TicketClassified  classified as improvement; this is the reaction\n"
        "explanation\n"
        "  reaction   Mon 2026-03-16 09:00:00 +01:00 -> Mon 2026-03-16 10:00:00 +01:00  counted       PT1H\n"
    )


@pytest.mark.parametrize(
    ("events", "now", "message"),
    [
        ([entry(mar(16, 9), "TicketCreated", "customer")], mar(16, 10), "no TicketSubmitted event"),
        ([submitted(mar(16, 11))], mar(16, 10), "no TicketSubmitted event"),  # submitted after "now"
        ([submitted(mar(16, 9)), classified(mar(16, 9), "feature")], mar(16, 10), "unknown classification 'feature'"),
        ([submitted(mar(16, 9)), entry(mar(16, 9), "StatusChanged", after="lost")], mar(16, 10), "unknown status"),
        ([{"type": "TicketSubmitted", "at": "2026-03-16T09:00:00"}], mar(16, 10), "needs a UTC offset"),
        ([submitted(mar(16, 9))], datetime(2026, 3, 16, 10), "now must be timezone-aware"),
    ],
)
def test_unreadable_logs_are_value_errors(events: list[dict[str, Any]], now: datetime, message: str) -> None:
    # Given / When / Then
    with pytest.raises(ValueError, match=message):
        explain(events, now)


# --- property: every instant is counted, paused or outside working hours ----------------------------------------

PROPERTY_START = datetime(2026, 3, 2, tzinfo=UTC)  # the 60 days after it hold the DST change and Easter
KINDS = ("counted", "paused", "outside_hours")


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(0, 60 * 24 * 60),
    steps=st.lists(
        st.tuples(st.integers(1, 4 * 24 * 60), st.sampled_from(["in_progress", "waiting_for_customer", "resolved"])),
        max_size=8,
    ),
    tail=st.integers(0, 3 * 24 * 60),
)
def test_consumed_paused_and_outside_hours_add_up_to_the_elapsed_time(
    start: int, steps: list[tuple[int, str]], tail: int
) -> None:
    # Given a bug whose ball changes sides at random (gaps in minutes)
    moment = PROPERTY_START + timedelta(minutes=start)
    submitted_at, status = moment, "new"
    events = [submitted(moment), classified(moment, "bug")]
    for gap, after in steps:
        moment += timedelta(minutes=gap)
        events.append(entry(moment, "StatusChanged", before=status, after=after))
        if after == "resolved":
            events.append(entry(moment, "TicketResolved"))
        status = after
    now = moment + timedelta(minutes=tail)

    # When the ledger is read
    result = explain(events, now)

    # Then consumed + paused working time + time outside working hours is the real elapsed time
    resolution = result.resolution
    assert resolution is not None
    elapsed = now - submitted_at
    paused = sum((OFFICE.between(s, e or now) for s, e in result.paused), timedelta(0))
    outside = elapsed - OFFICE.between(submitted_at, now)
    assert resolution.consumed + paused + outside == elapsed
    # And the explanation covers exactly that, without gaps
    segments = [s for s in result.explanation if s.clock == "resolution"]
    by_kind = {kind: sum((s.end - s.start for s in segments if s.kind == kind), timedelta(0)) for kind in KINDS}
    assert by_kind == {"counted": resolution.consumed, "paused": paused, "outside_hours": outside}
    assert all(a.end == b.start for a, b in pairwise(segments))
    if segments:
        assert (segments[0].start, segments[-1].end) == (submitted_at, now)


# --- a real history from the API ----------------------------------------------------------------------------------


def test_ledger_reads_a_history_written_by_the_api(api: Any) -> None:
    # Given a ticket opened by a customer and answered publicly by L1 through the API
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    open_l1_task(api, ticket["id"])  # L1 answers a ticket it has in its queue: the route's intake has run
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which report?"})
    assert reply.status == 201, reply.text
    seen = api("GET", f"/tickets/{ticket['id']}", user=LENA).json

    # When the ledger replays its history
    reply_at = next(e["at"] for e in seen["history"] if e["type"] == "MessageAdded" and e["actor"]["role"] == "agent")
    result = ledger(DEFAULT_PLAN, seen["history"], seen["service"], datetime.now(UTC))

    # Then the public reply is the reaction and the ball is on the customer's side
    assert result.reaction.met_at == datetime.fromisoformat(reply_at)
    assert (result.status, result.paused[-1][1]) == ("waiting_for_customer", None)


# --- caseway sla explain ------------------------------------------------------------------------------------------

AT = "2026-03-17T12:00:00+01:00"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["sla", "explain", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_explains_an_event_log(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the sample log: a bug submitted Friday 16:50, classified Monday 09:05, resolved Tuesday 11:00
    # When it is explained as of Tuesday noon
    code, out, err = run_cli(capsys, "--events", str(EVENTS), "--service", SERVICE, "--at", AT)

    # Then the text is the ledger's
    expected = ledger(DEFAULT_PLAN, json.loads(EVENTS.read_text()), SERVICE, datetime.fromisoformat(AT))
    assert (code, out, err) == (0, expected.render_text(), "")
    assert "reaction (unclassified): met in time\n" in out
    assert "  promise      PT24H     due Thu 2026-03-19 12:50:00 +01:00\n" in out
    assert "next timer     Fri 2026-03-20 11:00:00 +01:00  auto_close\n" in out
    assert "MessageAdded      automatic message: not a reaction\n" in out


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    # Given / When
    code, out, _ = run_cli(capsys, "--events", str(EVENTS), "--service", SERVICE, "--at", AT, "--json")

    # Then
    data = json.loads(out)
    assert code == 0
    assert (data["reaction"]["met_at"], data["reaction"]["consumed"]) == ("2026-03-16T09:05:00+01:00", "PT15M")
    assert (data["resolution"]["met_at"], data["resolution"]["consumed"]) == ("2026-03-17T11:00:00+01:00", "PT6H10M")
    assert data["paused"] == [
        {"start": "2026-03-16T10:00:00+01:00", "end": "2026-03-16T14:00:00+01:00"},
        {"start": "2026-03-17T11:00:00+01:00", "end": None},
    ]
    assert data["next_timer"] == {"at": "2026-03-20T11:00:00+01:00", "kind": "auto_close"}


def test_cli_what_if_on_another_calendar_and_plan(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the same log
    # When it is replayed round the clock, and on the extended-hours plan
    _, always, _ = run_cli(
        capsys, "--events", str(EVENTS), "--service", SERVICE, "--at", AT, "--json", "--calendar", str(ALWAYS_FILE)
    )
    _, extended, _ = run_cli(
        capsys, "--events", str(EVENTS), "--service", SERVICE, "--at", AT, "--json", "--plan", str(PLAN_FILE)
    )

    # Then the same events give other dues
    always_data, extended_data = json.loads(always), json.loads(extended)
    assert (always_data["reaction"]["due"], always_data["reaction"]["breached"]) == ("2026-03-13T20:50:00+01:00", True)
    assert always_data["resolution"]["due"] == "2026-03-14T16:50:00+01:00"
    assert (extended_data["plan"], extended_data["reaction"]["due"]) == ("extended-hours", "2026-03-13T18:50:00+01:00")
    assert extended_data["resolution"]["target"] == {"promise": "PT12H", "internal": "PT4H"}
    assert extended_data["auto_close_at"] == "2026-03-24T11:00:00+01:00"


def test_cli_reads_a_ticket_document_and_takes_its_service(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Given a ticket as GET /tickets/{id} returns it
    path = tmp_path / "ticket.json"
    path.write_text(json.dumps({"reference": "CW-1001", "service": SERVICE, "history": json.loads(EVENTS.read_text())}))

    # When / Then it is explained without --service
    code, out, _ = run_cli(capsys, "--events", str(path), "--at", AT, "--plan", "vip", "--json")
    assert (code, json.loads(out)["service"], json.loads(out)["plan"]) == (0, SERVICE, "vip")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", str(EVENTS), "--at", AT], "say which service the ticket is for: --service KEY"),
        (["--events", str(EVENTS), "--service", SERVICE, "--at", "tomorrow"], "--at 'tomorrow' is not an ISO 8601"),
        (["--events", "/nonexistent/log.json", "--service", SERVICE], "cannot read event log /nonexistent/log.json"),
        (["--events", str(EVENTS), "--service", SERVICE, "--plan", str(EVENTS)], "plan must be a JSON object"),
        (["--events", str(PLAN_FILE), "--service", SERVICE], "must be a list of history entries"),
        (["--events", str(EVENTS), "--service", SERVICE, "--at", "2026-03-13T10:00:00+01:00"], "no TicketSubmitted"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    # Given / When
    code, out, err = run_cli(capsys, *args)

    # Then
    assert (code, out) == (2, "")
    assert err.startswith("caseway sla explain: error: ")
    assert message in err
    assert err.count("\n") == 1


class CannedStack(CannedJson):
    """The two local-stack endpoints `sla explain --ticket` reads, with canned answers."""

    ticket: dict[str, Any] = {"reference": "CW-1001", "service": SERVICE, "history": json.loads(EVENTS.read_text())}
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("authorization")))
        if self.path == "/local/token?user=lena.l1%40caseway.example":
            self.answer(200, {"token": "t0ken"})
        elif self.path == "/tickets/CW-1001" and self.headers.get("authorization") == "Bearer t0ken":
            self.answer(200, self.ticket)
        else:
            self.answer(404, {"title": "Not found", "status": 404, "detail": "No ticket CW-9999 that you can see."})


@pytest.fixture
def stack_url() -> Iterator[str]:
    with serving(CannedStack) as url:
        yield url


def test_cli_explains_a_ticket_from_the_local_stack(capsys: pytest.CaptureFixture[str], stack_url: str) -> None:
    # Given a local stack that has CW-1001
    # When it is explained by reference
    code, out, err = run_cli(capsys, "--ticket", "CW-1001", "--url", stack_url, "--at", AT, "--json")

    # Then the ticket was read with L1's token and explained on its own service
    assert (code, err) == (0, "")
    assert CannedStack.seen == [
        ("/local/token?user=lena.l1%40caseway.example", None),
        ("/tickets/CW-1001", "Bearer t0ken"),
    ]
    data = json.loads(out)
    assert (data["service"], data["reaction"]["met_at"]) == (SERVICE, "2026-03-16T09:05:00+01:00")


def test_cli_unknown_ticket_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], stack_url: str) -> None:
    # Given / When
    code, out, err = run_cli(capsys, "--ticket", "CW-9999", "--url", stack_url)

    # Then
    assert (code, out) == (2, "")
    assert err == (
        f"caseway sla explain: error: cannot get ticket CW-9999 from {stack_url}: HTTP 404 "
        "No ticket CW-9999 that you can see.\n"
    )


def test_cli_unreachable_stack_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    # When
    code, out, err = run_cli(capsys, "--ticket", "CW-1001", "--url", f"http://127.0.0.1:{port}")

    # Then
    assert (code, out) == (2, "")
    assert err.startswith(f"caseway sla explain: error: cannot reach the stack at http://127.0.0.1:{port} (")
    assert err.endswith(
        "is `caseway local` running? Name where it runs with --url http://HOST:PORT (default: http://127.0.0.1:$PORT)\n"
    )


def test_cli_reads_the_ticket_from_the_stack_on_port_by_default(
    capsys: pytest.CaptureFixture[str], stack_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the local stack runs on $PORT, as `PORT=... make run` starts it
    monkeypatch.setenv("PORT", stack_url.rsplit(":", 1)[1])

    # When the ticket is explained without --url
    code, out, err = run_cli(capsys, "--ticket", "CW-1001", "--at", AT, "--json")

    # Then it was read from that stack
    assert (code, err) == (0, "")
    assert CannedStack.seen[-1] == ("/tickets/CW-1001", "Bearer t0ken")
    assert json.loads(out)["service"] == SERVICE


def test_cli_without_port_or_url_asks_the_stack_on_8000(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no PORT in the environment
    monkeypatch.delenv("PORT", raising=False)
    with mock.patch("infra.local.cli.urllib.request.urlopen", side_effect=urllib.error.URLError("refused")) as opened:
        # When the ticket is explained without --url
        code, _, err = run_cli(capsys, "--ticket", "CW-1001")

    # Then the default stack was asked, and the error says how to name another one
    assert opened.call_args.args[0].full_url == "http://127.0.0.1:8000/local/token?user=lena.l1%40caseway.example"
    assert code == 2 and "--url http://HOST:PORT" in err
