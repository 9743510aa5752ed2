"""The SLA explanation on a ticket (issue 14): its promises and the ledger's intervals with reasons, computed by the
route worker from the ticket's log; staff only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from functions.api import workspace
from shared.clocks import explain
from tests.api.test_errors import assert_problem
from tests.conftest import BOB, LENA, MARIA, QUESTION, DeskSetup, finish_task, route_task

PROMISE_KEYS = {"kind", "due_at", "state", "allowed_seconds", "counted_seconds"}
INTERVAL_KEYS = {"start", "end", "kind", "reason", "seconds"}


def test_the_api_and_the_worker_name_the_same_action():
    assert workspace.SLA_EXPLAIN_ACTION == explain.EXPLAIN_ACTION


def test_a_paused_ticket_lists_the_pause_with_its_reason(desk):
    api, vc = desk  # Monday 23 November 2026, 09:00 Prague
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    vc.advance(timedelta(minutes=30))
    finish_task(api, LENA, route_task(api, "L1", LENA, ticket["id"], "classify"), "question")
    vc.advance(timedelta(minutes=30))  # 10:00: Lena asks the customer; the ball is theirs
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which browser do you use?"})
    vc.advance(timedelta(hours=2))  # 12:00

    reply = api("GET", f"/tickets/{ticket['id']}/sla", user=LENA)
    assert reply.status == 200, reply.text
    sla = reply.json
    assert sla["reference"] == ticket["reference"]
    assert sla["plan"]["id"] and sla["plan"]["name"]
    assert sla["calendar"]["time_zone"] == "Europe/Prague" and sla["calendar"]["id"]
    promises = {p["kind"]: p for p in sla["promises"]}
    assert set(promises) == {"reaction", "resolution", "internal"}
    assert all(set(p) >= PROMISE_KEYS for p in sla["promises"])
    assert promises["reaction"]["state"] == "met"
    assert promises["resolution"]["state"] == "paused"
    assert promises["resolution"]["counted_seconds"] == 3600  # 09:00-10:00 ours, then the customer's
    assert promises["resolution"]["allowed_seconds"] > promises["internal"]["allowed_seconds"] > 0

    intervals = sla["intervals"]
    assert all(set(i) == INTERVAL_KEYS for i in intervals)
    assert [(i["start"], i["end"], i["kind"], i["reason"], i["seconds"]) for i in intervals] == [
        ("2026-11-23T08:00:00.000Z", "2026-11-23T09:00:00.000Z", "counted", explain.COUNTED, 3600),
        ("2026-11-23T09:00:00.000Z", "2026-11-23T11:00:00.000Z", "paused", "waiting for the customer", 7200),
    ]
    # The page never shows it to a customer
    assert_problem(api("GET", f"/tickets/{ticket['id']}/sla", user=BOB), 403)


# Wednesday 23 December 2026, 16:00 Prague
@pytest.mark.parametrize("desk_setup", [DeskSetup(start=datetime(2026, 12, 23, 15, 0, tzinfo=UTC))])
def test_nights_weekends_and_holidays_are_named(desk):
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    vc.advance_to(datetime(2026, 12, 28, 9, 0, tzinfo=UTC))  # Monday 28 December, 10:00 Prague

    sla = api("GET", f"/tickets/{ticket['reference']}/sla", user=MARIA).json
    shown = [(i["start"], i["kind"], i["reason"]) for i in sla["intervals"]]
    assert shown == [
        ("2026-12-23T15:00:00.000Z", "counted", explain.COUNTED),
        ("2026-12-23T16:00:00.000Z", "outside_hours", "outside working hours"),
        ("2026-12-23T23:00:00.000Z", "holiday", "Christmas Eve"),
        ("2026-12-24T23:00:00.000Z", "holiday", "Christmas Day"),
        ("2026-12-25T23:00:00.000Z", "holiday", "Second Day of Christmas"),
        ("2026-12-26T23:00:00.000Z", "outside_hours", "Sunday"),
        ("2026-12-27T23:00:00.000Z", "outside_hours", "outside working hours"),
        ("2026-12-28T08:00:00.000Z", "counted", explain.COUNTED),
    ], json.dumps(sla["intervals"], indent=1)
    assert sum(i["seconds"] for i in sla["intervals"] if i["kind"] == "counted") == 2 * 3600
    assert sla["intervals"][-1]["end"] == "2026-12-28T09:00:00.000Z"


# Friday 27 November 2026, 15:00 Prague, on the Prague office calendar
@pytest.mark.parametrize("desk_setup", [DeskSetup(start=datetime(2026, 11, 27, 14, 0, tzinfo=UTC))])
def test_a_pause_over_a_weekend_shows_as_the_customers_with_the_closed_days_named(desk):
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    vc.advance(timedelta(minutes=30))
    finish_task(api, LENA, route_task(api, "L1", LENA, ticket["id"], "classify"), "question")
    vc.advance(timedelta(minutes=30))  # Friday 16:00 Prague: Lena asks; the ball is the customer's over the weekend
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which browser do you use?"})
    vc.advance_to(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))  # Monday 09:30 Prague: the customer answers
    api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "Firefox 140."})
    vc.advance_to(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))

    sla = api("GET", f"/tickets/{ticket['id']}/sla", user=LENA).json
    waiting = explain.WAITING
    shown = [(i["start"], i["end"], i["kind"], i["reason"]) for i in sla["intervals"]]
    assert shown == [
        ("2026-11-27T14:00:00.000Z", "2026-11-27T15:00:00.000Z", "counted", explain.COUNTED),
        ("2026-11-27T15:00:00.000Z", "2026-11-27T16:00:00.000Z", "paused", waiting),
        ("2026-11-27T16:00:00.000Z", "2026-11-27T23:00:00.000Z", "paused", f"{waiting}; outside working hours"),
        ("2026-11-27T23:00:00.000Z", "2026-11-28T23:00:00.000Z", "paused", f"{waiting}; Saturday"),
        ("2026-11-28T23:00:00.000Z", "2026-11-29T23:00:00.000Z", "paused", f"{waiting}; Sunday"),
        ("2026-11-29T23:00:00.000Z", "2026-11-30T08:00:00.000Z", "paused", f"{waiting}; outside working hours"),
        ("2026-11-30T08:00:00.000Z", "2026-11-30T08:30:00.000Z", "paused", waiting),
        ("2026-11-30T08:30:00.000Z", "2026-11-30T09:00:00.000Z", "counted", explain.COUNTED),
    ], json.dumps(sla["intervals"], indent=1)
    assert not [i for i in sla["intervals"] if i["kind"] in ("outside_hours", "holiday")]
    resolution = next(p for p in sla["promises"] if p["kind"] == "resolution")
    assert resolution["counted_seconds"] == 3600 + 1800  # Friday's hour and Monday's half hour: the pause is not ours


def test_staff_views_carry_the_promise_and_the_internal_target_the_worker_computed(desk):
    api, vc = desk  # Monday 23 November 2026, 09:00 Prague
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    vc.advance(timedelta(minutes=10))

    def badge_and_explanation():
        sla = api("GET", f"/tickets/{ticket['id']}/sla", user=LENA).json
        return api("GET", f"/tickets/{ticket['id']}", user=LENA).json["sla"], {p["kind"]: p for p in sla["promises"]}

    badge, promises = badge_and_explanation()
    # While the reaction runs: its promise and its internal target, as the explanation computes them
    assert (badge["clock"], badge["phase"], badge["breached"]) == ("reaction", "running", False)
    assert badge["promise_due_at"] == promises["reaction"]["due_at"]
    assert badge["internal_due_at"] == promises["internal"]["due_at"]
    assert badge["promise_due_at"] > badge["internal_due_at"] > "2026-11-23T08:00:00.000Z"
    # The queue's task and the staff list carry the same facts
    queue = api("GET", "/tasks?group=L1", user=LENA).json["items"]
    assert [t["ticket_sla"] for t in queue if t["ticket_id"] == ticket["id"]] == [badge]
    listed = api("GET", "/tickets?status=open&limit=100", user=LENA).json["items"]
    assert [t["sla"] for t in listed if t["id"] == ticket["id"]] == [badge]

    finish_task(api, LENA, route_task(api, "L1", LENA, ticket["id"], "classify"), "question")
    vc.advance(timedelta(minutes=20))  # 09:30: Lena asks the customer; the resolution pauses
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which browser do you use?"})
    vc.advance(timedelta(hours=1))

    badge, promises = badge_and_explanation()
    assert (badge["clock"], badge["phase"]) == ("resolution", "paused")
    resolution, internal = promises["resolution"], promises["internal"]
    assert badge["promise_left_seconds"] == resolution["allowed_seconds"] - resolution["counted_seconds"]
    assert badge["internal_left_seconds"] == internal["allowed_seconds"] - internal["counted_seconds"]
    assert resolution["counted_seconds"] == 1800
    # Customers never see it
    assert "sla" not in api("GET", f"/tickets/{ticket['id']}", user=BOB).json
