"""The local server's half of the web app's site (infra/site.py): index.html for the app's addresses, the built
files from web/dist (hashed names cached for a year), and /config.json telling the app to sign in through the
local token endpoint and to call the API on the same origin. When web/dist is missing, a page says how to build it.
"""

from __future__ import annotations

import json
import mimetypes
import os
from pathlib import Path

from infra import site
from infra.local.gateway import Response

LOCAL_CONFIG = {"stage": "local", "apiBaseUrl": "", "auth": {"mode": "local"}}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".json": "application/json"}
NOT_BUILT = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Caseway: web app not built</title>"
    "<h1>The web app is not built</h1><p>Run <code>make web</code> (or <code>make run</code>, which builds it) "
    "and reload.</p></html>"
)


def answer(path: str, dist: Path = site.DIST) -> Response:
    """The site's answer to GET `path` (is_site_path(path) holds)."""
    # The browser uploads attachments straight to the (emulated) S3 with presigned POSTs: its origin may be called.
    storage = os.environ.get("AWS_ENDPOINT_URL")
    headers = {k.lower(): v for k, v in site.security_headers((storage,) if storage else ()).items()}
    if path == site.CONFIG_PATH:
        body = json.dumps(LOCAL_CONFIG).encode()
        return 200, {**headers, "content-type": "application/json", "cache-control": site.UNHASHED_CACHE}, body
    if path.startswith(site.STATIC_PREFIX):
        return _static(path, dist, headers)
    index = dist / site.INDEX
    if not index.is_file():
        return (
            503,
            {**headers, "content-type": "text/html; charset=utf-8", "cache-control": "no-store"},
            NOT_BUILT.encode(),
        )
    return (
        200,
        {**headers, "content-type": "text/html; charset=utf-8", "cache-control": site.UNHASHED_CACHE},
        index.read_bytes(),
    )


def _static(path: str, dist: Path, headers: dict[str, str]) -> Response:
    root = (dist / site.STATIC_PREFIX.strip("/")).resolve()
    wanted = (dist / path.lstrip("/")).resolve()
    if root not in wanted.parents or not wanted.is_file():  # no ../ out of web/dist/static
        body = b"Not found"
        return 404, {**headers, "content-type": "text/plain; charset=utf-8", "cache-control": "no-store"}, body
    kind = TYPES.get(wanted.suffix) or mimetypes.guess_type(wanted.name)[0] or "application/octet-stream"
    return 200, {**headers, "content-type": kind, "cache-control": site.HASHED_CACHE}, wanted.read_bytes()
