"""`caseway local` in a child process, as `make run` starts it (the real clock): for the tests that talk to it over
HTTP. Its output goes to a file, never a pipe nobody reads once it has started (a full pipe would stop the stack)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from infra.local.stack import DEMO_TICKETS_ENV, free_port

ROOT = Path(__file__).resolve().parents[2]
READY = "Press Ctrl-C"


@contextmanager
def running_stack(
    timeout: float = 120.0, *, demo_tickets: bool = False, args: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> Iterator[tuple[str, list[str]]]:
    """The base URL of a started local stack and the lines it printed while starting. Without `demo_tickets` the
    stack starts without the demo tickets `make run` works through the desk (tests that bring their own tickets
    see only theirs); with them, GET /local/demo says when they are ready. `args` go to `caseway local` (e.g.
    --rehearsal), `env` into its environment."""
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **(env or {})}
    env[DEMO_TICKETS_ENV] = "1" if demo_tickets else "0"
    env.setdefault("SMTP_PORT", str(free_port()))  # its SMTP server too: never the 2525 of a `make run` beside it
    log = tempfile.NamedTemporaryFile("w+", prefix="caseway-local-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.cli", "local", "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        lines = Path(log.name).read_text().splitlines()
        if any(line.startswith(READY) for line in lines):
            break
        time.sleep(0.2)
    if not any(line.startswith(READY) for line in lines):
        process.kill()
        pytest.fail("the local stack did not start:\n" + Path(log.name).read_text())
    try:
        yield f"http://127.0.0.1:{port}", lines
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        Path(log.name).unlink(missing_ok=True)
