"""The manager's process figures (R28) and the specialists' personal figures (R27), each checked against a
hand-computed fixture: tickets submitted on known days through the API, classified, worked and resolved
through the logic layer with a fixed clock, tasks with known due dates, and time entries written with the
keys shared/models_money.py documents. Routes are not started here (the figures hook into the logic the
routes call); tests/figures/test_figures_route.py shows the same counters fed by the real support route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.directory import people
from shared.figures import counts as figures_counts
from shared.figures import resolution as figures_resolution
from shared.money.items import TimeEntry
from shared.platform import clock, store, workflows
from shared.platform.domain import Role
from shared.platform.identity import Caller
from shared.routes import support
from shared.tasks import work as tasks
from shared.tickets import conversation, intake, lifecycle
from shared.tickets import items as ticket_items
from tests import conftest
from tests.conftest import BOB, DANA, GUS, LENA, MARIA, PETR, QUESTION, VERA, Api, DeskSetup, FixedClock

# The dashboard's day: Tuesday 24 November 2026 (Europe/Prague, UTC+1); "now" is 13:00 in Prague.
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def staff(sub: str, role: Role = Role.AGENT) -> Caller:
    return Caller(sub=sub, email=f"{sub}@caseway.example", role=role)


LENA_C, PETR_C, DANA_C, MARIA_C = (
    staff("agent-lena"),
    staff("agent-petr"),
    staff("agent-dev"),
    staff("manager-maria", Role.MANAGER),
)


def log_time(
    ticket: dict[str, Any] | str,
    agent: str,
    work_date: str,
    minutes: int,
    started_at: str | None = None,
    task_id: str | None = None,
) -> TimeEntry:
    """A time entry with exactly the keys of shared/models_money.py (its API is another feature's)."""
    found = ticket_items.get_ticket(ticket if isinstance(ticket, str) else ticket["id"])
    assert found is not None
    entry_id = store.new_id()
    entry = TimeEntry(
        ticket_items.ticket_pk(found.ticket_id),
        f"TIME#{entry_id}",
        entry_id=entry_id,
        ticket_id=found.ticket_id,
        reference=found.reference,
        task_id=task_id,
        organisation_id=found.organisation_id,
        service=found.service,
        agent_sub=agent,
        minutes=minutes,
        work_date=work_date,
        started_at=started_at,
        created_at=clock.now_iso(),
        gsi1pk=f"TIMEBY#{agent}",
        gsi1sk=f"{work_date}#{entry_id}",
        gsi2pk=f"TIMEORG#{found.organisation_id}",
        gsi2sk=f"{work_date}#{entry_id}",
    )
    entry.save()
    return entry


@dataclass
class Desk:
    api: Api
    clock: FixedClock
    t: dict[str, dict[str, Any]]
    task: dict[str, str]

    def at(self, text: str) -> None:
        self.clock.at = datetime.fromisoformat(text).replace(tzinfo=UTC)

    def submit(self, name: str, user: str, when: str, **extra: Any) -> dict[str, Any]:
        self.at(when)
        reply = self.api("POST", "/tickets", user=user, body={**QUESTION, "subject": f"Ticket {name}", **extra})
        assert reply.status == 201, reply.text
        self.t[name] = reply.json
        return reply.json

    def new_task(self, name: str, ticket: str, task_type: str, group: str, due_at: str | None) -> str:
        task = tasks.create_task(
            ticket_id=self.t[ticket]["id"],
            step_key=f"test#{name}",
            task_type=task_type,
            title=f"{task_type} {name}",
            group=group,
            task_token=None,
            due_at=due_at,
        )
        self.task[name] = task.task_id
        return task.task_id


@pytest.fixture
def desk_setup() -> DeskSetup:
    # The hand-computed history is the only time logged: no demo contracts and their imported time.
    return DeskSetup(start=NOW, clock="fixed", demo_money=False)


@pytest.fixture
def desk(desk: conftest.Desk, monkeypatch: pytest.MonkeyPatch) -> Desk:
    # The figures come from the logic layer; no route runs, so nothing else moves the tickets.
    monkeypatch.setattr(workflows, "start_route", lambda *a, **k: "arn:none")
    # The API hands the SLA met count to the route worker; here the worker's half runs at once.
    monkeypatch.setattr(
        workflows,
        "call_worker",
        lambda action, ticket_id, **p: (
            figures_resolution.resolved_from_worker({"ticket_id": ticket_id, **p})
            if action == "figures_resolved"
            else None
        ),
    )
    return Desk(desk.api, desk.clock, {}, {})


@pytest.fixture
def history(desk: Desk) -> Desk:
    """The known history the figures of Tuesday 24 November 2026 are computed from (times are UTC)."""
    d = desk
    # Submissions: two outside the 30 days (25 Oct), one on the 30th day back (26 Oct), ...
    d.submit("T0", BOB, "2026-10-25T10:00:00")
    d.submit("T0b", BOB, "2026-10-25T11:00:00")
    d.submit("T1", BOB, "2026-10-26T10:00:00")
    d.at("2026-10-27T10:00:00")
    lifecycle.resolve_ticket(LENA_C, d.t["T0b"]["id"], resolution="Done in October", preventive_measure="FAQ entry")
    # ... a bug classified 14 days back (outside), a critical bug 12 days back (inside).
    d.at("2026-11-10T10:00:00")
    support.classified(d.t["T0"]["id"], "bug", None, "agent-lena")
    d.at("2026-11-12T10:00:00")
    support.classified(d.t["T1"]["id"], "critical_bug", None, "agent-lena")
    # A task Lena closed earlier this month (planned for 10 November).
    d.at("2026-11-10T09:00:00")
    d.new_task("H", "T1", "answer", "L1", "2026-11-10T12:00:00.000Z")
    tasks.take_task(LENA_C, d.task["H"])
    tasks.complete_task(LENA_C, d.task["H"], outcome="answered", note=None)
    d.submit("T2", VERA, "2026-11-20T10:00:00")
    # 23:30 UTC on Monday is already Tuesday 00:30 in Prague: it counts on the 24th.
    d.submit("T3", BOB, "2026-11-23T23:30:00")
    d.submit("T4", BOB, "2026-11-24T08:00:00")
    d.submit("T5", GUS, "2026-11-24T08:00:00")
    d.submit("T6", BOB, "2026-11-24T08:05:00", submit=False)  # a draft does not count until it is submitted
    d.at("2026-11-24T08:10:00")
    assert d.api("POST", f"/tickets/{d.t['T6']['id']}/submit", user=BOB).status == 200
    assert d.api("POST", f"/tickets/{d.t['T6']['id']}/submit", user=BOB).status == 200  # a retried submit

    d.at("2026-11-24T08:30:00")
    support.classified(d.t["T4"]["id"], "bug", None, "agent-lena")
    support.classified(d.t["T5"]["id"], "bug", None, "agent-lena")
    support.classified(d.t["T4"]["id"], "bug", None, "agent-lena")  # a retried route step counts once
    support.classified(d.t["T3"]["id"], "question", None, "agent-petr")

    # Tasks of the day (due dates are the internal targets; Prague = UTC+1).
    d.at("2026-11-24T08:40:00")
    d.new_task("A", "T1", "fix", "L2", "2026-11-24T10:00:00.000Z")  # L2, overdue at 12:00
    d.new_task("B", "T5", "answer", "L1", "2026-11-24T15:00:00.000Z")
    d.new_task("C", "T6", "classify", "L1", "2026-11-24T22:30:00.000Z")  # 23:30 in Prague: still the 24th
    d.new_task("D", "T3", "tell", "L1", "2026-11-23T23:30:00.000Z")  # 00:30 on the 24th in Prague
    d.new_task("E", "T5", "fix", "L2", "2026-11-26T10:00:00.000Z")  # Thursday: the week, not the day
    d.new_task("F", "T1", "fix", "L2", "2026-11-20T10:00:00.000Z")  # last week's, overdue
    d.new_task("G", "T6", "approve", "managers", None)  # no due date: planned for the day it was created

    d.at("2026-11-24T09:00:00")
    tasks.take_task(DANA_C, d.task["A"])  # T1 in progress (Lena owns it since task H, R14)
    tasks.take_task(PETR_C, d.task["D"])  # T3 in progress, owned by Petr
    tasks.take_task(LENA_C, d.task["B"])  # T5 in progress, owned by Lena
    d.at("2026-11-24T10:00:00")
    tasks.complete_task(PETR_C, d.task["D"], outcome="told", note=None)
    d.at("2026-11-24T11:00:00")
    tasks.complete_task(LENA_C, d.task["B"], outcome="answered", note=None)
    reply = {"body": "Does it work now?", "internal": False, "channel": "api", "attachment_ids": []}
    conversation.add_message(LENA_C, d.t["T5"]["id"], **reply)
    d.at("2026-11-24T11:30:00")
    # Lena resolves T4 well within its promise, and T2, whose VIP reaction promise ran out on Friday.
    lifecycle.resolve_ticket(LENA_C, d.t["T4"]["id"], resolution="Fixed", preventive_measure="Regression test")
    lifecycle.resolve_ticket(LENA_C, d.t["T2"]["id"], resolution="Answered", preventive_measure="KB article")

    # Time logged (work dates in Prague).
    log_time(d.t["T5"], "agent-lena", "2026-11-24", 60, "2026-11-24T08:00:00.000Z", d.task["B"])  # Globex
    log_time(d.t["T4"], "agent-lena", "2026-11-24", 30, "2026-11-24T07:30:00.000Z")  # Acme, earlier that day
    log_time(d.t["T1"], "agent-dev", "2026-11-24", 120, "2026-11-24T09:00:00.000Z", d.task["A"])  # Acme
    log_time(d.t["T3"], "agent-lena", "2026-11-23", 45, "2026-11-23T13:00:00.000Z")  # Acme, Monday
    log_time(d.t["T2"], "agent-petr", "2026-11-20", 20, "2026-11-20T10:30:00.000Z")  # Globex, last Friday
    log_time(d.t["T1"], "agent-dev", "2026-11-17", 50, "2026-11-17T09:00:00.000Z")  # Acme, a week ago
    log_time(d.t["T1"], "agent-lena", "2026-11-02", 15, "2026-11-02T09:00:00.000Z")  # Acme, this month

    d.at("2026-11-24T12:00:00")
    return d


def _names(d: Desk, cards: list[dict[str, Any]]) -> list[str]:
    by_id = {ticket["id"]: name for name, ticket in d.t.items()}
    return sorted(by_id[c["id"]] for c in cards)


def _day(days: list[dict[str, Any]], date: str) -> dict[str, Any]:
    return next(x for x in days if x["date"] == date)


def test_new_tickets_per_day_count_submissions_in_the_plan_zone_over_30_days(history: Desk):
    figures = history.api("GET", "/figures/manager?date=2026-11-24", user=MARIA).json
    new = figures["new_tickets_per_day"]
    assert len(new["days"]) == 30
    assert new["days"][0] == {"date": "2026-10-26", "count": 1}  # 25 Oct is the 31st day back: not shown
    assert new["days"][-1] == {"date": "2026-11-24", "count": 4}  # T3 (00:30 local), T4, T5, the draft T6
    assert _day(new["days"], "2026-11-20")["count"] == 1
    assert _day(new["days"], "2026-11-23")["count"] == 0
    assert new["total"] == 6


def test_bugs_of_the_last_14_days(history: Desk):
    bugs = history.api("GET", "/figures/manager?date=2026-11-24", user=MARIA).json["bugs_last_14_days"]
    assert [d["date"] for d in bugs["days"]][:1] == ["2026-11-11"] and len(bugs["days"]) == 14
    assert _day(bugs["days"], "2026-11-12") == {"date": "2026-11-12", "bugs": 0, "critical_bugs": 1}
    assert _day(bugs["days"], "2026-11-24") == {"date": "2026-11-24", "bugs": 2, "critical_bugs": 0}
    assert bugs["total"] == 3  # T0's bug of 10 November is 15 days back; the question is no bug


def test_plan_fact_of_the_day_and_the_week(history: Desk):
    plan_fact = history.api("GET", "/figures/manager?date=2026-11-24", user=MARIA).json["plan_fact"]
    # Day: A fix 240 + B answer 60 + C classify 15 + D tell 15 + G approve 30; B and D are done.
    assert plan_fact["day"] == {
        "from": "2026-11-24",
        "to": "2026-11-24",
        "planned_tasks": 5,
        "planned_minutes": 360,
        "done_tasks": 2,
        "done_minutes": 75,
        "done_ratio": 0.4,
        "logged_minutes": 210,  # Lena 60 + 30, Dana 120
    }
    # Week Mon 23 - Sun 29: also E (fix 240, Thursday) and Lena's 45 minutes of Monday.
    assert plan_fact["week"] == {
        "from": "2026-11-23",
        "to": "2026-11-29",
        "planned_tasks": 6,
        "planned_minutes": 600,
        "done_tasks": 2,
        "done_minutes": 75,
        "done_ratio": 0.3333,
        "logged_minutes": 255,
    }


def test_open_work_in_progress_overdue_and_the_kanban(history: Desk):
    d = history
    figures = d.api("GET", "/figures/manager?date=2026-11-24", user=MARIA).json
    overdue_l2 = figures["overdue_l2_tasks"]
    assert overdue_l2["count"] == 2
    assert [t["id"] for t in overdue_l2["items"]] == [d.task["F"], d.task["A"]]  # earliest due first
    assert overdue_l2["items"][1]["assignee"] == "agent-dev"
    # T1 (Dana) and T3 (Petr) are in progress; T5 waits for Gus since Lena's reply.
    assert figures["tickets_in_progress"] == 2
    # Overdue: T0 (bug, promised by the end of October) and T1 (critical bug, promised 26 October, 13:00),
    # and T0b, resolved in October, whose automatic close is late.
    overdue = figures["overdue_tickets"]
    assert _names(d, overdue["items"]) == ["T0", "T0b", "T1"]
    assert overdue["count"] == 3
    assert overdue["by_status"] == {"new": 1, "in_progress": 1, "waiting_for_customer": 0, "resolved": 1}
    kanban = figures["kanban"]
    assert _names(d, kanban["us"]["items"]) == ["T0", "T1", "T3", "T6"]
    assert kanban["us"]["count"] == 4
    assert _names(d, kanban["customer"]["items"]) == ["T5"]
    assert kanban["customer"]["items"][0]["ball_since"] == "2026-11-24T11:00:00.000Z"
    assert kanban["customer"]["items"][0]["owner"] == "agent-lena"


def test_time_per_customer_per_day_and_the_specialists_day(history: Desk):
    figures = history.api("GET", "/figures/manager?date=2026-11-24", user=MARIA).json
    per_customer = {c["organisation_id"]: c for c in figures["time_per_customer"]["customers"]}
    assert figures["time_per_customer"]["from"] == "2026-11-18"
    assert per_customer["acme"]["minutes"] == 150  # Lena 30 + Dana 120 on the 24th
    assert per_customer["acme"]["total_minutes"] == 195  # + Lena's 45 on the 23rd; the 17th is outside
    assert _day(per_customer["acme"]["days"], "2026-11-23")["minutes"] == 45
    assert per_customer["globex"]["minutes"] == 60
    assert per_customer["globex"]["total_minutes"] == 80  # + Petr's 20 on Friday the 20th
    assert per_customer["public"]["total_minutes"] == 0

    day = {s["sub"]: s for s in figures["specialists_day"]}
    assert set(day) == {"agent-lena", "agent-petr", "agent-dev", "agent-office", "manager-maria"}
    lena = day["agent-lena"]
    assert lena["minutes"] == 90
    assert [(e["started_at"], e["minutes"], e["organisation_id"]) for e in lena["entries"]] == [
        ("2026-11-24T07:30:00.000Z", 30, "acme"),
        ("2026-11-24T08:00:00.000Z", 60, "globex"),
    ]
    assert lena["entries"][1]["task_id"] == history.task["B"]
    assert day["agent-dev"]["minutes"] == 120 and len(day["agent-dev"]["entries"]) == 1
    assert day["agent-petr"] == {**day["agent-petr"], "minutes": 0, "entries": []}


def test_personal_figures_of_a_specialist(history: Desk):
    me = history.api("GET", "/figures/me?date=2026-11-24", user=LENA).json
    assert me["sub"] == "agent-lena" and me["month"]["id"] == "2026-11"
    assert me["tasks_closed"] == {"day": 1, "month": 2}  # B today, H on the 10th
    assert me["time_logged_minutes"] == {"day": 90, "week": 135, "month": 150}
    # T4 within its promises, T2 after its reaction promise; T0b was resolved in October.
    assert me["sla_this_month"] == {"resolved": 2, "met": 1, "missed": 1, "met_ratio": 0.5}
    # Open tickets Lena owns (R14): T1 (she took its first task, H) in progress, T5 waiting for the customer,
    # T4 and T2 resolved this month, T0b resolved in October.
    assert me["owned_open_tickets"] == {"count": 5, "ball_on_our_side": 1}
    assert [e["minutes"] for e in me["day"]] == [30, 60]
    # The month in one place, for the workspace's card
    assert me["month"] == {"id": "2026-11", "tasks_closed": 2, "minutes_logged": 150, "sla_met_ratio": 0.5}

    october = history.api("GET", "/figures/me?date=2026-10-27", user=LENA).json
    assert october["sla_this_month"] == {"resolved": 1, "met": 0, "missed": 1, "met_ratio": 0.0}
    assert october["tasks_closed"] == {"day": 0, "month": 0}

    petr = history.api("GET", "/figures/me?date=2026-11-24", user=PETR).json
    assert petr["tasks_closed"] == {"day": 1, "month": 1}
    assert petr["time_logged_minutes"] == {"day": 0, "week": 0, "month": 20}
    assert petr["sla_this_month"]["met_ratio"] is None  # nothing resolved: no ratio rather than 0
    assert petr["month"] == {"id": "2026-11", "tasks_closed": 1, "minutes_logged": 20, "sla_met_ratio": None}


def test_a_task_finished_by_resolving_its_ticket_counts_for_its_assignee_and_the_resolution_for_the_owner(
    history: Desk,
):
    d = history
    tasks.take_task(DANA_C, d.task["F"])
    lifecycle.resolve_ticket(DANA_C, d.t["T1"]["id"], resolution="Patched", preventive_measure="Alerting")
    dana = d.api("GET", "/figures/me?date=2026-11-24", user=DANA).json
    assert dana["tasks_closed"] == {"day": 2, "month": 2}  # A and F, both hers when the ticket was resolved
    assert dana["sla_this_month"]["resolved"] == 0
    # R14: the owner stays responsible, so T1's resolution (promised for 26 October) is Lena's, and late.
    lena = d.api("GET", "/figures/me?date=2026-11-24", user=LENA).json
    assert lena["sla_this_month"] == {"resolved": 3, "met": 1, "missed": 2, "met_ratio": 0.3333}
    week = d.api("GET", "/figures/manager?date=2026-11-24", user=MARIA).json["plan_fact"]["week"]
    assert week["done_tasks"] == 3  # + A (due today); F was planned for last week
    assert d.api("GET", "/figures/manager?date=2026-11-20", user=MARIA).json["plan_fact"]["day"]["done_tasks"] == 1


def test_manager_reads_any_specialists_figures(history: Desk):
    lena = history.api("GET", "/figures/agents/agent-lena?date=2026-11-24", user=MARIA).json
    assert lena["tasks_closed"] == {"day": 1, "month": 2}
    assert history.api("GET", "/figures/me?date=2026-11-24", user=MARIA).json["sub"] == "manager-maria"


def test_the_date_defaults_to_today_in_the_plan_zone(desk: Desk):
    desk.at("2026-11-24T23:30:00")  # 00:30 on Wednesday in Prague
    figures = desk.api("GET", "/figures/manager", user=MARIA).json
    assert figures["date"] == "2026-11-25"
    assert figures["timezone"] == "Europe/Prague"
    assert desk.api("GET", "/figures/me", user=LENA).json["date"] == "2026-11-25"


def test_roles(desk: Desk):
    api = desk.api
    for user in (BOB, VERA):
        assert api("GET", "/figures/manager", user=user).status == 403
        assert api("GET", "/figures/me", user=user).status == 403
        assert api("GET", "/figures/agents/agent-lena", user=user).status == 403
    for user in (LENA, DANA):
        reply = api("GET", "/figures/manager", user=user)
        assert reply.status == 403
        assert "GET /figures/me" in reply.json["detail"]
    assert api("GET", "/figures/agents/agent-petr", user=LENA).status == 403
    assert api("GET", "/figures/agents/agent-lena", user=LENA).status == 200  # their own, by sub
    assert api("GET", "/figures/agents/cust-bob", user=MARIA).status == 404  # a customer has no figures
    assert api("GET", "/figures/agents/nobody", user=MARIA).status == 404
    assert api("GET", "/figures/manager").status == 401


@pytest.mark.parametrize("value", ["24.11.2026", "2026-02-30", "1999-12-31", "2026-11-24x"])
def test_a_bad_date_is_a_clear_422(api_without_aws: Api, value: str):
    reply = api_without_aws("GET", f"/figures/manager?date={value}", user=MARIA)
    assert reply.status == 422
    assert reply.content_type.startswith("application/problem+json")
    assert reply.json["errors"][0]["field"] == "date"


class ReadCounter:
    """Every DynamoDB request of the process (botocore), with how many items each read returned."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def __call__(self, original: Any) -> Any:
        counter = self

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            response = original(client, operation, params)
            if client.meta.service_model.service_name == "dynamodb":
                items = len(response.get("Items") or []) + (1 if response.get("Item") else 0)
                items += sum(len(v) for v in (response.get("Responses") or {}).values())
                counter.calls.append((operation, items))
            return response

        return make_api_call

    def measure(self, fn: Any) -> tuple[list[str], int]:
        start = len(self.calls)
        fn()
        calls = self.calls[start:]
        return sorted(op for op, _ in calls), sum(items for _, items in calls)


def _worked_and_closed(d: Desk, name: str, when: str, *, with_task: bool, minutes: int = 0) -> None:
    """A ticket's life on one day: submitted, classified a bug, (a task planned, done, time logged,) resolved,
    closed. Only through the logic layer, to keep 50 of them quick."""
    d.at(f"{when}T08:00:00")
    caller = Caller(sub="cust-bob", email=BOB, role=Role.CUSTOMER, org_id="acme")
    ticket, _, _ = intake.create_ticket(
        caller,
        service_key=QUESTION["service"],
        subject=f"Ticket {name}",
        description=QUESTION["description"],
        fields=QUESTION["fields"],
        submit=True,
        channel="api",
    )
    d.t[name] = {"id": ticket.ticket_id}
    d.at(f"{when}T08:30:00")
    support.classified(ticket.ticket_id, "bug", None, "agent-lena")
    if with_task:
        task = d.new_task(name, name, "fix", "L2", f"{when}T12:00:00.000Z")
        tasks.take_task(DANA_C, task)
        tasks.complete_task(DANA_C, task, outcome="fixed", note="Patched")
        if minutes:
            log_time(ticket.ticket_id, "agent-dev", when, minutes, f"{when}T09:00:00.000Z", task)
    lifecycle.resolve_ticket(LENA_C, ticket.ticket_id, resolution="Fixed", preventive_measure="Test")
    lifecycle.close_ticket(MARIA_C, ticket.ticket_id, reason=None)


def test_figures_read_the_same_after_50_more_tickets_were_closed(desk: Desk, monkeypatch: pytest.MonkeyPatch):
    from botocore.client import BaseClient

    counter = ReadCounter()
    monkeypatch.setattr(BaseClient, "_make_api_call", counter(BaseClient._make_api_call))
    days = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]
    # One worked ticket per day, so every counter item the reads touch exists already: Dana owns those with a
    # task (she took it), Lena the last day's, which she resolved without one.
    for n, day in enumerate(days):
        _worked_and_closed(desk, f"base{n}", day, with_task=n < 4, minutes=30)
        # Lena's day counters exist for every day too (a specialist's month is the sum of its days, one Query):
        # what she resolves below adds to them, not new items.
        store.add_together(figures_counts.agent_updates("agent-lena", date.fromisoformat(day), {"resolved": 0}))
    desk.at("2026-11-24T12:00:00")

    def read_all() -> None:
        people.forget_deactivated_cache()  # the sign-in check's list is read once per 30 s: once in both runs
        assert desk.api("GET", "/figures/manager?date=2026-11-20", user=MARIA).status == 200
        assert desk.api("GET", "/figures/me?date=2026-11-20", user=LENA).status == 200

    before = counter.measure(read_all)
    # The time entries of the days shown are read one by one (the specialists' day map lists them), so their
    # number stays the same here: what must not grow is what the closed tickets leave behind.
    for n in range(50):
        _worked_and_closed(desk, f"closed{n}", days[n % len(days)], with_task=n % 10 == 0)
    desk.at("2026-11-24T12:00:00")
    after = counter.measure(read_all)

    figures = desk.api("GET", "/figures/manager?date=2026-11-20", user=MARIA).json
    assert figures["new_tickets_per_day"]["total"] == 55 and figures["bugs_last_14_days"]["total"] == 55
    assert figures["plan_fact"]["week"]["done_tasks"] == 9  # 4 base tickets' tasks and 5 of the closed ones'
    assert figures["overdue_tickets"]["count"] == 0 and figures["kanban"]["us"]["count"] == 0
    dana = desk.api("GET", "/figures/me?date=2026-11-20", user=DANA).json
    lena = desk.api("GET", "/figures/me?date=2026-11-20", user=LENA).json
    assert dana["sla_this_month"]["resolved"] + lena["sla_this_month"]["resolved"] == 55
    # The same requests, returning the same number of items: counters, open work and the directory only.
    assert after == before
    operations, items = after
    assert "Scan" not in operations
    assert set(operations) <= {"Query", "GetItem", "BatchGetItem"}
    print(
        f"figures reads: {len(operations)} requests {dict((op, operations.count(op)) for op in set(operations))}, "
        f"{items} items, with 5 or 55 closed tickets"
    )


def test_sla_met_ratio_and_satisfaction_per_week(history: Desk):
    """R18, R30: per ISO week, the tickets resolved within every promise and what the customers said."""
    d = history
    d.at("2026-11-24T12:30:00")
    for ticket, user, rating, comment in (("T4", BOB, 2, "Slow and curt."), ("T2", VERA, 5, None)):
        assert d.api("POST", f"/tickets/{d.t[ticket]['id']}/close", user=user, body={}).status == 200
        body = {"rating": rating, "comment": comment}
        assert d.api("POST", f"/tickets/{d.t[ticket]['id']}/feedback", user=user, body=body).status == 200
    assert d.api("POST", f"/tickets/{d.t['T4']['id']}/feedback", user=BOB, body={"rating": 1}).status == 409
    weeks = d.api("GET", "/figures/manager?date=2026-11-24", user=MARIA).json["quality_per_week"]
    assert [w["from"] for w in weeks][-3:] == ["2026-11-09", "2026-11-16", "2026-11-23"] and len(weeks) == 8
    this = weeks[-1]
    # T4 within its promises, T2 after its reaction promise ran out.
    assert {k: this[k] for k in ("resolved", "sla_met", "sla_missed", "sla_met_ratio")} == {
        "resolved": 2,
        "sla_met": 1,
        "sla_missed": 1,
        "sla_met_ratio": 0.5,
    }
    assert this["rated"] == 2 and this["average_rating"] == 3.5
    assert this["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert [(r["reference"], r["rating"], r["comment"]) for r in this["low_ratings"]] == [
        (d.t["T4"]["reference"], 2, "Slow and curt.")
    ]
    # T0b was resolved on 27 October, after its promise: the week of 26 October; no other week has anything.
    october = weeks[3]
    assert october["from"] == "2026-10-26" and (october["resolved"], october["sla_met_ratio"]) == (1, 0.0)
    others = weeks[:3] + weeks[4:-1]
    assert all(w["resolved"] == 0 and w["rated"] == 0 and w["average_rating"] is None for w in others)
    assert weeks[0]["sla_met_ratio"] is None and weeks[0]["from"] == "2026-10-05"
