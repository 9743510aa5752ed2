"""Tiered routing (R14, R15, R19, R27): computed priorities, queues per line, the next task per tier, handing
tasks over while the owner stays, and who may do what."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from shared.platform import bus
from shared.tasks import priority
from shared.tasks.priority import Basis
from shared.tasks.work import create_task
from tests.conftest import (
    ALICE,
    BOB,
    DANA,
    LENA,
    MARIA,
    MONDAY_0900,
    PETR,
    QUESTION,
    VERA,
    Api,
    finish_task,
    route_task,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _basis(base: int = 500, *, due: datetime | None = None, since: datetime = NOW, line: str = "L2", **kw) -> Basis:
    return Basis(
        base=base,
        classification=kw.get("classification", "bug"),
        importance=kw.get("importance", "standard"),
        created_at=_iso(kw.get("created", since)),
        due_at=_iso(due) if due else None,
        waiting_since=_iso(since),
        line=line,
    )


# --- the formula (pure) --------------------------------------------------------------------------


def test_base_priority_is_classification_plus_vip_with_reasons():
    assert priority.base_priority("critical_bug", "vip") == (
        900,
        [
            {"factor": "classification", "points": 800, "why": "critical bug"},
            {"factor": "customer", "points": 100, "why": "VIP organisation"},
        ],
    )
    assert priority.base_priority("bug", "standard")[0] == 500
    assert priority.base_priority(None, "standard")[0] == 200


def test_the_priority_explains_its_deadline_and_waiting_parts():
    # Given a standard bug due in 2 hours whose customer has waited 10 hours on our side
    basis = _basis(500, due=NOW + timedelta(hours=2), since=NOW - timedelta(hours=10))
    # Then each part has its points and a reason a person can read
    detail = priority.explain(basis, NOW)
    assert detail["order"] == "priority"
    assert detail["components"] == [
        {"factor": "classification", "points": 500, "why": "bug"},
        {"factor": "deadline", "points": 5 * (120 - 2), "why": "due in 2h 0m"},
        {"factor": "waiting", "points": 10, "why": "ball on our side for 10h 0m"},
    ]
    assert detail["score"] == 500 + 590 + 10
    # and once overdue the deadline part keeps growing
    later = priority.explain(basis, NOW + timedelta(hours=5))
    assert later["components"][1] == {"factor": "deadline", "points": 5 * 123, "why": "overdue by 3h 0m"}


def test_a_step_that_fixes_its_own_priority_says_so():
    basis = _basis(900, due=NOW, classification="bug")
    assert priority.explain(basis, NOW)["components"][0] == {
        "factor": "step",
        "points": 900,
        "why": "set by the step that created the task",
    }
    first_line = _basis(0, due=NOW, line="L1")
    detail = priority.explain(first_line, NOW)
    assert detail["order"] == "arrival"
    assert detail["components"][0]["why"] == "first line: order of arrival (R19)"


def test_the_stored_sort_key_orders_like_the_priority_at_any_time():
    # Given many tasks with random classes, deadlines (or none) and waiting times
    rng = random.Random(20261123)
    tasks = []
    for n in range(60):
        due = NOW + timedelta(minutes=rng.randint(-3000, 9000)) if rng.random() < 0.8 else None
        since = NOW - timedelta(minutes=rng.randint(0, 5000))
        classification = rng.choice(["critical_bug", "bug", "question", "improvement", None])
        importance = rng.choice(["standard", "vip"])
        base = priority.base_priority(classification, importance)[0]
        tasks.append(
            (
                f"task-{n:03d}",
                _basis(
                    base,
                    due=due,
                    since=since,
                    classification=classification,
                    importance=importance,
                    created=since + timedelta(minutes=rng.randint(0, 60)),
                ),
            )
        )
    by_key = [t for t, _ in sorted(tasks, key=lambda pair: priority.queue_key(pair[1], pair[0]))]
    # Then the key's order is the order of the priority now, a week later and a year later: time never reorders
    for moment in (NOW, NOW + timedelta(days=7), NOW + timedelta(days=365)):
        scores = {t: priority.score(b, moment) for t, b in tasks}
        assert all(scores[a] >= scores[b] - 1e-6 for a, b in itertools.pairwise(by_key)), moment


def test_first_line_keys_follow_arrival_whatever_the_priority():
    early = _basis(0, due=NOW + timedelta(days=2), since=NOW, line="L1", created=NOW)
    late_urgent = _basis(900, due=NOW, since=NOW, line="L1", created=NOW + timedelta(minutes=1))
    assert priority.queue_key(early, "b") < priority.queue_key(late_urgent, "a")


def test_a_groups_line_comes_from_its_name_when_nobody_registered_it():
    assert [priority.line_of_group_name(g) for g in ("L1", "L1-billing", "L2-db", "L3", "managers", "dev")] == [
        "L1",
        "L1",
        "L2",
        "L3",
        "managers",
        "L2",
    ]


# --- the route: L2 by priority, L1 by arrival ----------------------------------------------------


def _bug(subject: str) -> dict:
    return {**QUESTION, "subject": subject, "description": f"{subject}: the export page shows an error."}


def test_a_vip_critical_bug_overtakes_older_standard_bugs_in_the_l2_queue(desk):
    api, vc = desk
    # Given two standard bugs classified by L1 at 09:00 and 09:10
    first = api("POST", "/tickets", user=BOB, body=_bug("Totals are wrong")).json
    finish_task(api, LENA, route_task(api, "L1", LENA, first["id"], "classify"), "bug", "reproduced on March data")
    vc.advance(timedelta(minutes=10))
    second = api("POST", "/tickets", user=ALICE, body=_bug("Export is slow")).json
    finish_task(api, LENA, route_task(api, "L1", LENA, second["id"], "classify"), "bug")
    fix_first = route_task(api, "L2", DANA, first["id"], "fix")
    fix_second = route_task(api, "L2", DANA, second["id"], "fix")

    # When a VIP customer's critical bug is classified twenty minutes later
    vc.advance(timedelta(minutes=20))
    vip = api("POST", "/tickets", user=VERA, body=_bug("Payments are down")).json
    finish_task(api, LENA, route_task(api, "L1", LENA, vip["id"], "classify"), "critical_bug", "all payments fail")
    fix_vip = route_task(api, "L2", DANA, vip["id"], "fix")

    # Then the L2 queue puts it first, and the older bugs follow in their own order
    queue = api("GET", "/tasks?group=L2", user=DANA).json["items"]
    assert [t["id"] for t in queue] == [fix_vip["id"], fix_first["id"], fix_second["id"]]
    # and the task says why: critical bug 800 + VIP 100, then its deadline and waiting parts
    detail = queue[0]["priority_detail"]
    assert detail["order"] == "priority"
    assert detail["components"][:2] == [
        {"factor": "classification", "points": 800, "why": "critical bug"},
        {"factor": "customer", "points": 100, "why": "VIP organisation"},
    ]
    assert [c["factor"] for c in detail["components"][2:]] == ["deadline", "waiting"]
    assert detail["score"] > queue[1]["priority_detail"]["score"] > 0

    # and the L2 specialist's next task is it, with what L2 needs: L1's classification and notes (R27)
    nxt = api("GET", "/tasks/next", user=DANA).json
    assert nxt["task"]["id"] == fix_vip["id"] and nxt["line"] == "L2"
    assert nxt["ticket"]["classification"] == "critical_bug"
    assert nxt["ticket"]["organisation"] == {"id": "globex", "name": "Globex Bank", "importance": "vip"}
    assert [n["note"] for n in nxt["handover"]["notes"]] == ["all payments fail"]
    assert nxt["handover"]["classification"] == "critical_bug"
    assert "customer" not in nxt  # contacts stay with the first line, which owns the ticket (R14)

    # When Dana takes the next task twice, she gets the VIP one, then the oldest standard bug
    took = api("POST", "/tasks/next/take", user=DANA).json
    assert took["task"]["id"] == fix_vip["id"] and took["task"]["assignee"] == "agent-dev"
    assert api("POST", "/tasks/next/take", user=DANA).json["task"]["id"] == fix_first["id"]
    # and the ticket's owner is still the L1 agent who classified it (R14)
    assert api("GET", f"/tickets/{vip['id']}", user=DANA).json["owner"] == "agent-lena"


def test_the_l1_queue_runs_in_order_of_arrival_even_when_a_later_request_is_vip(desk):
    api, vc = desk
    # Given a standard question at 09:00, a VIP one at 09:05 (shorter reaction deadline) and a standard one at 09:10
    tickets = []
    for user, minutes in ((BOB, 0), (VERA, 5), (ALICE, 10)):
        vc.advance_to(MONDAY_0900 + timedelta(minutes=minutes))
        tickets.append(api("POST", "/tickets", user=user, body={**QUESTION, "subject": f"Question {minutes}"}).json)
    tasks = [route_task(api, "L1", LENA, t["id"], "classify") for t in tickets]
    assert tasks[1]["due_at"] < tasks[0]["due_at"]  # the VIP request is due first...

    # Then the queue and the next task follow arrival all the same (R19)
    queue = api("GET", "/tasks?group=L1", user=LENA).json["items"]
    assert [t["id"] for t in queue] == [t["id"] for t in tasks]
    assert all(t["priority_detail"]["order"] == "arrival" for t in queue)

    # and the first-line brief carries the customer's description, intake answers and contacts (R27)
    nxt = api("GET", "/tasks/next?group=L1", user=PETR).json
    assert nxt["task"]["id"] == tasks[0]["id"] and nxt["line"] == "L1"
    customer = nxt["customer"]
    assert customer["description"] == QUESTION["description"]
    assert customer["fields"] == QUESTION["fields"]
    assert customer["requester"] == {"sub": "cust-bob", "email": BOB, "name": "Bob (Acme)"}
    assert "contacts" in customer and "handover" not in nxt

    # When Petr takes the next task twice, arrival decides: the 09:00 then the VIP 09:05 request
    assert api("POST", "/tasks/next/take", user=PETR).json["task"]["id"] == tasks[0]["id"]
    assert api("POST", "/tasks/next/take", user=PETR).json["task"]["id"] == tasks[1]["id"]


# --- handing over keeps the owner (R14) ----------------------------------------------------------


def _owned_ticket_with_l2_task(api: Api) -> tuple[dict, dict]:
    """A ticket Lena owns (she took its classify task) and an investigation task in L2."""
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    assert api("POST", f"/tasks/{classify['id']}/take", user=LENA).status == 200
    task = create_task(
        ticket_id=ticket["id"],
        step_key="investigate",
        task_type="investigate",
        title="Check the export job's logs",
        group="L2",
        task_token=None,
        due_at=None,
        priority=500,
    )
    return ticket, {"id": task.task_id}


def test_handing_a_task_to_another_group_keeps_the_owner_and_shows_what_the_owner_waits_on(api):
    ticket, task = _owned_ticket_with_l2_task(api)
    customer_before = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    customer_list_before = api("GET", "/tickets", user=BOB).json
    # The owner sees at once that the ball is with L2
    owned = {t["id"]: t for t in api("GET", "/tickets?scope=owned", user=LENA).json["items"]}
    assert owned[ticket["id"]]["waiting_on"]["group"] == "L2"

    # Given a manager puts Dana into L2 and L2-db (two groups on the second line)
    reply = api(
        "PUT",
        "/routing/agents/agent-dev",
        user=MARIA,
        body={"groups": ["L2", "L2-db"], "line": "L2", "skills": ["databases"]},
    )
    assert reply.status == 200, reply.text
    assert reply.json["groups"] == ["L2", "L2-db"] and reply.json["skills"] == ["databases"]
    groups = {g["name"]: g for g in api("GET", "/routing/groups", user=LENA).json["items"]}
    assert groups["L2-db"]["line"] == "L2" and groups["L2-db"]["order"] == "priority"
    assert [m["sub"] for m in groups["L2-db"]["members"]] == ["agent-dev"]
    assert groups["L1"]["order"] == "arrival"

    # When Dana takes the L2 task and hands it to L2-db
    assert api("POST", f"/tasks/{task['id']}/take", user=DANA).status == 200
    moved = api(
        "POST",
        f"/tasks/{task['id']}/reassign",
        user=DANA,
        body={"group": "L2-db", "reason": "the export job's database is locked"},
    )
    assert moved.status == 200, moved.text
    assert moved.json["task"]["group"] == "L2-db" and moved.json["task"]["status"] == "open"
    assert moved.json["task"]["assignee"] is None

    # Then the ticket's owner is still Lena (R14), and she sees with whom the ball is and since when
    staff_view = api("GET", f"/tickets/{ticket['id']}", user=LENA).json
    assert staff_view["owner"] == "agent-lena"
    handed = [e for e in staff_view["history"] if e["type"] == "TaskReassigned"]
    assert len(handed) == 1 and handed[0]["public"] is False
    assert handed[0]["data"]["from_group"] == "L2" and handed[0]["data"]["to_group"] == "L2-db"
    assert staff_view["waiting_on"] == {
        "task_id": task["id"],
        "group": "L2-db",
        "line": "L2",
        "assignee": None,
        "since": handed[0]["at"],
    }
    owned = {t["id"]: t for t in api("GET", "/tickets?scope=owned", user=LENA).json["items"]}
    assert owned[ticket["id"]]["waiting_on"]["group"] == "L2-db"
    waiting = api("GET", "/routing/waiting", user=LENA).json["items"]
    assert [(w["id"], w["waiting_on"]["group"]) for w in waiting] == [(ticket["id"], "L2-db")]
    # and the task is in L2-db's queue, no longer in L2's
    assert task["id"] in [t["id"] for t in api("GET", "/tasks?group=L2-db", user=DANA).json["items"]]
    assert task["id"] not in [t["id"] for t in api("GET", "/tasks?group=L2", user=DANA).json["items"]]

    # and the customer's view and list did not change at all, and show no tasks or handovers
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json == customer_before
    assert api("GET", "/tickets", user=BOB).json == customer_list_before
    assert "tasks" not in customer_before and "waiting_on" not in customer_before
    assert all("waiting_on" not in t for t in customer_list_before["items"])

    # When a manager hands it to Dana in person, then Dana finishes it
    to_dana = api("POST", f"/tasks/{task['id']}/reassign", user=MARIA, body={"assignee": DANA})
    assert to_dana.status == 200 and to_dana.json["task"]["assignee"] == "agent-dev"
    assert api("GET", f"/tickets/{ticket['id']}", user=LENA).json["waiting_on"]["assignee"] == "agent-dev"
    done = api("POST", f"/tasks/{task['id']}/complete", user=DANA, body={"outcome": "unlocked"})
    assert done.status == 200
    # Then nothing is waiting any more, and the owner is still Lena
    after = api("GET", f"/tickets/{ticket['id']}", user=LENA).json
    assert after["waiting_on"] is None and after["owner"] == "agent-lena"
    assert api("GET", "/routing/waiting", user=LENA).json["items"] == []


def test_reassignments_are_published_on_the_bus(api, monkeypatch):
    published: list[tuple[str, dict]] = []
    pass

    real = bus.publish
    monkeypatch.setattr(bus, "publish", lambda t, d: (published.append((t, d)), real(t, d)))
    ticket, task = _owned_ticket_with_l2_task(api)
    assert api("POST", f"/tasks/{task['id']}/reassign", user=MARIA, body={"group": "L2-db"}).status == 200
    events = [d for t, d in published if t == "TaskReassigned"]
    assert len(events) == 1
    assert events[0]["ticket_id"] == ticket["id"] and events[0]["owner"] == "agent-lena"
    assert (events[0]["from_group"], events[0]["to_group"], events[0]["to_assignee"]) == ("L2", "L2-db", None)


# --- who may do what -----------------------------------------------------------------------------


def test_customers_may_not_use_any_routing_endpoint(api):
    _ticket, task = _owned_ticket_with_l2_task(api)
    for method, path, body in (
        ("GET", "/tasks/next", None),
        ("POST", "/tasks/next/take", None),
        ("POST", f"/tasks/{task['id']}/reassign", {"group": "L2-db"}),
        ("GET", "/routing/groups", None),
        ("PUT", "/routing/groups/L3", {"line": "L3"}),
        ("GET", "/routing/agents/agent-dev", None),
        ("PUT", "/routing/agents/agent-dev", {"groups": ["L2"]}),
        ("GET", "/routing/waiting", None),
    ):
        reply = api(method, path, user=BOB, body=body)
        assert reply.status == 403, (method, path, reply.text)
        assert reply.content_type.startswith("application/problem+json")


def test_agents_hand_over_only_their_own_tasks_and_work_only_their_groups(api):
    ticket, task = _owned_ticket_with_l2_task(api)
    # An L1 agent cannot read or take from L2's queue
    assert api("GET", "/tasks/next?group=L2", user=LENA).status == 403
    assert api("POST", "/tasks/next/take?group=L2", user=LENA).status == 403
    # Nobody but its assignee (or a manager) hands a task over: an open task is no agent's to move
    reply = api("POST", f"/tasks/{task['id']}/reassign", user=DANA, body={"group": "L2-db"})
    assert reply.status == 403 and "take it first" in reply.json["detail"]
    assert api("POST", f"/tasks/{task['id']}/take", user=DANA).status == 200
    assert api("POST", f"/tasks/{task['id']}/reassign", user=LENA, body={"group": "L1"}).status == 403
    assert api("POST", f"/tasks/{task['id']}/reassign", user=PETR, body={"group": "L1"}).status == 403
    # Agents do not change groups or agents
    assert api("PUT", "/routing/agents/agent-lena", user=DANA, body={"groups": ["L2"]}).status == 403
    assert api("PUT", "/routing/groups/L3", user=DANA, body={"line": "L3"}).status == 403
    # and the task is where it was, with the same owner
    staff_view = api("GET", f"/tickets/{ticket['id']}", user=MARIA).json
    moved = next(t for t in staff_view["tasks"] if t["id"] == task["id"])
    assert (moved["group"], moved["assignee"], staff_view["owner"]) == ("L2", "agent-dev", "agent-lena")


def test_bad_handovers_and_routing_changes_are_explained(api):
    _ticket, task = _owned_ticket_with_l2_task(api)
    cases = [
        ("POST", f"/tasks/{task['id']}/reassign", {}, 422, "group"),
        ("POST", f"/tasks/{task['id']}/reassign", {"group": "L9"}, 422, "group"),
        ("POST", f"/tasks/{task['id']}/reassign", {"group": "L2-db", "assignee": LENA}, 422, "assignee"),
        ("POST", f"/tasks/{task['id']}/reassign", {"assignee": "nobody@caseway.example"}, 422, "assignee"),
        ("POST", f"/tasks/{task['id']}/reassign", {"group": "L2"}, 409, None),
        ("POST", "/tasks/nope-12345678/reassign", {"group": "L2"}, 404, None),
        ("PUT", "/routing/agents/agent-dev", {"groups": ["L2", "L7"]}, 422, "groups"),
        ("PUT", "/routing/agents/agent-dev", {"groups": ["L2"], "line": "L9"}, 422, "line"),
        ("PUT", "/routing/agents/cust-bob", {"groups": ["L2"]}, 404, None),
        ("PUT", "/routing/groups/L3-net", {"line": "L7"}, 422, "line"),
    ]
    for method, path, body, status, field in cases:
        reply = api(method, path, user=MARIA, body=body)
        assert reply.status == status, (path, body, reply.text)
        if field:
            assert field in {e["field"] for e in reply.json["errors"]}, reply.json
    # An empty queue is an answer, not an error
    assert api("GET", "/tasks/next", user=MARIA).json["task"] is None  # Maria's own group, accounts
    assert api("GET", "/tasks/next?group=accounts", user=MARIA).json["task"] is None


def test_a_group_moved_to_another_line_re_sorts_its_open_tasks(api):
    # Given a new first-line group with two tasks: a bug first, then a VIP critical bug
    assert api("PUT", "/routing/groups/L1-vip", user=MARIA, body={"line": "L1"}).status == 200
    bob = api("POST", "/tickets", user=BOB, body=QUESTION).json
    vera = api("POST", "/tickets", user=VERA, body=QUESTION).json
    older = create_task(
        ticket_id=bob["id"], step_key="a", task_type="fix", title="A", group="L1-vip", task_token=None, priority=500
    )
    newer = create_task(
        ticket_id=vera["id"], step_key="b", task_type="fix", title="B", group="L1-vip", task_token=None, priority=900
    )
    assert api("PUT", "/routing/agents/agent-petr", user=MARIA, body={"groups": ["L1", "L1-vip"]}).status == 200
    queue = lambda: [t["id"] for t in api("GET", "/tasks?group=L1-vip", user=PETR).json["items"]]  # noqa: E731
    assert queue() == [older.task_id, newer.task_id]  # arrival
    # When the group becomes a second-line group
    assert api("PUT", "/routing/groups/L1-vip", user=MARIA, body={"line": "L2"}).json["order"] == "priority"
    # Then its queue runs by priority
    assert queue() == [newer.task_id, older.task_id]


def test_an_agent_in_two_groups_of_a_line_gets_the_best_task_of_both(api):
    # Given Dana in L2 and L2-db, a standard bug in L2 and a VIP critical bug in L2-db, created in that order
    dana = {"groups": ["L2", "L2-db"], "line": "L2"}
    assert api("PUT", "/routing/agents/agent-dev", user=MARIA, body=dana).status == 200
    bob = api("POST", "/tickets", user=BOB, body=QUESTION).json
    vera = api("POST", "/tickets", user=VERA, body=QUESTION).json
    bug = create_task(
        ticket_id=bob["id"], step_key="bug", task_type="fix", title="Bug", group="L2", task_token=None, priority=500
    )
    critical = create_task(
        ticket_id=vera["id"],
        step_key="crit",
        task_type="fix",
        title="Critical",
        group="L2-db",
        task_token=None,
        priority=900,
    )
    # Then her next task is the critical one in L2-db, and after it the bug in L2
    assert api("GET", "/tasks/next", user=DANA).json["task"]["id"] == critical.task_id
    assert api("POST", "/tasks/next/take", user=DANA).json["task"]["id"] == critical.task_id
    assert api("POST", "/tasks/next/take", user=DANA).json["task"]["id"] == bug.task_id
    assert api("GET", "/tasks/next", user=DANA).json["task"] is None
    # and her profile says where she works
    profile = api("GET", "/routing/agents/agent-dev", user=LENA).json
    assert (profile["line"], profile["groups"]) == ("L2", ["L2", "L2-db"])
