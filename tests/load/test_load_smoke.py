"""`make load` in small: 5 people for 10 seconds against a local stack the load script starts, then every write it
was answered with read back. Run as a child process: locust patches the standard library for gevent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.scenario


def test_a_short_load_loses_no_write(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"import_ratio": {"ratio": 1.0}}))  # what `make bench` wrote stays
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"TZ": "UTC"}
    done = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            "--users=5",
            "--duration=10s",
            f"--results={results}",
            f"--stack-log={tmp_path / 'stack.log'}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert results.exists(), done.stdout + done.stderr
    written = json.loads(results.read_text())
    load = written["load"]
    assert written["import_ratio"] == {"ratio": 1.0}
    checked = load["lost_writes_detail"]["checked"]
    assert checked["tickets"] > 0, (checked, done.stdout[-2000:])  # customers open a ticket before replying to one
    assert load["lost_writes_detail"]["unreadable"] == []
    assert load["lost_writes"] == 0, load["lost_writes_detail"]["missing"]
    assert "POST /tickets" in load["endpoints"]
    assert all(e["p95_ms"] is not None for e in load["endpoints"].values())
    # Errors fail `make load` (exit 1) and are listed; this test reports them rather than failing on them.
    assert (done.returncode == 0) == (load["errors"] == 0), done.stdout[-2000:]
    print(f"\nload smoke: {load['requests']} requests, {checked}, {load['errors']} errors {load['error_detail']}")
