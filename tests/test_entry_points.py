"""Every Lambda the CDK app deploys starts the one way (functions/entry.py), in a process of its own as in the cloud,
and logs at INFO without tripping over the names the standard LogRecord keeps."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from infra.cdk.functions import FUNCTIONS
from shared.platform import logs

ROOT = Path(__file__).resolve().parent.parent
HANDLER_MODULES = sorted({spec.handler.rsplit(".", 1)[0] for spec in FUNCTIONS})


def _source(module: str) -> str:
    return (ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")


def starts_at_the_entry_point(source: str) -> bool:
    """True when the module, at import (top level), calls `entry.start(...)` from functions.entry."""
    tree = ast.parse(source)
    imported = any(
        isinstance(node, ast.ImportFrom) and node.module == "functions" and any(a.name == "entry" for a in node.names)
        for node in tree.body
    )
    calls = [
        node.value
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr)) and isinstance(node.value, ast.Call)
    ]
    started = any(
        isinstance(call.func, ast.Attribute)
        and call.func.attr == "start"
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "entry"
        for call in calls
    )
    return imported and started


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_every_deployed_handler_starts_at_the_entry_point(module: str) -> None:
    assert starts_at_the_entry_point(_source(module)), (
        f"{module} (a handler the CDK app deploys) must call `entry.start(...)` at import (functions/entry.py): "
        "in its own Lambda process nothing else assembles the desk"
    )


def test_the_entry_point_check_fails_for_a_handler_without_it() -> None:
    source = _source("functions.housekeeping")
    without = source.replace('logger = entry.start("caseway-housekeeping")', "logger = None")
    assert source != without
    assert not starts_at_the_entry_point(without)


@pytest.mark.parametrize("module", HANDLER_MODULES)
def test_a_handler_imported_alone_has_the_desk_it_needs(module: str) -> None:
    """The cloud imports only the handler's module: the hooks must be live afterwards (the housekeeping's R21
    backstop fired `task_finished` in a process where nothing had assembled the desk)."""
    probe = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "from shared.platform import hooks\n"
        "print('assembled' if hooks._assembled else 'not assembled')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    expected = "not assembled" if module == "functions.telegram_webhook" else "assembled"
    assert done.stdout.strip() == expected


def _literal_extra_keys() -> list[tuple[str, int, str]]:
    found = []
    for package in ("shared", "functions", "infra"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                        for key in keyword.value.keys:
                            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                                found.append((str(path.relative_to(ROOT)), node.lineno, key.value))
    return found


def test_no_log_line_names_a_field_logrecord_keeps() -> None:
    found = _literal_extra_keys()
    assert found, "the scan found no log line with an extra: it scans nothing"
    clashes = [f"{path}:{line} extra key {key!r}" for path, line, key in found if key in logs.RESERVED]
    assert not clashes, "use shared.platform.logs.fields(...): " + "; ".join(clashes)


def test_fields_keep_a_log_line_writable_at_info(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("caseway.test.fields")
    with caplog.at_level(logging.INFO, logger=log.name):
        with pytest.raises(KeyError, match="created"):
            log.info("daily review", extra={"created": 2})
        log.info("daily review", extra=logs.fields({"created": 2, "date": "2026-12-07"}))
    assert caplog.records[-1].created_ == 2 and caplog.records[-1].date == "2026-12-07"
