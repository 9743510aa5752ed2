"""The manager console in a browser (issue 14, R24, R28): the dashboard shows the same numbers as GET
/figures/manager and draws every chart; an incident is acknowledged and resolved, the navigation's count follows;
a service added on the catalog page is used by a customer; every console page passes axe; an invoice is prepared
and downloaded as CSV; an article is edited and its history opened; an agent and a customer opening a console page
are told it is not for them."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Browse
from tests.web.portal import BOB, LENA, QUESTION, call, open_from_nav

pytestmark = pytest.mark.scenario

MARIA = "maria.manager@caseway.example"


def _digits(text: str) -> str:
    """A number as the page writes it ("1,020 min", "85%", "3.5") without its grouping and unit."""
    return re.sub(r"[^0-9.]", "", text.replace(",", ""))


def _settled_figures(web: Browse) -> dict[str, Any]:
    """GET /figures/manager once two reads a second apart agree (the routes of new tickets have done their steps)."""
    before: dict[str, Any] | None = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = call(web, "GET", "/figures/manager", MARIA)
        now.pop("as_of")
        if now == before:
            return now
        before = now
        time.sleep(1)
    raise AssertionError("the figures kept changing for 30 s")


def _row(web: Browse, table: Any, header: str) -> list[str]:
    """The cells of the row whose header is `header` (exactly)."""
    row = table.get_by_role("row").filter(has=web.page.get_by_role("rowheader", name=header, exact=True))
    return [c.strip() for c in row.get_by_role("cell").all_inner_texts()]


def _drawn(canvas: Any) -> int:
    """How many pixels of the canvas are not blank (alpha > 0)."""
    return canvas.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
        " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
    )


def test_the_dashboard_shows_the_figures_of_the_api_and_draws_every_chart(web):
    # A little history beside the demo's: two new tickets today (new tickets per day, the kanban, the plan).
    for subject in ("Printer offline", "Report totals wrong"):
        call(web, "POST", "/tickets", BOB, {**QUESTION, "subject": subject})
    # ... and one resolved, closed and rated 2 with a comment (SLA met and satisfaction of this week).
    rated = call(web, "POST", "/tickets", BOB, {**QUESTION, "subject": "Slow answer"})
    resolve = {"resolution": "Answered by phone", "preventive_measure": "FAQ entry"}
    call(web, "POST", f"/tickets/{rated['id']}/resolve", LENA, resolve)
    call(web, "POST", f"/tickets/{rated['id']}/close", BOB, {})
    call(web, "POST", f"/tickets/{rated['id']}/feedback", BOB, {"rating": 2, "comment": "It took three days."})
    figures = _settled_figures(web)
    web.sign_in(MARIA)
    open_from_nav(web, "Dashboard")
    page = web.page
    page.get_by_role("heading", name="Process dashboard", level=1).wait_for()
    glance = page.get_by_role("table", name="At a glance")
    glance.wait_for()
    assert call(web, "GET", "/figures/manager", MARIA) | {"as_of": None} == figures | {"as_of": None}
    week = figures["quality_per_week"][-1]
    expected = {
        "Tickets in progress": figures["tickets_in_progress"],
        "Overdue tickets (should be 0)": figures["overdue_tickets"]["count"],
        "Overdue L2 tasks": figures["overdue_l2_tasks"]["count"],
        "Bugs in the last 14 days": figures["bugs_last_14_days"]["total"],
        "New tickets in the last 30 days": figures["new_tickets_per_day"]["total"],
        "Our move": figures["kanban"]["us"]["count"],
        "Customer's move": figures["kanban"]["customer"]["count"],
    }
    assert figures["new_tickets_per_day"]["total"] >= 2 and figures["kanban"]["us"]["count"] >= 2
    for label, value in expected.items():
        assert _row(web, glance, label) == [str(value)], label
    assert week["rated"] >= 1 and week["resolved"] >= 1
    assert {"reference": rated["reference"], "rating": 2, "comment": "It took three days."}.items() <= next(
        r for r in week["low_ratings"] if r["ticket_id"] == rated["id"]
    ).items()
    comments = page.get_by_role("list").filter(has_text="It took three days.")
    assert comments.get_by_role("listitem").filter(has_text=rated["reference"]).count() == 1
    ratio = week["sla_met_ratio"]
    assert _row(web, glance, "SLA met this week") == ["—" if ratio is None else f"{round(ratio * 100)}%"]
    rating = week["average_rating"]
    assert _row(web, glance, "Average rating this week") == ["—" if rating is None else f"{rating:g}"]

    plan = page.get_by_role("table", name="Plan and fact")
    for header, key in (("The day", "day"), (re.compile(r"^The week"), "week")):
        row = plan.get_by_role("row").filter(has=page.get_by_role("rowheader", name=header))
        cells = [_digits(c) for c in row.get_by_role("cell").all_inner_texts()]
        p = figures["plan_fact"][key]
        assert cells[:2] + cells[3:] == [
            str(p["planned_tasks"]),
            str(p["done_tasks"]),
            str(p["planned_minutes"]),
            str(p["done_minutes"]),
            str(p["logged_minutes"]),
        ], key
    customers = page.get_by_role("table", name="Time per customer: the day and the last 7 days")
    for customer in figures["time_per_customer"]["customers"]:
        cells = [_digits(c) for c in _row(web, customers, customer["name"])]
        assert cells == [str(customer["minutes"]), str(customer["total_minutes"])], customer["name"]
    specialists = page.get_by_role("table", name="Specialists' day")
    for person in figures["specialists_day"]:
        assert _digits(_row(web, specialists, person["name"])[0]) == str(person["minutes"]), person["name"]
        for entry in person["entries"]:
            assert entry["reference"] in _row(web, specialists, person["name"])[1]
    for side, name in (("us", "Our move"), ("customer", "Customer's move")):
        column = page.get_by_role("region", name=name, exact=True)
        assert column.get_by_role("listitem").count() == figures["kanban"][side]["count"]
        for card in figures["kanban"][side]["items"]:
            assert column.get_by_role("listitem").filter(has_text=card["reference"]).count() == 1
    weeks = page.get_by_role("table", name="Weeks: SLA met and the customers' ratings")
    assert weeks.get_by_role("row").count() == 1 + len(figures["quality_per_week"])
    # A chart's data under "Show the data" is the API's: the new tickets per day.
    new_figure = page.locator("figure[data-chart=new-tickets]")
    new_figure.get_by_text("Show the data: New tickets per day").click()
    shown = [int(_digits(c)) for c in new_figure.get_by_role("cell").all_inner_texts()]
    assert shown == [d["count"] for d in figures["new_tickets_per_day"]["days"]]

    charts = page.locator("figure.chart")
    names = charts.evaluate_all("fs => fs.map(f => f.dataset.chart)")
    assert names == ["plan-fact", "new-tickets", "bugs", "customer-time", "sla-met", "satisfaction"]
    for name in names:
        canvas = page.locator(f"figure[data-chart={name}] canvas")
        assert canvas.get_attribute("role") == "img" and canvas.get_attribute("aria-label"), name
        assert _drawn(canvas) > 500, f"the {name} chart is blank"
    assert web.axe() == []
    web.screenshot("dashboard")


def test_incidents_are_handled_and_a_new_service_reaches_the_customer(web, browse):
    open_incidents = call(web, "GET", "/incidents?status=open", MARIA)["items"]
    assert open_incidents, "the demo raises incidents (limits used up to 80 %)"
    count = len(open_incidents)
    web.sign_in(MARIA)
    page = web.page
    # The manager's navigation in two labelled groups inside the main one: Workspace and Console
    main_nav = page.get_by_role("navigation", name="Main")
    nav = main_nav.get_by_role("navigation", name="Console")
    assert main_nav.get_by_role("navigation", name="Workspace").get_by_role("link", name="Queue").is_visible()
    assert nav.get_by_role("link", name="Queue").count() == 0
    nav.get_by_role("link", name=f"Incidents {count} open").click()
    page.get_by_role("heading", name="Incidents", level=1).wait_for()
    first = open_incidents[0]
    card = page.get_by_role("article", name=first["title"])
    card.get_by_label("Note (optional)").fill("Talking to the customer about more hours")
    card.get_by_role("button", name="Acknowledge").click()
    page.get_by_role("status").filter(has_text=f"Acknowledged: {first['title']}").wait_for()
    card.get_by_text("Acknowledged", exact=True).first.wait_for()
    assert (
        next(i for i in call(web, "GET", "/incidents?status=open", MARIA)["items"] if i["id"] == first["id"])["status"]
        == "acknowledged"
    )
    assert web.axe() == []
    card.get_by_role("button", name="Resolve").click()
    page.get_by_role("status").filter(has_text=f"Resolved: {first['title']}").wait_for()
    nav.get_by_role("link", name=f"Incidents {count - 1} open").wait_for()
    assert first["id"] not in [i["id"] for i in call(web, "GET", "/incidents?status=open", MARIA)["items"]]
    # The console speaks Czech: the incidents page, its navigation groups and count
    page.get_by_label("Language").select_option("cs")
    page.get_by_role("heading", name="Incidenty", level=1).wait_for()
    czech_nav = page.get_by_role("navigation", name="Hlavní").get_by_role("navigation", name="Konzole")
    czech_nav.get_by_role("link", name=re.compile(rf"^Incidenty {count - 1} otevřen(ý|é|ých)$")).wait_for()
    assert page.get_by_role("navigation", name="Pracoviště").get_by_role("link", name="Fronta").is_visible()
    assert web.axe() == []
    web.screenshot("incidents-cs")
    page.get_by_label("Jazyk").select_option("en")
    page.get_by_role("heading", name="Incidents", level=1).wait_for()

    # The catalog: a new service with one required question, served by L1.
    open_from_nav(web, "Catalog")
    page.get_by_role("heading", name="Service catalog", level=1).wait_for()
    assert web.axe() == []
    page.get_by_role("link", name="Add a service").click()
    page.get_by_role("heading", name="New service", level=1).wait_for()
    page.get_by_label("Key", exact=True).fill("data-export")
    page.get_by_label("Title", exact=True).fill("Data export")
    page.get_by_label("Description for customers").fill("A copy of your data, exported for you.")
    page.get_by_role("checkbox", name="L1 (L1)").check()
    page.get_by_label("What is the problem? Describe it").select_option("required")
    assert web.axe() == []
    page.get_by_role("button", name="Save the service").click()
    page.get_by_role("heading", name="Service: Data export", level=1).wait_for()
    page.get_by_role("status").filter(has_text="Saved: Data export").wait_for()
    assert page.url.endswith("/app/console/catalog/data-export")

    customer = browse()
    customer.sign_in(BOB)
    open_from_nav(customer, "New ticket")
    customer.page.get_by_role("link", name="Data export").click()
    customer.page.get_by_role("heading", name="Data export", level=1).wait_for()
    customer.page.get_by_label("Subject, in a few words").fill("Export of our 2026 tickets")
    customer.page.get_by_label("What is the problem? Describe it").fill("We need every ticket of 2026 as a file.")
    customer.page.get_by_role("button", name="Send the ticket").click()
    heading = customer.page.get_by_role("heading", level=1, name=re.compile(r"^CW-\d+: Export of our 2026 tickets$"))
    heading.wait_for()
    reference = heading.inner_text().split(":", 1)[0]
    ticket = call(customer, "GET", f"/tickets/{reference}", MARIA)
    assert ticket["service"] == "data-export"


def test_every_console_page_passes_axe_invoices_download_as_csv_and_articles_keep_their_history(web, browse):
    web.sign_in(MARIA)
    page = web.page
    for link, heading in (
        ("Groups and agents", "Groups and agents"),
        ("Contracts", "Contracts and limits"),
    ):
        open_from_nav(web, link)
        page.get_by_role("heading", name=heading, level=1).wait_for()
        page.get_by_role("table").first.wait_for()
        assert web.axe() == [], link
    # Groups and agents: Lena gets a skill; the group and the invitation pages.
    open_from_nav(web, "Groups and agents")
    page.get_by_role("link", name="Lena (L1)").click()
    page.get_by_role("heading", name="Lena (L1)", level=1).wait_for()
    page.get_by_label("Skills (separated by commas)").fill("billing, databases")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="Saved Lena (L1)'s groups.").wait_for()
    assert call(web, "GET", "/routing/agents/agent-lena", MARIA)["skills"] == ["billing", "databases"]
    assert web.axe() == []
    page.get_by_role("link", name="Back to groups and agents").click()
    page.get_by_role("link", name="L2-db").click()
    page.get_by_role("heading", name="Group L2-db", level=1).wait_for()
    page.get_by_label("Description").wait_for()
    assert web.axe() == []
    page.get_by_role("link", name="Back to groups and agents").click()
    page.get_by_role("link", name="Invite a person").click()
    page.get_by_role("heading", name="Invite a person", level=1).wait_for()
    page.get_by_role("checkbox", name="L1 (L1)").wait_for()
    assert web.axe() == []

    open_from_nav(web, "Contracts")
    page.get_by_role("link", name="Acme Manufacturing").click()
    page.get_by_role("heading", name="Contract of acme", level=1).wait_for()
    page.get_by_label("How many licence keys the organisation may hold").wait_for()
    assert web.axe() == []
    # Saved unchanged, the contract stays as it was: the form carries every field the API has.
    before = call(web, "GET", "/contracts/acme", MARIA)
    page.get_by_label("Price of one specialist hour").fill("90")
    page.get_by_role("button", name="Save the contract").click()
    page.get_by_role("status").filter(has_text="The contract is saved.").wait_for()
    after = call(web, "GET", "/contracts/acme", MARIA)
    changing = ("updated_at", "usage", "rate_per_hour")
    assert {k: v for k, v in after.items() if k not in changing} == {
        k: v for k, v in before.items() if k not in changing
    }
    assert after["rate_per_hour"] == "90.00"

    open_from_nav(web, "Invoices")
    page.get_by_role("heading", name="Invoices", level=1).wait_for()
    form = page.get_by_role("form", name="Prepare an invoice")
    form.get_by_label("Organisation").select_option("acme")
    form.get_by_label("Period").fill("2026-10")
    form.get_by_role("button", name="Prepare the draft").click()
    page.get_by_role("status").filter(has_text="Prepared invoice acme-2026-10.").wait_for()
    page.get_by_role("button", name="Mark sent: acme-2026-10").click()
    page.get_by_role("status").filter(has_text="acme-2026-10: Sent").wait_for()
    assert web.axe() == []
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV: download acme-2026-10").click()
    assert download.value.suggested_filename == "acme-2026-10.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    invoice = call(web, "GET", "/invoices/acme-2026-10", MARIA)
    assert invoice["status"] == "sent"
    lines = text.splitlines()
    header = "invoice,organisation,period,service,tickets,billable_minutes,hours,rate_per_hour,amount,currency"
    assert lines[0] == header
    rows = [line.split(",") for line in lines[1:]]
    assert [(r[3], r[8]) for r in rows] == [
        *((line["service"], line["amount"]) for line in invoice["lines"]),
        ("TOTAL", invoice["amount"]),
    ]

    open_from_nav(web, "Articles")
    page.get_by_role("heading", name="Knowledge-base articles", level=1).wait_for()
    assert web.axe() == []
    page.get_by_role("link", name="Exporting a report to CSV").click()
    page.get_by_role("heading", name="Article: Exporting a report to CSV", level=1).wait_for()
    page.get_by_label("Text", exact=True).fill("Open the report, choose **Export**, then *CSV*.")
    page.get_by_label("What changed").fill("Shorter")
    page.get_by_role("button", name="Save a new version").click()
    said = page.get_by_role("status").filter(has_text="Saved as version 2.").or_(page.get_by_role("alert"))
    said.wait_for()
    assert said.inner_text() == "Saved as version 2."
    history = page.get_by_role("table", name="Version history")
    history.get_by_role("link", name="Version 1").click()
    page.get_by_role("heading", name="Exporting a report to CSV, version 1", level=1).wait_for()
    assert "100 000 rows" in page.locator("pre.source").inner_text()
    assert page.url.endswith("/app/console/kb/kb-export-report-to-csv/versions/1")
    assert web.axe() == []

    # An agent and a customer opening a console page within their visit: told it is not for them.
    for who, path in ((LENA, "/app/console"), (BOB, "/app/console/catalog")):
        other = browse()
        other.sign_in(who)
        other.page.evaluate(f"history.pushState(null, '', '{path}'); dispatchEvent(new PopStateEvent('popstate'))")
        other.page.get_by_role("heading", name="Not allowed", level=1).wait_for()
        assert other.page.title() == "Not allowed · Caseway"
        assert other.page.get_by_role("link", name="Dashboard").count() == 0
        assert other.axe() == []
