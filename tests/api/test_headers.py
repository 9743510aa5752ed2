"""Security headers: every HTML page sends a Content-Security-Policy without inline scripts and never framed, and
carries no inline script, style or handler; every response is nosniff; the follow link is never sent as a referrer.
The pages' scripts and styles are served, and the web form's script finds the elements it drives."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import pytest

from functions import webform
from functions.api import app, pages
from tests.conftest import BOB

HTML_ROUTES = [r.path for r in app.ROUTES if r.content_type == "text/html"]


class Page(HTMLParser):
    """What a page loads and what it carries inline."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.inline: list[str] = []
        self.ids: set[str] = set()
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if named.get("id"):
            self.ids.add(str(named["id"]))
        self.inline += [f"<{tag} {name}=...>" for name, _ in attrs if name.startswith("on") or name == "style"]
        if tag == "script":
            if named.get("src"):
                self.scripts.append(str(named["src"]))
            else:
                self._in_script = True
        if tag == "style":
            self.inline.append("<style>")
        if tag == "link" and named.get("rel") == "stylesheet":
            self.styles.append(str(named["href"]))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("<script>" + data.strip()[:40])


def header(reply: Any, name: str) -> str:
    found = [v for k, v in reply.headers.items() if k.lower() == name.lower()]
    assert len(found) == 1, (name, reply.headers)
    return found[0]


def policy(reply: Any) -> dict[str, list[str]]:
    directives = [d.split() for d in header(reply, "content-security-policy").split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def test_the_api_has_html_pages_to_check():
    assert set(HTML_ROUTES) >= {"/form", "/docs"}


@pytest.mark.parametrize("path", HTML_ROUTES)
def test_every_page_forbids_inline_scripts_and_framing_and_carries_none(api_without_aws, path):
    reply = api_without_aws("GET", path)
    assert reply.status == 200 and reply.content_type.startswith("text/html")
    csp = policy(reply)
    assert csp["default-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert header(reply, "x-content-type-options") == "nosniff"
    assert header(reply, "referrer-policy") == "no-referrer"
    page = Page()
    page.feed(reply.text)
    assert page.inline == [], page.inline
    assert page.scripts, "the page's behaviour is in script files"
    # Every file it loads is served by the API (the scripts as JavaScript, the styles as CSS), nosniff
    for src, kind in [(s, "javascript") for s in page.scripts] + [(s, "css") for s in page.styles]:
        url = urljoin(f"https://desk.example{path}", src)
        assert url.startswith("https://desk.example/assets/"), src
        served = api_without_aws("GET", url.removeprefix("https://desk.example"))
        assert served.status == 200 and kind in served.content_type, (src, served.status)
        assert header(served, "x-content-type-options") == "nosniff"


def test_the_web_forms_script_finds_every_element_it_drives(api_without_aws):
    page = Page()
    page.feed(api_without_aws("GET", "/form").text)
    wanted = set(re.findall(r"\$\('([a-z-]+)'\)", webform.SCRIPT))
    made_by_the_script = set(re.findall(r'id="([a-z-]+)"', webform.SCRIPT))
    assert wanted and wanted - page.ids - made_by_the_script == set()
    # It submits with fetch to the public endpoint, and shows what it hid with the stylesheet's help
    assert "fetch(base() + '/public/tickets'" in webform.SCRIPT
    assert "#ticket,#rate{display:none}" in webform.STYLE


def test_docs_without_swagger_files_load_them_from_the_cdn_the_policy_names(api_without_aws, monkeypatch):
    # The API's Lambda asset leaves Swagger UI's files out (infra/cdk/bundling.py)
    monkeypatch.setattr(pages, "swagger_installed", lambda: False)
    reply = api_without_aws("GET", "/docs")
    page = Page()
    page.feed(reply.text)
    assert page.inline == [] and page.scripts[0].startswith(pages.SWAGGER_CDN)
    assert pages.SWAGGER_CDN in policy(reply)["script-src"]
    assert page.scripts[-1] == "assets/docs.js"


def test_docs_as_json_is_the_openapi_document(api_without_aws):
    reply = api_without_aws("GET", "/docs?format=json")
    assert reply.status == 200 and reply.content_type.startswith("application/json")
    assert reply.json == json.loads(api_without_aws("GET", "/openapi.json").text)
    assert reply.json["openapi"].startswith("3.")


def test_json_answers_and_problems_are_nosniff_and_never_framed(api_without_aws):
    for reply in (
        api_without_aws("GET", "/health"),
        api_without_aws("GET", "/tasks", user=BOB),  # a problem
        api_without_aws("GET", "/no/such/endpoint"),
    ):
        assert header(reply, "x-content-type-options") == "nosniff", reply.headers
        assert "'none'" in policy(reply)["frame-ancestors"]


def test_the_follow_links_answers_are_never_a_referrer_nor_cached(api_without_aws):
    reply = api_without_aws("GET", "/public/tickets/01HZZZZZZZZZZZZZZZZZZZZZZZ")  # no key: refused before reading
    assert reply.status == 422
    assert header(reply, "referrer-policy") == "no-referrer"
    assert header(reply, "cache-control") == "no-store"
