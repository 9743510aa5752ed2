"""The figures fed by the real support route (R7 on moto's interpreter, virtual clock): a critical bug
classified by L1, fixed by L2, told by L1 and resolved, counted on the dashboard and in personal figures."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import BOB, DANA, LENA, MARIA, QUESTION, finish_task, route_task


def test_a_critical_bug_through_the_route_is_counted_once_everywhere(desk):
    api, vc = desk
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")
    vc.advance_to(datetime(2026, 11, 23, 8, 5, tzinfo=UTC))
    finish_task(api, LENA, classify, "critical_bug", note="Export crashes")
    fix = route_task(api, "L2", DANA, ticket["id"], "fix")

    # While L2 works on it: in progress, on our side, and the fix is due at 09:40 Prague.
    figures = api("GET", "/figures/manager?date=2026-11-23", user=MARIA).json
    assert figures["tickets_in_progress"] == 1
    assert [c["id"] for c in figures["kanban"]["us"]["items"]] == [ticket["id"]]
    assert figures["overdue_l2_tasks"]["count"] == 0
    vc.advance_to(datetime(2026, 11, 23, 8, 50, tzinfo=UTC))  # 09:50 Prague: the fix's internal target passed
    figures = api("GET", "/figures/manager?date=2026-11-23", user=MARIA).json
    assert [t["id"] for t in figures["overdue_l2_tasks"]["items"]] == [fix["id"]]

    finish_task(api, DANA, fix, "fixed", note="Patched")
    tell = route_task(api, "L1", LENA, ticket["id"], "tell")
    finish_task(api, LENA, tell, "told")
    reply = api(
        "POST",
        f"/tickets/{ticket['id']}/resolve",
        user=LENA,
        body={"resolution": "Exporter patched", "preventive_measure": "Export regression test"},
    )
    assert reply.status == 200, reply.text

    figures = api("GET", "/figures/manager?date=2026-11-23", user=MARIA).json
    assert figures["new_tickets_per_day"]["days"][-1] == {"date": "2026-11-23", "count": 1}
    assert figures["bugs_last_14_days"]["days"][-1] == {"date": "2026-11-23", "bugs": 0, "critical_bugs": 1}
    # Planned for the day: classify 15 + fix 240 + tell 15 minutes, all three done.
    day = figures["plan_fact"]["day"]
    assert (day["planned_tasks"], day["planned_minutes"], day["done_tasks"], day["done_ratio"]) == (3, 270, 3, 1.0)
    assert figures["overdue_l2_tasks"]["count"] == 0 and figures["tickets_in_progress"] == 0

    lena = api("GET", "/figures/me?date=2026-11-23", user=LENA).json
    assert lena["tasks_closed"] == {"day": 2, "month": 2}  # classify and tell
    # Resolved at 09:50 Prague, promised by 11:00: met.
    assert lena["sla_this_month"] == {"resolved": 1, "met": 1, "missed": 0, "met_ratio": 1.0}
    assert api("GET", "/figures/me?date=2026-11-23", user=DANA).json["tasks_closed"]["day"] == 1
