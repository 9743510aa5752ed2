"""The security headers of every API response, added where the Lambda hands its answer to API Gateway (the
cloud and the local gateway alike):
- every response: `X-Content-Type-Options: nosniff`;
- HTML pages (/docs; the web app's pages are the site's, infra/site.py): their Content-Security-Policy
  (functions.api.pages: no inline scripts, `frame-ancestors 'none'`), `X-Frame-Options: DENY` for browsers
  without CSP 2, and `Referrer-Policy: no-referrer`;
- other responses: a policy that allows nothing (JSON is never rendered as a document);
- the follow link's API (/public/tickets/...) and the confirmation that answers with a follow link
  (/public/confirmations): `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
"""

from __future__ import annotations

from typing import Any

# The follow link's API: its URL carries the ticket's secret key.
FOLLOW_LINK_PATHS = "/public/tickets/"
CONFIRMATION_PATH = "/public/confirmations"
# The page's scripts and styles come from the API only; a page talks to the API only and is never framed.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
NOTHING = "default-src 'none'; frame-ancestors 'none'"


def _get(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def secure(result: dict[str, Any], path: str) -> dict[str, Any]:
    """The Lambda's HTTP API response with the security headers set (a route's own policy is kept)."""
    headers = result.get("headers") or {}
    result["headers"] = headers
    headers["X-Content-Type-Options"] = "nosniff"
    is_page = (_get(headers, "content-type") or "").startswith("text/html")
    if _get(headers, "content-security-policy") is None:
        headers["Content-Security-Policy"] = PAGE_POLICY if is_page else NOTHING
    if is_page:
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
    if path.startswith((FOLLOW_LINK_PATHS, CONFIRMATION_PATH)):
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cache-Control"] = "no-store"
    return result
