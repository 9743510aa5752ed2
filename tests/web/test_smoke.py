"""The web app's smoke test: a customer signs in through the local sign-in page and sees their home page in English
and in Czech, everything works from the keyboard, axe-core finds no serious or critical violation, and the pages
run under their Content-Security-Policy without a single violation."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.scenario

CUSTOMER = "bob@acme.example"


def test_the_site_sends_its_security_headers(web):
    response = web.goto("/")
    headers = response.headers
    policy = headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline scripts, no eval
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    static = web.page.locator("script[src^='/static/']").first.get_attribute("src")
    asset = web.context.request.get(static)
    assert asset.status == 200
    assert "immutable" in asset.headers["cache-control"]
    assert web.context.request.get("/health").ok  # the API keeps its paths next to the app's


def test_a_customer_signs_in_and_sees_the_home_page_in_english_and_in_czech(web):
    web.goto("/app/")
    web.page.wait_for_url(re.compile(r"/app/sign-in"))  # not signed in: the sign-in page, listing the demo users
    web.page.get_by_role("heading", name="Sign in", level=1).wait_for()
    assert web.axe() == []
    web.screenshot("sign-in")

    web.sign_in(CUSTOMER)
    web.page.get_by_role("heading", name="Welcome, Bob (Acme)", level=1).wait_for()
    assert web.page.get_by_role("heading", level=1).all_inner_texts() == ["Welcome, Bob (Acme)"]
    navigation = web.page.get_by_role("navigation", name="Main")
    assert navigation.get_by_role("link", name="Home").get_attribute("aria-current") == "page"
    assert web.page.get_by_text("Signed in as Bob (Acme)").is_visible()
    now = web.page.get_by_text(re.compile(r"^It is now ")).inner_text()
    assert re.fullmatch(r"It is now \w+day \d\d \w+ \d{4}, \d\d:\d\d \(Europe/London\)\.", now), now
    assert web.axe() == []
    web.screenshot("home-en")

    web.page.get_by_label("Language").select_option("cs")
    web.page.get_by_role("heading", name="Vítejte, Bob (Acme)", level=1).wait_for()
    assert web.page.locator("html").get_attribute("lang") == "cs"
    assert web.page.get_by_role("navigation", name="Hlavní").get_by_role("link", name="Úvod").is_visible()
    assert web.page.get_by_role("button", name="Odhlásit se").is_visible()
    assert web.axe() == []
    web.screenshot("home-cs")
    assert web.csp_violations() == []


def test_the_browser_sets_the_language_until_the_profile_says_otherwise(browse):
    """Before sign-in the browser's language; after, the one the desk writes to the person in (their organisation's),
    and their organisation's time zone, else the desk's (as in the desk's e-mails), never the browser's."""
    czech_browser = browse(locale="cs-CZ", timezone="America/New_York")
    czech_browser.goto("/app/sign-in")
    czech_browser.page.get_by_role("heading", name="Přihlášení", level=1).wait_for()
    assert czech_browser.axe() == []
    czech_browser.screenshot("sign-in-cs")
    czech_browser.sign_in(CUSTOMER)  # Acme is written to in English and names no time zone: the desk's
    czech_browser.page.get_by_role("heading", name="Welcome, Bob (Acme)", level=1).wait_for()
    now = czech_browser.page.get_by_text(re.compile(r"^It is now ")).inner_text()
    assert now.endswith("(Europe/Prague)."), now

    english_browser = browse(locale="en-GB", timezone="America/New_York")
    english_browser.sign_in("jana@novak.example")  # Novák: Czech, Europe/Prague
    english_browser.page.get_by_role("heading", name="Vítejte, Jana (Novák, Czech)", level=1).wait_for()
    now = english_browser.page.get_by_text(re.compile(r"^Nyní je ")).inner_text()
    assert re.fullmatch(r"Nyní je \w+ \d{1,2}\. \w+ \d{4}, \d{1,2}:\d\d \(Europe/Prague\)\.", now), now
    assert english_browser.axe() == []
    english_browser.screenshot("home-cs-prague")


def test_everything_works_from_the_keyboard(web):
    web.goto("/app/sign-in")
    web.page.get_by_role("heading", name="Sign in", level=1).wait_for()
    web.page.keyboard.press("Tab")
    assert web.focused() == "Skip to the content"  # the first stop: past the header to the page
    web.tab_to(r"^Sign in as Bob \(Acme\)$")
    web.page.keyboard.press("Enter")
    web.page.get_by_role("heading", name="Welcome, Bob (Acme)", level=1).wait_for()
    assert web.page.evaluate("document.activeElement.id") == "main"  # a new page: focus at its start

    web.tab_to(r"^Language")
    web.page.keyboard.press("Home")  # the language menu from the keyboard: its first entry, Čeština (cs)
    web.page.get_by_role("heading", name="Vítejte, Bob (Acme)", level=1).wait_for()
    web.tab_to(r"^Odhlásit se$")
    web.page.keyboard.press("Enter")
    web.page.get_by_role("heading", name="Přihlášení", level=1).wait_for()
    assert "/app/sign-in" in web.page.url
    assert web.csp_violations() == []


def test_the_harness_sees_what_the_policy_refuses(chromium, web_stack):
    """The checks above can fail: an inline script (what the policy forbids) is reported, and so is an axe finding."""
    from tests.web.conftest import Browse

    page = Browse(chromium, web_stack, "harness", "en-GB", "Europe/London")
    try:
        page.goto("/app/sign-in")
        page.page.get_by_role("heading", name="Sign in", level=1).wait_for()
        with pytest.raises(Exception, match=r"Content Security Policy|Refused"):
            page.page.add_script_tag(content="window.inlineRan = true;")
        assert page.page.evaluate("window.inlineRan === undefined")
        assert [v["directive"] for v in page.csp_violations() if "directive" in v] == ["script-src-elem"]
        assert any("CSP violation" in p for p in page.problems())
        page.page.evaluate("document.querySelector('select').removeAttribute('id')")  # the label loses its control
        page.page.evaluate(
            "document.querySelector('.tools label').replaceWith(document.querySelector('.tools select'))"
        )
        assert "select-name" in [v["id"] for v in page.axe()]
    finally:
        page.close()


def test_an_unknown_address_says_not_found_and_leads_home(web):
    web.goto("/app/no-such-page")  # opened from a link, before signing in
    web.page.get_by_role("heading", name="Page not found", level=1).wait_for()
    assert web.page.title() == "Page not found · Caseway"
    assert web.axe() == []
    web.sign_in(CUSTOMER)
    # the same address within the visit (a reload would start a new visit: the tokens live in memory only)
    web.page.evaluate("history.pushState(null, '', '/app/no-such-page'); dispatchEvent(new PopStateEvent('popstate'))")
    web.page.get_by_role("heading", name="Page not found", level=1).wait_for()
    web.page.get_by_role("link", name="Go to the home page").click()
    web.page.get_by_role("heading", name="Welcome, Bob (Acme)", level=1).wait_for()
