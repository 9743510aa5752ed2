"""The customer portal in a browser (issue 13's stories): a customer opens a ticket through the form with a file,
replies and sees the answer; drafts; the organisation admin and another organisation; the web-form requester's
follow link; the knowledge base; the Czech UI; axe on every page; a screenshot of each page."""

from __future__ import annotations

import re

import pytest

from tests.web.portal import (
    ALICE,
    BOB,
    PNG,
    QUESTION,
    UUID,
    VERA,
    answer_as_support,
    call,
    losing_the_first_answer,
    mail_link,
    open_from_nav,
    sign_in_here,
)

pytestmark = pytest.mark.scenario

JANA = "jana@novak.example"  # Novák: a Czech customer (Europe/Prague)


def _open_question(web, subject: str, *, with_file: bool) -> str:
    """Through the catalog and the question form; the new ticket's reference."""
    open_from_nav(web, "New ticket")
    web.page.get_by_role("heading", name="New ticket", level=1).wait_for()
    assert web.axe() == []
    web.screenshot("catalog")
    web.page.get_by_role("link", name="Question about functionality").click()
    web.page.get_by_role("heading", name="Question about functionality", level=1).wait_for()
    web.page.get_by_label("Subject, in a few words").fill(subject)
    # Asked once: the problem's description is the ticket's description; who reports it is known from sign-in
    assert web.page.get_by_label("Describe what you need").count() == 0
    assert web.page.get_by_label("Who is reporting the problem?").count() == 0
    web.page.get_by_label("What is the problem? Describe it").fill("The export button shows an error page.")
    web.page.get_by_label("Phone or another way to reach you quickly").fill("+420 123 456 789")
    if with_file:
        web.page.get_by_label("Attach files").set_input_files(
            {"name": "error.png", "mimeType": "image/png", "buffer": PNG}
        )
        web.page.get_by_role("listitem").filter(has_text="error.png").wait_for()
    assert web.axe() == []
    web.screenshot("intake-form")
    web.page.get_by_role("button", name="Send the ticket").click()
    heading = web.page.get_by_role("heading", level=1, name=re.compile(rf"^CW-\d+: {re.escape(subject)}$"))
    heading.wait_for()
    return heading.inner_text().split(":", 1)[0]


def test_a_reply_whose_answer_is_lost_is_sent_again_and_stored_once(web):
    """The reply reaches the API, which stores it, but its answer is lost on the way back (a 503): the text stays
    in the box, and sending it again is the same request (the same Idempotency-Key), so one message is stored."""
    web.sign_in(BOB)
    reference = _open_question(web, "Export stops at 80 %", with_file=False)
    text = "It stops at 80 % with the yearly report too."
    messages = re.compile(r"/tickets/[^/?]+/messages$")
    keys: list[str] = []
    first: dict = {}

    web.page.route(messages, losing_the_first_answer(keys, first))
    box = web.page.get_by_label("Your message")
    box.fill(text)
    web.page.get_by_role("button", name="Send the reply").click()
    web.page.get_by_role("alert").filter(has_text="Try again.").wait_for()
    assert box.input_value() == text  # nothing the customer wrote is lost
    with web.page.expect_response(lambda r: r.request.method == "POST" and messages.search(r.url)) as again:
        web.page.get_by_role("button", name="Send the reply").click()
    web.page.get_by_role("status").filter(has_text="Your reply is sent.").wait_for()
    web.page.unroute(messages)
    web.console = [m for m in web.console if "status of 503" not in m]  # the browser logs the lost answer
    assert first["status"] == 201 and len(keys) == 2 and UUID.fullmatch(keys[0]) and keys[1] == keys[0], keys
    assert again.value.headers.get("idempotent-replayed") == "true"
    assert box.input_value() == ""
    stored = [m for m in call(web, "GET", f"/tickets/{reference}", BOB)["messages"] if m["body"] == text]
    assert len(stored) == 1
    assert web.page.get_by_role("region", name="Conversation").get_by_text(text).count() == 1

    # The next reply is a new message, with a new key
    box.fill("One more detail: it is the same in Firefox.")
    with web.page.expect_request(lambda r: r.method == "POST" and messages.search(r.url)) as sent:
        web.page.get_by_role("button", name="Send the reply").click()
    web.page.get_by_role("status").filter(has_text="Your reply is sent.").wait_for()
    assert UUID.fullmatch(sent.value.headers["idempotency-key"]) and sent.value.headers["idempotency-key"] != keys[0]


def test_a_customer_opens_a_question_with_a_file_replies_and_sees_the_answer(web):
    web.sign_in(BOB)
    reference = _open_question(web, "CSV export fails", with_file=True)
    page = web.page
    facts = page.locator("dl.facts")
    assert facts.get_by_text("New", exact=True).is_visible()
    assert facts.get_by_text("Ours: we are working on it").is_visible()
    page.get_by_role("button", name=re.compile(r"^Download error\.png")).wait_for()
    assert web.axe() == []
    web.screenshot("ticket")

    page.get_by_label("Your message").fill("It happens with every report, not only the monthly one.")
    page.get_by_role("button", name="Send the reply").click()
    page.get_by_role("status").filter(has_text="Your reply is sent.").wait_for()
    conversation = page.get_by_role("region", name="Conversation")
    assert conversation.get_by_text("It happens with every report").is_visible()

    # Support answers; the customer comes back through My tickets and sees the answer
    answer_as_support(web, reference, "Please clear the browser cache; the fix is deployed.")
    open_from_nav(web, "Notifications")
    news = web.page.get_by_role("listitem").filter(
        has=web.page.get_by_role("link", name=re.compile(rf"^{reference}: "))
    )
    news.get_by_text(re.compile(r"New message$")).first.wait_for()
    assert web.axe() == []
    web.screenshot("notifications")
    open_from_nav(web, "My tickets")
    page.get_by_role("heading", name="My tickets", level=1).wait_for()
    assert web.axe() == []
    web.screenshot("my-tickets")
    page.get_by_role("link", name=reference).click()
    message = page.get_by_role("listitem").filter(has_text="Please clear the browser cache")
    message.get_by_text("Support", exact=True).wait_for()

    # The file comes back through a short-lived link
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"^Download error\.png")).click()
    assert download.value.suggested_filename == "error.png"
    staff_view = call(web, "GET", f"/tickets/{reference}", "maria.manager@caseway.example")
    assert [e["type"] for e in staff_view["history"]].count("AttachmentDownloaded") == 1

    # Closing and rating
    page.get_by_role("button", name="Close the ticket").click()
    page.get_by_role("heading", name="Rate our work").wait_for()
    page.get_by_label("4: satisfied").check()
    page.get_by_label("Comment (optional)").fill("Quick and clear.")
    page.get_by_role("button", name="Send the rating").click()
    page.get_by_text("You rated this ticket 4 of 5.").wait_for()
    assert web.axe() == []
    rated = call(web, "GET", f"/tickets/{reference}", BOB)["satisfaction"]
    assert rated == {"rating": 4, "comment": "Quick and clear."}


def test_a_draft_is_saved_and_submitted_later(web):
    web.sign_in(BOB)
    open_from_nav(web, "New ticket")
    web.page.get_by_role("heading", name="New ticket", level=1).wait_for()
    web.page.get_by_role("link", name="Document request").click()
    # No long answer on this form: the description is optional, made of the answers when left empty
    assert web.page.get_by_label("Anything else we should know? (optional)").input_value() == ""
    web.page.get_by_label("Subject, in a few words").fill("Copy of the October invoice")
    web.page.get_by_role("button", name="Save as a draft").click()
    web.page.get_by_role("status").filter(has_text="The draft is saved.").wait_for()

    open_from_nav(web, "My tickets")
    with web.page.expect_request(lambda r: "/tickets?" in r.url and "status=draft" in r.url):  # the API filters
        web.page.get_by_label("Status").select_option("draft")
    row = web.page.get_by_role("row").filter(has_text="Copy of the October invoice")
    row.get_by_role("link").click()
    web.page.get_by_role("status").filter(has_text=re.compile(r"^Draft CW-\d+")).wait_for()
    assert web.page.get_by_label("Subject, in a few words").input_value() == "Copy of the October invoice"
    web.page.get_by_label("Which document do you need?").fill("invoice 2026-10")
    web.page.get_by_role("button", name="Send the ticket").click()
    web.page.get_by_role("heading", level=1, name=re.compile(r"^CW-\d+: Copy of the October invoice$")).wait_for()
    assert web.page.locator("dl.facts").get_by_text("New", exact=True).is_visible()


def test_the_organisation_admin_sees_a_colleagues_ticket_another_organisation_gets_not_found(web, browse):
    created = call(web, "POST", "/tickets", BOB, QUESTION)
    reference = created["reference"]
    web.sign_in(ALICE)
    open_from_nav(web, "My tickets")
    web.page.get_by_label("Show").select_option("organisation")
    web.page.get_by_role("heading", name="My organisation's tickets", level=1).wait_for()
    with web.page.expect_request(lambda r: "scope=organisation" in r.url and f"q={reference}" in r.url):
        web.page.get_by_label("Search by reference or subject").fill(reference)  # the API searches
    web.page.get_by_role("link", name=reference).click()
    web.page.get_by_role("heading", name=f"{reference}: Printer driver question", level=1).wait_for()

    other = browse()
    other.goto(f"/app/tickets/{reference}")
    sign_in_here(other, VERA)
    other.page.get_by_role("heading", name="Ticket not found", level=1).wait_for()
    hidden = other.page.get_by_role("main").inner_text()
    assert other.axe() == []
    other.screenshot("ticket-not-found")
    other.goto("/app/tickets/CW-999999")
    sign_in_here(other, VERA)
    other.page.get_by_role("heading", name="Ticket not found", level=1).wait_for()
    assert other.page.get_by_role("main").inner_text() == hidden


def test_a_web_form_requester_follows_the_emails_link_and_replies(web, browse):
    email = "olga.novak@example.org"
    # The web form's old address: the browser follows its redirect to the app's form
    landed = web.goto("/form")
    assert landed.request.redirected_from is not None and landed.request.redirected_from.url.endswith("/form")
    assert web.page.url == f"{web.base_url}/app/form"
    web.page.get_by_role("heading", name="Ask us without an account", level=1).wait_for()
    web.page.get_by_label("What do you need?").select_option("functionality-question")
    web.page.get_by_label("Your e-mail").fill(email)
    web.page.get_by_label("Your name").fill("Olga Novák")
    web.page.get_by_label("Subject, in a few words").fill("Cannot log in")
    web.page.get_by_label("What is the problem? Describe it").fill("The portal rejects my new password.")
    web.page.get_by_label("Phone or another way to reach you quickly").fill("+420 777 000 111")
    assert web.axe() == []
    web.screenshot("web-form")
    with web.page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/public/tickets")) as sent:
        web.page.get_by_role("button", name="Send the ticket").click()
    heading = web.page.get_by_role("heading", level=1, name=re.compile(r"^CW-\d+: Cannot log in$"))
    heading.wait_for()
    assert "#key=" in web.page.url
    assert UUID.fullmatch(sent.value.headers["idempotency-key"])
    reference = heading.inner_text().split(":", 1)[0]

    answer_as_support(web, reference, "Please reset the password through the link we sent.")
    link = mail_link(web, email)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/app/tickets/[0-9A-Z]+#key=\S+", link), link
    follower = browse(timezone="America/New_York")
    follower.goto(link)
    follower.page.get_by_role("heading", level=1, name=f"{reference}: Cannot log in").wait_for()
    follower.page.get_by_text("Please reset the password through the link we sent.").wait_for()
    # the dates in the zone the e-mails use (the desk's: the requester has no organisation), not the browser's
    opened = follower.page.locator("dl.facts dd").nth(4).inner_text()
    assert re.fullmatch(r"\w+ \d{1,2} \w+ \d{4}, \d{1,2}:\d\d \(Europe/Prague\)", opened), opened
    assert follower.axe() == []
    follower.screenshot("follow-link")
    follower.page.get_by_label("Your message").fill("That worked, thank you.")
    # the requester without an account attaches a file too (through the follow link)
    follower.page.get_by_label("Attach files").set_input_files(
        {"name": "done.png", "mimeType": "image/png", "buffer": PNG}
    )
    follower.page.get_by_role("listitem").filter(has_text="done.png").wait_for()
    follower.page.get_by_role("button", name="Send the reply").click()
    follower.page.get_by_role("status").filter(has_text="Your reply is sent.").wait_for()
    follower.page.get_by_text("That worked, thank you.").wait_for()
    sent = follower.page.get_by_role("listitem").filter(has_text="That worked, thank you.")
    sent.get_by_role("button", name=re.compile("done.png")).wait_for()


def test_the_knowledge_base_finds_a_customer_article_and_hides_a_staff_one(web):
    web.sign_in(BOB)
    open_from_nav(web, "Knowledge base")
    web.page.get_by_label("Search the knowledge base").fill("CSV")
    web.page.get_by_role("button", name="Search").click()
    web.page.get_by_role("status").filter(has_text="Articles found for “CSV”").wait_for()
    assert web.axe() == []
    web.screenshot("kb-search")
    web.page.get_by_role("link", name="Exporting a report to CSV").click()
    web.page.get_by_role("heading", name="Exporting a report to CSV", level=1).wait_for()
    assert web.axe() == []
    web.screenshot("kb-article")
    open_from_nav(web, "Knowledge base")
    web.page.get_by_label("Search the knowledge base").fill("licence keys")
    web.page.get_by_role("button", name="Search").click()
    web.page.get_by_role("status").filter(has_text="Articles found").wait_for()
    assert web.page.get_by_role("link", name="Issuing licence keys").count() == 0
    web.goto("/app/kb/issuing-licence-keys")
    sign_in_here(web, BOB)
    web.page.get_by_role("heading", name="Article not found", level=1).wait_for()


def test_the_czech_ui_shows_czech_words_and_prague_times(browse):
    # Jana's organisation (Novák) is written to in Czech, in Prague time: her profile sets both after sign-in
    czech = browse(locale="en-GB", timezone="America/New_York")
    reference = call(czech, "POST", "/tickets", JANA, {**QUESTION, "subject": "Tiskárna netiskne"})["reference"]
    czech.sign_in(JANA)
    czech.page.get_by_role("heading", name="Vítejte, Jana (Novák, Czech)", level=1).wait_for()
    open_from_nav(czech, "Moje požadavky", "Hlavní")
    czech.page.get_by_role("heading", name="Moje požadavky", level=1).wait_for()
    czech.page.get_by_role("link", name=reference).click()
    czech.page.get_by_role("heading", name=f"{reference}: Tiskárna netiskne", level=1).wait_for()
    assert czech.page.locator("dl.facts").get_by_text("Nový", exact=True).is_visible()
    czech.page.get_by_role("heading", name="Konverzace", level=2).wait_for()
    opened = czech.page.locator("dl.facts dd").nth(4).inner_text()
    assert re.fullmatch(r"\w+ \d{1,2}\. \w+ \d{4}, \d{1,2}:\d\d \(Europe/Prague\)", opened), opened
    assert czech.axe() == []
    czech.screenshot("ticket-cs")
    open_from_nav(czech, "Oznámení", "Hlavní")
    czech.page.get_by_role("heading", name="Oznámení", level=1).wait_for()
    assert czech.axe() == []
    czech.screenshot("notifications-cs")
