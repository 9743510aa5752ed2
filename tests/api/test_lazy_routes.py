"""The API loads a context's router when a path of that context is first called (functions/api/app.py CONTEXTS):
the table must name, for every declared path, the router that declares it; the desk itself is assembled in init."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from functions.api import app

ROOT = Path(__file__).resolve().parents[2]


def test_every_declared_route_is_reached_through_the_context_table():
    for module in app.ROUTER_MODULES:
        (router,) = app.load_routers((module,))
        assert router.declared, f"{module} declares no route"
        for route in router.declared:
            segment = route.path.lstrip("/").split("/", 1)[0]
            assert segment in app.CONTEXTS, f"{route.method} {route.path} ({module}): add {segment!r} to CONTEXTS"
            assert module in app.routers_for(route.path), f"{route.method} {route.path}: CONTEXTS[{segment!r}]"


def test_the_table_names_only_known_routers_and_meta_paths_load_none():
    assert {m for modules in app.CONTEXTS.values() for m in modules} <= set(app.ROUTER_MODULES)
    for path in ("/health", "/openapi.json", "/docs"):
        assert app.routers_for(path) == ()
    assert app.routers_for("/no-such-context/1") == app.ROUTER_MODULES  # unknown: everything, then a true 404
    assert {r.path for r in app.ROUTES} >= {"/health", "/tickets", "/tasks", "/kb/articles"}


def test_init_assembles_the_desk_and_one_context_loads_only_what_it_needs():
    """The module's import is the function's init (a full CPU burst in Lambda): it starts at the entry point, which
    assembles the desk every request needs (functions/entry.py); a context's first request then loads its routers."""
    probe = (
        "import json, sys\n"
        "import functions.api.app as a\n"
        "from shared.platform import hooks\n"
        "cold = sorted(m for m in sys.modules if m.startswith('functions.api.'))\n"
        "assembled = hooks._assembled\n"
        "a.load_routers(a.routers_for('/kb/articles'))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('functions.api.'))\n"
        "print(json.dumps({'cold': cold, 'loaded': loaded, 'assembled': assembled}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["assembled"] is True
    assert "functions.api.kb" not in seen["cold"]
    assert "functions.api.kb" in seen["loaded"]
    assert "functions.api.tickets" not in seen["loaded"] and "functions.api.money" not in seen["loaded"]


def test_every_router_module_of_the_api_is_in_the_table():
    declaring = {
        f"functions.api.{path.stem}"
        for path in (ROOT / "functions" / "api").glob("*.py")
        if "\nrouter = ApiRouter(" in path.read_text()
    }
    assert declaring, "no router found: the scan is wrong"
    missing = declaring - set(app.ROUTER_MODULES)
    assert not missing, f"add {sorted(missing)} to ROUTER_MODULES (and their paths to CONTEXTS)"


def test_the_router_knows_every_resource_check_by_name():
    from functions.api import callers, router

    assert set(callers.RESOURCES) == router.RESOURCE_KINDS
