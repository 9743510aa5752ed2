"""The local server's half of the web app's site (infra/local/site.py, infra/site.py): which paths are the app's,
what each answers, and the security headers on every answer. Over a built-looking dist folder, without a server."""

from __future__ import annotations

import json

import pytest

from infra import site
from infra.local import site as local_site
from infra.local.server import local_get


@pytest.fixture
def dist(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><script type="module" src="/static/index-abc.js"></script>')
    (tmp_path / "static" / "index-abc.js").write_text("console.log('app')")
    (tmp_path / "secret.txt").write_text("not a static file")
    return tmp_path


@pytest.mark.parametrize("path", ["/", "/app", "/app/", "/app/tickets/CW-1002", "/app/sign-in"])
def test_every_app_address_answers_the_index_revalidated(dist, path):
    assert site.is_site_path(path)
    status, headers, body = local_site.answer(path, dist)
    assert status == 200
    assert body.startswith(b"<!doctype html>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/tickets/CW-1002", "/form", "/assets/docs.js", "/health", "/apple", "/openapi.json"])
def test_the_api_keeps_its_paths(path):
    assert not site.is_site_path(path)


def test_hashed_files_are_cached_for_a_year_and_nothing_outside_static_is_served(dist):
    status, headers, body = local_site.answer("/static/index-abc.js", dist)
    assert (status, body) == (200, b"console.log('app')")
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    for path in ("/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/missing.js", "/static/"):
        assert local_site.answer(path, dist)[0] == 404, path


def test_every_answer_carries_the_security_headers(dist):
    for path in ("/app/", "/static/index-abc.js", "/static/missing.js", "/config.json"):
        _, headers, _ = local_site.answer(path, dist)
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "unsafe" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"


def test_the_config_tells_the_app_to_sign_in_locally_and_call_the_same_origin(dist):
    status, headers, body = local_site.answer("/config.json", dist)
    assert (status, headers["content-type"], headers["cache-control"]) == (200, "application/json", "no-cache")
    assert json.loads(body) == {"stage": "local", "apiBaseUrl": "", "auth": {"mode": "local"}}


def test_an_unbuilt_app_says_how_to_build_it(tmp_path):
    status, _, body = local_site.answer("/app/", tmp_path)
    assert status == 503
    assert b"make web" in body


def test_the_local_sign_in_lists_the_demo_users():
    status, _, body = local_get("/local/users", {})
    users = json.loads(body)["items"]
    assert status == 200
    assert {
        "email": "bob@acme.example",
        "name": "Bob (Acme)",
        "role": "customer",
        "organisation_id": "acme",
        "org_admin": False,
    } in users
    assert {u["role"] for u in users} == {"customer", "agent", "manager"}
