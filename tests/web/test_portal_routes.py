"""What a route delivers, in the portal (issue 13): the licence key, the document of a document request downloaded,
a change request's estimate approved; each ticket opened through its service's form. A send repeated after an error
that came after the API committed opens one ticket (the app sends the same Idempotency-Key again)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.web.conftest import Browse
from tests.web.portal import BOB, PNG, UUID, call, losing_the_first_answer, open_from_nav

pytestmark = pytest.mark.scenario

OLGA = "office@caseway.example"  # the office group
DANA = "dev.l2@caseway.example"  # L2
KEY = re.compile(r"[A-HJ-NP-Z2-9]{5}(?:-[A-HJ-NP-Z2-9]{5}){4}")
SENT = re.compile(r"/tickets$")  # POST /tickets: a new ticket


def _fill_the_form(web: Browse, service: str, subject: str, answers: dict[str, str]) -> None:
    """As the signed-in customer: New ticket, the service, its form filled in by the fields' labels."""
    open_from_nav(web, "New ticket")
    web.page.get_by_role("link", name=service).click()
    web.page.get_by_role("heading", name=service, level=1).wait_for()
    web.page.get_by_label("Subject, in a few words").fill(subject)
    for label, text in answers.items():
        field = web.page.get_by_label(label)
        if not field.is_visible():  # an optional question: folded away until asked for
            web.page.get_by_text(re.compile(r"more questions? \(optional\)$")).click()
        field.fill(text)


def _opened(web: Browse, subject: str) -> str:
    """The new ticket's page; its reference."""
    heading = web.page.get_by_role("heading", level=1, name=re.compile(rf"^CW-\d+: {re.escape(subject)}$"))
    heading.wait_for()
    return heading.inner_text().split(":", 1)[0]


def _fact(web: Browse, term: str) -> str:
    """What the ticket's page says against `term` (its facts: Status, Whose move, Service, ...)."""
    return web.page.locator("dl.facts dt").filter(has_text=re.compile(rf"^{term}$")).locator("+ dd").inner_text()


def _task(web: Browse, group: str, user: str, ticket_id: str, task_type: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = call(web, "GET", f"/tasks?group={group}", user)["items"]
        found = next((t for t in items if t["ticket_id"] == ticket_id and t["type"] == task_type), None)
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no {task_type} task in {group}")


def _refresh_until(web: Browse, locator, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while locator.count() == 0:
        assert time.monotonic() < deadline, "the ticket's page never showed it"
        web.page.get_by_role("button", name="Check for news").click()
        web.page.get_by_role("status").filter(has_text="The ticket is up to date.").wait_for()
        time.sleep(0.5)


def test_the_customer_asks_for_a_licence_key_and_sees_it_on_the_tickets_page(web):
    web.sign_in(BOB)
    open_from_nav(web, "New ticket")
    web.page.get_by_role("link", name="Licence key request").click()
    web.page.get_by_label("Subject, in a few words").fill("Key for the new laptop")
    web.page.get_by_label("Product the licence key is for").fill("Caseway Desktop")
    web.page.get_by_role("button", name="Send the ticket").click()
    web.page.get_by_role("heading", level=1, name=re.compile(r"^CW-\d+: Key for the new laptop$")).wait_for()
    section = web.page.get_by_role("region", name="Your licence key")
    _refresh_until(web, section)
    assert KEY.fullmatch(section.get_by_label("Licence key").inner_text())
    assert web.axe() == []
    web.screenshot("licence-key")


def test_the_customer_asks_for_a_document_through_its_form_and_downloads_what_the_office_sent(web):
    web.sign_in(BOB)
    answers = {"Which document do you need?": "invoice", "Anything else we should know? (optional)": "Lost it."}
    _fill_the_form(web, "Document request", "Copy of the October invoice", answers)
    with web.page.expect_request(lambda r: r.method == "POST" and SENT.search(r.url)) as sent:
        web.page.get_by_role("button", name="Send the ticket").click()
    reference = _opened(web, "Copy of the October invoice")
    assert UUID.fullmatch(sent.value.headers["idempotency-key"])
    assert (_fact(web, "Service"), _fact(web, "Status")) == ("Document request", "New")
    created = call(web, "GET", f"/tickets/{reference}", BOB)
    assert (created["service"], created["fields"], created["description"]) == (
        "document-request",
        {"document_type": "invoice"},
        "Lost it.",
    )
    task = _task(web, "office", OLGA, created["id"], "prepare_document")
    call(web, "POST", f"/tasks/{task['id']}/take", OLGA)
    slot = call(
        web,
        "POST",
        f"/tickets/{created['id']}/attachments",
        OLGA,
        {"file_name": "invoice-2026-10.png", "size": len(PNG), "content_type": "image/png"},
    )
    sent = web.context.request.post(
        slot["upload"]["url"],
        multipart={
            **slot["upload"]["fields"],
            "file": {"name": "invoice-2026-10.png", "mimeType": "image/png", "buffer": PNG},
        },
    )
    assert sent.ok, sent.text()
    call(web, "POST", f"/tasks/{task['id']}/complete", OLGA, {"outcome": "sent"})

    document = web.page.get_by_role("region", name="Your document: invoice")
    _refresh_until(web, document)
    with web.page.expect_download() as download:
        document.get_by_role("button", name=re.compile(r"^Download invoice-2026-10\.png")).click()
    assert download.value.suggested_filename == "invoice-2026-10.png"
    assert web.axe() == []
    web.screenshot("document")


def test_the_customer_asks_for_a_change_through_its_form_sends_again_after_an_error_and_approves_the_estimate(web):
    web.sign_in(BOB)
    subject = "Export to XLSX"
    answers = {"What should change, and why?": "Add an XLSX export next to CSV", "By when do you need it?": "March"}
    _fill_the_form(web, "Change request", subject, answers)

    # The first send reaches the API, which opens the ticket, but its answer is lost on the way back (a 503)
    keys: list[str] = []
    first: dict[str, Any] = {}

    web.page.route(SENT, losing_the_first_answer(keys, first))
    web.page.get_by_role("button", name="Send the ticket").click()
    web.page.get_by_role("alert").filter(has_text="Try again.").wait_for()
    # The customer sends again: the same request (the same key), answered with the ticket the first one opened
    with web.page.expect_response(lambda r: r.request.method == "POST" and SENT.search(r.url)) as again:
        web.page.get_by_role("button", name="Send the ticket").click()
    reference = _opened(web, subject)
    web.page.unroute(SENT)
    web.console = [m for m in web.console if "status of 503" not in m]  # the browser logs the lost answer
    assert len(keys) == 2 and UUID.fullmatch(keys[0]) and keys[1] == keys[0], keys
    assert first["status"] == 201 and again.value.headers.get("idempotent-replayed") == "true"
    assert again.value.json()["id"] == first["body"]["id"]
    assert [t["reference"] for t in call(web, "GET", f"/tickets?q={subject}", BOB)["items"]] == [reference]
    assert (_fact(web, "Service"), _fact(web, "Status")) == ("Change request", "New")
    created = call(web, "GET", f"/tickets/{reference}", BOB)
    assert (created["service"], created["fields"]) == (
        "change-request",
        {"change_description": "Add an XLSX export next to CSV", "wanted_by": "March"},
    )

    task = _task(web, "L2", DANA, created["id"], "evaluate")
    call(web, "POST", f"/tasks/{task['id']}/take", DANA)
    call(web, "POST", f"/tasks/{task['id']}/estimate", DANA, {"hours": 12, "note": "export + tests"})

    estimate = web.page.get_by_role("region", name="Estimate to approve")
    _refresh_until(web, estimate)
    assert estimate.get_by_text("We estimate the change at 12 hours.").is_visible()
    assert web.axe() == []
    web.screenshot("estimate")
    estimate.get_by_label("Your comment (optional)").fill("Go ahead.")
    estimate.get_by_role("button", name="Approve the estimate").click()
    web.page.get_by_role("status").filter(has_text="You approved the estimate; we start the work.").wait_for()
    assert call(web, "GET", f"/tickets/{created['id']}", BOB)["approval"]["status"] == "approved"
