"""The web form in a browser when the typed address is one the desk knows: the form says to check the e-mail, the
e-mailed link opens the confirmation page, and its button opens the ticket through its follow link. Past the free
submissions of the hour the browser solves the desk's proof of work by itself."""

from __future__ import annotations

import re

import pytest

from tests.web.portal import QUESTION, call

pytestmark = pytest.mark.scenario

CLAIMED = "new.colleague@acme.example"  # no one has it yet; Acme claims the domain


def _fill_form(web, email: str, subject: str) -> None:
    web.goto("/app/form")
    web.page.get_by_role("heading", name="Ask us without an account", level=1).wait_for()
    web.page.get_by_label("What do you need?").select_option("functionality-question")
    web.page.get_by_label("Your e-mail").fill(email)
    web.page.get_by_label("Subject, in a few words").fill(subject)
    web.page.get_by_label("What is the problem? Describe it").fill("The export shows an error page.")
    web.page.get_by_label("Phone or another way to reach you quickly").fill("+420 777 000 222")


def _confirmation_link(web, email: str) -> str:
    mail = call(web, "GET", f"/local/mailbox?to={email}")["items"][-1]
    return next(word for word in mail["body"].split() if "/app/confirm#token=" in word)


def test_a_claimed_address_confirms_its_request_through_the_emailed_link(web):
    _fill_form(web, CLAIMED, "Export fails")
    web.page.get_by_role("button", name="Send the ticket").click()
    web.page.get_by_role("heading", name="Check your e-mail", level=1).wait_for()
    web.page.get_by_role("status").filter(has_text=CLAIMED).wait_for()
    assert "#key=" not in web.page.url
    assert web.axe() == []
    web.screenshot("web-form-check-email")
    # The link opens the confirmation page; nothing happens before the button is pressed
    confirm_page = _confirmation_link(web, CLAIMED).removeprefix(web.base_url)
    web.goto(confirm_page)
    web.page.get_by_role("heading", name="Confirm your request", level=1).wait_for()
    assert web.axe() == []
    web.screenshot("web-form-confirm")
    web.page.get_by_role("button", name="Confirm and open my request").click()
    web.page.get_by_role("heading", level=1, name=re.compile(r"^CW-\d+: Export fails$")).wait_for()
    assert "#key=" in web.page.url
    # The link is spent: a second press says so
    web.goto(confirm_page)
    web.page.get_by_role("button", name="Confirm and open my request").click()
    web.page.get_by_role("alert").filter(has_text="already confirmed").wait_for()


def test_past_the_free_submissions_the_browser_solves_the_proof_of_work(web):
    email = "busy@acme.example"
    for n in range(3):  # the hour's free submissions for this address
        body = {**QUESTION, "email": email, "subject": f"Question {n}"}
        reply = web.context.request.post("/public/tickets", data=body, headers={"content-type": "application/json"})
        assert reply.status == 202, reply.text()
    refused = web.context.request.post(
        "/public/tickets", data={**QUESTION, "email": email}, headers={"content-type": "application/json"}
    )
    assert refused.status == 429 and refused.json()["challenge"]
    _fill_form(web, email, "One more question")
    with web.page.expect_request(lambda r: r.method == "POST" and '"proof"' in (r.post_data or "")) as solved:
        web.page.get_by_role("button", name="Send the ticket").click()
        web.page.get_by_role("heading", name="Check your e-mail", level=1).wait_for(timeout=60_000)
    assert '"solution"' in (solved.value.post_data or "")
