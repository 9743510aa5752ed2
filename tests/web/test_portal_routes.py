"""What a route delivers, in the portal (issue 13): the licence key, the document of a document request downloaded,
a change request's estimate approved."""

from __future__ import annotations

import re
import time

import pytest

from tests.web.conftest import Browse
from tests.web.portal import BOB, PNG, call, open_from_nav

pytestmark = pytest.mark.scenario

OLGA = "office@caseway.example"  # the office group
DANA = "dev.l2@caseway.example"  # L2
KEY = re.compile(r"[A-HJ-NP-Z2-9]{5}(?:-[A-HJ-NP-Z2-9]{5}){4}")


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


def _open_ticket(web: Browse, reference: str) -> None:
    open_from_nav(web, "My tickets")
    web.page.get_by_role("link", name=reference).click()
    web.page.get_by_role("heading", level=1, name=re.compile(rf"^{reference}: ")).wait_for()


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


def test_the_customer_downloads_the_document_the_office_sent(web):
    created = call(
        web,
        "POST",
        "/tickets",
        BOB,
        {
            "service": "document-request",
            "subject": "Copy of the October invoice",
            "description": "Our accounting lost it.",
            "fields": {"document_type": "invoice"},
        },
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

    web.sign_in(BOB)
    _open_ticket(web, created["reference"])
    document = web.page.get_by_role("region", name="Your document: invoice")
    _refresh_until(web, document)
    with web.page.expect_download() as download:
        document.get_by_role("button", name=re.compile(r"^Download invoice-2026-10\.png")).click()
    assert download.value.suggested_filename == "invoice-2026-10.png"
    assert web.axe() == []
    web.screenshot("document")


def test_the_customer_approves_a_change_requests_estimate(web):
    created = call(
        web,
        "POST",
        "/tickets",
        BOB,
        {
            "service": "change-request",
            "subject": "Export to XLSX",
            "description": "We need the monthly report as XLSX.",
            "fields": {"change_description": "Add an XLSX export next to CSV"},
        },
    )
    task = _task(web, "L2", DANA, created["id"], "evaluate")
    call(web, "POST", f"/tasks/{task['id']}/take", DANA)
    call(web, "POST", f"/tasks/{task['id']}/estimate", DANA, {"hours": 12, "note": "export + tests"})

    web.sign_in(BOB)
    _open_ticket(web, created["reference"])
    estimate = web.page.get_by_role("region", name="Estimate to approve")
    _refresh_until(web, estimate)
    assert estimate.get_by_text("We estimate the change at 12 hours.").is_visible()
    assert web.axe() == []
    web.screenshot("estimate")
    estimate.get_by_label("Your comment (optional)").fill("Go ahead.")
    estimate.get_by_role("button", name="Approve the estimate").click()
    web.page.get_by_role("status").filter(has_text="You approved the estimate; we start the work.").wait_for()
    assert call(web, "GET", f"/tickets/{created['id']}", BOB)["approval"]["status"] == "approved"
