"""The web app's API client is typed from the API's own routes: web/src/api/schema.d.ts is what `make web-types`
generates now (functions.api.app's routes -> OpenAPI document -> openapi-typescript)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "web" / "src" / "api" / "schema.d.ts"
GENERATOR = ROOT / "web" / "node_modules" / ".bin" / "openapi-typescript"


def test_the_generated_api_types_match_the_routes(tmp_path):
    assert GENERATOR.exists(), "web/node_modules is missing: run `make web` (make test installs it)"
    document = tmp_path / "openapi.json"
    subprocess.run(
        [sys.executable, str(ROOT / "web" / "scripts" / "openapi_dump.py"), str(document)], cwd=ROOT, check=True
    )
    generated = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(GENERATOR), str(document), "-o", str(generated)], cwd=ROOT / "web", check=True, capture_output=True
    )
    assert "/people/{sub}" in generated.read_text()
    assert generated.read_text() == COMMITTED.read_text(), (
        "web/src/api/schema.d.ts is stale: the API's routes changed. Run `make web-types` and commit the result."
    )
