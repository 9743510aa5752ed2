"""The support route's SLA at work (R7, R10, R13, R15, R18): the real ASL on moto's interpreter, route steps
in-process, and a virtual clock, so each timer is checked to fire at the instant computed by hand.

Times: the default and VIP plans keep Prague office hours, Mon-Fri 09:00-17:00 (CET = UTC+1 in November).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.local import emulation as aws_emulation
from infra.local.virtual_time import VirtualClock
from shared.clocks import ticket as ticket_clock
from shared.platform import workflows
from shared.routes import support
from shared.sla.ledger import ledger
from shared.sla.plans import DEFAULT_PLAN
from shared.tickets import items as ticket_items
from shared.tickets.items import Ticket
from tests.conftest import BOB, DANA, LENA, MARIA, QUESTION, VERA, Api, DeskSetup, finish_task, route_task, wait_for

# Friday 27 November 2026, 16:50 in Prague: ten working minutes before the weekend.
FRIDAY_1650 = datetime(2026, 11, 27, 15, 50, tzinfo=UTC)
# Monday 23 November 2026, 15:40 in Prague: 1h20m of working time before closing.
MONDAY_1540 = datetime(2026, 11, 23, 14, 40, tzinfo=UTC)


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of November 2026, given in UTC (Prague is UTC+1)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _arn(ticket_id: str) -> str:
    return (
        workflows.route_arn("support").replace(":stateMachine:", ":execution:")
        + ":"
        + workflows.execution_name(ticket_id)
    )


def _staff_view(api: Api, ticket_id: str) -> dict:
    return api("GET", f"/tickets/{ticket_id}", user=LENA).json


def _sla_events(api: Api, ticket_id: str) -> list[dict]:
    return [e for e in _staff_view(api, ticket_id)["history"] if e["type"] in ("SlaWarning", "SlaBreached")]


def _timer(vc: VirtualClock, state: str) -> datetime:
    """The due instant of the route's one pending timer, which must belong to `state`."""
    wait_for(lambda: [t for t in vc.pending() if t.state == state], what=f"a timer in {state}")
    (timer,) = vc.pending()
    return timer.due


# --- 1. critical bug through L2 ---------------------------------------------------------------------------------


def test_critical_bug_goes_through_l2_and_is_told_within_two_working_hours(desk):
    api, vc = desk
    # Given BOB (standard plan) submits on Monday 09:00 Prague
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    # unclassified internal target 1h20m from 09:00 -> 10:20 Prague = 09:20Z
    assert _timer(vc, "Classify") == _utc(23, 9, 20)

    # When L1 classifies it as a critical bug at 09:05 with a note
    assert vc.advance_to(_utc(23, 8, 5)) == []
    finish_task(api, LENA, classify, "critical_bug", note="Export crashes for every customer")

    # Then L2 gets a fix task: priority 800 (critical bug, standard customer), L1's note in its title, due at the
    # resolution internal target: 40 working minutes from submission (09:00) -> 09:40 Prague = 08:40Z
    fix = route_task(api, "L2", DANA, ticket["id"], "fix")
    assert fix["group"] == "L2"
    assert fix["priority"] == 800
    assert fix["title"] == "Fix the bug (L1 notes: Export crashes for every customer)"
    assert fix["due_at"] == "2026-11-23T08:40:00.000Z"
    # the route's Fix timeout is that same internal target (the warning), 08:40Z
    assert _timer(vc, "Fix") == _utc(23, 8, 40)

    # and the customer sees the milestone and the resolution promise: 2 working hours from 09:00 -> 11:00 Prague
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert [e["summary"] for e in seen["history"] if e["type"] == "TicketClassified"] == ["Classified as critical bug"]
    assert seen["messages"][-1]["body"] == (
        "Classified as critical bug: we will resolve it by Monday 23 November 2026, 11:00 (Europe/Prague)."
    )
    assert seen["next_step_at"] == "2026-11-23T10:00:00.000Z"

    # When DANA fixes it at 09:30 Prague (08:30Z), before the warning
    assert vc.advance_to(_utc(23, 8, 30)) == []
    finish_task(api, DANA, fix, "fixed", note="Patched the exporter")

    # Then L1 gets the tell task, still due at the resolution internal target (08:40Z), priority 800
    tell = route_task(api, "L1", LENA, ticket["id"], "tell")
    assert tell["due_at"] == "2026-11-23T08:40:00.000Z"
    assert tell["priority"] == 800
    assert _timer(vc, "Tell") == _utc(23, 8, 40)

    # When L1 tells the customer at 09:35 Prague
    assert vc.advance_to(_utc(23, 8, 35)) == []
    finish_task(api, LENA, tell, "told")

    # Then the route waits in the follow-up loop; no warning or breach was ever raised; L2's fix ran in between
    wait_for(lambda: "AwaitCustomer" in aws_emulation.route_states(ticket["id"]), what="the follow-up wait")
    states = aws_emulation.route_states(ticket["id"])
    assert states[: states.index("FollowUp")] == ["Classify", "Classified", "Branch", "Fix", "Fixed", "Tell"]
    assert "Fault" not in states
    assert _sla_events(api, ticket["id"]) == []
    assert [t.state for t in vc.fired] == []  # every human step finished before its timer


# --- 2. reaction warning and breach over a weekend --------------------------------------------------------------


@pytest.mark.parametrize("desk_setup", [DeskSetup(start=FRIDAY_1650)], ids=["friday-1650"])
@pytest.mark.parametrize("taker", [None, LENA], ids=["nobody-took-it", "lena-took-it"])
def test_friday_evening_ticket_warns_and_breaches_on_monday_inside_working_hours(desk, taker):
    api, vc = desk
    # Given BOB submits on Friday 27 November 16:50 Prague (15:50Z) and nobody classifies it
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    # unclassified reaction, promise 4h: 10 min on Friday + 3h50 on Monday -> Monday 30th 12:50 Prague = 11:50Z
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert seen["messages"][0]["body"] == (
        "We have received your request and will respond by Monday 30 November 2026, 12:50 (Europe/Prague)."
    )
    assert seen["next_step_at"] == "2026-11-30T11:50:00.000Z"
    # internal 1h20m: 10 min on Friday + 1h10 on Monday -> Monday 10:10 Prague = 09:10Z, never on the weekend
    assert classify["due_at"] == "2026-11-30T09:10:00.000Z"
    if taker:
        assert vc.advance_to(_utc(27, 15, 55)) == []  # Friday 16:55 Prague: LENA takes it and becomes its owner
        assert api("POST", f"/tasks/{classify['id']}/take", user=taker).status == 200
    mails_before = len(aws_emulation.sent_emails())

    # When the timers fire one by one: the first is the warning, Monday 09:10Z (10:10 Prague), not at the weekend
    warning = vc.fire_next()
    assert (warning.state, warning.kind, warning.due) == ("Classify", "task_timeout", _utc(30, 9, 10))
    wait_for(lambda: _sla_events(api, ticket["id"]), what="the SLA warning")
    # the route re-enters Classify and waits for the breach at the promise, Monday 11:50Z (12:50 Prague)
    assert _timer(vc, "Classify") == _utc(30, 11, 50)
    breach = vc.fire_next()
    assert (breach.state, breach.due) == ("Classify", _utc(30, 11, 50))
    wait_for(lambda: len(_sla_events(api, ticket["id"])) == 2, what="the SLA breach")

    # Then the history holds one warning and one breach, raised at those instants, with the dues they judge
    events = _sla_events(api, ticket["id"])
    assert [(e["type"], e["at"], e["public"], e["data"]) for e in events] == [
        (
            "SlaWarning",
            "2026-11-30T09:10:00.000Z",
            False,
            {"clock": "reaction", "level": "warning", "due": "2026-11-30T09:10:00.000Z"},
        ),
        (
            "SlaBreached",
            "2026-11-30T11:50:00.000Z",
            False,
            {"clock": "reaction", "level": "breach", "due": "2026-11-30T11:50:00.000Z"},
        ),
    ]
    # internal events: the customer never sees them
    customer = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert not [e for e in customer["history"] if e["type"] in ("SlaWarning", "SlaBreached")]

    # and the classify task is still open (the same task), the route still waits in Classify, now a week on
    wait_for(lambda: _timer(vc, "Classify") == _utc(30, 11, 50) + timedelta(days=7), what="the idle recheck")
    states = aws_emulation.route_states(ticket["id"])
    assert states == ["Classify", "ClassifyTimer", "Classify", "ClassifyTimer", "Classify"]
    assert aws_emulation.route_status(ticket["id"]) == "RUNNING"
    tasks = _staff_view(api, ticket["id"])["tasks"]
    assert [(t["id"], t["type"], t["status"]) for t in tasks] == [
        (classify["id"], "classify", "taken" if taker else "open")
    ]

    # and the owner, if there is one, is e-mailed about each; the managers about the breach's incident (R24);
    # nobody on the staff is e-mailed otherwise
    mails = aws_emulation.sent_emails()[mails_before:]
    staff_mails = [m for m in mails if any(to.endswith("@caseway.example") for to in m["to"])]
    reference = seen["reference"]
    incident = ([MARIA], f"Caseway incident: Reaction promise breached on {reference} ({QUESTION['subject']})")
    if taker:
        assert [(m["to"], m["subject"]) for m in staff_mails] == [
            ([LENA], f"[{reference}] Reaction internal target passed"),
            ([LENA], f"[{reference}] Reaction promise breached"),
            incident,
        ]
        # the owner's e-mail names the due time in the plan's zone and links the ticket
        assert "it was due Monday 30 November 2026, 12:50 (Europe/Prague)" in staff_mails[1]["body"]
        assert f"/app/tickets/{reference}" in staff_mails[1]["body"]
    else:
        assert [(m["to"], m["subject"]) for m in staff_mails] == [incident]


@pytest.mark.parametrize("desk_setup", [DeskSetup(start=MONDAY_1540)], ids=["monday-1540"])
def test_a_warning_due_at_closing_time_is_raised_at_the_next_opening(desk):
    api, vc = desk
    # Given BOB submits on Monday 15:40 Prague (14:40Z): the unclassified internal target, 1h20m, runs out exactly
    # at closing time, Monday 17:00 Prague (16:00Z); the promise, 4h: 1h20 on Monday + 2h40 on Tuesday -> Tuesday
    # 11:40 Prague (10:40Z)
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    assert classify["due_at"] == "2026-11-23T16:00:00.000Z"
    assert _staff_view(api, ticket["id"])["next_step_at"] == "2026-11-24T10:40:00.000Z"

    # When the timer fires at 17:00 Prague, the closing instant (closed), no warning is raised then: the route
    # looks again at the next opening, Tuesday 09:00 Prague (08:00Z)
    assert vc.fire_next().due == _utc(23, 16)
    assert _timer(vc, "Classify") == _utc(24, 8)
    assert _sla_events(api, ticket["id"]) == []
    # Then the warning is raised at that opening, judging the due it missed; the breach follows at the promise
    assert vc.fire_next().due == _utc(24, 8)
    assert _timer(vc, "Classify") == _utc(24, 10, 40)
    assert vc.fire_next().due == _utc(24, 10, 40)
    wait_for(lambda: len(_sla_events(api, ticket["id"])) == 2, what="the warning and the breach")
    assert [(e["type"], e["at"], e["data"]["due"]) for e in _sla_events(api, ticket["id"])] == [
        ("SlaWarning", "2026-11-24T08:00:00.000Z", "2026-11-23T16:00:00.000Z"),
        ("SlaBreached", "2026-11-24T10:40:00.000Z", "2026-11-24T10:40:00.000Z"),
    ]
    assert aws_emulation.route_states(ticket["id"]).count("ClassifyTimer") == 3


# --- 3. a pause moves the resolution deadline -------------------------------------------------------------------


def test_customer_pause_moves_the_resolution_deadline_by_the_paused_working_time(desk):
    api, vc = desk
    # Given a question submitted on Monday 09:00 and classified at 09:30
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    assert vc.advance_to(_utc(23, 8, 30)) == []
    finish_task(api, LENA, classify, "question")
    answer = route_task(api, "L1", LENA, ticket["id"], "answer")
    # resolution 16 working hours from Monday 09:00 -> Tuesday 17:00 Prague (16:00Z); internal 5h20m -> 14:20 (13:20Z)
    assert _staff_view(api, ticket["id"])["next_step_at"] == "2026-11-24T16:00:00.000Z"
    assert answer["due_at"] == "2026-11-23T13:20:00.000Z"
    assert _timer(vc, "Answer") == _utc(23, 13, 20)

    def resolution():
        items = ticket_items.load_ticket_partition(ticket["id"])
        found = next(i for i in items if isinstance(i, Ticket))
        return ticket_clock.ledger_of(found, items).resolution

    # When L1 replies publicly on Monday 11:00 Prague (10:00Z): the ball goes to the customer, the clock pauses
    assert vc.advance_to(_utc(23, 10, 0)) == []
    assert api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which browser?"}).status == 201
    assert _staff_view(api, ticket["id"])["status"] == "waiting_for_customer"
    # the customer is shown the next step while the ball is theirs: the automatic close, 3 working days after
    # Monday 11:00 -> Thursday 26th 11:00 Prague (10:00Z), R21
    wait_for(
        lambda: _staff_view(api, ticket["id"])["next_step_at"] == "2026-11-26T10:00:00.000Z",
        what="the next step to become the automatic close",
    )
    paused = resolution()
    assert paused.phase == "paused"
    # 2h counted (Monday 09:00-11:00); projected as if resumed now, the 14h left run Monday 11:00-17:00 (6h) +
    # Tuesday (8h) -> still Tuesday 17:00 Prague: the pause has not lasted yet
    assert paused.due == _utc(24, 16) and paused.projected

    # When BOB answers on Tuesday 11:00 Prague (10:00Z)
    fired = vc.advance_to(_utc(24, 10, 0))
    assert api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "Firefox 140."}).status == 201
    assert _staff_view(api, ticket["id"])["status"] == "in_progress"

    # Then the deadline moved by the paused working time: Monday 11:00-17:00 (6h) + Tuesday 09:00-11:00 (2h) = 8h,
    # so Tuesday 17:00 -> Wednesday 17:00 Prague (16:00Z); the internal target: 3h20 left from Tuesday 11:00 ->
    # Tuesday 14:20 Prague (13:20Z)
    resumed = resolution()
    assert resumed.phase == "running"
    assert resumed.due == _utc(25, 16)
    assert resumed.internal_due == _utc(24, 13, 20)
    view = _staff_view(api, ticket["id"])
    assert ledger(DEFAULT_PLAN, view["history"], ticket["service"], vc.now()).resolution.due == _utc(25, 16)
    # and the customer is shown the moved promise
    wait_for(
        lambda: _staff_view(api, ticket["id"])["next_step_at"] == "2026-11-25T16:00:00.000Z",
        what="the next step to become the moved resolution promise",
    )

    # and no warning was raised while the clock was paused: the Answer timer fired at Monday 14:20 Prague (13:20Z),
    # found the clock paused and looked again at the internal target projected as if it resumed then: 3h20 left
    # -> 2h40 on Monday + 40 min on Tuesday -> Tuesday 09:40 Prague (08:40Z); still paused then, it looked again
    # at 09:40 + 3h20 -> Tuesday 13:00 Prague (12:00Z), which is still pending when BOB answers
    assert [(t.state, t.due) for t in fired] == [("Answer", _utc(23, 13, 20)), ("Answer", _utc(24, 8, 40))]
    assert _timer(vc, "Answer") == _utc(24, 12, 0)
    assert _sla_events(api, ticket["id"]) == []

    # and the route, looking again at 12:00Z (nothing due yet), warns at the moved internal target (13:20Z) and
    # breaches at the moved promise (Wednesday 16:00Z), to the second
    fired = vc.advance_to(_utc(25, 16))
    assert [(t.state, t.due) for t in fired] == [
        ("Answer", _utc(24, 12, 0)),
        ("Answer", _utc(24, 13, 20)),
        ("Answer", _utc(25, 16, 0)),
    ]
    wait_for(lambda: len(_sla_events(api, ticket["id"])) == 2, what="the warning and the breach")
    assert [(e["type"], e["at"]) for e in _sla_events(api, ticket["id"])] == [
        ("SlaWarning", "2026-11-24T13:20:00.000Z"),
        ("SlaBreached", "2026-11-25T16:00:00.000Z"),
    ]


# --- 4. a failing step becomes a manual task ---------------------------------------------------------------------


def test_a_failing_route_step_ends_in_a_manual_task_and_an_incident(desk, monkeypatch):
    api, vc = desk

    def broken_intake(ticket_id: str) -> dict:
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(support, "intake", broken_intake)
    # Given the intake step fails every time
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json

    # Then a person gets a manual task in L1 at priority 900 (no silent failure)
    manual = route_task(api, "L1", LENA, ticket["id"], "manual")
    # and the route worker did not start a route that would wait on nothing (shared/routes/start.py)
    assert not aws_emulation.route_started(ticket["id"])
    assert manual["title"] == "Handle by hand: the route failed (RuntimeError)"
    assert manual["priority"] == 900
    assert manual["status"] == "open"
    # and the incident is in the log for staff, with the cause, never shown to the customer
    faults = [e for e in _staff_view(api, ticket["id"])["history"] if e["type"] == "RouteFault"]
    assert len(faults) == 1
    assert faults[0]["public"] is False
    assert faults[0]["data"]["error"] == "RuntimeError"
    assert "ledger unavailable" in faults[0]["data"]["cause"]
    customer = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert not [e for e in customer["history"] if e["type"] == "RouteFault"]
    assert vc.pending() == []


# --- 5. improvement approved -------------------------------------------------------------------------------------


def test_improvement_needs_a_managers_approval_before_the_customer_is_told(desk):
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    # When L1 classifies it as an improvement at 09:30 Prague
    assert vc.advance_to(_utc(23, 8, 30)) == []
    finish_task(api, LENA, classify, "improvement")

    # Then a manager approves: the task is in group managers, with no due date (improvements have no resolution
    # target), priority 100 (improvement, standard customer)
    approve = route_task(api, "managers", MARIA, ticket["id"], "approve")
    assert (approve["group"], approve["due_at"], approve["priority"]) == ("managers", None, 100)
    # with no SLA timer pending, the route looks again in a week (the idle recheck): Monday 30th 08:30Z
    assert _timer(vc, "Approve") == _utc(30, 8, 30)
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert [e["summary"] for e in seen["history"] if e["type"] == "TicketClassified"] == [
        "Classified as improvement proposal"
    ]
    assert seen["messages"][-1]["body"] == (
        "Classified as improvement proposal: it needs approval first; we will tell you the decision."
    )
    assert seen["next_step_at"] is None  # reacted, no resolution target: no date to show

    # When MARIA answers "maybe", it is refused; "approved" is accepted
    assert api("POST", f"/tasks/{approve['id']}/take", user=MARIA).status == 200
    maybe = api("POST", f"/tasks/{approve['id']}/complete", user=MARIA, body={"outcome": "maybe"})
    assert maybe.status == 422
    assert "approved, declined" in maybe.json["detail"]
    assert vc.advance_to(_utc(23, 9, 0)) == []
    done = api("POST", f"/tasks/{approve['id']}/complete", user=MARIA, body={"outcome": "approved"})
    assert done.status == 200, done.text

    # Then L1 tells the customer the decision
    tell = route_task(api, "L1", LENA, ticket["id"], "tell")
    assert (tell["due_at"], tell["priority"]) == (None, 100)
    assert _timer(vc, "Tell") == _utc(30, 9, 0)
    finish_task(api, LENA, tell, "told")
    wait_for(lambda: "AwaitCustomer" in aws_emulation.route_states(ticket["id"]), what="the follow-up wait")
    states = aws_emulation.route_states(ticket["id"])
    assert states[: states.index("FollowUp")] == [
        "Classify",
        "Classified",
        "Branch",
        "Approve",
        "Approved",
        "Tell",
    ]
    assert _sla_events(api, ticket["id"]) == []


# --- 6. VIP plan -------------------------------------------------------------------------------------------------


def test_a_vip_organisation_is_promised_a_faster_reaction(desk):
    api, vc = desk
    # Given BOB (Acme, standard) and VERA (Globex, VIP) submit at the same instant, Monday 09:00 Prague
    standard = api("POST", "/tickets", user=BOB, body=QUESTION).json
    vip = api("POST", "/tickets", user=VERA, body=QUESTION).json
    vip_classify = route_task(api, "L1", LENA, vip["id"], "classify")
    route_task(api, "L1", LENA, standard["id"], "classify")

    def first_message(ticket: dict, user: str) -> dict:
        return wait_for(
            lambda: api("GET", f"/tickets/{ticket['id']}", user=user).json["messages"], what="the intake message"
        )[0]

    # Then BOB is promised 4 working hours (13:00 Prague), VERA the VIP plan's 1 hour (10:00 Prague = 09:00Z)
    assert first_message(standard, BOB)["body"] == (
        "We have received your request and will respond by Monday 23 November 2026, 13:00 (Europe/Prague)."
    )
    assert first_message(vip, VERA)["body"] == (
        "We have received your request and will respond by Monday 23 November 2026, 10:00 (Europe/Prague)."
    )
    assert api("GET", f"/tickets/{vip['id']}", user=VERA).json["next_step_at"] == "2026-11-23T09:00:00.000Z"
    # and VERA's classify task is due at the VIP internal target, 20 minutes: 09:20 Prague = 08:20Z
    assert vip_classify["due_at"] == "2026-11-23T08:20:00.000Z"
    vc.wait_for_pending(2)
    assert sorted(t.due for t in vc.pending()) == [_utc(23, 8, 20), _utc(23, 9, 20)]
