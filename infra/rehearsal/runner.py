"""Each of the template's functions as Lambda runs it: a process of its own, from its own asset, with only the
environment the template gives it.

For every `AWS::Lambda::Function` of the template whose handler is one of the desk's (infra/cdk/functions.py
FUNCTIONS; CDK's own custom-resource handlers are not rehearsed), a process is started on demand with:
- the interpreter in isolated mode (`-I -S`), its sys.path the function's asset built for this machine
  (stage.Prepared.assets), then the runtime's boto3/botocore (stage.Prepared.runtime), then the standard library;
- exactly the template's environment for it, every reference resolved through a `Physical`, plus what Lambda's
  runtime sets (region, function name, the log level and format of its LoggingConfig, ...) and the emulator's
  endpoint and fake credentials;
- the handler string the template names, run by bootstrap.py.

A process stays warm between invocations, as an execution environment does; one busy with an invocation makes the
next concurrent invocation start another, as Lambda scales out. `cold(function)` retires the warm ones, so the next
invocation pays init again. Every AWS call and every setting read is in the function's record file (`calls()`,
`settings()`); every failed invocation in `failures`.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.rehearsal import calls
from infra.rehearsal.intrinsics import Physical

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
PYCACHE = Path(__file__).resolve().parents[2] / ".cache" / "rehearsal-pycache"  # kept out of the assets
INIT_TIMEOUT_S = 120.0  # generous: the machine may be busy; Lambda's own init limit is 10 s
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


class InvocationFailed(RuntimeError):
    """An invocation the function failed (raised, timed out, or could not start): Lambda's error shape."""

    def __init__(self, function: str, error: dict[str, Any]) -> None:
        self.function = function
        self.error_type = str(error.get("errorType") or "Unhandled")
        self.error_message = str(error.get("errorMessage") or "")
        self.stack_trace = list(error.get("stackTrace") or [])
        super().__init__(f"{function}: {self.error_type}: {self.error_message}")

    def as_payload(self) -> dict[str, Any]:
        return {"errorType": self.error_type, "errorMessage": self.error_message, "stackTrace": self.stack_trace}


@dataclass(frozen=True)
class Function:
    """One of the desk's functions, as the template defines it."""

    logical_id: str
    function_name: str
    arn: str
    handler: str
    profile: str  # the asset (infra/cdk/bundling.py PROFILES)
    environment: dict[str, str]  # the template's, resolved
    log_level: str | None  # LoggingConfig.ApplicationLogLevel
    log_format: str | None
    timeout_s: int
    memory_mb: int


def functions(template: dict[str, Any], physical: Physical, profiles: dict[str, str]) -> dict[str, Function]:
    """The desk's functions of a template by logical id, their environments resolved against `physical`;
    `profiles` maps each of the desk's handlers to its asset (stage.Prepared.profiles)."""
    found: dict[str, Function] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        properties = resource["Properties"]
        handler = properties.get("Handler")
        if handler not in profiles:
            continue  # CDK's own providers (auto-delete objects, bucket deployment)
        name = physical.resolve(properties["FunctionName"])
        logging_config = properties.get("LoggingConfig") or {}
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        found[logical_id] = Function(
            logical_id=logical_id,
            function_name=name,
            arn=f"arn:aws:lambda:{physical.region}:{physical.account}:function:{name}",
            handler=handler,
            profile=profiles[handler],
            environment={k: str(v) for k, v in physical.resolve(variables).items()},
            log_level=logging_config.get("ApplicationLogLevel"),
            log_format=logging_config.get("LogFormat"),
            timeout_s=int(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
        )
    return found


def runtime_environment(function: Function, region: str, endpoint: str, asset: Path) -> dict[str, str]:
    """What the process's environment holds: the template's variables, what Lambda's runtime adds, the emulator."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(asset),
        "_HANDLER": function.handler,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "rehearsal",
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
    }
    if function.log_format:
        env["AWS_LAMBDA_LOG_FORMAT"] = function.log_format
    if function.log_level:
        env["AWS_LAMBDA_LOG_LEVEL"] = function.log_level
    env.update(function.environment)  # the template's own variables win over nothing here: names do not overlap
    return env


class Process:
    """One execution environment: a started bootstrap, its channel read by a thread of its own."""

    def __init__(self, function: Function, plan_file: Path, env: dict[str, str], log: Path) -> None:
        self.function = function
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._log = log.open("a", encoding="utf-8")
        started = time.perf_counter()
        self.popen = subprocess.Popen(  # noqa: S603 - our own bootstrap and interpreter
            [_interpreter(), "-I", "-S", "-X", f"pycache_prefix={PYCACHE}", str(BOOTSTRAP), str(plan_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            text=True,
            encoding="utf-8",
        )
        threading.Thread(target=self._read, name=f"rehearsal-{function.logical_id}", daemon=True).start()
        ready = self._next(INIT_TIMEOUT_S)
        self.init_s = time.perf_counter() - started
        self.init_error = None if ready and ready.get("ready") else (ready or {}).get("error")
        if ready is None:
            self.init_error = {"errorType": "Runtime.ExitError", "errorMessage": f"did not start: {self._tail()}"}
        self.invocations = 0

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self._answers.put(json.loads(line))
        self._answers.put(None)

    def _next(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self._answers.get(timeout=timeout)
        except queue.Empty:
            return None

    def _tail(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")[-2000:]

    def invoke(self, event: Any) -> dict[str, Any]:
        """The answer: {"ok": True, "result": ...} or {"ok": False, "error": {...}}."""
        assert self.popen.stdin is not None
        self.invocations += 1
        try:
            self.popen.stdin.write(json.dumps({"id": self.invocations, "event": event}) + "\n")
            self.popen.stdin.flush()
        except (BrokenPipeError, OSError):
            return {"ok": False, "error": {"errorType": "Runtime.ExitError", "errorMessage": self._tail()}}
        # The template's timeout, with room for a busy machine; past it the environment is gone, as in Lambda.
        answer = self._next(max(60.0, self.function.timeout_s * 3.0))
        if answer is None:
            self.stop()
            message = f"Task timed out after {self.function.timeout_s} s (or the process exited): {self._tail()}"
            return {"ok": False, "error": {"errorType": "Sandbox.Timedout", "errorMessage": message}}
        return answer

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        self._log.close()


def _interpreter() -> str:
    """The base interpreter (not the virtualenv's launcher): with -I -S it sees the standard library only."""
    return getattr(sys, "_base_executable", None) or sys.executable


@dataclass
class Runner:
    """The template's functions as processes: `invoke(name, event)` by logical id, function name or ARN."""

    template: dict[str, Any]
    physical: Physical
    endpoint: str  # the emulated AWS (AWS_ENDPOINT_URL of every process)
    record_dir: Path
    assets: dict[str, Path]  # asset profile -> the asset built for this machine (stage.Prepared)
    runtime: Path  # the runtime's boto3/botocore
    profiles: dict[str, str]  # handler -> asset profile
    asset_override: dict[str, Path] = field(default_factory=dict)  # logical id -> another asset (a mutated copy)
    # The emulated outside world's endpoints, in place of the template's value of a variable it defines (the Bot
    # API's URL): never a variable the template does not give.
    overrides: dict[str, str] = field(default_factory=dict)
    failures: list[InvocationFailed] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.record_dir.mkdir(parents=True, exist_ok=True)
        self.functions = functions(self.template, self.physical, self.profiles)
        self._idle: dict[str, list[Process]] = {logical_id: [] for logical_id in self.functions}
        self._busy: dict[str, list[Process]] = {logical_id: [] for logical_id in self.functions}
        self._lock = threading.Lock()
        self.init_seconds: dict[str, list[float]] = {logical_id: [] for logical_id in self.functions}

    # --- naming ---------------------------------------------------------------------------------------------------

    def find(self, name: str) -> Function:
        """A function by logical id, FunctionName or ARN (a qualifier is ignored)."""
        if name in self.functions:
            return self.functions[name]
        bare = name.split(":function:")[-1].split(":")[0]
        for function in self.functions.values():
            if function.function_name == bare:
                return function
        known = ", ".join(f.function_name for f in self.functions.values())
        raise KeyError(f"the template has no function {name!r} (it has {known})")

    def asset(self, logical_id: str) -> Path:
        return self.asset_override.get(logical_id) or self.assets[self.functions[logical_id].profile]

    # --- processes ------------------------------------------------------------------------------------------------

    def _start(self, function: Function) -> Process:
        asset = self.asset(function.logical_id)
        plan = {
            "function": function.logical_id,
            "function_name": function.function_name,
            "function_arn": function.arn,
            "handler": function.handler,
            "memory_mb": function.memory_mb,
            "timeout_s": function.timeout_s,
            "path": [str(asset), str(self.runtime)],
            "records": str(self.record_file(function.logical_id)),
        }
        plan_file = self.record_dir / f"{function.logical_id}.plan.json"
        plan_file.write_text(json.dumps(plan))
        env = runtime_environment(function, self.physical.region, self.endpoint, asset)
        env.update({k: v for k, v in self.overrides.items() if k in function.environment})
        process = Process(function, plan_file, env, self.record_dir / f"{function.logical_id}.log")
        self.init_seconds[function.logical_id].append(process.init_s)
        return process

    def _acquire(self, function: Function) -> Process:
        with self._lock:
            idle = self._idle[function.logical_id]
            while idle:
                process = idle.pop()
                if process.alive:
                    self._busy[function.logical_id].append(process)
                    return process
        process = self._start(function)  # outside the lock: other functions' invocations go on meanwhile
        with self._lock:
            self._busy[function.logical_id].append(process)
        return process

    def _release(self, process: Process) -> None:
        with self._lock:
            self._busy[process.function.logical_id].remove(process)
            if process.alive and process.init_error is None:
                self._idle[process.function.logical_id].append(process)
            else:
                process.stop()

    def warm(self, *names: str) -> None:
        """Start one process of each function named (all when none is) ahead of its first invocation."""
        chosen = [self.find(n) for n in names] if names else list(self.functions.values())
        threads = [threading.Thread(target=lambda f=f: self._release(self._acquire(f))) for f in chosen]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def invoke(self, name: str, event: Any) -> Any:
        """The function's result; InvocationFailed (also kept in `failures`) when it fails."""
        function = self.find(name)
        process = self._acquire(function)
        try:
            if process.init_error is not None:
                answer = {"ok": False, "error": process.init_error}
            else:
                answer = process.invoke(event)
        finally:
            self._release(process)
        if answer.get("ok"):
            return answer.get("result")
        failure = InvocationFailed(function.logical_id, answer.get("error") or {})
        self.failures.append(failure)
        with (self.record_dir / "failures.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps({"function": function.logical_id, **failure.as_payload()}) + "\n")
        raise failure

    def schedule(self, name: str) -> tuple[str, Any]:
        """A schedule of the template by its Name: the target's ARN and the payload it is fired with."""
        for resource in self.template["Resources"].values():
            properties = resource.get("Properties") or {}
            if resource["Type"] == "AWS::Scheduler::Schedule" and properties.get("Name") == name:
                target = properties["Target"]
                return self.physical.resolve(target["Arn"]), json.loads(target.get("Input") or "{}")
        raise KeyError(f"the template has no schedule {name!r}")

    def cold(self, name: str) -> None:
        """Retire the function's warm processes: its next invocation starts a fresh one (a cold start)."""
        function = self.find(name)
        with self._lock:
            retired, self._idle[function.logical_id] = self._idle[function.logical_id], []
        for process in retired:
            process.stop()

    def close(self) -> None:
        with self._lock:
            every = [p for ps in (*self._idle.values(), *self._busy.values()) for p in ps]
            for ps in (*self._idle.values(), *self._busy.values()):
                ps.clear()
        for process in every:
            process.stop()

    # --- what was recorded ----------------------------------------------------------------------------------------

    def record_file(self, logical_id: str) -> Path:
        return self.record_dir / f"{logical_id}.records.jsonl"

    def calls(self, name: str | None = None) -> list[calls.Call]:
        chosen = [self.find(name)] if name else list(self.functions.values())
        return [call for f in chosen for call in calls.read(self.record_file(f.logical_id))]

    def settings(self) -> dict[str, dict[str, bool]]:
        """Per function, each setting it read and whether its environment defines it."""
        return read_settings(self.record_dir)

    def log(self, name: str) -> str:
        path = self.record_dir / f"{self.find(name).logical_id}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def read_settings(record_dir: Path) -> dict[str, dict[str, bool]]:
    found: dict[str, dict[str, bool]] = {}
    for path in sorted(record_dir.glob("*.records.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("kind") == "setting":
                found.setdefault(record["function"], {})[record["name"]] = record["defined"]
    return found


def read_failures(record_dir: Path) -> list[dict[str, Any]]:
    path = record_dir / "failures.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


__all__ = ["Function", "InvocationFailed", "Runner", "functions"]
