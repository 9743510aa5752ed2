"""Shared fixtures: emulated AWS in-process (moto), the demo data, the desk (the demo on a clock only the test
moves), and a client that calls the API Lambda's real handler with HTTP API events as API Gateway would build
them.

Every test that asks for the emulation gets a fresh one, and a freshly seeded demo if it asks for that, as if
`aws_emulation.provision()` and `demo.seed()` had just run, and nothing of it outlives the test (`stop_routes`).
What makes that cheap:
- the botocore clients live as long as the process (moto intercepts every client, so a client is not tied to
  one emulation, and creating them again was most of what provisioning cost);
- `demo.seed()` runs once per process and clock instant; a later test asking for the same demo gets a copy of
  the table that seeding left (`DemoCopies`);
- a transaction backs up only the items it writes, not the whole table (`back_up_only_what_a_transaction_writes`);
- requests the API refuses before reading any data need no emulation at all (`api_without_aws`).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from unittest import mock

import pytest

from infra.local import fake_aws

fake_aws.apply(POWERTOOLS_LOG_LEVEL="WARNING")

from moto import mock_aws  # noqa: E402

from functions.api import app  # noqa: E402
from infra.local import demo  # noqa: E402
from infra.local import emulation as aws_emulation  # noqa: E402
from infra.local.demo import money as demo_money  # noqa: E402
from infra.local.moto_transactions import back_up_only_what_a_transaction_writes  # noqa: E402
from infra.local.virtual_time import VirtualClock  # noqa: E402
from shared.clocks import plans as clock_plans  # noqa: E402
from shared.directory import people  # noqa: E402
from shared.platform import aws, clock, config  # noqa: E402

# Monday 23 November 2026, 09:00 in Prague: where the desk's clock starts unless a test says otherwise.
MONDAY_0900 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


# --- emulated AWS and the demo ---------------------------------------------------------------------------------


def provision() -> None:
    """`aws_emulation.provision()`, keeping the process's botocore clients (see the module doc). The user pool
    (a CreateUserPool and its groups cost about 20 ms) only for the tests that ask for it: `user_pool`."""
    with mock.patch.object(aws, "reset", lambda: None):
        aws_emulation.provision(user_pool=False)


def stop_routes(threads_before: int, timeout: float = 5.0) -> None:
    """End the routes a test left running, as StopExecution would, and wait for their threads: nothing of one
    test's emulation may reach the next test's (a route thread between two steps would call the next test's
    table, or wait on its virtual clock)."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    deadline = time.monotonic() + timeout
    while True:
        _stop_running_executions()
        if not any(t.is_alive() for t in TMP_THREADS[threads_before:]) or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _stop_running_executions() -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    for account in list(stepfunctions_parser_backends.values()):
        for backend in list(account.values()):
            for machine in list(backend.state_machines):
                for execution in list(getattr(machine, "executions", [])):
                    env = getattr(getattr(execution, "exec_worker", None), "env", None)
                    if env is None or not env.is_running():
                        continue  # not started yet (the next round stops it) or already ended
                    execution.stop(stop_date=datetime.now(UTC), error="", cause="test ended")
                    for endpoint in list(env.callback_pool_manager._pool.values()):
                        endpoint.interrupt_all()  # a .waitForTaskToken task waiting in real time


@pytest.fixture
def emulated_aws() -> Iterator[None]:
    """Fresh emulated AWS with every resource created from the project's definitions."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    with mock_aws(config=aws_emulation.MOTO_CONFIG):
        people.forget_deactivated_cache()  # a fresh emulation: nobody was deactivated in it yet
        aws_emulation.install_lambda_dispatcher()
        back_up_only_what_a_transaction_writes()
        provision()
        clock_plans.new_invocation()  # no calendar or plan read from another test's table
        threads_before = len(TMP_THREADS)
        yield
        stop_routes(threads_before)


@pytest.fixture
def user_pool(emulated_aws: None) -> str:
    """The emulated Cognito user pool as the stack makes it (people are invited into it); its id."""
    return aws_emulation.provision_user_pool()


class DemoCopies:
    """The table as `demo.seed()` left it in a fresh emulation, kept per clock instant: a test asking for the same
    demo gets a copy of it in its own fresh table instead of seeding again (seeding takes seconds; copying, ms).

    Seeding writes only to the table (its bus events find no rule, there are none yet), so the table's items are
    the whole seeded state. What it writes depends on the clock: a fixed or virtual clock's instant is the key;
    under the real clock the key is the current minute, so a copy is never more than a minute old (the age a
    seeded item could already have at the end of a long test)."""

    def __init__(self) -> None:
        self._items: dict[tuple[Any, ...], Any] = {}

    def seed(self, at: datetime | None = None, *, demo_money_seed: bool = True) -> None:
        """Seed the demo (`at`: the instant of the fixed or virtual clock the test installed; None: real time).
        `demo_money_seed=False` leaves out the demo contracts and their imported time."""
        if at is None:
            key: tuple[Any, ...] = ("real", datetime.now(UTC).replace(second=0, microsecond=0), demo_money_seed)
        else:
            assert clock.now() == at, f"the clock reads {clock.now()}, the demo was asked for {at}"
            key = ("at", at, demo_money_seed)
        table = self.table()
        unknown_clock = at is None and abs(clock.now() - datetime.now(UTC)) > timedelta(seconds=5)
        if unknown_clock or any(table.items.values()):
            # A clock nobody named, or not a fresh table: seed as it is, and keep no copy.
            self._seed(demo_money_seed)
        elif key in self._items:
            table.items = copy.deepcopy(self._items[key])
        else:
            self._seed(demo_money_seed)
            self._items[key] = copy.deepcopy(self.table().items)

    @staticmethod
    def _seed(demo_money_seed: bool) -> None:
        if demo_money_seed:
            demo.seed()
        else:
            with mock.patch.object(demo_money, "seed", lambda **_: None):
                demo.seed()

    @staticmethod
    def table() -> Any:
        """moto's table object (its `items` are the table's content)."""
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[aws_emulation.ACCOUNT][aws_emulation.REGION]
        return backend.get_table(config.get(config.TABLE_NAME))


DEMO = DemoCopies()


@pytest.fixture
def seeded(emulated_aws: None) -> None:
    DEMO.seed()


# --- the API as API Gateway calls it ---------------------------------------------------------------------------


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
        claims: dict[str, Any] | None = None,
    ) -> Reply:
        """`user`: a demo user's ID token; `claims`: any other token's claims (an invited person's, a machine
        client's), as the JWT authorizer passes them."""
        hdrs = {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}
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


@pytest.fixture
def api_without_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The API for requests it refuses before reading any data (no token, a role that may not, a bad body or
    query, an unknown route): no emulation and no demo. An AWS request fails the test."""
    from botocore.client import BaseClient

    requests: list[str] = []

    def refuse(client: Any, operation: str, params: dict[str, Any]) -> Any:
        requests.append(f"{client.meta.service_model.service_name}.{operation}")
        raise AssertionError(f"{requests[-1]}: this test runs without AWS")

    monkeypatch.setattr(BaseClient, "_make_api_call", refuse)
    # Nobody was deactivated: the caller resolution's list of deactivated people (read once per 30 s) is empty.
    monkeypatch.setattr(people, "recently_deactivated", frozenset)
    yield Api()
    assert requests == [], f"the API called AWS: {requests}"


# --- the desk: the demo on a clock that only the test moves ----------------------------------------------------


class FixedClock:
    """`shared.clock` standing still at `at` until the test sets `at` (backwards too). Unlike the virtual clock it
    leaves moto alone, so a route's Wait state would wait in real time: for tests that start no route."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class DeskSetup:
    """How `desk` sets the desk up; a test module overrides the `desk_setup` fixture, a test parametrizes it."""

    start: datetime = MONDAY_0900
    clock: str = "virtual"  # "virtual": infra.virtual_time.VirtualClock; "fixed": FixedClock
    demo_money: bool = True  # the demo contracts and their imported time


class Desk(NamedTuple):
    api: Api
    clock: Any  # VirtualClock or FixedClock, as DeskSetup.clock says


@pytest.fixture
def desk_setup() -> DeskSetup:
    return DeskSetup()


@pytest.fixture
def desk(emulated_aws: None, desk_setup: DeskSetup) -> Iterator[Desk]:
    """The seeded demo desk with `shared.clock` at `desk_setup.start`: `api, vc = desk`."""
    setup = desk_setup
    if setup.clock == "virtual":
        vc = VirtualClock(setup.start)
        vc.install()
        try:
            DEMO.seed(setup.start, demo_money_seed=setup.demo_money)
            yield Desk(Api(), vc)
        finally:
            vc.uninstall()
    elif setup.clock == "fixed":
        fixed = FixedClock(setup.start)
        clock.set_clock(fixed)
        try:
            DEMO.seed(setup.start, demo_money_seed=setup.demo_money)
            yield Desk(Api(), fixed)
        finally:
            clock.set_clock(None)
    else:
        raise ValueError(f"unknown desk clock {setup.clock!r}: 'virtual' or 'fixed'")


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
