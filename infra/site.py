"""The web app's site (web/, built into web/dist): how its hosts answer, in one place for the local server
(infra/local/site.py) and the CloudFront distribution (infra/cdk/site.py).

- The app owns `/` and `/app/*` (every page's address; the host answers index.html, the app's router shows the
  page), `/static/*` (the built scripts and styles, named by their content's hash: cached for a year) and
  `/config.json` (what the host tells the app: the API's URL, how to sign in). Every other path is the API's.
- Every answer carries the security headers: a Content-Security-Policy without inline scripts or styles that
  lets the page talk only to the site, the API and the sign-in service, `frame-ancestors 'none'`,
  `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (the follow-link pages carry a ticket's key
  in their address), `X-Frame-Options: DENY` for browsers without CSP 2; HSTS where the site is HTTPS (CloudFront).
"""

from __future__ import annotations

from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
APP_PREFIX = "/app"
STATIC_PREFIX = "/static/"
CONFIG_PATH = "/config.json"
INDEX = "index.html"
HASHED_CACHE = "public, max-age=31536000, immutable"
UNHASHED_CACHE = "no-cache"  # index.html and config.json: revalidated on every load, so a deploy is seen at once
HSTS_SECONDS = 2 * 365 * 24 * 3600
REFERRER_POLICY = "no-referrer"


def is_site_path(path: str) -> bool:
    """Paths the site answers (the rest go to the API)."""
    return path in ("/", APP_PREFIX, CONFIG_PATH) or path.startswith((APP_PREFIX + "/", STATIC_PREFIX))


def content_security_policy(connect: tuple[str, ...] = ()) -> str:
    """The site's CSP: scripts, styles, fonts and images from the site itself (no inline code, no eval), requests
    to the site and `connect` (the API's origin and Cognito's, in the cloud), never framed."""
    sources = " ".join(("'self'", *connect))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        f"connect-src {sources}; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def security_headers(connect: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(connect),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": REFERRER_POLICY,
    }
