"""One Lambda execution environment, for bench/coldstart.py: run as `python -I -S lambda_process.py <plan.json>`.

Standard library only, and nothing of the project's virtualenv: `-I -S` leave site-packages and PYTHON* variables
out, and the plan's `path` (the function's asset, then the runtime's boto3) is all that is put on sys.path. The plan
names the handler and the events; the timings go to the plan's `result` file (the handler's logs own stdout).

Timed: init, from the parent's spawn (wall clock, `spawned`) to the handler resolved, and the import alone
(perf_counter); then each event's invocation, and within it the time spent waiting for AWS's answers (botocore's
HTTP send, wrapped when botocore.endpoint is first imported, so the wrapping costs the figures nothing).
A plan without a handler times `import boto3` alone, the baseline, in the same kind of process.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import json
import sys
import time
import traceback

AWS_WAIT = [0.0]


class LambdaContext:
    """The parts of the Lambda context object the handlers and powertools read."""

    memory_limit_in_mb = 1024
    aws_request_id = "coldstart"

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class TimeAwsCalls(importlib.abc.MetaPathFinder):
    """Wraps botocore's Endpoint._send when botocore.endpoint loads: the time each AWS answer took."""

    def find_spec(self, name, path=None, target=None):
        if name != "botocore.endpoint":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module

        def exec_module(module) -> None:
            load(module)
            send = module.Endpoint._send

            def timed(self, request):
                started = time.perf_counter()
                try:
                    return send(self, request)
                finally:
                    AWS_WAIT[0] += time.perf_counter() - started

            module.Endpoint._send = timed

        spec.loader.exec_module = exec_module
        return spec


def outcome_of(result: object) -> str:
    if isinstance(result, dict) and "statusCode" in result:
        return str(result["statusCode"])
    return "ok"


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        plan = json.load(file)
    sys.path[:0] = plan["path"]
    found: dict[str, object] = {}
    if not plan.get("handler"):
        started = time.perf_counter()
        import boto3  # noqa: F401 - the baseline: the runtime's boto3

        found["import_s"] = time.perf_counter() - started
        found["init_s"] = time.time() - plan["spawned"]
    else:
        sys.meta_path.insert(0, TimeAwsCalls())
        module_name, _, function = plan["handler"].rpartition(".")
        started = time.perf_counter()
        handler = getattr(importlib.import_module(module_name), function)
        found["import_s"] = time.perf_counter() - started
        found["init_s"] = time.time() - plan["spawned"]
        context = LambdaContext(plan["function_name"])
        invocations = []
        for event in plan["events"]:
            before, started = AWS_WAIT[0], time.perf_counter()
            try:
                outcome = outcome_of(handler(event, context))
            except Exception as error:  # the figure stands; the outcome says it failed
                outcome = f"raised {type(error).__name__}: {str(error)[:160]}"
                traceback.print_exc()
            invocations.append(
                {"seconds": time.perf_counter() - started, "aws_wait_s": AWS_WAIT[0] - before, "outcome": outcome}
            )
        found["invocations"] = invocations
    with open(plan["result"], "w", encoding="utf-8") as file:
        json.dump(found, file)


if __name__ == "__main__":
    main()
