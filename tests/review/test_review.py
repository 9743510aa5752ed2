"""Daily review (R20, R13, R14, R21) and weekly long-case review (R22), fired by the local stack's scheduler
code path (infra.aws_emulation.Scheduler.tick) at virtual instants, and worked through the /tasks API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.local import emulation as aws_emulation
from infra.local.demo.review import put_event, put_task, put_ticket
from shared.money.items import TimeEntry
from shared.platform import clock, store
from shared.platform.schedules import SCHEDULES, check_expression, next_firing, parse_cron
from shared.review.reviews import nudges
from shared.sla.plans import DEFAULT_PLAN
from shared.tickets import items as ticket_items
from tests.conftest import BOB, DANA, LENA, MARIA, PETR, QUESTION, Api, DeskSetup, open_l1_task

PRAGUE = DEFAULT_PLAN.calendar


def prague(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A wall-clock time in Prague in November 2026 (UTC+1), as a UTC instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=PRAGUE.zone).astimezone(UTC)


@pytest.fixture
def desk_setup() -> DeskSetup:
    return DeskSetup(start=prague(16, 7))  # Monday 16 November 2026, 07:00 in Prague


def _queue(api: Api, group: str, user: str) -> list[dict]:
    reply = api("GET", f"/tasks?group={group}", user=user)
    assert reply.status == 200, reply.text
    return reply.json["items"]


def _reviews(api: Api, group: str, user: str, task_type: str = "daily_review") -> list[dict]:
    return [t for t in _queue(api, group, user) if t["type"] == task_type]


def _content(api: Api, task_id: str, user: str) -> dict:
    reply = api("GET", f"/reviews/{task_id}", user=user)
    assert reply.status == 200, reply.text
    return reply.json


# --- the schedules ---------------------------------------------------------------------------------------------


def test_cron_next_firing_follows_the_schedule_time_zone_and_weekdays():
    daily = next(s for s in SCHEDULES if s.name == "daily-review")
    # Friday 27 November 08:00 Prague has just fired: the next one is Monday 08:00 (07:00 UTC), not Saturday
    assert next_firing(daily.expression, daily.timezone, prague(27, 8)) == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    # Summer time: 08:00 in Prague is 06:00 UTC
    assert next_firing(daily.expression, daily.timezone, datetime(2026, 6, 1, 0, 0, tzinfo=UTC)) == datetime(
        2026, 6, 1, 6, 0, tzinfo=UTC
    )
    # Steps and lists; a wall time skipped by the spring-forward jump does not fire that day
    assert next_firing("cron(*/15 * * * ? *)", "UTC", datetime(2026, 1, 1, 6, 31, tzinfo=UTC)).minute == 45
    assert next_firing("cron(30 2 * * ? *)", "Europe/Prague", datetime(2026, 3, 28, 12, tzinfo=UTC)) == datetime(
        2026, 3, 30, 0, 30, tzinfo=UTC
    )
    # rate() keeps working: counted from the previous firing
    assert next_firing("rate(15 minutes)", "UTC", prague(23, 9)) == prague(23, 9, 15)
    for bad in ("cron(0 8 * * MON *)", "cron(0 8 L * ? *)", "cron(60 8 ? * MON *)", "cron(0 8 ? *)", "rate(2 hour)"):
        with pytest.raises(ValueError):
            next_firing(bad, "UTC", prague(23, 9))
    assert parse_cron("cron(0 8 ? * MON-FRI *)").days_of_week == frozenset({2, 3, 4, 5, 6})
    for schedule in SCHEDULES:  # every schedule of both clouds is one the local scheduler can compute
        check_expression(schedule.expression)


def test_daily_review_fires_on_a_working_day_and_creates_nothing_on_a_holiday(desk):
    api, vc = desk
    # Given an old unanswered ticket of L1 and the local stack's scheduler created on Monday 16 November at 07:00
    put_ticket(status="in_progress", owner="agent-lena", created_at=prague(12, 10), sequence=1)
    scheduler = aws_emulation.Scheduler(start=clock.now())

    # When the clock reaches Tuesday 17 November 08:00, a Czech public holiday
    vc.advance_to(prague(16, 8))
    fired_monday = dict(scheduler.tick())
    vc.advance_to(prague(17, 8))
    fired = dict(scheduler.tick())

    # Then the schedule fired on Monday and created the L1 review; on the holiday it fired but created nothing
    assert fired_monday["daily-review"]["working_day"] is True
    assert len(fired_monday["daily-review"]["created"]) == 1
    holiday = {"date": "2026-11-17", "working_day": False, "created": [], "existing": [], "superseded": []}
    assert fired["daily-review"] == holiday
    assert [t["id"] for t in _reviews(api, "L1", LENA)] == fired_monday["daily-review"]["created"]

    # And on Wednesday the review comes again, for that day; Monday's, which nobody took, is superseded
    vc.advance_to(prague(18, 8))
    fired = dict(scheduler.tick())
    assert fired["daily-review"]["date"] == "2026-11-18" and len(fired["daily-review"]["created"]) == 1
    assert fired["daily-review"]["superseded"] == fired_monday["daily-review"]["created"]
    titles = [t["title"] for t in _reviews(api, "L1", LENA)]
    assert titles == ["Daily review 2026-11-18 for L1: 1 ticket to nudge"]
    monday = _content(api, fired_monday["daily-review"]["created"][0], LENA)["task"]
    assert monday["status"] == "done" and monday["outcome"] == "superseded"
    assert monday["note"] == f"Superseded by {fired['daily-review']['created'][0]}"
    # The 15-minute auto-close schedule still fires through the same code path
    assert "close-silent-resolved" in fired


def test_the_scheduler_does_not_fire_before_time_or_at_the_weekend(desk):
    _, vc = desk
    scheduler = aws_emulation.Scheduler(start=prague(20, 9))  # Friday 20 November, after the morning review
    vc.advance_to(prague(23, 7, 59))  # Monday 07:59: the weekend passed without a review
    assert "daily-review" not in dict(scheduler.tick())
    assert scheduler.next_at["daily-review"] == prague(23, 8)
    vc.advance_to(prague(23, 8))
    assert "daily-review" in dict(scheduler.tick())


# --- what the daily review lists ---------------------------------------------------------------------------------


@pytest.fixture
def open_desk(desk):
    """Open tickets of every kind, and the review fired on Wednesday 25 November at 08:00 (Prague)."""
    api, vc = desk
    t = {}
    t["idle"] = put_ticket(status="in_progress", owner="agent-lena", created_at=prague(23, 10), sequence=1)
    t["fresh"] = put_ticket(
        status="in_progress", owner="agent-lena", created_at=prague(23, 10), updated_at=prague(24, 16), sequence=2
    )
    t["waiting_l2"] = put_ticket(
        status="in_progress", owner="agent-lena", created_at=prague(23, 9), updated_at=prague(24, 16), sequence=3
    )
    put_task(t["waiting_l2"], "L2", "Fix the bug", prague(23, 10))
    t["remind"] = put_ticket(
        status="waiting_for_customer",
        owner="agent-lena",
        created_at=prague(19, 10),
        ball_since=prague(20, 10),
        due_at=prague(25, 10),
        sequence=4,
    )
    t["resolved_near"] = put_ticket(
        status="resolved",
        owner="agent-petr",
        created_at=prague(19, 10),
        ball_since=prague(20, 14),
        due_at=prague(25, 14),
        sequence=5,
    )
    t["silent_past"] = put_ticket(
        status="waiting_for_customer",
        owner="agent-petr",
        created_at=prague(18, 10),
        ball_since=prague(19, 14),
        due_at=prague(24, 14),
        sequence=6,
    )
    t["due_today"] = put_ticket(
        status="in_progress",
        owner="agent-dev",
        created_at=prague(24, 10),
        updated_at=prague(24, 16),
        due_at=prague(25, 15),
        sequence=7,
    )
    t["office"] = put_ticket(status="new", service="document-request", created_at=prague(23, 10), sequence=8)
    t["customer_not_near"] = put_ticket(
        status="waiting_for_customer",
        owner="agent-lena",
        created_at=prague(24, 10),
        ball_since=prague(24, 11),
        due_at=prague(27, 11),
        sequence=9,
    )
    t["closed"] = put_ticket(status="closed", owner="agent-lena", created_at=prague(2, 10), sequence=10)
    vc.advance_to(prague(25, 7))
    scheduler = aws_emulation.Scheduler(start=clock.now())
    vc.advance_to(prague(25, 8))
    fired = dict(scheduler.tick())
    return api, vc, t, fired["daily-review"]


def _actions(content: dict) -> dict[str, list[str]]:
    return {e["reference"]: [a["action"] for a in e["actions"]] for e in content["items"]}


def test_each_group_gets_one_review_with_the_suggested_action_per_ticket(open_desk):
    api, _, t, result = open_desk
    assert result["working_day"] is True and len(result["created"]) == 3

    # L1 (the owners' line, R14) sees its tickets that need a nudge, oldest ball first
    [l1] = _reviews(api, "L1", LENA)
    assert l1["title"] == "Daily review 2026-11-25 for L1: 5 tickets to nudge"
    assert l1["status"] == "open" and l1["ticket_id"] == ""
    content = _content(api, l1["id"], LENA)
    assert _actions(content) == {
        t["silent_past"].reference: ["close"],
        t["remind"].reference: ["remind the customer"],
        t["resolved_near"].reference: ["close"],
        t["idle"].reference: ["answer the customer"],
        t["waiting_l2"].reference: ["chase L2"],
    }
    assert [e["reference"] for e in content["items"]][:3] == [
        t["silent_past"].reference,
        t["remind"].reference,
        t["resolved_near"].reference,
    ]
    idle = next(e for e in content["items"] if e["reference"] == t["idle"].reference)
    assert idle["actions"][0]["why"] == "ball on our side, no activity for 15.0 working hours and no open task"
    chase = next(e for e in content["items"] if e["reference"] == t["waiting_l2"].reference)
    assert chase["open_tasks"][0]["group"] == "L2" and "waiting on L2 since" in chase["actions"][0]["why"]

    # L2 sees its deadline of today; the office sees its unowned new request
    [l2] = _reviews(api, "L2", DANA)
    assert _actions(_content(api, l2["id"], DANA)) == {t["due_today"].reference: ["due today"]}
    [office] = _reviews(api, "office", MARIA)
    assert _actions(_content(api, office["id"], MARIA)) == {t["office"].reference: ["answer the customer"]}

    # Tickets that need nothing, and closed tickets, are in no review; groups with nothing to review get no task
    listed = {
        e["ticket_id"]
        for g, u in (("L1", LENA), ("L2", DANA), ("office", MARIA))
        for e in _content(api, _reviews(api, g, u)[0]["id"], u)["items"]
    }
    assert not listed & {t["fresh"].ticket_id, t["customer_not_near"].ticket_id, t["closed"].ticket_id}
    assert _reviews(api, "managers", MARIA) == [] and _reviews(api, "accounts", MARIA) == []


def test_firing_the_review_twice_the_same_day_creates_one_task_per_group(open_desk):
    api, _, _, first = open_desk
    again = aws_emulation.fire_schedule("daily-review")
    assert again["created"] == [] and sorted(again["existing"]) == sorted(first["created"])
    assert len(_reviews(api, "L1", LENA)) == 1 and len(_reviews(api, "L2", DANA)) == 1


def test_nudge_rules_in_isolation():
    """The pure rule for one ticket: ball on our side vs the customer's, thresholds in working hours."""
    now = prague(25, 10)  # Wednesday 10:00 (1 working hour into the day)

    class T:  # the attributes nudges() reads
        def __init__(self, **kw):
            self.__dict__.update(
                dict(status="in_progress", ball_side="us", ball_since=None, due_at=None, owner=None)
                | {"created_at": clock.iso(prague(25, 9)), "updated_at": clock.iso(prague(25, 9))}
                | kw
            )

    # 1 working hour idle: nothing with N=4, "answer the customer" with N=0.5
    assert nudges(T(), [], "L1", PRAGUE, now) == []
    assert [a["action"] for a in nudges(T(), [], "L1", PRAGUE, now, idle_hours=0.5)] == ["answer the customer"]
    # Idle over the night counts working hours only: Tuesday 16:00 -> Wednesday 10:00 is 2 working hours
    assert nudges(T(updated_at=clock.iso(prague(24, 16))), [], "L1", PRAGUE, now) == []
    # Waiting for the customer with the automatic close two working days away: nothing yet
    waiting = T(status="waiting_for_customer", ball_side="customer", due_at=clock.iso(prague(27, 10)))
    assert nudges(waiting, [], "L1", PRAGUE, now) == []
    # Overdue deadline on an earlier day
    overdue = T(updated_at=clock.iso(prague(25, 9, 30)), due_at=clock.iso(prague(24, 12)))
    assert [a["action"] for a in nudges(overdue, [], "L1", PRAGUE, now)] == ["overdue"]


# --- working a review task ------------------------------------------------------------------------------------


def test_review_tasks_are_staff_only_and_are_taken_and_completed_like_other_tasks(open_desk):
    api, _, t, _ = open_desk
    [l1] = _reviews(api, "L1", LENA)

    # Customers see no queue and no review; agents of another group cannot open, take or complete it
    assert api("GET", "/tasks?group=L1", user=BOB).status == 403
    assert api("GET", f"/reviews/{l1['id']}", user=BOB).status == 403
    assert api("GET", f"/reviews/{l1['id']}", user=DANA).status == 403
    assert api("POST", f"/tasks/{l1['id']}/take", user=DANA).status == 403
    assert api("GET", "/reviews/review-daily-2026-11-25-nope", user=LENA).status == 404
    bob_sees = api("GET", f"/tickets/{t['idle'].ticket_id}", user=BOB).json
    assert "tasks" not in bob_sees or not bob_sees["tasks"]

    # An L1 agent takes it: it changes no ticket (no owner, no status), and no one else can take it
    taken = api("POST", f"/tasks/{l1['id']}/take", user=LENA)
    assert taken.status == 200, taken.text
    assert taken.json["task"]["status"] == "taken" and taken.json["ticket"] is None
    assert api("POST", f"/tasks/{l1['id']}/take", user=PETR).status == 409
    assert api("POST", f"/tasks/{l1['id']}/complete", user=PETR, body={"outcome": "done"}).status == 403
    assert ticket_items.get_ticket(t["office"].ticket_id).owner is None

    # Completing it takes it out of the queue
    done = api("POST", f"/tasks/{l1['id']}/complete", user=LENA, body={"outcome": "nudged", "note": "chased Dana"})
    assert done.status == 200, done.text
    assert done.json["task"]["status"] == "done" and done.json["task"]["outcome"] == "nudged"
    assert _reviews(api, "L1", LENA) == []
    assert api("POST", f"/tasks/{l1['id']}/complete", user=LENA, body={"outcome": "again"}).status == 409


# --- the weekly review -----------------------------------------------------------------------------------------


def test_weekly_review_gives_the_manager_each_case_open_more_than_a_week_from_its_log(desk):
    api, vc = desk
    vc.advance_to(prague(20, 10))
    long_case = put_ticket(status="in_progress", owner="agent-lena", created_at=prague(16, 9, 30), sequence=1)
    put_event(long_case, prague(16, 9, 30), "TicketSubmitted", "Request received via portal: Functionality question")
    put_event(long_case, prague(16, 11), "TaskTaken", "Classify the request taken by lena", actor="agent-lena")
    put_event(long_case, prague(17, 10), "TaskCreated", "Task for L2: Fix the bug")
    put_task(long_case, "L2", "Fix the bug", prague(17, 10))
    for minutes in (30, 45):
        entry_id = store.new_id()
        TimeEntry(
            long_case.pk,
            f"TIME#{entry_id}",
            entry_id=entry_id,
            ticket_id=long_case.ticket_id,
            reference=long_case.reference,
            organisation_id="acme",
            service=long_case.service,
            agent_sub="agent-lena",
            minutes=minutes,
            work_date="2026-11-16",
            created_at=clock.iso(prague(16, 12)),
        ).save()
    put_ticket(status="new", created_at=prague(25, 10), sequence=2)  # open less than a week
    put_ticket(status="closed", created_at=prague(2, 10), sequence=3)  # long, but closed

    # The Monday schedule fires at 07:30 in Prague, before the daily review
    vc.advance_to(prague(29, 12))
    scheduler = aws_emulation.Scheduler(start=clock.now())
    vc.advance_to(prague(30, 7, 30))
    fired = dict(scheduler.tick())
    assert set(fired) >= {"weekly-review"} and "daily-review" not in fired
    assert len(fired["weekly-review"]["created"]) == 1

    [task] = _reviews(api, "managers", MARIA, "weekly_review")
    assert task["ticket_id"] == long_case.ticket_id and task["reference"] == long_case.reference
    assert task["title"] == f"Weekly review of {long_case.reference}: open 13 days - Monthly report fails"
    [case] = _content(api, task["id"], MARIA)["items"]
    assert [e["type"] for e in case["what_happened"]] == ["TicketSubmitted", "TaskTaken", "TaskCreated"]
    assert case["ball"] == {"side": "us", "since": clock.iso(prague(16, 9, 30)), "days": 13, "owner": "agent-lena"}
    assert case["time_spent_minutes"] == 75
    assert [t["group"] for t in case["next_step"]["open_tasks"]] == ["L2"]

    # Agents do not see the managers' queue; firing again that Monday adds nothing
    assert api("GET", "/tasks?group=managers", user=LENA).status == 403
    assert aws_emulation.fire_schedule("weekly-review")["created"] == []

    # A week later the case, still open, gets a fresh review; the one Maria took stays hers, open
    assert api("POST", f"/tasks/{task['id']}/take", user=MARIA).status == 200
    vc.advance_to(prague(7, 7, 30, month=12))
    fired = dict(scheduler.tick())
    created = fired["weekly-review"]["created"]  # and the request of 25 November is now a week old too
    assert len(created) == 2 and f"review-weekly-2026-12-07-{long_case.ticket_id}" in created
    assert fired["weekly-review"]["superseded"] == []
    statuses = [(t["ticket_id"], t["status"]) for t in _reviews(api, "managers", MARIA, "weekly_review")]
    assert sorted(s for i, s in statuses if i == long_case.ticket_id) == ["open", "taken"]


# --- real tickets through the API ------------------------------------------------------------------------------


def test_a_ticket_opened_through_the_api_shows_in_the_next_day_review(api):
    moments = [prague(23, 9)]
    clock.set_clock(lambda: moments[0])
    try:
        ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
        open_l1_task(api, ticket["id"])  # the route's classify task, in L1's queue
        moments[0] = prague(24, 8) + timedelta(minutes=1)
        result = aws_emulation.fire_schedule("daily-review")
    finally:
        clock.set_clock(None)
    [l1] = [t for t in _reviews(api, "L1", LENA) if t["id"] in result["created"]]
    [entry] = _content(api, l1["id"], LENA)["items"]
    assert entry["ticket_id"] == ticket["id"] and entry["status"] == "new"
    # its classify task waits in L1 with no activity since Monday 09:00; the reaction promise (13:00) passed
    assert [a["action"] for a in entry["actions"]] == ["chase L1", "overdue"]


def test_the_daily_review_reads_only_what_is_open(desk, monkeypatch):
    """R20 at scale: open tickets from the sparse open_index, open tasks from queue_index; no Scan, no closed ticket."""
    from botocore.client import BaseClient

    _, vc = desk
    closed = [put_ticket(status="closed", owner="agent-lena", created_at=prague(2, 10), sequence=n) for n in range(5)]
    put_ticket(status="in_progress", owner="agent-lena", created_at=prague(12, 10), sequence=9)
    vc.advance_to(prague(18, 8))
    requests: list[tuple[str, dict]] = []
    original = BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        if self.meta.service_model.service_name == "dynamodb":
            requests.append((operation_name, api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    result = aws_emulation.fire_schedule("daily-review")
    monkeypatch.undo()

    assert len(result["created"]) == 1
    operations = {name for name, _ in requests}
    # the indexes hold keys only: what a Query on them finds is read by BatchGetItem (shared/platform/table.py)
    assert "Scan" not in operations and operations <= {"Query", "GetItem", "BatchGetItem", "PutItem"}
    queried = {params.get("IndexName") or "table" for name, params in requests if name == "Query"}
    assert queried == {"open_index", "queue_index", "table"}  # the table: the catalog only
    text = repr(requests)
    assert not any(t.ticket_id in text for t in closed)


def test_the_idle_threshold_comes_from_the_schedule_payload(desk):
    from functions import housekeeping

    _, vc = desk
    put_ticket(status="in_progress", owner="agent-lena", created_at=prague(18, 9), sequence=1)
    vc.advance_to(prague(18, 12))  # 3 working hours without activity
    assert housekeeping.handler({"action": "daily_review", "idle_working_hours": 4}, None)["created"] == []
    created = housekeeping.handler({"action": "daily_review", "idle_working_hours": 2}, None)["created"]
    assert created == ["review-daily-2026-11-18-L1"]
    with pytest.raises(ValueError, match="idle_working_hours"):
        housekeeping.handler({"action": "daily_review", "idle_working_hours": "four"}, None)


def test_the_reviews_log_at_info_as_the_cloud_does(desk, caplog):
    """The local stack and the cloud log at INFO: a review's log line must be written, not raise after its tasks
    (its figures include "created", a name the standard LogRecord keeps)."""
    from functions import housekeeping

    _, vc = desk
    put_ticket(status="in_progress", owner="agent-lena", created_at=prague(18, 9), sequence=1)
    vc.advance_to(prague(18, 12))
    level = housekeeping.logger.log_level
    housekeeping.logger.setLevel("INFO")
    try:
        daily = housekeeping.handler({"action": "daily_review", "idle_working_hours": 2}, None)
        weekly = housekeeping.handler({"action": "weekly_review"}, None)
    finally:
        housekeeping.logger.setLevel(level)
    written = {record.getMessage(): record for record in caplog.records if record.name == "caseway-housekeeping"}
    assert written["daily review"].created_ == daily["created"] == ["review-daily-2026-11-18-L1"]
    assert written["weekly review"].created_ == weekly["created"]
