"""One rehearsed Lambda execution environment: `python -I -S bootstrap.py <plan.json>` (started by runner.py).

Standard library only, and nothing of the project's virtualenv: `-I -S` leave site-packages and PYTHON* variables
out, and the plan's `path` (the function's asset, then the runtime's boto3/botocore) is put before the standard
library. The environment is the parent's choice (exactly the template's, plus what Lambda's runtime sets); this file
adds no variable to it.

It plays the Lambda runtime: the handler the template names is imported once (init), then each invocation arrives
as one JSON line on stdin and its answer leaves as one JSON line on the channel that was stdout when the process
started; what the handler prints or logs goes to stderr (the function's log). An invocation that raises answers
with Lambda's error shape (errorType, errorMessage, stackTrace); so does one whose result JSON cannot carry.

What the function does with AWS and its settings is recorded, one JSON object a line, into the plan's `records` file:
- every AWS call, from botocore's `before-parameter-build` event on every botocore session the process creates
  (pynamodb makes its own), presigned URLs and posts included (a presigned GET or PUT is the action its holder will
  perform under this function's role): {"kind": "call", function, service, operation, params, region};
- every setting read through shared/platform/config.py: {"kind": "setting", function, name, defined}. A setting
  the environment does not define fails the invocation, naming the function and the setting: the local defaults
  of config.py stay out of the rehearsal, as they are out of the cloud.
"""

from __future__ import annotations

import datetime
import decimal
import importlib
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any

PLAN: dict[str, Any] = {}
RECORDS: Any = None
SETTINGS_SEEN: set[tuple[str, bool]] = set()
MISSING: list[str] = []  # settings read this invocation that the environment does not define


class MissingSetting(Exception):
    """A setting the function reads that its template's environment does not give."""


def record(kind: str, **fields: Any) -> None:
    RECORDS.write(json.dumps({"kind": kind, "function": PLAN["function"], **fields}, default=str) + "\n")
    RECORDS.flush()


def plain(value: Any) -> Any:
    """A call's parameters as JSON: bytes and streams dropped (a file's content is no part of what IAM judges)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items() if not _dropped(v)}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value if not _dropped(v)]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def _dropped(value: Any) -> bool:
    return isinstance(value, bytes | bytearray | memoryview) or hasattr(value, "read")


# --- AWS calls --------------------------------------------------------------------------------------------------


def _on_parameters(params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any) -> None:
    record(
        "call",
        service=model.service_model.service_name,
        operation=model.name,
        params=plain(params),
        region=(context or {}).get("client_region") or os.environ.get("AWS_REGION", ""),
    )


def hook_botocore() -> None:
    """Every botocore session (the default one and any other, e.g. pynamodb's) reports each call's parameters
    before they are built, which presigning does too; a presigned POST (no such event) is recorded as a PutObject."""
    import botocore.session
    import botocore.signers

    original_init = botocore.session.Session.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.register("before-parameter-build", _on_parameters, unique_id="caseway-rehearsal-calls")

    botocore.session.Session.__init__ = init
    original_post = botocore.signers.generate_presigned_post

    def generate_presigned_post(self: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:
        record(
            "call",
            service="s3",
            operation="PutObject",
            params=plain({"Bucket": Bucket, "Key": Key, "Presigned": "post"}),
            region=self.meta.region_name,
        )
        return original_post(self, Bucket, Key, *args, **kwargs)

    botocore.signers.generate_presigned_post = generate_presigned_post


# --- settings ---------------------------------------------------------------------------------------------------


class StrictDefaults(dict):
    """config.DEFAULTS in the rehearsal: asking it for a value means the environment lacks the setting."""

    def __getitem__(self, name: str) -> Any:
        MISSING.append(name)
        raise MissingSetting(
            f"{PLAN['function']} ({PLAN['function_name']}) reads the setting {name}, which its template's "
            "environment does not give"
        )

    def get(self, name: str, default: Any = None) -> Any:
        return self[name]


def hook_settings() -> None:
    """Before the handler loads: shared.platform.config's defaults refuse, and each read is recorded once."""
    try:
        config = importlib.import_module("shared.platform.config")
    except ImportError:
        return  # an asset without the desk's settings module: the handler's import says what is missing
    original_get = config.get

    def get(name: str) -> str:
        defined = bool(os.environ.get(name))
        if (name, defined) not in SETTINGS_SEEN:
            SETTINGS_SEEN.add((name, defined))
            record("setting", name=name, defined=defined)
        return original_get(name)

    config.DEFAULTS = StrictDefaults()
    config.get = get


# --- the runtime ------------------------------------------------------------------------------------------------


class LambdaContext:
    """The context object Lambda hands a handler."""

    def __init__(self, request_id: str, deadline: float) -> None:
        self.function_name = PLAN["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = PLAN["function_arn"]
        self.memory_limit_in_mb = int(PLAN["memory_mb"])
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{PLAN['function_name']}"
        self.log_stream_name = "rehearsal"
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error_of(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(type(error), error, error.__traceback__)[-12:],
    }


def invoke(handler: Any, event: Any) -> dict[str, Any]:
    MISSING.clear()
    context = LambdaContext(str(uuid.uuid4()), time.monotonic() + float(PLAN["timeout_s"]))
    try:
        result = handler(event, context)
        text = json.dumps(result)
    except BaseException as error:  # everything the handler raises is the invocation's error, as in Lambda
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        if MISSING and not isinstance(error, MissingSetting):
            error = MissingSetting(
                f"{PLAN['function']} ({PLAN['function_name']}) reads the setting {MISSING[0]}, which its template's "
                f"environment does not give (then: {type(error).__name__}: {error})"
            )
        return {"ok": False, "error": error_of(error)}
    if MISSING:  # read, failed, and the failure swallowed by the code: the cloud would still miss the setting
        missing = MissingSetting(
            f"{PLAN['function']} ({PLAN['function_name']}) reads the setting {MISSING[0]}, which its template's "
            "environment does not give"
        )
        return {"ok": False, "error": error_of(missing)}
    return {"ok": True, "result": json.loads(text)}


def main() -> None:
    global RECORDS
    PLAN.update(json.loads(open(sys.argv[1], encoding="utf-8").read()))  # noqa: SIM115 - stdlib only, tiny
    sys.path[:0] = PLAN["path"]
    channel = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # the handler's prints and logs go to the function's log, never into the channel
    RECORDS = open(PLAN["records"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    started = time.perf_counter()
    try:
        hook_botocore()
        hook_settings()
        module_name, _, function_name = PLAN["handler"].rpartition(".")
        handler = getattr(importlib.import_module(module_name), function_name)
    except BaseException as error:  # an init error: Lambda reports it for the invocation
        channel.write(json.dumps({"ready": False, "error": error_of(error)}) + "\n")
        return
    channel.write(json.dumps({"ready": True, "init_ms": round((time.perf_counter() - started) * 1000, 1)}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        answer = invoke(handler, request["event"])
        channel.write(json.dumps({"id": request["id"], **answer}) + "\n")


if __name__ == "__main__":
    main()
