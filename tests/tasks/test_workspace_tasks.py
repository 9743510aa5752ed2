"""The agent workspace's task views (issue 14): the outcomes a task accepts, whether it needs a note, the previous
line's note, and the next task when a daily review heads the queue."""

from __future__ import annotations

from shared.platform import clock
from shared.review.items import ReviewTask
from shared.review.tasks import review_pk, review_task_id
from shared.tasks.priority import queue_key
from shared.tasks.queues import basis_without_ticket
from shared.tickets.items import queue_pk
from tests.api.test_errors import assert_problem
from tests.conftest import BOB, DANA, LENA, QUESTION, route_task

CLASSIFY_OUTCOMES = [
    {"value": "question", "label": "Question"},
    {"value": "bug", "label": "Bug"},
    {"value": "critical_bug", "label": "Critical bug"},
    {"value": "improvement", "label": "Improvement"},
]


def test_tasks_list_their_outcomes_and_l1_sees_l2s_note_on_the_task_to_tell_the_customer(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    # Given the classify task in L1's queue: its outcomes are listed, no note needed, nothing before it
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    assert classify["outcomes"] == CLASSIFY_OUTCOMES
    assert classify["note_required"] is False and classify["previous_note"] is None
    taken = api("POST", "/tasks/next/take", user=LENA).json
    assert taken["task"]["id"] == classify["id"] and taken["task"]["outcomes"] == CLASSIFY_OUTCOMES
    complete = api("POST", f"/tasks/{classify['id']}/complete", user=LENA, body={"outcome": "bug", "note": "Seen it"})
    assert complete.status == 200, complete.text

    # L2's fix takes any outcome but needs a note; it shows L1's note
    fix = route_task(api, "L2", DANA, ticket["id"], "fix")
    assert fix["outcomes"] == [] and fix["note_required"] is True
    assert fix["previous_note"] == {
        "task_type": "classify",
        "group": "L1",
        "note": "Seen it",
        "completed_by": "agent-lena",
        "completed_at": complete.json["task"]["completed_at"],
    }
    assert api("POST", f"/tasks/{fix['id']}/take", user=DANA).status == 200
    without = api("POST", f"/tasks/{fix['id']}/complete", user=DANA, body={"outcome": "fixed"})
    problem = assert_problem(without, 422)
    assert problem["errors"] == [{"field": "note", "message": "required"}]
    assert "note" in problem["detail"]
    done = api("POST", f"/tasks/{fix['id']}/complete", user=DANA, body={"outcome": "fixed", "note": "Fixed in 4.2.1"})
    assert done.status == 200, done.text

    # Then L1's task to tell the customer carries L2's note, in the queue, in the next task and on the ticket
    tell = route_task(api, "L1", LENA, ticket["id"], "tell")
    expected = {
        "task_type": "fix",
        "group": "L2",
        "note": "Fixed in 4.2.1",
        "completed_by": "agent-dev",
        "completed_at": done.json["task"]["completed_at"],
    }
    assert tell["previous_note"] == expected
    assert api("GET", "/tasks/next", user=LENA).json["task"]["previous_note"] == expected
    on_ticket = api("GET", f"/tickets/{ticket['id']}", user=LENA).json["tasks"]
    assert {t["type"]: t["previous_note"] for t in on_ticket}["tell"] == expected
    assert {t["type"]: t["outcomes"] for t in on_ticket}["classify"] == CLASSIFY_OUTCOMES
    # The customer sees no task, no outcome and no note
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB)
    assert seen.status == 200
    assert "tasks" not in seen.json and "Fixed in 4.2.1" not in seen.text and "Seen it" not in seen.text


def _daily_review_first_in_l1() -> str:
    now = clock.now_iso()
    day = clock.now().date().isoformat()
    task_id = review_task_id("daily", day, "L1")
    basis = basis_without_ticket(group="L1", base=0, due_at=None, created_at="2026-01-01T00:00:00.000Z")
    ReviewTask(
        review_pk("daily", day),
        f"TASK#{task_id}",
        task_id=task_id,
        ticket_id="",
        reference=f"daily review {day}",
        task_type="daily_review",
        title="Daily review for L1: 1 ticket to nudge",
        group="L1",
        review="daily",
        review_date=day,
        status="open",
        items=[{"ticket_id": "t-1", "reference": "CW-1", "action": "nudge L2"}],
        priority_basis=basis.as_dict(),
        created_at=now,
        queue_pk=queue_pk("L1"),
        queue_sk=queue_key(basis, task_id),
    ).save()
    return task_id


def test_the_next_task_can_be_a_daily_review_which_has_no_ticket(desk):
    api, _ = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    route_task(api, "L1", LENA, ticket["id"], "classify")
    review_id = _daily_review_first_in_l1()

    nxt = api("GET", "/tasks/next", user=LENA)
    assert nxt.status == 200, nxt.text
    assert nxt.json["task"]["id"] == review_id and nxt.json["ticket"] is None

    taken = api("POST", "/tasks/next/take", user=LENA)
    assert taken.status == 200, taken.text
    body = taken.json
    assert body["task"]["id"] == review_id and body["task"]["status"] == "taken"
    assert body["ticket"] is None and body["line"] == "L1"
    assert body["review_items"] == [{"ticket_id": "t-1", "reference": "CW-1", "action": "nudge L2"}]
    assert body["task"]["outcomes"] == [] and body["task"]["previous_note"] is None
    # The next one after it is the ticket's classify task
    assert api("POST", "/tasks/next/take", user=LENA).json["task"]["ticket_id"] == ticket["id"]
