"""The API's HTML page (/docs) and the files it loads (GET /assets/{name}). The web form is the web app's page
(web/, /app/form); the API only redirects its old address (functions.api.public).

No page carries an inline script, style or event handler: each loads its script and style as files, so its
Content-Security-Policy (functions.api.headers) allows scripts from the API itself only. /docs runs Swagger UI
from powertools' package where it is installed (the local stack: works offline); the API's Lambda asset leaves
those files out (infra/cdk/bundling.py), and the page loads them from a CDN, which its policy names.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SWAGGER_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"


def _swagger_folder() -> Path | None:
    spec = importlib.util.find_spec("aws_lambda_powertools")  # the package's folder, without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "event_handler" / "openapi" / "swagger_ui"


SWAGGER_FILES = {"swagger-ui-bundle.js": "swagger-ui-bundle.min.js", "swagger-ui.css": "swagger-ui.min.css"}

# Swagger UI's start, as a file: it reads the API's document from /openapi.json (beside /docs).
DOCS_SCRIPT = """window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: 'openapi.json', dom_id: '#swagger-ui', deepLinking: true, filter: true, docExpansion: 'list',
    layout: 'BaseLayout', showExtensions: true, showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl]
  });
});
"""

DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Caseway API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{css}">
</head><body>
<div id="swagger-ui">Loading the API's documentation...</div>
<noscript>The interactive documentation needs JavaScript; the OpenAPI document is at
<a href="openapi.json">openapi.json</a>.</noscript>
<script src="{js}"></script>
<script src="assets/docs.js"></script>
</body></html>
"""


def swagger_installed() -> bool:
    folder = _swagger_folder()
    return folder is not None and all((folder / name).exists() for name in SWAGGER_FILES.values())


def docs_page() -> tuple[str, str]:
    """The /docs page and its Content-Security-Policy (Swagger UI from the API's assets, or from the CDN; its
    React components set inline styles, so the docs page alone allows those; never inline scripts)."""
    if swagger_installed():
        js, css, source = "assets/swagger-ui-bundle.js", "assets/swagger-ui.css", "'self'"
    else:
        js, css, source = f"{SWAGGER_CDN}/swagger-ui-bundle.js", f"{SWAGGER_CDN}/swagger-ui.css", SWAGGER_CDN
    policy = (
        f"default-src 'none'; script-src 'self' {source}; style-src 'self' {source} 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ).replace("'self' 'self'", "'self'")
    return DOCS_PAGE.format(js=js, css=css), policy


JS, CSS = "text/javascript; charset=utf-8", "text/css; charset=utf-8"


def asset(name: str) -> tuple[str, str] | None:
    """(content type, text) of a file the pages load, or None when there is no such file here."""
    if name == "docs.js":
        return JS, DOCS_SCRIPT
    folder = _swagger_folder()
    if name in SWAGGER_FILES and folder is not None and (folder / SWAGGER_FILES[name]).exists():
        return (JS if name.endswith(".js") else CSS), (folder / SWAGGER_FILES[name]).read_text(encoding="utf-8")
    return None
