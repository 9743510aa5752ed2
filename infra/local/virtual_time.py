"""A discrete-event virtual clock for moto's Step Functions interpreter.

Route scenarios wait for days (SLA timers, Wait states, task timeouts). With this clock installed:

- `shared.clock.now()` returns the virtual instant, which only moves when the test moves it;
- moto's interpreter never waits in real time for a Wait state or for the timeout of a
  `.waitForTaskToken` task: each such wait registers a pending `Timer` (its due instant in virtual
  time) and blocks its interpreter thread until either the awaited thing happens for real
  (SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, StopExecution) or the test fires the timer
  (`fire_next`, `advance_to`). Firing moves the clock to the timer's due instant, so timers fire at
  exactly the computed instant, to the second.

    with VirtualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) as vclock:
        sfn.start_execution(...)
        vclock.wait_for_pending()
        timer = vclock.fire_next()          # the Wait / timeout ends, clock == timer.due

Where moto is patched (moto 5.2.5, internal API: pin moto):

- `WaitFunction._eval_body` (all Wait states: Seconds, SecondsPath, Timestamp, TimestampPath). Not
  `_wait_interval`: that one only gets a number of seconds, which for Timestamp waits moto has
  already computed against the real local time; `_eval_body` sees the wait function itself, so a
  Timestamp wait is due at exactly its timestamp in virtual time.
- `StateTaskServiceCallback._eval_wait_for_task_token`, where a `.waitForTaskToken` task waits for
  its callback: `CallbackEndpoint.wait(timeout=TimeoutSeconds)`, or, with HeartbeatSeconds,
  `HeartbeatEndpoint.clear_and_wait()` in a loop. The replacement returns the same outcomes moto's
  code returns (the callback's outcome, `CallbackOutcomeTimedOut`, `HeartbeatTimedOut`), so the task
  then fails with States.Timeout exactly as after real time passed.

Nothing patches `time.sleep`. Both patches delegate to moto's own code when no clock is installed.

The local stack seeds its demo history this way (days of SLA timers in seconds), then lets the same clock follow
the real time (`follow_real_time`): from then on it reads the wall clock and fires each pending timer when the real
time reaches it, so the routes that wait keep waiting, on the real clock, without being restarted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeTimedOut, HeartbeatTimedOut
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from shared.platform import clock as shared_clock

logger = logging.getLogger(__name__)

WAIT = "wait"
TASK_TIMEOUT = "task_timeout"
HEARTBEAT = "heartbeat"

_POLL_SECONDS = 0.005  # how often a blocked interpreter thread looks at the awaited thing
_REAL_TIME_POLL_SECONDS = 0.05  # the same once the clock follows the real time (many waits, none in a hurry)
_REAL_TIME_TICK_SECONDS = 0.25  # how often the clock following the real time looks for timers due


class VirtualTimeError(RuntimeError):
    """A virtual wait could not end as it should (never fired, or the clock was uninstalled)."""


@dataclass(eq=False)
class Timer:
    """One pending (or fired) wait of the interpreter, in virtual time."""

    due: datetime
    label: str
    kind: str  # "wait" | "task_timeout" | "heartbeat"
    state: str | None = None
    execution: str | None = None
    registered_at: datetime | None = None
    fired_at: datetime | None = None  # the virtual instant it fired at (== due)
    seq: int = 0
    execution_arn: str | None = field(default=None, repr=False)
    _done: Callable[[], bool] = field(default=lambda: False, repr=False)
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)
    _taken: threading.Event = field(default_factory=threading.Event, repr=False)
    _aborted: bool = field(default=False, repr=False)

    @property
    def seconds(self) -> float:
        """How long the wait was, in virtual seconds."""
        return (self.due - self.registered_at).total_seconds() if self.registered_at else 0.0


_install_lock = threading.Lock()
_active: VirtualClock | None = None
_originals: list[tuple[type, str, Any]] = []


class VirtualClock:
    """Virtual time for shared.clock and moto's Step Functions interpreter (see the module doc)."""

    def __init__(self, start: datetime, *, safety_timeout: float | None = 60.0, poll: float = _POLL_SECONDS) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs an aware start instant (e.g. tzinfo=UTC)")
        self._now = start.astimezone(UTC)
        self.safety_timeout = safety_timeout
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._pending: list[Timer] = []
        self._seq = 0
        self._version = 0
        self.fired: list[Timer] = []
        self.cancelled: list[Timer] = []  # ended because the awaited thing happened (or the run stopped)
        self._previous_clock: Callable[[], datetime] | None = None
        self._poll = poll  # a blocked thread's look at what it awaits besides its timers and its task's callback
        self._real_time = False
        self._follower: threading.Thread | None = None
        self._stop_following = threading.Event()

    # -- the clock ---------------------------------------------------------------------------------

    def now(self) -> datetime:
        if self._real_time:
            return datetime.now(UTC)
        with self._lock:
            return self._now

    @property
    def follows_real_time(self) -> bool:
        return self._real_time

    def follow_real_time(self) -> list[Timer]:
        """Fire every timer due up to the real time now (`advance_to`), then follow the real time: `now()` reads
        the wall clock, a background thread fires each pending timer once the real time reaches it, and waits
        never time out (`safety_timeout` None). The clock must not be ahead of the real time. Returns the timers
        the catch-up fired."""
        fired = self.advance_to(datetime.now(UTC))
        with self._lock:
            self.safety_timeout = None
            self._poll = max(self._poll, _REAL_TIME_POLL_SECONDS)
            self._real_time = True
            self._bump()
        self._follower = threading.Thread(target=self._follow, name="virtual-clock-real-time", daemon=True)
        self._follower.start()
        return fired

    def stop_following(self) -> None:
        """Stop firing timers on the real time (the stack stops); the waits stay as they are."""
        self._stop_following.set()

    def _follow(self) -> None:
        while not self._stop_following.wait(_REAL_TIME_TICK_SECONDS):
            real = datetime.now(UTC)
            with self._lock:
                due = [t for t in self._live() if t.due <= real]
            for timer in due:
                self._fire(timer)

    # -- installation ------------------------------------------------------------------------------

    def install(self) -> VirtualClock:
        global _active
        with _install_lock:
            if _active is not None:
                raise RuntimeError("a VirtualClock is already installed")
            _patch_moto()
            _active = self
            self._previous_clock = shared_clock._now
            shared_clock.set_clock(self.now)
        return self

    def uninstall(self) -> None:
        """Restore moto and shared.clock. Threads still blocked in a virtual wait end with an error."""
        global _active
        with _install_lock:
            if _active is not self:
                return
            _unpatch_moto()
            _active = None
            shared_clock.set_clock(self._previous_clock)
        self._stop_following.set()
        with self._lock:
            for timer in self._pending:
                timer._aborted = True
                timer._wake.set()
            self._pending.clear()
            self._bump()

    def __enter__(self) -> VirtualClock:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    @contextmanager
    def installed(self) -> Iterator[VirtualClock]:
        self.install()
        try:
            yield self
        finally:
            self.uninstall()

    # -- what tests use ----------------------------------------------------------------------------

    def pending(self) -> list[Timer]:
        """Timers still waiting, earliest first (ones whose awaited thing already happened are left out)."""
        with self._lock:
            return self._live()

    def wait_for_pending(self, n: int = 1, timeout: float = 10.0) -> list[Timer]:
        """Block (real time) until at least n timers are pending: the interpreter runs in other threads."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                live = self._live()
                if len(live) >= n:
                    return live
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {n} pending virtual timer(s), have {len(live)}: {live}")
                self._changed.wait(min(remaining, 0.05))

    def fire_next(self, timeout: float = 10.0) -> Timer:
        """Move the clock to the earliest pending timer's due instant and fire exactly that timer."""
        while True:
            live = self.wait_for_pending(1, timeout=timeout)
            fired = self._fire(live[0])
            if fired is not None:
                return fired

    def advance_to(self, instant: datetime, *, quiet: float = 0.02, timeout: float = 10.0) -> list[Timer]:
        """Fire, in order, every timer due up to `instant` (including timers registered by what the
        fired ones release), moving the clock to each due instant; then set the clock to `instant`."""
        instant = _aware(instant)
        if self._real_time:
            raise ValueError("the clock follows the real time: it cannot be advanced")
        if instant < self.now():
            raise ValueError(f"virtual time cannot go back: {instant} < {self.now()}")
        fired = []
        while True:
            self.sleep_until_idle(quiet=quiet, timeout=timeout)
            with self._lock:
                due = [t for t in self._live() if t.due <= instant]
            if not due:
                break
            timer = self._fire(due[0])
            if timer is not None:
                fired.append(timer)
        with self._lock:
            if instant > self._now:
                self._now = instant
                self._bump()
        return fired

    def advance(self, delta: timedelta | float, **kwargs: Any) -> list[Timer]:
        """advance_to(now + delta); delta in seconds or a timedelta."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        return self.advance_to(self.now() + delta, **kwargs)

    def sleep_until_idle(self, quiet: float = 0.02, timeout: float = 10.0) -> None:
        """Block (real time) until the interpreter looks idle: every RUNNING execution has a pending
        timer, no fired timer is still to be picked up, and nothing changed for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                version = self._version
                live = self._live()
            if self._all_running_blocked(live):
                time.sleep(quiet)
                with self._lock:
                    if self._version == version:
                        return
            elif time.monotonic() > deadline:
                raise TimeoutError(
                    f"executions still busy after {timeout} s (an execution waits on something that is not "
                    f"virtualised?): running={_running_execution_arns()} pending={live}"
                )
            else:
                time.sleep(_POLL_SECONDS)

    # -- internals ---------------------------------------------------------------------------------

    def _bump(self) -> None:
        self._version += 1
        self._changed.notify_all()

    def _live(self) -> list[Timer]:
        live = [t for t in self._pending if t.fired_at is None and not t._done()]
        return sorted(live, key=lambda t: (t.due, t.seq))

    def _all_running_blocked(self, live: list[Timer]) -> bool:
        with self._lock:
            if any(t.fired_at is not None and not t._taken.is_set() for t in self.fired):
                return False
        blocked = {t.execution_arn for t in live}
        return all(arn in blocked for arn in _running_execution_arns())

    def _fire(self, timer: Timer) -> Timer | None:
        """Fire `timer`; None if its awaited thing happened meanwhile (then it no longer fires)."""
        with self._lock:
            if timer not in self._pending or timer.fired_at is not None or timer._done():
                return None
            if timer.due > self._now:
                self._now = timer.due
            timer.fired_at = self._now
            self._pending.remove(timer)
            self.fired.append(timer)
            timer._wake.set()
            self._bump()
        # Let the interpreter thread take it before returning, so the caller sees the wait ended.
        if not timer._taken.wait(timeout=5.0):
            logger.warning("virtual timer %s fired but its thread did not pick it up", timer.label)
        return timer

    def _register(self, env: Any, kind: str, due: datetime, done: Callable[[], bool], wake: threading.Event) -> Timer:
        execution, arn, state = _names(env)
        with self._lock:
            self._seq += 1
            timer = Timer(
                due=due,
                label=f"{execution}/{state}" + ("" if kind == WAIT else f" ({kind})"),
                kind=kind,
                state=state,
                execution=execution,
                registered_at=self._now,
                seq=self._seq,
                execution_arn=arn,
                _done=done,
                _wake=wake,
            )
            self._pending.append(timer)
            self._bump()
        logger.debug("virtual timer registered: %s due %s", timer.label, due)
        return timer

    def _retire(self, timers: Iterable[Timer | None]) -> None:
        """The blocked thread stops waiting on these (the awaited thing happened, or it moved on)."""
        with self._lock:
            for timer in timers:
                if timer is not None and timer in self._pending:
                    self._pending.remove(timer)
                    self.cancelled.append(timer)
                    self._bump()

    def _block(self, timers: list[Timer], wake: threading.Event, done: Callable[[], bool]) -> Timer | None:
        """Block the calling interpreter thread until one of `timers` fires (returns it) or `done()`
        (returns None). Raises VirtualTimeError after the real-time safety timeout."""
        deadline = None if self.safety_timeout is None else time.monotonic() + self.safety_timeout
        while True:
            wake.wait(self._poll)
            wake.clear()  # a wake set from here on is seen by the next wait
            with self._lock:
                for timer in timers:
                    if timer._aborted:
                        raise VirtualTimeError(f"virtual clock uninstalled while {timer.label} was waiting")
                    if timer.fired_at is not None:
                        timer._taken.set()
                        return timer
                if done():
                    return None
            if deadline is not None and not self._real_time and time.monotonic() > deadline:
                self._retire(timers)
                raise VirtualTimeError(
                    f"virtual timer(s) {[t.label for t in timers]} not fired within {self.safety_timeout} s of real "
                    "time: fire_next() / advance_to() the clock, or complete the task"
                )

    # -- the patched waits -------------------------------------------------------------------------

    def _wait_state(self, env: Any, due: datetime) -> None:
        if due <= self.now():
            return  # Seconds 0, or a timestamp already past in virtual time: continue at once
        wake = threading.Event()

        def stopped() -> bool:
            return not env.is_running()

        timer = self._register(env, WAIT, due, stopped, wake)
        try:
            self._block([timer], wake, stopped)
        finally:
            self._retire([timer])

    def _task_token_wait(self, env: Any, timeout_seconds: int, callback: Any, heartbeat: Any) -> Any:
        """Return what moto's wait returns: the callback's outcome, None (timed out) or HeartbeatTimedOut."""
        notified: threading.Event = callback._notify_event  # set by SendTaskSuccess/Failure (and interrupt_all)
        wake = threading.Event()
        _relay(notified, wake)  # the callback wakes this thread at once: no need to poll for it often

        def finished() -> bool:
            return notified.is_set() or not env.is_running()

        def beat_or_finished() -> bool:
            return finished() or heartbeat._next_heartbeat_event.is_set()

        now = self.now()
        timeout_timer = self._register(env, TASK_TIMEOUT, now + timedelta(seconds=timeout_seconds), finished, wake)
        beat_timer = None
        if heartbeat is not None:
            beat_seconds = timedelta(seconds=heartbeat._heartbeat_seconds)
            beat_timer = self._register(env, HEARTBEAT, now + beat_seconds, beat_or_finished, wake)
        try:
            while True:
                timers = [timeout_timer] if beat_timer is None else [timeout_timer, beat_timer]
                fired = self._block(timers, wake, beat_or_finished if heartbeat is not None else finished)
                if fired is timeout_timer:
                    return None
                if fired is not None:  # the heartbeat timer
                    return HeartbeatTimedOut()
                if finished():
                    return callback.get_outcome()
                # SendTaskHeartbeat: consume it (as HeartbeatEndpoint.clear_and_wait does) and re-arm.
                with heartbeat._mutex:
                    heartbeat._next_heartbeat_event.clear()
                self._retire([beat_timer])
                beat_timer = self._register(env, HEARTBEAT, self.now() + beat_seconds, beat_or_finished, wake)
        finally:
            self._retire([timeout_timer, beat_timer])


def _relay(event: threading.Event, wake: threading.Event) -> None:
    """Setting `event` also sets `wake` (threading.Event is plain Python: its `set` can be wrapped per instance)."""
    original = event.set

    def set_both() -> None:
        original()
        wake.set()

    event.set = set_both  # type: ignore[method-assign]
    if event.is_set():
        wake.set()


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("use aware datetimes (tzinfo=UTC) with the virtual clock")
    return instant.astimezone(UTC)


def _names(env: Any) -> tuple[str | None, str | None, str | None]:
    """(execution name, execution ARN, state name) from the interpreter's context object."""
    try:
        data = env.states.context_object.context_object_data
        execution = data.get("Execution") or {}
        state = data.get("State") or {}
        return execution.get("Name"), execution.get("Id"), state.get("Name")
    except Exception:  # labels only
        return None, None, None


def _running_execution_arns() -> list[str]:
    arns = []
    try:
        for account in list(stepfunctions_parser_backends.values()):
            for backend in list(account.values()):
                for machine in list(backend.state_machines):
                    for execution in list(getattr(machine, "executions", [])):
                        if getattr(execution, "status", None) == "RUNNING":
                            arns.append(execution.execution_arn)
    except Exception as error:  # idleness is a heuristic; never break a test on it
        logger.debug("could not list running executions: %s", error)
    return arns


# -- moto patches ----------------------------------------------------------------------------------


def _timestamp_due(wait_function: Any, env: Any) -> datetime:
    """Timestamp._get_wait_seconds, but the instant itself (UTC, as AWS reads the Z) instead of
    seconds from the real local time."""
    wait_function.string.eval(env=env)
    timestamp_str = env.stack.pop()
    timestamp = wait_function._from_timestamp_string(timestamp=timestamp_str)
    if timestamp is None:
        raise FailureEventException(wait_function._create_failure_event(env, timestamp_str))
    return timestamp.replace(tzinfo=UTC)


def _patch_moto() -> None:
    original_wait_body = WaitFunction.__dict__["_eval_body"]
    original_task_wait = StateTaskServiceCallback.__dict__["_eval_wait_for_task_token"]

    def _eval_body(self: Any, env: Any) -> None:
        vclock = _active
        if vclock is None:
            return original_wait_body(self, env)
        if isinstance(self, Timestamp):
            due = _timestamp_due(self, env)
        else:
            due = vclock.now() + timedelta(seconds=self._get_wait_seconds(env=env))
        vclock._wait_state(env, due)
        return None

    def _eval_wait_for_task_token(
        self: Any, env: Any, timeout_seconds: int, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        vclock = _active
        if vclock is None:
            return original_task_wait(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        outcome = vclock._task_token_wait(env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        if outcome is None:
            return CallbackOutcomeTimedOut(callback_id=callback_endpoint.callback_id)
        return outcome

    _originals[:] = [
        (WaitFunction, "_eval_body", original_wait_body),
        (StateTaskServiceCallback, "_eval_wait_for_task_token", original_task_wait),
    ]
    WaitFunction._eval_body = _eval_body
    StateTaskServiceCallback._eval_wait_for_task_token = _eval_wait_for_task_token


def _unpatch_moto() -> None:
    for owner, name, original in _originals:
        setattr(owner, name, original)
    _originals.clear()
