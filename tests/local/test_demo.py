"""`make run`'s demo tickets over real HTTP: `caseway local` with its demo tickets, asked as the demo users once
GET /local/demo says they are ready. Each state the demo promises is there, with the history that explains it; the
manager's figures are the sums of the time entries and tickets the demo worked; the banner names every demo user's
role, groups and organisation."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from infra.local.demo import DEMO_ORGANISATIONS, DEMO_USERS
from infra.local.demo.tickets import STATES
from tests.local.process import running_stack
from tests.local.test_scenario_local_stack import Http

LENA, DANA, MARIA = "lena.l1@caseway.example", "dev.l2@caseway.example", "maria.manager@caseway.example"
BOB, ALICE, VERA, JANA = "bob@acme.example", "alice@acme.example", "vera@globex.example", "jana@novak.example"
STAFF_SUBS = [u["sub"] for u in DEMO_USERS if u["role"].value != "customer"]


class Demo:
    def __init__(self, http: Http, lines: list[str], refs: dict[str, str]) -> None:
        self.http, self.lines, self.refs = http, lines, refs
        self.tokens: dict[str, str] = {}

    def get(self, user: str, path: str) -> Any:
        if user not in self.tokens:
            self.tokens[user] = self.http.token(user)
        status, body = self.http("GET", path, token=self.tokens[user])
        assert status == 200, (path, status, body)
        return body

    def ticket(self, key: str, user: str = LENA) -> dict[str, Any]:
        return self.get(user, f"/tickets/{self.refs[key]}")


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    with running_stack(demo_tickets=True) as (url, lines):
        http = Http(url)
        status, problem = http("GET", "/tickets")
        if status == 503:  # still preparing: one problem+json that says what to do
            assert problem["title"] == "The demo desk is being prepared" and "/local/demo" in problem["detail"]
        deadline = time.monotonic() + 600  # the machine may be busy: the demo works 25 steps through the desk
        while (progress := http("GET", "/local/demo")[1])["state"] == "preparing":
            assert time.monotonic() < deadline, progress
            time.sleep(1)
        assert progress["state"] == "ready", progress
        yield Demo(http, lines, {t["key"]: t["reference"] for t in progress["tickets"]})


def _types(ticket: dict[str, Any]) -> list[str]:
    return [e["type"] for e in ticket["history"]]


def test_the_demo_shows_what_each_of_its_tickets_is_for(demo):
    assert set(demo.refs) == set(STATES)
    progress = demo.http("GET", "/local/demo")[1]
    assert {t["key"]: t["shows"] for t in progress["tickets"]} == STATES


def test_closed_and_rated_tickets(demo):
    happy = demo.ticket("closed_rated", BOB)
    assert happy["status"] == "closed" and happy["satisfaction"]["rating"] == 5
    assert happy["resolution"] and demo.ticket("closed_rated")["preventive_measure"]  # R16, staff see it
    vip = demo.ticket("closed_low_rating", VERA)
    assert vip["status"] == "closed" and vip["classification"] == "bug"
    assert vip["satisfaction"] == {
        "rating": 2,
        "comment": "Fixed, but we re-entered 40 payments by hand while waiting.",
    }
    staff = demo.ticket("closed_low_rating")
    assert {t["type"]: t["status"] for t in staff["tasks"]} == {"classify": "done", "fix": "done", "tell": "done"}
    assert any("Fixed in 4.2.1" in m["body"] for m in vip["messages"])  # L2's note reached the customer via L1


def test_resolved_waits_for_the_automatic_close(demo):
    resolved = demo.ticket("resolved", ALICE)
    assert resolved["status"] == "resolved" and resolved["ball_side"] == "customer"
    assert resolved["next_step_at"] > datetime.now(UTC).isoformat()  # the automatic close is still ahead
    assert "TicketClosed" not in _types(resolved)


def test_waiting_for_the_customer_and_reminded(demo):
    reminded = demo.ticket("reminded", BOB)
    assert reminded["status"] == "waiting_for_customer"
    history = reminded["history"]
    went_over = max(i for i, e in enumerate(history) if e["type"] == "StatusChanged" and "waiting" in e["summary"])
    assert [e["summary"] for e in history[went_over:] if e["type"] == "ReminderSent"] == [
        "Reminder sent: we are waiting for your answer"
    ]
    mails = demo.get(MARIA, "/local/mailbox")  # the local mailbox needs no token; any user is fine
    subjects = [m["subject"] for m in mails["items"] if m["to"] == [BOB] and demo.refs["reminded"] in m["subject"]]
    assert any("Waiting for your answer" in s for s in subjects), subjects

    waiting = demo.ticket("waiting", JANA)
    assert waiting["status"] == "waiting_for_customer" and "ReminderSent" not in _types(waiting)
    assert waiting["messages"][-1]["body"].startswith("Dobrý den")


def test_at_l2_the_fix_is_taken_and_in_dana_s_queue(demo):
    ticket = demo.ticket("at_l2")
    assert ticket["status"] == "in_progress" and ticket["classification"] == "bug"
    queue = demo.get(DANA, "/tasks?group=L2")["items"]
    fix = next(t for t in queue if t["reference"] == demo.refs["at_l2"])
    assert fix["type"] == "fix" and fix["status"] == "taken" and fix["assignee"] == "agent-dev"


def test_the_breached_ticket_breached_and_raised_an_incident(demo):
    ticket = demo.ticket("breached")
    assert ticket["status"] == "new" and ticket["classification"] is None
    breaches = [e for e in ticket["history"] if e["type"] == "SlaBreached"]
    assert len(breaches) == 1 and breaches[0]["summary"] == "Reaction promise breached"
    incidents = demo.get(MARIA, "/incidents")["items"]
    mine = [i for i in incidents if i["reference"] == demo.refs["breached"]]
    assert [(i["type"], i["detail"]["clock"]) for i in mine] == [("sla_breach", "reaction")]
    # the only breach of the demo: every other ticket kept its promises
    assert [i["reference"] for i in incidents if i["type"] == "sla_breach"] == [demo.refs["breached"]]


def test_new_tickets_wait_in_the_l1_queue(demo):
    queue = demo.get(LENA, "/tasks?group=L1")["items"]
    classify = {t["reference"] for t in queue if t["type"] == "classify"}
    assert {demo.refs["new"], demo.refs["web_form"], demo.refs["breached"]} <= classify
    assert demo.ticket("new", BOB)["status"] == "new"
    assert demo.ticket("web_form")["channel"] == "web_form"
    mine = {t["reference"] for t in demo.get(BOB, "/tickets")["items"]}
    assert {demo.refs["closed_rated"], demo.refs["reminded"], demo.refs["new"]} <= mine


def test_the_manager_s_figures_are_the_demo_s_work(demo):
    figures = demo.get(MARIA, "/figures/manager")
    entries = [e for key in demo.refs for e in demo.get(LENA, f"/tickets/{demo.refs[key]}/time")["items"]]
    assert entries, "the demo logs time on its tickets"
    week = figures["plan_fact"]["week"]
    in_week = [e for e in entries if week["from"] <= e["work_date"] <= week["to"]]
    assert week["logged_minutes"] == sum(e["minutes"] for e in in_week)
    # Time per customer covers its own days (the last 30), not the week: just after midnight on a Monday the
    # demo's work started the day before, in the week before
    window = figures["time_per_customer"]
    per_org = Counter()
    for e in entries:
        if window["from"] <= e["work_date"] <= window["to"]:
            per_org[e["organisation_id"]] += e["minutes"]
    shown = {c["organisation_id"]: c["total_minutes"] for c in window["customers"]}
    assert {org: minutes for org, minutes in shown.items() if minutes} == dict(per_org)
    for sub in STAFF_SUBS:
        agent = demo.get(MARIA, f"/figures/agents/{sub}")
        assert agent["time_logged_minutes"]["week"] == sum(e["minutes"] for e in in_week if e["agent"] == sub), sub

    tickets = [demo.ticket(key) for key in demo.refs]
    statuses = Counter(t["status"] for t in tickets)
    assert figures["tickets_in_progress"] == statuses["in_progress"]
    assert figures["new_tickets_per_day"]["total"] == len(tickets)
    per_day = Counter(t["created_at"][:10] for t in tickets)  # UTC dates; the figures' days are Prague's
    assert sum(per_day.values()) == sum(d["count"] for d in figures["new_tickets_per_day"]["days"])
    assert [i["reference"] for i in figures["overdue_tickets"]["items"]] == [demo.refs["breached"]]


def test_the_banner_lists_every_demo_user_with_role_groups_and_organisation(demo):
    names = {org["org_id"]: org["name"] for org in DEMO_ORGANISATIONS}
    rows = {line.split()[0]: line for line in demo.lines if line.startswith("  ") and "@" in line.split()[0]}
    for user in DEMO_USERS:
        line = rows[user["email"]]
        role, groups = line.split()[1:3]
        assert role == user["role"].value
        assert groups == (",".join(user.get("groups") or []) or "-")
        if user.get("organisation_id"):
            assert f"{names[user['organisation_id']]} ({user['organisation_id']})" in line
            assert line.endswith(", org admin") == bool(user.get("org_admin"))
        else:
            assert line.endswith("the provider (staff)")
