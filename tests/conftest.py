"""Shared fixtures: emulated AWS in-process (moto), the demo data, and a client that calls the API
Lambda's real handler with HTTP API events as API Gateway would build them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infra.local import fake_aws

fake_aws.apply(POWERTOOLS_LOG_LEVEL="WARNING")

from moto import mock_aws  # noqa: E402

from infra.local import demo  # noqa: E402
from infra.local import emulation as aws_emulation  # noqa: E402
from shared.platform import aws  # noqa: E402


@pytest.fixture
def emulated_aws() -> Iterator[None]:
    """Fresh emulated AWS with every resource created from the project's definitions."""
    with mock_aws(config=aws_emulation.MOTO_CONFIG):
        aws_emulation.install_lambda_dispatcher()
        aws_emulation.provision()
        yield
        aws.reset()


@pytest.fixture
def seeded(emulated_aws: None) -> None:
    demo.seed()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type") or self.headers.get("content-type") or ""


class Api:
    """Calls functions.api.app.handler with the event API Gateway's HTTP API would send."""

    def __init__(self) -> None:
        from infra.local.gateway import Gateway

        self.gateway = Gateway()

    def __call__(
        self,
        method: str,
        path: str,
        *,
        user: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw_body: str | None = None,
        source_ip: str = "198.51.100.7",
    ) -> Reply:
        from functions.api import app

        hdrs = {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
        claims = None
        if user is not None:
            found = demo.user_by_email(user)
            assert found is not None, f"no demo user {user}"
            claims = demo.claims_for(found)
        text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else "")
        event = self.gateway.event(method, path, hdrs, text.encode(), source_ip, claims)
        result = app.handler(event, fake_aws.LambdaContext())
        return Reply(int(result["statusCode"]), dict(result.get("headers") or {}), result.get("body") or "")


@pytest.fixture
def api(seeded: None) -> Api:
    return Api()


# Demo users by role, for readability in tests.
ALICE = "alice@acme.example"  # Acme customer, organisation admin
BOB = "bob@acme.example"  # Acme customer
VERA = "vera@globex.example"  # Globex (VIP) customer, organisation admin
GUS = "gus@globex.example"  # Globex customer
LENA = "lena.l1@caseway.example"  # L1 agent
PETR = "petr.l1@caseway.example"  # L1 agent
DANA = "dev.l2@caseway.example"  # L2 agent
MARIA = "maria.manager@caseway.example"  # manager

QUESTION = {
    "service": "functionality-question",
    "subject": "CSV export fails",
    "description": "Exporting the monthly report to CSV ends with an error page.",
    "fields": {"problem": "Export button shows an error", "contact": "+420 123 456 789"},
}


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Routes run on moto's interpreter in a background thread: poll until their effect shows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def open_l1_task(api: Api, ticket_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        items = api("GET", "/tasks?group=L1", user=LENA).json["items"]
        return next((t for t in items if t["ticket_id"] == ticket_id), None)

    return wait_for(find, what=f"the L1 task of ticket {ticket_id}")


def route_task(api: Api, group: str, user: str, ticket_id: str, task_type: str) -> dict[str, Any]:
    """Wait for the ticket's route to put a task of this type into the group's queue."""

    def find() -> dict[str, Any] | None:
        items = api("GET", f"/tasks?group={group}", user=user).json["items"]
        return next((t for t in items if t["ticket_id"] == ticket_id and t["type"] == task_type), None)

    return wait_for(find, what=f"the {task_type} task in {group}")


def finish_task(api: Api, user: str, task: dict[str, Any], outcome: str, note: str | None = None) -> None:
    """Take a task and complete it with an outcome, as the agent would."""
    assert api("POST", f"/tasks/{task['id']}/take", user=user).status == 200
    body = {"outcome": outcome, **({"note": note} if note else {})}
    reply = api("POST", f"/tasks/{task['id']}/complete", user=user, body=body)
    assert reply.status == 200, reply.text
