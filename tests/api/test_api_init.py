"""The API loads at import (Lambda's init phase, with the function's full CPU burst) everything its requests need: the
desk and every context's router (functions/api/app.py). Only its OpenAPI document waits until it is asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from functions.api import app

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_includes_every_router_and_leaves_only_the_documentation_for_later():
    probe = (
        "import json, sys\n"
        "import functions.api.app as a\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'paths': sorted({r.path for r in a.ROUTES})}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    modules = set(seen["modules"])
    assert set(app.ROUTER_MODULES) <= modules, set(app.ROUTER_MODULES) - modules
    assert {"shared.desk", "pynamodb.models", "shared.tickets.items"} <= modules  # the desk is assembled
    bodies = {router.bodies for router in app.ROUTERS if router.bodies}
    assert "functions.api.tickets_bodies" in bodies and bodies <= modules  # every write's models
    assert "functions.api.openapi" not in modules  # the OpenAPI document (pydantic JSON schema): when asked for
    assert {"/health", "/tickets", "/tasks", "/kb/articles", "/mail/quarantine"} <= set(seen["paths"])


def test_every_route_is_included_once_in_the_resolver():
    declared = [(r.method, r.path) for r in app.ROUTES]
    assert len(declared) == len(set(declared)), "a route is declared twice"
    assert app.load_routers() == list(app.ROUTERS[1:])  # loading again includes nothing twice
    assert app.ROUTERS[0] is app.meta


def test_every_router_module_of_the_api_is_in_the_table():
    declaring = {
        f"functions.api.{path.stem}"
        for path in (ROOT / "functions" / "api").glob("*.py")
        if "\nrouter = ApiRouter(" in path.read_text()
    }
    assert declaring, "no router found: the scan is wrong"
    missing = declaring - set(app.ROUTER_MODULES)
    assert not missing, f"add {sorted(missing)} to ROUTER_MODULES"


def test_the_router_knows_every_resource_check_by_name():
    from functions.api import callers, router

    assert set(callers.RESOURCES) == router.RESOURCE_KINDS
