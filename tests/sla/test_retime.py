"""Re-timing (issue 12): a changed calendar or plan re-arms the running timer of every open ticket on it, from the
ledger. The real support route runs on moto's interpreter with the virtual clock, so each test sees the route's
wait replaced: the timer fires at the new instant and never at the old one, and the ticket's log says why.

Times: Prague is UTC+1 in November and December 2026; the default plan keeps office hours Mon-Fri 09:00-17:00.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from infra.local import emulation as aws_emulation
from infra.local.virtual_time import VirtualClock
from shared.clocks import plans as clock_plans
from shared.platform import workflows
from shared.routes import retime
from shared.sla.plans import DEFAULT_PLAN
from shared.tasks import work as work_module
from tests.conftest import BOB, LENA, MARIA, QUESTION, Api, DeskSetup, finish_task, route_task, wait_for

# Friday 27 November 2026, 15:00 in Prague.
FRIDAY_1500 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
# Monday 23 November 2026, 09:00 in Prague.
MONDAY_0900 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _pending(vc: VirtualClock, state: str) -> list[datetime]:
    return [t.due for t in vc.pending() if t.state == state]


def _only_timer(vc: VirtualClock, state: str, due: datetime) -> None:
    """The route's one pending timer is in `state` and due at `due` (waits for the route to get there)."""
    wait_for(lambda: _pending(vc, state) == [due], what=f"one timer in {state} due {due}")
    assert [(t.state, t.due) for t in vc.pending()] == [(state, due)]


def _events(api: Api, ticket_id: str, kind: str) -> list[dict]:
    history = api("GET", f"/tickets/{ticket_id}", user=LENA).json["history"]
    return [e for e in history if e["type"] == kind]


def _calendar() -> dict:
    return clock_plans.calendar_body_of(DEFAULT_PLAN.calendar, "Prague office")


def _plan() -> dict:
    return clock_plans.plan_body_of(DEFAULT_PLAN, "office", "Standard")


@pytest.mark.parametrize("desk_setup", [DeskSetup(start=FRIDAY_1500)], ids=["friday-1500"])
def test_a_day_off_declared_on_friday_afternoon_moves_the_breach_timer_of_an_open_ticket(desk):
    api, vc = desk
    # Given BOB (default plan, Prague office) submits on Friday 15:00 and nobody classifies it
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    route_task(api, "L1", LENA, ticket["id"], "classify")
    # the warning (internal 1h20m) is at 16:20 Prague; after it, the route waits for the breach: promise 4h =
    # 2h on Friday + 2h on Monday -> Monday 30 November 11:00 Prague (10:00Z)
    _only_timer(vc, "Classify", _utc(11, 27, 15, 20))
    vc.advance_to(_utc(11, 27, 15, 30))
    assert [e["data"]["level"] for e in _events(api, ticket["id"], "SlaWarning")] == ["warning"]
    _only_timer(vc, "Classify", _utc(11, 30, 10))

    # When at 16:30 Prague the manager declares Monday 30 November a day off
    calendar = _calendar()
    calendar["holidays"]["dates"] = ["2026-11-30"]
    reply = api("PUT", "/sla/calendars/office", user=MARIA, body=calendar)
    assert (reply.status, reply.json["version"]) == (200, 2), reply.text

    # Then the route's wait is replaced: the breach timer now waits for Tuesday 1 December 11:00 Prague (10:00Z)
    _only_timer(vc, "Classify", _utc(12, 1, 10))
    assert _utc(11, 30, 10) in [t.due for t in vc.cancelled if t.state == "Classify"]  # the old wait, withdrawn
    # and the ticket's log says so, with the old and the new deadline
    (retimed,) = _events(api, ticket["id"], "SlaRetimed")
    assert retimed["public"] is False
    assert retimed["at"] == "2026-11-27T15:30:00.000Z"
    assert retimed["data"]["change"] == "calendar office version 2"
    assert retimed["data"]["clocks"]["reaction"]["old_due"] == "2026-11-30T10:00:00.000Z"
    assert retimed["data"]["clocks"]["reaction"]["new_due"] == "2026-12-01T10:00:00.000Z"
    assert retimed["data"]["old_timer"]["at"] == "2026-11-30T10:00:00.000Z"
    assert retimed["data"]["new_timer"] == {
        "seconds": 325800,
        "at": "2026-12-01T10:00:00.000Z",
        "kind": "reaction_breach",
    }
    assert "reaction due Mon 30 Nov 11:00 -> Tue 01 Dec 11:00" in retimed["summary"]
    # the customer's next-step date follows the new promise
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["next_step_at"] == "2026-12-01T10:00:00.000Z"

    # When Monday passes, nothing fires; the breach comes on Tuesday 11:00 Prague, at the new instant
    assert vc.advance_to(_utc(11, 30, 16)) == []
    assert _events(api, ticket["id"], "SlaBreached") == []
    fired = vc.fire_next()
    assert (fired.state, fired.due) == ("Classify", _utc(12, 1, 10))
    wait_for(lambda: _events(api, ticket["id"], "SlaBreached"), what="the breach")
    (breach,) = _events(api, ticket["id"], "SlaBreached")
    assert (breach["at"], breach["data"]["due"]) == ("2026-12-01T10:00:00.000Z", "2026-12-01T10:00:00.000Z")
    assert [t.due for t in vc.fired if t.state == "Classify"] == [_utc(11, 27, 15, 20), _utc(12, 1, 10)]
    assert "Fault" not in aws_emulation.route_states(ticket["id"])


def test_a_faster_plan_brings_a_classified_bugs_resolution_timer_forward(desk):
    api, vc = desk
    # Given BOB's ticket, submitted on Monday 09:00 Prague, classified as a bug at 09:10: L2 gets the fix task,
    # due at the resolution's internal target (8h of 24h) -> Monday 17:00 Prague (16:00Z)
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    vc.advance_to(_utc(11, 23, 8, 10))
    finish_task(api, LENA, classify, "bug", note="Exporter crashes on empty months")
    fix = route_task(api, "L2", "dev.l2@caseway.example", ticket["id"], "fix")
    assert fix["due_at"] == "2026-11-23T16:00:00.000Z"
    _only_timer(vc, "Fix", _utc(11, 23, 16))

    # When at 10:00 Prague the manager makes the default plan's bug resolution 8h, internally 2h40m
    plan = _plan()
    plan["targets"]["*"]["bug"]["resolution"] = {"promise": "PT8H", "internal": "PT2H40M"}
    vc.advance_to(_utc(11, 23, 9))
    reply = api("PUT", "/sla/plans/default", user=MARIA, body=plan)
    assert (reply.status, reply.json["version"]) == (200, 2), reply.text

    # Then the fix step's timer waits for the new internal target: 09:00 + 2h40m -> 11:40 Prague (10:40Z)
    _only_timer(vc, "Fix", _utc(11, 23, 10, 40))
    (retimed,) = _events(api, ticket["id"], "SlaRetimed")
    assert retimed["data"]["change"] == "plan default version 2"
    assert retimed["data"]["clocks"]["resolution"] == {
        "old_due": "2026-11-25T16:00:00.000Z",  # 24h of working time: Monday, Tuesday, Wednesday 17:00 Prague
        "new_due": "2026-11-23T16:00:00.000Z",
        "old_internal_due": "2026-11-23T16:00:00.000Z",
        "new_internal_due": "2026-11-23T10:40:00.000Z",
    }
    # the waiting task is due at the new internal target, and the customer sees the new promise
    fix = route_task(api, "L2", "dev.l2@caseway.example", ticket["id"], "fix")
    assert fix["due_at"] == "2026-11-23T10:40:00.000Z"
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["next_step_at"] == "2026-11-23T16:00:00.000Z"

    # When the clock runs on, the warning is raised at 11:40 Prague, the new instant, and the breach at 17:00
    fired = vc.fire_next()
    assert (fired.state, fired.due) == ("Fix", _utc(11, 23, 10, 40))
    wait_for(lambda: _events(api, ticket["id"], "SlaWarning"), what="the warning")
    assert _events(api, ticket["id"], "SlaWarning")[0]["at"] == "2026-11-23T10:40:00.000Z"
    _only_timer(vc, "Fix", _utc(11, 23, 16))
    assert "Fault" not in aws_emulation.route_states(ticket["id"])


def test_a_change_to_another_plan_leaves_the_tickets_on_this_one_alone(desk):
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json  # Acme: the default plan
    route_task(api, "L1", LENA, ticket["id"], "classify")
    _only_timer(vc, "Classify", _utc(11, 23, 9, 20))
    vip = clock_plans.plan_body_of(DEFAULT_PLAN, "office", "VIP")
    vip["targets"]["*"]["unclassified"]["reaction"] = {"promise": "PT30M", "internal": "PT10M"}
    assert api("PUT", "/sla/plans/vip", user=MARIA, body=vip).status == 200
    assert _events(api, ticket["id"], "SlaRetimed") == []
    _only_timer(vc, "Classify", _utc(11, 23, 9, 20))
    assert not [t for t in vc.cancelled if t.state == "Classify"]


def test_the_organisations_plan_is_the_stored_one_so_a_stored_change_reaches_a_new_ticket(desk):
    api = desk.api
    plan = copy.deepcopy(_plan())
    plan["targets"]["*"]["unclassified"]["reaction"] = {"promise": "PT2H", "internal": "PT30M"}
    assert api("PUT", "/sla/plans/default", user=MARIA, body=plan).status == 200
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    assert classify["due_at"] == "2026-11-23T08:30:00.000Z"  # 09:00 + 30 min Prague
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert "respond by Monday 23 November 2026, 11:00 (Europe/Prague)" in seen["messages"][0]["body"]


def test_a_step_done_while_its_route_was_being_re_armed_lets_the_route_go_on(desk, monkeypatch):
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    _only_timer(vc, "Classify", _utc(11, 23, 9, 20))
    token = work_module.load_task(classify["id"])[0].task_token
    # Given a re-timing read the waiting task just before L1 completed it: the completion's SendTaskSuccess goes to
    # the token the re-timing spends (the route no longer waits on it: lost), then the re-timing's failure arrives
    monkeypatch.setattr(work_module.workflows, "task_success_once", lambda token, output: False)
    finish_task(api, LENA, classify, "question")
    monkeypatch.undo()
    workflows.task_failure(token, retime.RETIME_ERROR, "re-timed: plan default version 2")
    # Then the route comes back to the step, finds its task done, and goes on to the answer step at once
    route_task(api, "L1", LENA, ticket["id"], "answer")
    states = aws_emulation.route_states(ticket["id"])
    assert states[: states.index("Answer")] == [
        "Classify",
        "ClassifyTimer",
        "Classify",
        "Classified",
        "Branch",
    ]


ACME_CONTRACT = {"rate_per_hour": "85.00", "hours_per_period": 20, "questions_per_user_per_day": 20,
                 "billing_day": 5, "start_date": "2026-01-01"}  # fmt: skip


def test_a_contract_that_assigns_the_vip_plan_re_times_the_organisations_open_tickets(desk):
    api, vc = desk
    # Given BOB's ticket (Acme, the default plan: reaction internal target 1h20m -> 10:20 Prague, 09:20Z)
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    route_task(api, "L1", LENA, ticket["id"], "classify")
    _only_timer(vc, "Classify", _utc(11, 23, 9, 20))
    # A contract naming a plan that does not exist is refused, naming the field
    wrong = api("PUT", "/contracts/acme", user=MARIA, body={**ACME_CONTRACT, "plan_id": "gold"})
    assert wrong.status == 422
    assert wrong.json["errors"] == [{"field": "plan_id", "message": "no support plan gold; see GET /sla/plans"}]

    # When at 09:10 Prague Acme's contract assigns the VIP plan (unclassified reaction: promise 1h, internal 20 min)
    vc.advance_to(_utc(11, 23, 8, 10))
    reply = api("PUT", "/contracts/acme", user=MARIA, body={**ACME_CONTRACT, "plan_id": "vip"})
    assert (reply.status, reply.json["plan_id"]) == (200, "vip")

    # Then the ticket runs on the VIP plan: the warning timer moves to 09:20 Prague (08:20Z), logged with both dues
    _only_timer(vc, "Classify", _utc(11, 23, 8, 20))
    (retimed,) = _events(api, ticket["id"], "SlaRetimed")
    assert retimed["data"]["change"] == "organisation acme: plan vip"
    assert retimed["data"]["clocks"]["reaction"] == {
        "old_due": "2026-11-23T12:00:00.000Z",
        "new_due": "2026-11-23T09:00:00.000Z",
        "old_internal_due": "2026-11-23T09:20:00.000Z",
        "new_internal_due": "2026-11-23T08:20:00.000Z",
    }
    fired = vc.fire_next()
    assert (fired.state, fired.due) == ("Classify", _utc(11, 23, 8, 20))
    wait_for(lambda: _events(api, ticket["id"], "SlaWarning"), what="the warning")
