"""Telegram in a browser on the local stack: the portal's Link Telegram page makes the deep link, the /local/telegram
page plays the Telegram user who opens it, and the portal then lists the linked chat and unlinks it. Both pages are
checked for CSP violations and console errors (tests/web/conftest.py) and the portal page with axe."""

from __future__ import annotations

import re

import pytest

from tests.web.portal import BOB, open_from_nav

pytestmark = pytest.mark.scenario


def test_a_customer_links_telegram_from_the_portal_and_unlinks_it(web):
    web.sign_in(BOB)
    open_from_nav(web, "Telegram")
    web.page.get_by_role("heading", name="Telegram", level=1).wait_for()
    web.page.get_by_text("No chat is linked yet.").wait_for()
    web.page.get_by_role("button", name="Link Telegram").click()
    link = web.page.get_by_role("link", name=re.compile(r"^Open @\w+ in Telegram$"))
    url = link.get_attribute("href")
    assert re.fullmatch(r"https://t\.me/\w+\?start=[A-Za-z0-9_-]{16,64}", url or ""), url
    assert web.axe() == []

    player = web.context.new_page()  # the Telegram user, on the local stack's player page
    player.goto("/local/telegram")
    player.get_by_label("Chat id").fill("6060")
    player.get_by_label("Your name in Telegram").fill("Bob")
    player.get_by_role("button", name="Open this chat").click()
    player.get_by_label("Message (or a t.me link)").fill(url)
    player.get_by_role("button", name="Send").click()
    player.get_by_text(f"This chat is linked to {BOB}", exact=False).wait_for()
    csp = player.evaluate("window.__cspViolations || []")
    assert csp == []
    player.close()

    open_from_nav(web, "Notifications")  # the session lives in the page: away and back, no reload
    open_from_nav(web, "Telegram")
    chat = web.page.get_by_role("listitem").filter(has_text="Bob @bob")
    chat.wait_for()
    chat.get_by_role("button", name="Unlink").click()
    web.page.get_by_text("No chat is linked yet.").wait_for()
    web.page.get_by_role("status").filter(has_text="The chat is unlinked").wait_for()
