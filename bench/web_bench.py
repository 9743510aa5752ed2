"""The web app's JavaScript budget (part of `make bench`; `python bench/web_bench.py` alone): how much JavaScript a
customer's browser downloads, gzip-compressed as CloudFront serves it, from the build's manifest
(web/dist/.vite/manifest.json: each chunk's static imports; `make web` builds it).

- first_page_js: the customer's first visit, from opening the site to their home page: the entry chunk, the sign-in
  page, (in the cloud) the OIDC client and the callback page, the home page, and the Czech messages (a Czech
  browser; English is in the entry). Target <= 150 KB (150,000 bytes) gzip for each way of signing in.
- per_page_js: the entry chunk plus one page (reported, no target): what opening that page's address costs.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "web" / "dist"
MANIFEST = DIST / ".vite" / "manifest.json"
RESULTS = Path(__file__).resolve().parent / "results.json"
BUDGET_BYTES = 150_000
ENTRY = "index.html"
FIRST_VISITS = {
    "local sign-in (the demo users' page)": [ENTRY, "src/pages/SignIn.tsx", "src/pages/Home.tsx", "src/i18n/cs.json"],
    "cloud sign-in (Cognito hosted UI, code + PKCE)": [
        ENTRY,
        "src/pages/SignIn.tsx",
        "src/auth/cognito.ts",
        "src/pages/Callback.tsx",
        "src/pages/Home.tsx",
        "src/i18n/cs.json",
    ],
}


def _closure(manifest: dict[str, Any], keys: list[str]) -> set[str]:
    """The JavaScript files of `keys` and everything they import statically (what the browser must load)."""
    files: set[str] = set()
    todo = list(keys)
    seen: set[str] = set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        chunk = manifest[key]
        if chunk["file"].endswith(".js"):
            files.add(chunk["file"])
        todo.extend(chunk.get("imports", []))
    return files


def _gzip_bytes(files: set[str]) -> dict[str, int]:
    raw = sum((DIST / f).stat().st_size for f in files)
    packed = sum(len(gzip.compress((DIST / f).read_bytes(), 9)) for f in files)
    return {"raw_bytes": raw, "gzip_bytes": packed, "files": len(files)}


def measure() -> dict[str, Any]:
    if not MANIFEST.is_file():
        raise FileNotFoundError(f"{MANIFEST} is missing: run `make web` (make bench builds it)")
    manifest = json.loads(MANIFEST.read_text())
    visits = {name: _gzip_bytes(_closure(manifest, keys)) for name, keys in FIRST_VISITS.items()}
    largest = max(v["gzip_bytes"] for v in visits.values())
    pages = {
        key.removeprefix("src/pages/").removesuffix(".tsx"): _gzip_bytes(_closure(manifest, [ENTRY, key]))["gzip_bytes"]
        for key in sorted(manifest)
        if key.startswith("src/pages/")
    }
    return {
        "web_js": {
            "first_page_js": visits,
            "per_page_js_gzip_bytes": pages,
            "largest_first_visit_gzip_kb": round(largest / 1000, 1),
            "target": f"<= {BUDGET_BYTES // 1000} KB gzip",
            "ok": largest <= BUDGET_BYTES,
        }
    }


def check(web: dict[str, Any]) -> dict[str, Any]:
    found = web["web_js"]
    return {
        "name": f"first page's JavaScript <= {BUDGET_BYTES // 1000} KB gzip (customer, sign-in to home)",
        "value": f"{found['largest_first_visit_gzip_kb']} KB",
        "ok": found["ok"],
    }


def main() -> int:
    web = measure()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(web)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    found = web["web_js"]
    for name, visit in found["first_page_js"].items():
        raw = f"{visit['raw_bytes'] / 1000:.1f} KB, {visit['files']} files"
        print(f"{name:50} {visit['gzip_bytes'] / 1000:7.1f} KB gzip ({raw})")
    for page, size in found["per_page_js_gzip_bytes"].items():
        print(f"  entry + {page:40} {size / 1000:7.1f} KB gzip")
    status = "ok" if found["ok"] else "FAIL"
    print(f"{status}: largest first visit {found['largest_first_visit_gzip_kb']} KB, target {found['target']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
