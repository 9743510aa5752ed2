"""The virtual clock: Wait states and .waitForTaskToken timeouts of moto's interpreter end at exactly
their virtual due instant, when the test fires them, and never wait in real time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local import emulation as aws_emulation
from infra.local.virtual_time import TASK_TIMEOUT, WAIT, VirtualClock, VirtualTimeError
from shared.platform import clock
from tests.conftest import stop_routes

# A real wait would take days: this bound only tells "did not wait" apart from "waited", even with the machine
# loaded by parallel test workers (the test asserts no timing beyond that).
NO_REAL_WAIT = 60.0

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROLE = f"arn:aws:iam::{aws_emulation.ACCOUNT}:role/virtual-time-test"
FUNCTION = f"arn:aws:lambda:{aws_emulation.REGION}:{aws_emulation.ACCOUNT}:function:virtual-time-test"


@pytest.fixture
def sfn() -> Iterator[Any]:
    from moto.stepfunctions.parser.utils import TMP_THREADS

    threads_before = len(TMP_THREADS)
    with mock_aws(config=aws_emulation.MOTO_CONFIG):
        yield boto3.client("stepfunctions", region_name=aws_emulation.REGION)
        stop_routes(threads_before)


@pytest.fixture
def vclock() -> Iterator[VirtualClock]:
    with VirtualClock(START) as installed:
        yield installed


@pytest.fixture
def invocations(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every Lambda invoke of the interpreter: its payload and what shared.clock said at that moment."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    seen: list[dict[str, Any]] = []

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> bytes:
        payload = json.loads(body) if body else {}
        seen.append({"payload": payload, "now": clock.now()})
        return json.dumps({"ok": True, "step": payload.get("step")}).encode()

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
    return seen


def create(sfn: Any, states: dict[str, Any], start_at: str) -> str:
    """The first state machine of a process costs about 1.5 s (moto loads its ASL parser)."""
    definition = json.dumps({"StartAt": start_at, "States": states})
    return sfn.create_state_machine(name=f"vt-{time.monotonic_ns()}", definition=definition, roleArn=ROLE)[
        "stateMachineArn"
    ]


def start(sfn: Any, machine_arn: str, payload: dict[str, Any] | None = None) -> str:
    name = f"run-{time.monotonic_ns()}"
    return sfn.start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload or {}))["executionArn"]


def run(sfn: Any, states: dict[str, Any], start_at: str, payload: dict[str, Any] | None = None) -> str:
    return start(sfn, create(sfn, states, start_at), payload)


def status(sfn: Any, arn: str) -> str:
    return sfn.describe_execution(executionArn=arn)["status"]


def finished(sfn: Any, arn: str, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.01)
    raise AssertionError(f"{arn} still RUNNING")


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    return sfn.get_execution_history(executionArn=arn)["events"]


def entered(sfn: Any, arn: str) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in history(sfn, arn) if "stateEnteredEventDetails" in e]


def lambda_task(step: str, next_state: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": FUNCTION, "Payload": {"step": step}},
        "ResultPath": f"$.{step}",
    }
    state.update({"Next": next_state} if next_state else {"End": True})
    return state


ASK_AGENT = {
    "Ask": {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": FUNCTION, "Payload": {"step": "ask", "token.$": "$$.Task.Token"}},
        "TimeoutSecondsPath": "$.timeout",
        "ResultPath": "$.answer",
        "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "TimedOut"}],
        "Next": "Answered",
    },
    "TimedOut": {"Type": "Pass", "Next": "Escalate"},
    "Escalate": lambda_task("escalate"),
    "Answered": {"Type": "Succeed"},
}


def task_token(invocations: list[dict[str, Any]], timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in invocations:
            if "token" in call["payload"]:
                return call["payload"]["token"]
        time.sleep(0.01)
    raise AssertionError("no task token was sent")


def test_three_day_wait_runs_until_fired_and_ends_exactly_at_its_due(sfn: Any, vclock: VirtualClock) -> None:
    machine = create(
        sfn,
        {"Hold": {"Type": "Wait", "Seconds": 3 * 86400, "Next": "After"}, "After": {"Type": "Pass", "End": True}},
        "Hold",
    )
    began = time.monotonic()
    arn = start(sfn, machine)
    [timer] = vclock.wait_for_pending()
    time.sleep(0.05)
    assert status(sfn, arn) == "RUNNING"
    assert (timer.kind, timer.state, timer.due) == (WAIT, "Hold", START + timedelta(days=3))

    fired = vclock.fire_next()

    assert fired is timer
    assert fired.fired_at == START + timedelta(days=3) == vclock.now() == clock.now()
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    assert entered(sfn, arn) == ["Hold", "After"]
    assert vclock.pending() == [] and vclock.fired == [timer]
    assert time.monotonic() - began < NO_REAL_WAIT


def test_timestamp_path_waits_until_the_virtual_instant(sfn: Any, vclock: VirtualClock) -> None:
    arn = run(
        sfn,
        {
            "Until": {"Type": "Wait", "TimestampPath": "$.until", "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        },
        "Until",
        {"until": "2026-03-05T17:30:00Z"},
    )
    [timer] = vclock.wait_for_pending()
    assert timer.due == datetime(2026, 3, 5, 17, 30, tzinfo=UTC)

    assert vclock.advance_to(datetime(2026, 3, 5, 17, 29, 59, tzinfo=UTC)) == []
    assert status(sfn, arn) == "RUNNING"
    assert vclock.advance_to(datetime(2026, 3, 6, tzinfo=UTC)) == [timer]

    assert timer.fired_at == datetime(2026, 3, 5, 17, 30, tzinfo=UTC)
    assert vclock.now() == datetime(2026, 3, 6, tzinfo=UTC)
    assert finished(sfn, arn)["status"] == "SUCCEEDED"


def test_a_timestamp_already_past_in_virtual_time_does_not_wait(sfn: Any) -> None:
    # Real time is long before 2031: moto alone would wait for years here.
    with VirtualClock(datetime(2031, 1, 1, tzinfo=UTC)) as vclock:
        arn = run(
            sfn,
            {"Until": {"Type": "Wait", "Timestamp": "2030-12-31T23:00:00Z", "Next": "After"}, "After": _pass_end()},
            "Until",
        )
        assert finished(sfn, arn)["status"] == "SUCCEEDED"
        assert vclock.fired == [] and vclock.pending() == []


def test_advance_to_fires_successive_waits_in_order_at_their_instants(
    sfn: Any, vclock: VirtualClock, invocations: list[dict[str, Any]]
) -> None:
    arn = run(
        sfn,
        {
            "Hour": {"Type": "Wait", "SecondsPath": "$.seconds", "Next": "Stamp"},
            "Stamp": {"Type": "Wait", "Timestamp": "2026-03-02T18:00:00Z", "Next": "Record"},
            "Record": lambda_task("record"),
        },
        "Hour",
        {"seconds": 3600},
    )
    vclock.wait_for_pending()

    fired = vclock.advance_to(START + timedelta(days=1))

    assert [(t.state, t.fired_at) for t in fired] == [
        ("Hour", START + timedelta(hours=1)),
        ("Stamp", datetime(2026, 3, 2, 18, 0, tzinfo=UTC)),
    ]
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    # What follows a fired timer runs at its due instant, before advance_to moves on to the end.
    assert [c["now"] for c in invocations] == [datetime(2026, 3, 2, 18, 0, tzinfo=UTC)]
    assert vclock.now() == START + timedelta(days=1)


def test_task_token_timeout_is_caught_at_exactly_its_due(
    sfn: Any, vclock: VirtualClock, invocations: list[dict[str, Any]]
) -> None:
    machine = create(sfn, ASK_AGENT, "Ask")
    began = time.monotonic()
    arn = start(sfn, machine, {"timeout": 2 * 86400})
    task_token(invocations)
    [timer] = vclock.wait_for_pending()
    assert (timer.kind, timer.state, timer.due) == (TASK_TIMEOUT, "Ask", START + timedelta(days=2))
    time.sleep(0.05)
    assert status(sfn, arn) == "RUNNING"

    assert vclock.fire_next() is timer

    result = finished(sfn, arn)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"])["error"]["Error"] == "States.Timeout"
    assert entered(sfn, arn) == ["Ask", "TimedOut", "Escalate"]
    assert "TaskTimedOut" in [e["type"] for e in history(sfn, arn)]
    escalated = [c for c in invocations if c["payload"].get("step") == "escalate"]
    assert [c["now"] for c in escalated] == [START + timedelta(days=2)]
    assert time.monotonic() - began < NO_REAL_WAIT


def test_task_completed_before_its_timeout_fires_nothing(
    sfn: Any, vclock: VirtualClock, invocations: list[dict[str, Any]]
) -> None:
    arn = run(sfn, ASK_AGENT, "Ask", {"timeout": 2 * 86400})
    token = task_token(invocations)
    [timer] = vclock.wait_for_pending()

    sfn.send_task_success(taskToken=token, output=json.dumps({"answer": 42}))

    assert vclock.pending() == []
    result = finished(sfn, arn)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"])["answer"] == {"answer": 42}
    assert entered(sfn, arn) == ["Ask", "Answered"]
    assert vclock.fired == [] and vclock.cancelled == [timer]
    assert vclock.now() == START


def test_task_failure_ends_the_wait_with_the_callers_error(
    sfn: Any, vclock: VirtualClock, invocations: list[dict[str, Any]]
) -> None:
    states = {**ASK_AGENT, "Ask": {**ASK_AGENT["Ask"], "Catch": [{"ErrorEquals": ["Rejected"], "Next": "TimedOut"}]}}
    arn = run(sfn, states, "Ask", {"timeout": 3600})
    token = task_token(invocations)
    vclock.wait_for_pending()

    sfn.send_task_failure(taskToken=token, error="Rejected")

    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    assert entered(sfn, arn) == ["Ask", "TimedOut", "Escalate"]
    assert vclock.fired == [] and vclock.pending() == []


def test_heartbeat_rearms_on_send_task_heartbeat_and_times_out_when_missed(
    sfn: Any, vclock: VirtualClock, invocations: list[dict[str, Any]]
) -> None:
    states = {**ASK_AGENT, "Ask": {**ASK_AGENT["Ask"], "HeartbeatSeconds": 3600}}
    arn = run(sfn, states, "Ask", {"timeout": 86400})
    token = task_token(invocations)
    timers = vclock.wait_for_pending(2)
    assert [(t.kind, t.due) for t in timers] == [
        ("heartbeat", START + timedelta(hours=1)),
        (TASK_TIMEOUT, START + timedelta(days=1)),
    ]

    vclock.advance_to(START + timedelta(minutes=30))
    sfn.send_task_heartbeat(taskToken=token)
    rearmed = vclock.wait_for_pending(2)
    assert [(t.kind, t.due) for t in rearmed] == [
        ("heartbeat", START + timedelta(minutes=90)),
        (TASK_TIMEOUT, START + timedelta(days=1)),
    ]

    missed = vclock.fire_next()

    assert (missed.kind, missed.fired_at) == ("heartbeat", START + timedelta(minutes=90))
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    assert entered(sfn, arn) == ["Ask", "TimedOut", "Escalate"]
    assert vclock.pending() == []


def test_shared_clock_follows_the_virtual_clock(sfn: Any, invocations: list[dict[str, Any]]) -> None:
    real_before = clock.now()
    with VirtualClock(START) as vclock:
        assert clock.now() == START
        arn = run(
            sfn,
            {
                "Before": lambda_task("before", "Hold"),
                "Hold": {"Type": "Wait", "Seconds": 7200, "Next": "After"},
                "After": lambda_task("after"),
            },
            "Before",
        )
        vclock.wait_for_pending()
        vclock.fire_next()
        assert finished(sfn, arn)["status"] == "SUCCEEDED"
    assert [(c["payload"]["step"], c["now"]) for c in invocations] == [
        ("before", START),
        ("after", START + timedelta(hours=2)),
    ]
    assert abs((clock.now() - real_before).total_seconds()) < 60  # the real clock is back


def test_stopping_an_execution_ends_its_wait(sfn: Any, vclock: VirtualClock) -> None:
    arn = run(sfn, {"Hold": {"Type": "Wait", "Seconds": 86400, "End": True}}, "Hold")
    vclock.wait_for_pending()

    sfn.stop_execution(executionArn=arn)

    assert finished(sfn, arn)["status"] == "ABORTED"
    deadline = time.monotonic() + 2
    while vclock.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert vclock.pending() == [] and vclock.fired == []


def test_a_timer_never_fired_fails_after_the_real_time_safety_timeout(sfn: Any) -> None:
    with VirtualClock(START, safety_timeout=0.2) as vclock:
        arn = run(sfn, {"Hold": {"Type": "Wait", "Seconds": 60, "End": True}}, "Hold")
        result = finished(sfn, arn)
        assert (result["status"], result["error"]) == ("FAILED", "States.Runtime")
        assert "VirtualTimeError" in result["cause"] and "not fired within 0.2 s" in result["cause"]
        assert vclock.pending() == []


def test_uninstall_restores_moto_and_refuses_a_second_clock() -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    original = WaitFunction._eval_body
    with VirtualClock(START):
        assert WaitFunction._eval_body is not original
        with pytest.raises(RuntimeError):
            VirtualClock(START).install()
    assert WaitFunction._eval_body is original
    with pytest.raises(ValueError):
        VirtualClock(datetime(2026, 1, 1))  # naive
    assert issubclass(VirtualTimeError, RuntimeError)


def _pass_end() -> dict[str, Any]:
    return {"Type": "Pass", "End": True}


def test_following_the_real_time_fires_a_wait_begun_in_virtual_time_when_the_real_time_reaches_it(sfn, invocations):
    # Given a clock started two hours ago, and a route whose wait, begun then, ends 2 h 00 min 02 s after it began
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    with VirtualClock(began, safety_timeout=None, poll=0.1) as vclock:
        arn = run(
            sfn, {"Wait": {"Type": "Wait", "Seconds": 7202, "Next": "After"}, "After": lambda_task("after")}, "Wait"
        )
        vclock.wait_for_pending(1)
        # When the clock catches up with the real time and follows it
        assert vclock.follow_real_time() == []  # nothing was due before the real time
        assert vclock.follows_real_time and abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)
        assert status(sfn, arn) == "RUNNING"
        # Then the wait ends on the real clock, at its instant (about two seconds from now), never earlier
        described = finished(sfn, arn, timeout=NO_REAL_WAIT)
        assert described["status"] == "SUCCEEDED"
        assert [t.due for t in vclock.fired] == [began + timedelta(seconds=7202)]
        assert invocations[-1]["now"] >= began + timedelta(seconds=7202)
        with pytest.raises(ValueError, match="follows the real time"):
            vclock.advance(timedelta(hours=1))
