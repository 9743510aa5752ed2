"""The rehearsal's fixtures: the dev stage prepared once per session (template, assets for this machine, the
runtime's boto3), and the local stack in rehearsal mode once per module: every function of the template a process
of its own, talking to one emulated AWS on the real clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.local.stack import REHEARSAL_DIR_ENV, REHEARSAL_PREPARED_ENV, free_port
from infra.rehearsal import calls, runner, stage
from infra.rehearsal.intrinsics import Physical
from tests.local.process import running_stack
from tests.local.test_scenario_local_stack import Http


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev stage's preparation, written where the rehearsal's stack reads it."""
    return stage.prepare("dev").save(tmp_path_factory.mktemp("rehearsal") / "prepared.json")


@dataclass
class Rehearsal:
    http: Http
    record_dir: Path
    lines: list[str]
    smtp_port: int

    @property
    def moto_url(self) -> str:
        """The emulated AWS the stack and every function's process talk to (from the stack's banner)."""
        line = next(line for line in self.lines if line.strip().startswith("emulated AWS"))
        return line.split()[2]

    def physical(self) -> Physical:
        """The emulated resources the template was resolved against."""
        found = json.loads((self.record_dir / "physical.json").read_text())
        return Physical(refs=found["refs"], attributes=found["attributes"])

    def client(self, service: str) -> Any:
        """A client of the emulated AWS, for test data only (what the desk does goes through its functions)."""
        import boto3  # only the tests that put test data in place

        return boto3.client(
            service,
            endpoint_url=self.moto_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def failures(self) -> list[dict[str, Any]]:
        return runner.read_failures(self.record_dir)

    def calls(self) -> list[calls.Call]:
        return [call for path in sorted(self.record_dir.glob("*.records.jsonl")) for call in calls.read(path)]

    def settings(self) -> dict[str, dict[str, bool]]:
        return runner.read_settings(self.record_dir)

    def log(self, logical_id_prefix: str) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.record_dir.glob(f"{logical_id_prefix}*.log"))
        )

    def assert_no_failure(self, *, but: tuple[str, ...] = ()) -> None:
        """Every invocation so far succeeded (`but`: error types expected)."""
        unexpected = [f for f in self.failures() if f["errorType"] not in but]
        assert not unexpected, json.dumps(unexpected, indent=1)[:6000]


@pytest.fixture(scope="module")
def rehearsal(prepared: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    record_dir = tmp_path_factory.mktemp("records")
    smtp_port = free_port()
    env = {REHEARSAL_PREPARED_ENV: str(prepared), REHEARSAL_DIR_ENV: str(record_dir), "SMTP_PORT": str(smtp_port)}
    with running_stack(240.0, args=("--rehearsal",), env=env) as (url, lines):
        yield Rehearsal(Http(url), record_dir, lines, smtp_port)
