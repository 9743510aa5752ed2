"""The cloud's sign-in, in the browser, against a stand-in for Cognito: the app is told (config.json) to sign in with
the hosted UI, and Playwright answers the hosted UI's endpoints (on the site's origin: the local CSP allows only it).
Authorization code + PKCE, the tokens in memory only (never in Web Storage or the address), the access token on the
API calls, sign-out through the hosted UI's /logout."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import urllib.parse

import pytest

pytestmark = pytest.mark.scenario

CLIENT_ID = "portal-client-id"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: dict) -> str:
    return ".".join(
        [_b64(json.dumps({"alg": "RS256", "kid": "k"}).encode()), _b64(json.dumps(claims).encode()), "c2ln"]
    )


class FakeCognito:
    """The hosted UI's endpoints, as Cognito answers them, recording what the app sent."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.authority = f"{base}/fake-cognito/pool"
        self.domain = f"{base}/fake-cognito/ui"
        self.authorize: dict[str, str] = {}
        self.token_form: dict[str, str] = {}
        self.revoked: list[str] = []
        self.logouts: list[dict[str, str]] = []
        now = int(time.time())
        self.access_token = _jwt(
            {
                "sub": "cust-bob",
                "cognito:groups": ["customer"],
                "email": "bob@acme.example",
                "token_use": "access",
                "client_id": CLIENT_ID,
                "exp": now + 3600,
                "iat": now,
                "iss": self.authority,
            }
        )

    def config(self) -> dict:
        return {
            "stage": "test",
            "apiBaseUrl": "",
            "auth": {
                "mode": "cognito",
                "authority": self.authority,
                "domain": self.domain,
                "clientId": CLIENT_ID,
                "scope": "openid email profile",
            },
        }

    def install(self, page) -> None:
        page.route(f"{self.base}/config.json", lambda route: route.fulfill(json=self.config()))
        page.route(
            f"{self.authority}/.well-known/openid-configuration",
            lambda route: route.fulfill(
                json={
                    "issuer": self.authority,
                    "authorization_endpoint": f"{self.domain}/oauth2/authorize",
                    "token_endpoint": f"{self.domain}/oauth2/token",
                    "userinfo_endpoint": f"{self.domain}/oauth2/userInfo",
                    "revocation_endpoint": f"{self.domain}/oauth2/revoke",
                    "jwks_uri": f"{self.authority}/.well-known/jwks.json",
                    "response_types_supported": ["code"],
                }
            ),
        )
        page.route(re.compile(re.escape(f"{self.domain}/oauth2/authorize") + r"\?.*"), self._authorize)
        page.route(f"{self.domain}/oauth2/token", self._token)
        page.route(f"{self.domain}/oauth2/revoke", self._revoke)
        page.route(re.compile(re.escape(f"{self.domain}/logout") + r"\?.*"), self._logout)

    def _authorize(self, route) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(route.request.url).query))
        self.authorize = query
        back = query["redirect_uri"] + "?" + urllib.parse.urlencode({"code": "the-code", "state": query["state"]})
        route.fulfill(status=302, headers={"location": back})

    def _token(self, route) -> None:
        self.token_form = dict(urllib.parse.parse_qsl(route.request.post_data or ""))
        now = int(time.time())
        id_claims = {
            "sub": "cust-bob",
            "aud": CLIENT_ID,
            "iss": self.authority,
            "email": "bob@acme.example",
            "name": "Bob (Acme)",
            "cognito:groups": ["customer"],
            "token_use": "id",
            "iat": now,
            "exp": now + 3600,
        }
        if "nonce" in self.authorize:
            id_claims["nonce"] = self.authorize["nonce"]
        route.fulfill(
            json={
                "id_token": _jwt(id_claims),
                "access_token": self.access_token,
                "refresh_token": "the-refresh-token",
                "expires_in": 3600,
                "token_type": "Bearer",
            }
        )

    def _revoke(self, route) -> None:
        self.revoked.append(route.request.post_data or "")
        route.fulfill(status=200, body="")

    def _logout(self, route) -> None:
        self.logouts.append(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(route.request.url).query)))
        route.fulfill(status=302, headers={"location": self.logouts[-1]["logout_uri"]})


def test_the_hosted_ui_sign_in_keeps_tokens_in_memory_and_signs_out(web):
    cognito = FakeCognito(web.base_url)
    cognito.install(web.page)
    bearer: list[str] = []
    web.page.on("request", lambda r: bearer.append(r.headers.get("authorization", "")) if "/people/" in r.url else None)

    web.goto("/app/")
    web.page.get_by_role("button", name="Sign in").click()
    web.page.get_by_role("heading", name="Welcome, Bob (Acme)", level=1).wait_for()

    asked = cognito.authorize
    assert (asked["response_type"], asked["client_id"], asked["scope"]) == ("code", CLIENT_ID, "openid email profile")
    assert asked["redirect_uri"] == f"{web.base_url}/app/callback"
    assert asked["code_challenge_method"] == "S256"
    verifier = cognito.token_form["code_verifier"]  # PKCE: the token request proves it started the sign-in
    assert _b64(hashlib.sha256(verifier.encode()).digest()) == asked["code_challenge"]
    assert (cognito.token_form["grant_type"], cognito.token_form["code"]) == ("authorization_code", "the-code")

    assert web.page.url == f"{web.base_url}/app/"  # the code is gone from the address
    stored = web.page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    for secret in (cognito.access_token, "the-refresh-token", "the-code"):
        assert secret not in stored
    for _ in range(50):  # the profile request follows the sign-in
        if bearer:
            break
        web.page.wait_for_timeout(100)
    assert f"Bearer {cognito.access_token}" in bearer  # the API is called with the access token, from memory
    assert web.axe() == []

    web.page.get_by_role("button", name="Sign out").click()
    web.page.get_by_role("heading", name="Sign in", level=1).wait_for()
    assert cognito.logouts == [{"client_id": CLIENT_ID, "logout_uri": f"{web.base_url}/"}]
    assert any("the-refresh-token" in body for body in cognito.revoked)
    assert web.csp_violations() == []
