"""The agent workspace in a browser (issue 14): L1 takes the next task and classifies the ticket with an outcome
button, L2 finds it above an older bug and completes the fix with a note, L1 sees that note on the "tell the
customer" task, replies and resolves with a preventive measure, the customer reads the answer in the portal and
gets "not allowed" at a workspace address; two agents on one ticket see each other before replying, and the SLA
explanation of the ticket paused with the customer lists the pause; a manager registers a phone ticket, filters
the open tickets and reads their month. axe on every page. One local stack for all (tests/web/conftest.py)."""

from __future__ import annotations

import re
import time

import pytest

from tests.web.portal import BOB, LENA, PNG, QUESTION, VERA, call, open_from_nav, sign_in_here

pytestmark = pytest.mark.scenario

PETR = "petr.l1@caseway.example"  # L1 agent
DEV = "dev.l2@caseway.example"  # L2 agent
MARIA = "maria.manager@caseway.example"


def _open_ticket(web, customer: str, subject: str) -> str:
    """A customer's question through the API; its reference."""
    return call(web, "POST", "/tickets", customer, {**QUESTION, "subject": subject})["reference"]


def _task(web, reference: str, task_type: str, agent: str = PETR, timeout: float = 15.0) -> dict:
    """The ticket's task of this type, once its route created it (the route runs beside the API)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [t for t in call(web, "GET", f"/tickets/{reference}", agent)["tasks"] if t["type"] == task_type]
        if found:
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"{reference} has no {task_type} task")


def _classify(web, reference: str, outcome: str, agent: str = PETR) -> None:
    """Through the API: `agent` takes the ticket's classify task and completes it with `outcome`."""
    task = _task(web, reference, "classify", agent)
    call(web, "POST", f"/tasks/{task['id']}/take", agent)
    call(web, "POST", f"/tasks/{task['id']}/complete", agent, {"outcome": outcome})


def _leave_only(web, reference: str, group: str = "L1") -> None:
    """Petr takes every other open task of the group, so that "Next task" has exactly ours to give."""
    for task in call(web, "GET", f"/tasks?group={group}&limit=100", PETR)["items"]:
        if task["reference"] != reference and task["status"] == "open":
            call(web, "POST", f"/tasks/{task['id']}/take", PETR)


def _row(page, table_region: str, reference: str):
    return (
        page.get_by_role("region", name=table_region)
        .get_by_role("row")
        .filter(has=page.get_by_role("link", name=reference, exact=True))
    )


def test_l1_classifies_l2_fixes_l1_tells_and_resolves_the_customer_reads_it(web, browse):
    older_bug = _open_ticket(web, BOB, "Report totals are off by one")
    _classify(web, older_bug, "bug")
    reference = _open_ticket(web, VERA, "Payments export crashes")  # Globex: a VIP organisation
    _task(web, reference, "classify")
    _leave_only(web, reference)

    # L1 takes the next task: the queue's "Next task" opens the ticket, the outcome button classifies it
    web.sign_in(LENA)
    open_from_nav(web, "Queue")
    page = web.page
    page.get_by_role("heading", name="My queues", level=1).wait_for()
    queued = _row(page, re.compile(r"^L1: "), reference)
    queued.get_by_text("Classify the request").wait_for()
    # The SLA badge: the customer's reaction promise and the internal target side by side, each counting down
    badge = queued.locator(".sla-pair").inner_text()
    assert re.search(r"Reaction: On time · \d+ h \d\d min", badge), badge
    assert re.search(r"Internal target: On time · \d+ h \d\d min", badge), badge
    # The navigation: the workspace's links in their own labelled group
    workspace_nav = page.get_by_role("navigation", name="Workspace")
    assert workspace_nav.get_by_role("link").all_inner_texts()[:2] == ["Queue", "Ticket views"]
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").is_visible()
    assert web.axe() == []
    web.screenshot("queue")
    page.get_by_role("button", name="Next task").click()
    page.get_by_role("heading", name=f"{reference}: Payments export crashes", level=1).wait_for()
    current = page.get_by_role("region", name="Current task: Classify the request")
    outcomes = current.get_by_role("group", name="Complete with the outcome")
    assert outcomes.get_by_role("button").all_inner_texts() == ["Question", "Bug", "Critical bug", "Improvement"]
    assert web.axe() == []
    web.screenshot("workspace-classify")

    # The shortcuts: ? lists them; r goes to the reply box, where typing "n" is text, not "next task"
    page.keyboard.press("?")
    help_overlay = page.get_by_role("dialog", name="Keyboard shortcuts")
    help_overlay.wait_for()
    assert help_overlay.get_by_role("row", name=re.compile(r"^n Take the next task")).is_visible()
    assert web.axe() == []
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    reply_box = page.get_by_label("Public reply (the customer reads it)")
    assert reply_box.evaluate("e => e === document.activeElement")
    page.keyboard.type("n")
    assert reply_box.input_value() == "n"
    assert page.get_by_role("heading", name=f"{reference}: Payments export crashes", level=1).is_visible()
    reply_box.fill("")

    reply_box.evaluate("e => e.blur()")
    page.keyboard.press("c")  # out of the field: to the current task's outcomes
    assert web.focused() == "Question"
    outcomes.get_by_role("button", name="Critical bug", exact=True).click()
    page.get_by_role("status").filter(has_text="The task is completed.").wait_for()
    tasks = page.get_by_role("region", name="Tasks of the ticket")
    tasks.get_by_role("row").filter(has_text="Fix the bug").wait_for()

    # L2: the VIP critical bug is above the older bug; the fix is completed with its (required) note
    l2 = browse()
    l2.sign_in(DEV)
    open_from_nav(l2, "Queue")
    queue = l2.page.get_by_role("region", name=re.compile(r"^L2: "))
    queue.get_by_role("link", name=older_bug, exact=True).wait_for()
    order = [link for link in queue.get_by_role("link").all_inner_texts() if link in (reference, older_bug)]
    assert order == [reference, older_bug]
    queue.get_by_role("link", name=reference, exact=True).click()
    fix = l2.page.get_by_role("region", name="Current task: Fix the bug")
    fix.get_by_role("button", name="Take this task").click()
    complete = fix.get_by_role("button", name="Complete the task")
    complete.wait_for()
    assert complete.is_disabled()  # a fix needs its note
    # Meanwhile the owner's views: the ticket is among mine, and on the waiting board with L2
    open_from_nav(web, "Ticket views")
    page.get_by_role("heading", name="My tickets", level=1).wait_for()
    mine = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference, exact=True))
    assert mine.get_by_role("cell").nth(3).inner_text() == "Ours"
    page.get_by_role("navigation", name="Views").get_by_role("link", name="Waiting on another line").click()
    page.wait_for_url(re.compile(r"/app/desk/tickets\?view=waiting$"))
    waiting = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference, exact=True))
    waiting.wait_for()
    assert "L2" in waiting.get_by_role("cell").nth(3).inner_text()
    assert web.axe() == []

    fix.get_by_label("Note (required)").fill("Fixed in 4.2.1")
    complete.click()
    l2.page.get_by_role("status").filter(has_text="The task is completed.").wait_for()

    # L1 sees L2's note on the "tell the customer" task, replies, resolves with a preventive measure
    open_from_nav(web, "Queue")
    _row(page, re.compile(r"^L1: "), reference).get_by_role("link", name=reference).click()
    tell = page.get_by_role("region", name="Current task: Tell the customer the outcome")
    note = tell.get_by_role("complementary", name="Note from L2")
    note.get_by_text("Fixed in 4.2.1").wait_for()
    assert note.get_by_text(re.compile(r"^Dana \(L2\) · ")).is_visible()
    tell.get_by_role("button", name="Take this task").click()
    page.get_by_role("status").filter(has_text="The task is yours.").wait_for()
    page.get_by_label("Public reply (the customer reads it)").fill("The crash is fixed in version 4.2.1.")
    reply = page.get_by_role("region", name="Reply to the customer")
    reply.get_by_label("Attach files").set_input_files(
        {"name": "release-4.2.1.png", "mimeType": "image/png", "buffer": PNG}
    )
    reply.get_by_role("listitem").filter(has_text="release-4.2.1.png").wait_for()
    page.get_by_role("button", name="Send the reply").click()
    page.get_by_role("status").filter(has_text="The reply is sent to the customer.").wait_for()
    page.get_by_label("Internal note (staff only)").fill("Customer on 4.1; upgrade path checked.")
    page.get_by_role("button", name="Add the note").click()
    page.get_by_role("status").filter(has_text="The internal note is added.").wait_for()
    conversation = page.get_by_role("region", name="Conversation")
    assert (
        conversation.get_by_role("listitem")
        .filter(has_text="upgrade path checked")
        .get_by_text("Internal note")
        .is_visible()
    )
    assert (
        conversation.get_by_role("listitem")
        .filter(has_text="fixed in version 4.2.1")
        .get_by_text("Public", exact=True)
        .is_visible()
    )
    page.get_by_label("How it was solved").fill("Fixed the export's currency rounding in 4.2.1.")
    page.get_by_label("Preventive measure").fill("A regression test for every currency in the export.")
    # The cited article is picked from the knowledge base's search, not typed
    page.get_by_label("Find an article to cite").fill("export csv")
    page.get_by_role("list", name="Articles found").get_by_role("button", name="Cite Exporting a report to CSV").click()
    cited = page.get_by_role("list", name="Cited articles")
    cited.get_by_text("Exporting a report to CSV").wait_for()
    assert cited.get_by_role("button", name="Remove Exporting a report to CSV").is_visible()
    assert web.axe() == []
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.get_by_role("status").filter(has_text="The ticket is resolved").wait_for()
    assert page.locator("dl.facts").get_by_text("Resolved", exact=True).is_visible()
    assert web.axe() == []
    web.screenshot("workspace-resolved")

    # The customer reads the answer in the portal; a workspace address is not for them
    customer = browse()
    customer.goto(f"/app/tickets/{reference}")
    sign_in_here(customer, VERA)
    customer.page.get_by_role("heading", name=f"{reference}: Payments export crashes", level=1).wait_for()
    customer.page.get_by_text("The crash is fixed in version 4.2.1.").wait_for()
    customer.page.get_by_text("Fixed the export's currency rounding in 4.2.1.").wait_for()
    assert customer.page.get_by_role("link", name="Exporting a report to CSV").is_visible()
    assert customer.page.get_by_role("button", name=re.compile(r"^Download release-4\.2\.1\.png")).is_visible()
    assert customer.page.get_by_text("upgrade path checked").count() == 0
    customer.page.evaluate(
        "history.pushState(null, '', '/app/desk/tickets/"
        + reference
        + "'); dispatchEvent(new PopStateEvent('popstate'))"
    )
    customer.page.get_by_role("heading", name="Not allowed", level=1).wait_for()
    assert customer.page.title() == "Not allowed · Caseway"
    assert customer.axe() == []
    customer.screenshot("not-allowed")


def _round_the_clock_ticket(web, subject: str) -> str:
    """A classified question of an organisation whose calendar never closes (its SLA clock runs on any day the
    test runs); its reference."""
    call(
        web,
        "PUT",
        "/sla/calendars/round-the-clock",
        MARIA,
        {"title": "Round the clock", "timezone": "UTC", "always_open": True},
    )
    call(
        web,
        "PUT",
        "/organisations/nightshift",
        MARIA,
        {"name": "Night Shift Ltd", "email_domains": ["nightshift.example"], "calendar": "round-the-clock"},
    )
    on_behalf = {"organisation_id": "nightshift", "requester": "nina@nightshift.example", "name": "Nina"}
    body = {**QUESTION, "subject": subject, "channel": "phone", "on_behalf": on_behalf}
    reference = call(web, "POST", "/tickets", MARIA, body)["reference"]
    _classify(web, reference, "question")
    return reference


def test_two_agents_on_one_ticket_see_each_other_before_replying_the_pause_is_explained(web, browse):
    reference = _round_the_clock_ticket(web, "Login page loops")
    saved = {
        "en": "Hello {customer_name}, which browser shows {reference}'s problem?",
        "cs": "Dobrý den, {customer_name}.",
    }
    call(web, "POST", "/replies", MARIA, {"group": "L1", "title": "Which browser", "texts": saved})
    web.goto(f"/app/desk/tickets/{reference}")
    sign_in_here(web, LENA)
    web.page.get_by_role("heading", name=f"{reference}: Login page loops", level=1).wait_for()
    other = browse()
    other.goto(f"/app/desk/tickets/{reference}")
    sign_in_here(other, PETR)
    other.page.get_by_role("heading", name=f"{reference}: Login page loops", level=1).wait_for()
    here = other.page.get_by_role("region", name="Who else is here")
    here.get_by_text("Lena (L1) is viewing this ticket.").wait_for()

    # Petr starts a reply: Lena's page shows him replying (within one 10 s beat) and warns her before she sends
    other.page.get_by_label("Public reply (the customer reads it)").fill("Looking at it")
    web.page.get_by_role("region", name="Who else is here").get_by_text(
        "Petr (L1) is replying to this ticket."
    ).wait_for(timeout=25_000)
    page = web.page
    page.get_by_label("Saved reply").select_option(label="Which browser (L1)")
    page.get_by_role("button", name="Insert").click()
    assert page.get_by_label("Public reply (the customer reads it)").input_value() == (
        f"Hello Nina, which browser shows {reference}'s problem?"
    )
    warning = page.get_by_role("region", name="Reply to the customer").get_by_role("note")
    assert warning.inner_text() == "Before you send: Petr (L1) also has this ticket open."
    assert other.page.get_by_role("region", name="Reply to the customer").get_by_role("note").inner_text() == (
        "Before you send: Lena (L1) also has this ticket open."
    )
    assert web.axe() == []
    web.screenshot("collision")

    # Lena asks the customer: the ball is theirs, the SLA clock pauses, and the explanation lists the pause
    page.get_by_role("button", name="Send the reply").click()
    page.get_by_role("status").filter(has_text="The reply is sent to the customer.").wait_for()
    facts = page.locator("dl.facts")
    facts.get_by_text("Waiting for the customer", exact=True).wait_for()
    badge = facts.locator(".sla-pair")
    badge.get_by_text(re.compile(r"^Resolution: Paused")).wait_for()
    assert re.search(r"Resolution: Paused · \d+ h \d\d min of working time left", badge.inner_text())
    assert re.search(r"Internal target: Paused · \d+ h \d\d min of working time left", badge.inner_text())
    explanation = page.get_by_role("region", name="SLA explanation")
    explanation.get_by_role("button", name="Explain the deadline").click()
    promises = explanation.get_by_role("table", name="Promises")
    promises.get_by_role("row").filter(has_text="Resolution").get_by_text("Paused", exact=True).wait_for()
    intervals = explanation.get_by_role("table", name="Interval by interval")
    pause = intervals.get_by_role("row").filter(has_text="waiting for the customer")
    assert pause.get_by_role("cell").nth(2).inner_text() == "Paused"
    assert intervals.get_by_role("row").filter(has_text="our move, within working hours").count() == 1
    assert web.axe() == []
    web.screenshot("sla-explanation")


def test_a_manager_registers_a_phone_ticket_filters_the_open_ones_and_reads_their_month(web):
    web.sign_in(MARIA)
    page = web.page
    open_from_nav(web, "Register a ticket")
    page.get_by_role("heading", name="Register a ticket for a customer", level=1).wait_for()
    page.get_by_label("Organisation").select_option(label="Acme Manufacturing")
    page.get_by_label("Requester's e-mail").fill(BOB)
    assert page.get_by_label("How they reached us").input_value() == "phone"
    page.get_by_label("Service").select_option("functionality-question")
    page.get_by_label("Subject").fill("Phoned: invoices list is empty")
    page.get_by_label("What the customer needs").fill("The invoices list shows nothing since Monday.")
    page.get_by_label("What is the problem? Describe it").fill("The invoices list is empty.")
    page.get_by_label("Phone or another way to reach you quickly").fill("+420 111 222 333")
    assert web.axe() == []
    web.screenshot("register")
    page.get_by_role("button", name="Register the ticket").click()
    heading = page.get_by_role("heading", level=1, name=re.compile(r"^CW-\d+: Phoned: invoices list is empty$"))
    heading.wait_for()
    reference = heading.inner_text().split(":", 1)[0]
    assert page.locator("dl.facts").get_by_text("Phone", exact=True).is_visible()
    assert page.locator("dl.facts").get_by_text(BOB).is_visible()

    # On the new ticket: the classify task goes to Petr with a reason, 15 minutes are logged, an article is asked for
    reassign = page.get_by_role("region", name="Reassign the task")
    reassign.get_by_label("Group").select_option("L1")
    reassign.get_by_label("Person").select_option(label="Petr (L1)")
    reassign.get_by_label("Reason").fill("Petr took the call's first part")
    reassign.get_by_role("button", name="Reassign").click()
    page.get_by_role("status").filter(has_text="The task is reassigned.").wait_for()
    classify = page.get_by_role("region", name="Tasks of the ticket").get_by_role("row").filter(has_text="Classify")
    assert classify.get_by_role("cell").nth(3).inner_text() == "Petr (L1)"
    time_form = page.get_by_role("region", name="Log time")
    time_form.get_by_label("Minutes").fill("15")
    time_form.get_by_label("What was done (optional)").fill("Took the call")
    time_form.get_by_role("button", name="Log the time").click()
    page.get_by_role("status").filter(has_text="The time is logged.").wait_for()
    page.get_by_text("Ask for a knowledge-base article").click()
    page.get_by_label("What the article should cover").fill("Why the invoices list can be empty")
    page.get_by_role("button", name="Ask for the article").click()
    page.get_by_role("status").filter(has_text="has a task for the article").wait_for()
    assert web.axe() == []

    # All open tickets of Acme, searched by the subject: the view is its address
    open_from_nav(web, "Ticket views")
    page.get_by_role("navigation", name="Views").get_by_role("link", name="All open tickets").click()
    filters = page.get_by_role("search", name="Filter the open tickets")
    filters.get_by_label("Organisation").select_option("acme")
    filters.get_by_label("Reference, subject or requester").fill("invoices list")
    filters.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/app/desk/tickets\?view=open&organisation_id=acme&q=invoices\+list$"))
    page.get_by_role("link", name=reference, exact=True).wait_for()
    assert web.axe() == []
    web.screenshot("views-open")

    # The status, service, classification and owner filters: each narrows the list, each is in the address
    classified = _round_the_clock_ticket(web, "Filtered by every field")
    ticket = call(web, "GET", f"/tickets/{classified}", MARIA)
    assert ticket["classification"] == "question" and ticket["owner"]
    filters.get_by_label("Organisation").select_option("")
    filters.get_by_label("Reference, subject or requester").fill("")
    filters.get_by_label("Status").select_option(ticket["status"])
    filters.get_by_label("Service").select_option(ticket["service"])
    filters.get_by_label("Classification").select_option("question")
    filters.get_by_label("Owner").select_option(ticket["owner"])
    filters.get_by_role("button", name="Show").click()
    page.wait_for_url(
        re.compile(
            rf"\?view=open&status={ticket['status']}&service={ticket['service']}&classification=question"
            rf"&owner={re.escape(ticket['owner'])}$"
        )
    )
    found = page.get_by_role("link", name=classified, exact=True)
    found.wait_for()
    assert page.get_by_role("link", name=reference, exact=True).count() == 0  # unclassified, no owner
    filters.get_by_label("Classification").select_option("bug")
    filters.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"classification=bug"))
    found.wait_for(state="detached")
    assert web.axe() == []

    # A task given to Maria: the navigation counts her unseen notifications
    deadline = time.monotonic() + 15
    while not (
        waiting := [t for t in call(web, "GET", f"/tickets/{classified}", MARIA)["tasks"] if t["status"] != "done"]
    ):
        assert time.monotonic() < deadline, f"{classified} has no open task after classifying"
        time.sleep(0.3)
    reassign_body = {"group": "accounts", "assignee": MARIA, "reason": "A question about the account"}
    call(web, "POST", f"/tasks/{waiting[0]['id']}/take", PETR)
    call(web, "POST", f"/tasks/{waiting[0]['id']}/reassign", PETR, reassign_body)
    unseen = call(web, "GET", "/notifications", MARIA)["unseen"]
    assert unseen > 0
    open_from_nav(web, "Home")  # the count is read again on each page
    workspace_nav = page.get_by_role("navigation", name="Workspace")
    workspace_nav.get_by_role("link", name=re.compile(rf"^My month {unseen} unseen notifications?$")).click()
    month = page.get_by_role("region", name="This month")
    month.get_by_text("Tasks closed").wait_for()
    logged = call(web, "GET", "/figures/me", MARIA)["month"]["minutes_logged"]
    assert logged >= 15
    hours, minutes = divmod(logged, 60)
    assert month.get_by_text(f"{hours} h {minutes:02d} min", exact=True).is_visible()
    page.get_by_role("region", name="Notifications").get_by_text(re.compile(r"new notifications?$")).wait_for()
    assert web.axe() == []
    web.screenshot("my-month")
    page.get_by_role("button", name="Mark all as seen").click()
    workspace_nav.get_by_role("link", name="My month 0 unseen notifications").wait_for()  # the count follows

    # The workspace speaks Czech too
    page.get_by_label("Language").select_option("cs")
    page.get_by_role("heading", name="Můj měsíc", level=1).wait_for()
    assert page.get_by_role("region", name="Tento měsíc").get_by_text("Dokončené úkoly").is_visible()
    assert web.axe() == []
    web.screenshot("my-month-cs")
