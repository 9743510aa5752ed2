"""Writes the API's OpenAPI document (functions.api.openapi over every route of functions.api.app), indented and
with sorted keys so that the generated TypeScript types only change when the API does.

Usage: python web/scripts/openapi_dump.py <out.json>   (make web-types runs it, then openapi-typescript)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from functions.api import app, openapi


def document() -> dict:
    return json.loads(openapi.document(app.all_routes()))


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(".cache/openapi.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
