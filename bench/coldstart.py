"""Cold start of every Lambda function, each in processes of its own as Lambda runs it (`make bench`; alone:
`TZ=UTC .venv/bin/python bench/coldstart.py`, which prints the table and the JSON).

For each function of infra/cdk/functions.py FUNCTIONS and each kind of event it is sent, a fresh process
(bench/lambda_process.py, `python -I -S`) sees only the function's asset, built for this machine
(infra/rehearsal/assets.py: the same profile and requirement set, wheels for this platform and Python), and the
Lambda runtime's boto3 installed apart; nothing of the virtualenv. It gets the function's environment as the
template sets it for the prod stage (service name, log level, metrics namespace) plus the emulated AWS's endpoint and
the desk's resource names, and the handler string FUNCTIONS names. It reports:

- init: from the parent's spawn of the process to the handler resolved (interpreter start and module import);
- first: the first invocation after init, one per kind (the API: one request per context, each in a new process,
  so each is a cold start's first request; housekeeping: one per schedule);
- warm: the same event again in the same process.

Every figure is a ratio to `import boto3` (the runtime's copy) timed in the same run, in the same kind of process,
best of ROUNDS each, the processes of a round run one after another and the baseline in every round. The functions
talk to a moto server the bench starts (the same resources and demo data as `make run`), so each invocation does its
real work; `aws wait` is the part of an invocation spent waiting for the emulator's answers (botocore's HTTP send),
which in the cloud would be DynamoDB's few milliseconds instead; `own` = first - aws wait is what the function's
code costs. The processes read their bytecode from a cache the bench compiles first (`-X pycache_prefix`): the
deployed asset carries no .pyc and /var/task is read-only, so in the cloud each cold start compiles the desk's
modules too; `no_bytecode` measures that once for the API.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for _path in (str(ROOT), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from infra.local import fake_aws  # noqa: E402

fake_aws.apply(POWERTOOLS_LOG_LEVEL="WARNING")  # this process's own handlers (the bench's setup) log warnings only

ROUNDS = int(os.environ.get("COLDSTART_ROUNDS", "3"))
API_FIRST_REQUEST_TARGET = 1.5  # x import boto3: every API context's first request (issue: cold start measured whole)
CHILD = BENCH / "lambda_process.py"
PYCACHE = ROOT / ".cache" / "coldstart-pycache"
CUSTOMER = "bob@acme.example"
AGENT = "lena.l1@caseway.example"
MANAGER = "maria.manager@caseway.example"

# One request per context of the API (functions/api/app.py ROUTER_MODULES), as a person of the right role sends it.
API_REQUESTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("tickets", "GET", "/tickets", CUSTOMER),
    ("public web form", "GET", "/services", None),
    ("tasks", "GET", "/tasks?group=L1", AGENT),
    ("catalog", "GET", "/catalog/services", MANAGER),
    ("figures", "GET", "/figures/manager", MANAGER),
    ("kb", "GET", "/kb/articles", AGENT),
    ("money", "GET", "/contracts", MANAGER),
    ("review", "GET", "/reviews/{review_task}", MANAGER),
    ("channels", "GET", "/channels/telegram", CUSTOMER),
    ("queues", "GET", "/routing/groups", MANAGER),
    ("directory", "GET", "/people", MANAGER),
    ("plans", "GET", "/sla/plans", MANAGER),
    ("notifications", "GET", "/notifications", AGENT),
    ("workspace", "GET", "/replies", AGENT),
    ("mail", "GET", "/mail/quarantine", MANAGER),
    ("a ticket with history", "GET", "/tickets/{ticket}", CUSTOMER),
)
HOUSEKEEPING = ("close_resolved_after_silence", "daily_review", "weekly_review", "billing_check")


# --- the emulated AWS the processes talk to -------------------------------------------------------------------


class Desk:
    """A moto server with the desk's resources and demo data, and what the events need (tickets, their events)."""

    def __init__(self) -> None:
        from infra.local.stack import free_port

        self.port = free_port()
        os.environ["MOTO_PORT"] = str(self.port)
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{self.port}"
        self.published: list[dict[str, Any]] = []

    def start(self) -> Desk:
        from moto.events.models import EventsBackend
        from moto.server import ThreadedMotoServer

        from infra.local import demo
        from infra.local import emulation as aws_emulation
        from shared.platform import bus

        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.moto.start()
        request = urllib.request.Request(
            f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/config",
            data=json.dumps(aws_emulation.MOTO_CONFIG).encode(),
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).read()
        aws_emulation.install_lambda_dispatcher()
        aws_emulation.validate_each_definition_once()
        aws_emulation.provision()
        demo.seed()
        # The counters function is measured in processes of its own: this emulator keeps the events it is given
        # instead of counting them in this process (emulation.deliver_bus_events reads the consumers' table).
        bus.CONSUMERS.clear()
        original = EventsBackend.put_events

        def put_events(backend: Any, events: list[dict[str, Any]]) -> Any:  # kept for the counters' events
            self.published.extend(events)
            return original(backend, events)

        EventsBackend.put_events = put_events
        return self

    def stop(self) -> None:
        self.moto.stop()

    def call_api(self, method: str, path: str, user: str | None, body: Any = None) -> Any:
        """The API in this process (the bench's own setup, not measured)."""
        from functions.api import app
        from infra.local import fake_aws

        result = app.handler(api_event(method, path, user, body), fake_aws.LambdaContext())
        if int(result["statusCode"]) >= 400:
            raise RuntimeError(f"{method} {path}: {result['statusCode']} {result.get('body')}")
        return json.loads(result["body"]) if result.get("body") else None

    def submitted_tickets(self, count: int) -> list[dict[str, Any]]:
        """`count` question tickets, each with the TicketSubmitted event the bus got for it."""
        from scenario import QUESTION

        tickets = []
        for _ in range(count):
            created = self.call_api("POST", "/tickets", CUSTOMER, QUESTION)
            event = next(
                e
                for e in reversed(self.published)
                if e.get("DetailType") == "TicketSubmitted" and created["id"] in e.get("Detail", "")
            )
            tickets.append({"id": created["id"], "event": event})
        return tickets

    def review_task(self) -> str:
        """A review task's id: the daily review, run once here (on a day off there is none, and the review's
        request asks for an id that does not exist: a 404 from the same router)."""
        from shared.review import reviews

        done = reviews.daily_review(idle_hours=0)
        return next(iter(done["created"] + done["existing"]), "no-review-today")

    def store_email(self, message_id: str) -> None:
        from shared.platform import aws, config

        raw = (
            f"From: olga@acme.example\r\nTo: support@caseway.example\r\nSubject: Cannot log in {message_id}\r\n"
            f"Message-ID: <{message_id}@acme.example>\r\n\r\nThe page reloads.\r\n"
        ).encode()
        key = config.get(config.INBOUND_PREFIX) + message_id
        aws.client("s3").put_object(Bucket=config.get(config.INBOUND_BUCKET), Key=key, Body=raw)

    def telegram_secret(self) -> str:
        from shared.channels import telegram_api
        from shared.platform import aws, config

        token = "123456:coldstart-bench"
        aws.client("secretsmanager").create_secret(Name=config.get(config.TELEGRAM_TOKEN_SECRET), SecretString=token)
        return telegram_api.webhook_secret(token)


def api_event(method: str, path: str, user: str | None, body: Any = None) -> dict[str, Any]:
    """An HTTP API (payload v2) event as the local gateway builds it, with the demo user's JWT claims."""
    from infra.local import demo

    claims = demo.claims_for(demo.user_by_email(user)) if user else None
    text = json.dumps(body) if body is not None else ""
    headers = {"content-type": "application/json"} if body is not None else {}
    return _gateway().event(method, path, headers, text.encode(), "198.51.100.7", claims)


@functools.cache
def _gateway() -> Any:
    from infra.local.gateway import Gateway

    return Gateway()


# --- the kinds of events per function -----------------------------------------------------------------------


def kinds(desk: Desk, rounds: int) -> dict[str, list[tuple[str, list[dict[str, Any]]]]]:
    """function short name -> [(kind, events of one process per round: first and warm)]. Events a function may
    see only once (a ticket's submission counted, an SES message id) are new in every process."""
    tickets = desk.submitted_tickets(2 * rounds + 1)
    ticket = tickets[-1]["id"]
    review_task = desk.review_task()
    secret = desk.telegram_secret()
    user = __import__("infra.local.demo", fromlist=["demo"]).user_by_email(CUSTOMER)
    found: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {}

    def same_twice(event: dict[str, Any]) -> list[dict[str, Any]]:
        return [[event, event] for _ in range(rounds)]  # type: ignore[list-item]

    found["api"] = [
        (name, same_twice(api_event(method, path.format(ticket=ticket, review_task=review_task), user_email)))
        for name, method, path, user_email in API_REQUESTS
    ]
    found["route-tasks"] = [
        ("refresh (a step of the support route)", same_twice({"action": "refresh", "ticket_id": ticket}))
    ]
    found["pre-token"] = [
        (
            "token of a customer",
            same_twice(
                {
                    "version": "2",
                    "triggerSource": "TokenGeneration_Authentication",
                    "userName": user["sub"],
                    "request": {
                        "userAttributes": {
                            "sub": user["sub"],
                            "email": user["email"],
                            "custom:org_id": user["organisation_id"],
                        },
                        "groupConfiguration": {"groupsToOverride": [user["role"].value]},
                    },
                    "response": {},
                }
            ),
        )
    ]
    found["counters"] = [
        (
            "TicketSubmitted",
            [[eventbridge(tickets[2 * i]["event"]), eventbridge(tickets[2 * i + 1]["event"])] for i in range(rounds)],
        )
    ]
    found["housekeeping"] = [(action, same_twice({"action": action})) for action in HOUSEKEEPING]
    mails = [[str(uuid.uuid4()), str(uuid.uuid4())] for _ in range(rounds)]
    for pair in mails:
        for message_id in pair:
            desk.store_email(message_id)
    found["inbound-email"] = [("a new e-mail to support@", [[ses_event(m) for m in pair] for pair in mails])]
    found["setup"] = [("setup run (the desk already set up)", same_twice({}))]
    found["telegram-webhook"] = [
        (
            "an update, handed on to the bot",
            [
                [telegram_update(secret, 7_000_000 + 2 * i), telegram_update(secret, 7_000_001 + 2 * i)]
                for i in range(rounds)
            ],
        )
    ]
    found["telegram"] = [
        ("a notification (no linked chat)", same_twice({"notified": {"ticket_id": ticket, "headline": "received"}}))
    ]
    return found


def eventbridge(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": "123456789012",
        "time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": json.loads(entry["Detail"]),
    }


def ses_event(message_id: str) -> dict[str, Any]:
    passed = {"status": "PASS"}
    receipt = {"recipients": ["support@caseway.example"], **{f"{v}Verdict": passed for v in ("spam", "virus", "spf")}}
    mail = {"messageId": message_id, "source": "olga@acme.example", "destination": ["support@caseway.example"]}
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0", "ses": {"mail": mail, "receipt": receipt}}]}


def telegram_update(secret: str, update_id: int) -> dict[str, Any]:
    body = {"update_id": update_id, "message": {"message_id": 1, "chat": {"id": 42, "type": "private"}, "text": "hi"}}
    event = api_event("POST", "/telegram/webhook", None, body)
    event["headers"]["x-telegram-bot-api-secret-token"] = secret
    return event


# --- the processes --------------------------------------------------------------------------------------------


def interpreter() -> str:
    """The base interpreter (not the virtualenv's launcher): with -I -S it knows only the standard library."""
    return getattr(sys, "_base_executable", sys.executable)


def compile_bytecode(folders: list[Path]) -> None:
    """Bytecode for the processes, in the bench's own cache (the asset folders stay as built), the standard
    library's too: a pycache prefix is where the interpreter looks for every module's bytecode. Once per change."""
    stdlib = sysconfig.get_paths()["stdlib"]
    command = [interpreter(), "-I", "-S", "-X", f"pycache_prefix={PYCACHE}", "-m", "compileall", "-q", "-j", "0"]
    skip = ["-x", r"/(test|tests|idlelib|lib2to3|tkinter|turtledemo|ensurepip)/"]
    subprocess.run([*command, *skip, stdlib, *map(str, folders)], check=False, capture_output=True)


def environment(spec: Any, log_level: str, namespace: str) -> dict[str, str]:
    """What the template gives the function (infra/cdk/functions.py) and the emulated AWS's settings."""
    env = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "CASEWAY_", "MOTO_"))}
    env.update(
        PATH="/usr/bin:/bin",
        TZ="UTC",
        LANG="C.UTF-8",
        POWERTOOLS_SERVICE_NAME=spec.service,
        POWERTOOLS_LOG_LEVEL=log_level,
        POWERTOOLS_METRICS_NAMESPACE=namespace,
        AWS_LAMBDA_FUNCTION_NAME=f"caseway-{spec.short_name}",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(spec.memory_mb),
    )
    return env


def run_process(plan: dict[str, Any], env: dict[str, str], pycache: Path, bytecode: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caseway-coldstart-") as folder:
        plan_file, result_file = Path(folder) / "plan.json", Path(folder) / "result.json"
        flags = ["-I", "-S", "-X", f"pycache_prefix={pycache}"] + ([] if bytecode else ["-B"])
        plan = {**plan, "result": str(result_file), "spawned": time.time()}
        plan_file.write_text(json.dumps(plan))
        done = subprocess.run(
            [interpreter(), *flags, str(CHILD), str(plan_file)], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0 or not result_file.exists():
            raise RuntimeError(f"{plan.get('handler') or 'import boto3'} failed to start:\n{done.stderr[-3000:]}")
        return json.loads(result_file.read_text())


def measure() -> dict[str, Any]:
    from infra.cdk.functions import FUNCTIONS
    from infra.rehearsal import assets
    from infra.stages import STAGES

    runtime = assets.lambda_runtime()
    folders = {spec.asset: assets.local_asset(spec.asset) for spec in FUNCTIONS}
    compile_bytecode([*folders.values(), runtime])
    log_level = STAGES["prod"].log_level
    desk = Desk().start()
    try:
        plans = kinds(desk, ROUNDS)
        baseline_env = environment(FUNCTIONS[0], log_level, "Caseway")
        baseline: list[dict[str, Any]] = []
        measured: dict[tuple[str, str], list[dict[str, Any]]] = {}
        run_process({"path": [str(runtime)]}, baseline_env, PYCACHE)  # untimed: the disk's cache, anything left
        for round_no in range(ROUNDS):
            baseline.append(run_process({"path": [str(runtime)]}, baseline_env, PYCACHE))
            for spec in FUNCTIONS:
                env = environment(spec, log_level, "Caseway")
                for kind, events_per_round in plans[spec.short_name]:
                    plan = {
                        "path": [str(folders[spec.asset]), str(runtime)],
                        "handler": spec.handler,
                        "function_name": f"caseway-{spec.short_name}",
                        "events": events_per_round[round_no],
                    }
                    measured.setdefault((spec.short_name, kind), []).append(run_process(plan, env, PYCACHE))
        no_bytecode = measure_without_bytecode(folders["api"], runtime, plans["api"][0], FUNCTIONS[0], log_level)
    finally:
        desk.stop()
    return summarise(FUNCTIONS, folders, runtime, baseline, measured, no_bytecode, log_level)


def measure_without_bytecode(
    asset: Path, runtime: Path, kind: tuple[str, list[Any]], spec: Any, log_level: str
) -> dict[str, Any]:
    """The API as the cloud starts it: its asset's modules compiled at import (the runtime's boto3 keeps its .pyc)."""
    empty = Path(tempfile.mkdtemp(prefix="caseway-no-pyc-"))
    try:
        # The runtime's boto3 from the warm cache, the asset from an empty one that is never written (-B).
        shutil.copytree(PYCACHE / str(runtime).lstrip("/"), empty / str(runtime).lstrip("/"))
        plan = {"path": [str(asset), str(runtime)], "handler": spec.handler, "function_name": "caseway-api"}
        runs = [
            run_process(
                {**plan, "events": kind[1][0][:1]}, environment(spec, log_level, "Caseway"), empty, bytecode=False
            )
            for _ in range(ROUNDS)
        ]
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    return {
        "request": kind[0],
        "init_s": min(r["init_s"] for r in runs),
        "first_s": min(r["invocations"][0]["seconds"] for r in runs),
    }


def summarise(
    functions: Any,
    folders: dict[str, Path],
    runtime: Path,
    baseline: list[dict[str, Any]],
    measured: dict[tuple[str, str], list[dict[str, Any]]],
    no_bytecode: dict[str, Any],
    log_level: str,
) -> dict[str, Any]:
    boto3_s = min(b["import_s"] for b in baseline)
    start_s = min(b["init_s"] - b["import_s"] for b in baseline)

    def ratio(seconds: float) -> float:
        return round(seconds / boto3_s, 2)

    by_function: dict[str, Any] = {}
    for spec in functions:
        kinds_found: dict[str, Any] = {}
        inits = []
        for (name, kind), runs in measured.items():
            if name != spec.short_name:
                continue
            inits.extend(r["init_s"] for r in runs)
            first = min(runs, key=lambda r: r["invocations"][0]["seconds"])["invocations"][0]
            warm = min(runs, key=lambda r: r["invocations"][1]["seconds"])["invocations"][1]
            kinds_found[kind] = {
                "first": ratio(first["seconds"]),
                "first_aws_wait": ratio(first["aws_wait_s"]),
                "first_own": ratio(first["seconds"] - first["aws_wait_s"]),
                "warm": ratio(warm["seconds"]),
                "first_ms": round(first["seconds"] * 1000, 1),
                "warm_ms": round(warm["seconds"] * 1000, 1),
                "outcome": first["outcome"],
            }
        by_function[spec.short_name] = {
            "handler": spec.handler,
            "asset": spec.asset,
            "init": ratio(min(inits)),
            "init_ms": round(min(inits) * 1000, 1),
            "kinds": kinds_found,
        }
    api_firsts = {k: v["first"] for k, v in by_function["api"]["kinds"].items()}
    worst = max(api_firsts.values())
    return {
        "method": (
            f"each function and kind in a fresh `python -I -S` process with only its local asset and the runtime's "
            f"boto3 on sys.path (bench/coldstart.py); best of {ROUNDS}; ratios to `import boto3` in the same kind of "
            "process; events against a moto server with the demo desk; bytecode from a warm cache"
        ),
        "rounds": ROUNDS,
        "log_level": log_level,
        "baseline_import_boto3_ms": round(boto3_s * 1000, 1),
        "interpreter_start_ms": round(start_s * 1000, 1),
        "assets": {profile: str(folder.relative_to(ROOT)) for profile, folder in folders.items()},
        "runtime": str(runtime.relative_to(ROOT)),
        "functions": by_function,
        "api_first_request_worst": worst,
        "api_first_request_target": API_FIRST_REQUEST_TARGET,
        "api_first_request_ok": worst <= API_FIRST_REQUEST_TARGET,
        "api_without_bytecode": {
            "scope": "the deployed asset carries no .pyc and /var/task is read-only: every cold start compiles",
            "request": no_bytecode["request"],
            "init": ratio(no_bytecode["init_s"]),
            "first": ratio(no_bytecode["first_s"]),
        },
    }


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)])


def report(found: dict[str, Any]) -> str:
    rows = []
    for name, function in found["functions"].items():
        for index, (kind, figures) in enumerate(function["kinds"].items()):
            rows.append(
                [
                    name if index == 0 else "",
                    f"{function['init']:.2f}" if index == 0 else "",
                    kind,
                    f"{figures['first']:.2f}",
                    f"{figures['first_own']:.2f}",
                    f"{figures['first_aws_wait']:.2f}",
                    f"{figures['warm']:.2f}",
                    figures["outcome"][:60],
                ]
            )
    header = ["function", "init", "first invocation of", "first", "own", "aws wait", "warm", "outcome"]
    no_pyc = found["api_without_bytecode"]
    mark = "ok" if found["api_first_request_ok"] else "FAIL"
    return "\n".join(
        [
            f"cold start, x import boto3 ({found['baseline_import_boto3_ms']} ms in the same kind of process; "
            f"interpreter start {found['interpreter_start_ms']} ms), best of {found['rounds']}, "
            f"log level {found['log_level']}:",
            table(rows, header),
            f"API first request of a context, worst: {found['api_first_request_worst']:.2f} "
            f"(target <= {found['api_first_request_target']})  {mark}",
            f"API without bytecode (as deployed: no .pyc in the asset): init {no_pyc['init']:.2f}, "
            f"first {no_pyc['request']} {no_pyc['first']:.2f}",
        ]
    )


if __name__ == "__main__":
    result = measure()
    print(report(result))
    print(json.dumps(result, indent=2))
