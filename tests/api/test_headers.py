"""Security headers: every HTML page sends a Content-Security-Policy without inline scripts and never framed, and
carries no inline script, style or handler; every response is nosniff; the follow link is never sent as a referrer.
The pages' scripts and styles are served. The web form is the web app's page: the API's /form redirects to it, and
the app's page is held to the same rules by the site's headers (infra/site.py; the CloudFront policy: tests/cdk)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from functions.api import app, pages
from infra.local import site as local_site
from shared.platform import config
from tests.conftest import BOB

HTML_ROUTES = [r.path for r in app.ROUTES if r.content_type == "text/html"]
WEB = Path(__file__).resolve().parents[2] / "web"


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
    assert "/docs" in HTML_ROUTES
    assert "/form" not in HTML_ROUTES  # the web form is the web app's page (/app/form)


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


@pytest.mark.parametrize("query", ["", "?service=document-request", "?ticket=01HZZZZZZZZZZZZZZZZZZZZZZZ"])
def test_the_web_forms_old_address_redirects_to_the_apps_form(api_without_aws, monkeypatch, query):
    monkeypatch.setenv(config.SITE_URL, "https://help.example.org/")
    reply = api_without_aws("GET", "/form" + query)
    assert reply.status == 302
    assert header(reply, "location") == "https://help.example.org/app/form"
    assert "https://help.example.org/app/form" in reply.text  # a client that does not follow reads where to go
    csp = policy(reply)
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert header(reply, "x-content-type-options") == "nosniff"
    assert header(reply, "referrer-policy") == "no-referrer"
    assert header(reply, "cache-control") == "no-store"


def test_the_old_forms_script_and_style_are_gone_and_the_docs_script_stays(api_without_aws):
    for name in ("form.js", "form.css"):
        gone = api_without_aws("GET", f"/assets/{name}")
        assert gone.status == 404 and gone.content_type == "application/problem+json", (name, gone.status)
        assert "/app/form" in gone.json["detail"]
    served = api_without_aws("GET", "/assets/docs.js")
    assert served.status == 200 and "javascript" in served.content_type
    assert "SwaggerUIBundle" in served.text


def test_the_apps_page_carries_no_inline_code_and_the_site_forbids_it(tmp_path):
    # web/index.html is the page of every app address, the web form's (/app/form) included; the build only swaps
    # its module script for the built file (tests/web/test_smoke.py checks the built one in a browser)
    page = Page()
    page.feed((WEB / "index.html").read_text(encoding="utf-8"))
    assert page.inline == [], page.inline
    assert page.scripts == ["/src/main.tsx"], page.scripts
    (tmp_path / "index.html").write_text((WEB / "index.html").read_text(encoding="utf-8"))
    status, headers, body = local_site.answer("/app/form", tmp_path)
    assert status == 200 and headers["content-type"].startswith("text/html") and b'id="app"' in body
    csp = {d.split()[0]: d.split()[1:] for d in headers["content-security-policy"].split(";") if d.strip()}
    assert csp["default-src"] == ["'none'"] and csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


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
