"""AWS emulated by moto, shared by the local stack (server mode) and the tests (in-process).

- Resources are created from the synthesized dev template (infra/rehearsal/template.py), by the rehearsal's loader
  (infra/rehearsal/resources.py): the same list the cloud deploys, with the names CloudFormation would give them.
  The process then reads them through the settings the template gives the functions (`apply_settings`).
- Lambda tasks of the routes run the project's own handlers in-process: moto's Lambda invoke (without
  Docker) is replaced by a dispatcher to those handlers, by the template's function names.
- Events on the bus reach a function only through a template rule whose pattern matches them, by EventBridge's
  matching (moto's implementation of event patterns); schedules fire with the template's payload and time zone.
- Wait states can be made to return at once (a virtual clock for tests).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.dynamodb.responses import DynamoHandler
from moto.events.models import EventPattern, EventsBackend
from moto.ses.models import ses_backends
from moto.stepfunctions.parser.asl.component.state.wait import state_wait
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from functions import counters, housekeeping, inbound_email, route_tasks
from functions import setup as desk_setup
from infra.local import fake_aws, mailbox
from infra.local.moto_transactions import back_up_only_what_a_transaction_writes
from infra.rehearsal import resources
from infra.rehearsal import template as rehearsal_template
from infra.rehearsal.intrinsics import Physical, Unresolved
from shared.platform import aws, bus, clock, config, table, workflows
from shared.platform.schedules import next_firing

logger = logging.getLogger(__name__)

ACCOUNT = resources.ACCOUNT
REGION = resources.REGION
FUNCTION_PREFIX = f"{resources.STACK_NAME}-"  # the dev template's function names: caseway-dev-<short name>
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def function_arn(short_name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_PREFIX}{short_name}"


# The project's Lambda handlers the routes and the schedules invoke, by function name.
HANDLERS: dict[str, Callable[[dict, Any], Any]] = {
    f"{FUNCTION_PREFIX}route-tasks": route_tasks.handler,
    f"{FUNCTION_PREFIX}housekeeping": housekeeping.handler,
    f"{FUNCTION_PREFIX}counters": counters.handler,
    f"{FUNCTION_PREFIX}setup": desk_setup.handler,
    f"{FUNCTION_PREFIX}inbound-email": inbound_email.handler,
}
# Lambda's retries of an asynchronous invocation (infra/cdk/functions.py retry_attempts=2), then the DLQ.
ASYNC_ATTEMPTS = 3

# In rehearsal mode (`caseway local --rehearsal`, tests/rehearsal) every invocation goes to the function's own process
# (infra/rehearsal/runner.py), named as the template names it: REHEARSAL_PREFIX replaces FUNCTION_PREFIX.
REHEARSAL: Any = None
REHEARSAL_PREFIX = ""


def rehearse(runner: Any, prefix: str) -> None:
    """From now on the desk's functions run as the rehearsal's processes (`runner.invoke(name, event)`)."""
    global REHEARSAL, REHEARSAL_PREFIX
    REHEARSAL, REHEARSAL_PREFIX = runner, prefix


def call(name: str, event: Any) -> Any:
    """Invoke one of the desk's functions by its local name (caseway-<short name>) and wait for its result: its own
    process in rehearsal mode (a failure raises the runner's InvocationFailed), else its handler in this process."""
    if REHEARSAL is not None:
        return REHEARSAL.invoke(rehearsed_name(name), event)
    return HANDLERS[name](event, fake_aws.LambdaContext(name))


def rehearsed_name(name: str) -> str:
    """The template's name of a function named locally or by the template (an ARN's qualifier dropped)."""
    bare = name.split(":function:")[-1].split(":")[0]
    if bare.startswith(REHEARSAL_PREFIX):
        return bare
    return REHEARSAL_PREFIX + bare.removeprefix(FUNCTION_PREFIX)


def install_lambda_dispatcher() -> None:
    """Route moto's Lambda invocations to the project's handlers, in this process."""

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> bytes:
        name = function_name.split(":function:")[-1].split(":")[0]
        if REHEARSAL is not None:
            return _rehearsed_invoke(name, body, response_headers)
        handler = HANDLERS.get(name)
        if handler is None:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": "ResourceNotFound", "errorMessage": f"no handler for {name}"}).encode()
        event = json.loads(body) if body else {}
        try:
            result = _own_thread(handler, event)
        except Exception as error:
            logger.warning("route step %s failed: %s", name, error)
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_exc().splitlines()[-5:],
                }
            ).encode()
        return json.dumps(result).encode()

    LambdaSimpleBackend.invoke = invoke
    deliver_bus_events()
    make_dynamodb_requests_atomic()
    back_up_only_what_a_transaction_writes()
    validate_each_definition_once()
    import_user_pool_key_once()


def _rehearsed_invoke(name: str, body: Any, response_headers: Any) -> bytes:
    """Lambda's Invoke answered by the function's rehearsed process: its result, or its error with the header a
    Catch and a caller read."""
    event = json.loads(body) if body else {}
    try:
        result = REHEARSAL.invoke(rehearsed_name(name), event)
    except Exception as error:
        logger.warning("%s failed: %s", name, error)
        response_headers["x-amz-function-error"] = "Unhandled"
        payload = error.as_payload() if hasattr(error, "as_payload") else {"errorType": type(error).__name__}
        return json.dumps(payload).encode()
    return json.dumps(result).encode()


def _own_thread(handler: Callable[[dict[str, Any], Any], Any], event: dict[str, Any]) -> Any:
    """Run an invocation on a thread of its own, as its own Lambda process would, and wait for it: what it reads,
    caches and writes is not its caller's (a request's DynamoDB calls stay the request's own), while the caller
    still goes on only once it is done, so the local stack stays as predictable as before."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = handler(event, None)
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error

    thread = threading.Thread(target=run, name=f"lambda-{event.get('action', 'invoke')}", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def deliver_bus_events() -> None:
    """What EventBridge does with the template's rules (moto's rules cannot target Lambda): each event put on a bus
    goes to the targets of every enabled rule of that bus whose pattern matches it, by EventBridge's matching (moto's
    `EventPattern`), shaped as EventBridge shapes it, on a thread of its own as a separate Lambda would run it, with
    Lambda's retries of an asynchronous invocation. The put waits for the consumers, so whoever published it (a test,
    the local desk) sees the counters as soon as its call returns; a consumer that still fails is logged. Each event
    and the rules it matched are kept in DELIVERIES (see `undelivered`)."""
    original = EventsBackend.put_events
    if getattr(original, "caseway_consumers", False):
        return

    def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entries = original(self, events)
        for event, entry in zip(events, entries, strict=False):
            if entry.get("EventId"):
                _deliver(event, entry["EventId"])
        return entries

    put_events.caseway_consumers = True  # type: ignore[attr-defined]
    EventsBackend.put_events = put_events


@dataclass(frozen=True)
class Delivery:
    """An event put on a bus, and the template rules (logical ids) whose pattern matched it."""

    bus: str
    detail_type: str
    source: str
    rules: tuple[str, ...]


DELIVERIES: list[Delivery] = []


def _deliver(event: dict[str, Any], event_id: str) -> None:
    shaped = {
        "version": "0",
        "id": event_id,
        "detail-type": event["DetailType"],
        "source": event["Source"],
        "account": ACCOUNT,
        "time": clock.now_iso(),
        "region": REGION,
        "resources": event.get("Resources", []),
        "detail": json.loads(event["Detail"]),
    }
    bus_name = (event.get("EventBusName") or "default").rsplit("/", 1)[-1]
    matched = [
        rule
        for rule in _STATE.rules
        if rule.enabled and rule.bus == bus_name and EventPattern.load(json.dumps(rule.pattern)).matches_event(shaped)
    ]
    DELIVERIES.append(Delivery(bus_name, shaped["detail-type"], shaped["source"], tuple(r.logical_id for r in matched)))
    for rule in matched:
        for target in rule.targets:
            consumer = threading.Thread(target=_consume, args=(_function_name(target), shaped))
            consumer.start()
            consumer.join()


def undelivered() -> list[str]:
    """What the template's rules failed to deliver, as the code declares its consumers (bus.CONSUMERS: a function and
    the detail-types it takes): one line per published event that reached none of the rules targeting a consumer
    that takes it, naming those rules and their patterns. Empty when every event reached every consumer."""
    problems = []
    for delivery in DELIVERIES:
        for short_name, detail_types in bus.CONSUMERS.items():
            if delivery.detail_type not in detail_types:
                continue
            function = f"{FUNCTION_PREFIX}{short_name}"
            targeting = [r for r in _STATE.rules if any(_function_name(t) == function for t in r.targets)]
            if not any(r.logical_id in delivery.rules for r in targeting):
                named = "; ".join(f"rule {r.logical_id} (pattern {json.dumps(r.pattern)})" for r in targeting)
                problems.append(
                    f"{delivery.detail_type} from {delivery.source} on {delivery.bus} did not reach {function}: "
                    + (named + " did not match it" if targeting else "no rule of the template targets it")
                )
    return problems


def _function_name(target_arn: str) -> str:
    return target_arn.split(":function:")[-1].split(":")[0]


def _consume(name: str, shaped: dict[str, Any]) -> None:
    handler = HANDLERS.get(name)
    if handler is None:
        logger.error("a rule targets %s, which has no handler here", name)
        return
    for attempt in range(1, ASYNC_ATTEMPTS + 1):
        try:
            call(name, shaped)
            return
        except Exception:
            logger.exception("%s failed on %s (attempt %d of %d)", name, shaped["detail-type"], attempt, ASYNC_ATTEMPTS)


_DYNAMODB_LOCK = threading.RLock()
_VALID_DEFINITIONS: set[str] = set()


def validate_each_definition_once() -> None:
    """moto parses a state machine's definition with its ANTLR grammar on every CreateStateMachine (about
    0.3 s per route); each fresh emulation creates every route again, so a definition already found valid
    in this process is not parsed again. An invalid one still fails exactly as before."""
    original = StepFunctionsParserBackend._validate_definition
    if getattr(original, "caseway_once", False):
        return

    def validate(definition: str) -> None:
        if definition in _VALID_DEFINITIONS:
            return
        original(definition=definition)
        _VALID_DEFINITIONS.add(definition)

    validate.caseway_once = True  # type: ignore[attr-defined]
    StepFunctionsParserBackend._validate_definition = staticmethod(validate)


def import_user_pool_key_once() -> None:
    """moto gives every user pool the same signing key (a JWKS file of its own), and imports it anew for each
    CreateUserPool: about 0.3 s of RSA checks, paid by every fresh emulation. The key is imported once per
    process and shared, as the file is. Internal API of moto 5.2.5 (pinned), like the patches above."""
    from moto.cognitoidp import models as cognito_models

    rsa_key = cognito_models.jwk.RSAKey
    original = rsa_key.import_key
    if getattr(original, "caseway_once", False):
        return
    imported: dict[str, Any] = {}

    def import_key(value: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(value, dict):
            return original(value, *args, **kwargs)
        text = json.dumps(value, sort_keys=True)
        if text not in imported:
            imported[text] = original(value)
        return imported[text]

    import_key.caseway_once = True  # type: ignore[attr-defined]
    rsa_key.import_key = staticmethod(import_key)


def make_dynamodb_requests_atomic() -> None:
    """DynamoDB applies each request atomically; moto's in-process backend does not when route threads
    and API calls run at once (a transaction copying a table while another thread writes to it fails with
    "dictionary changed size during iteration"). One lock around each emulated request gives the
    emulation DynamoDB's guarantee; races between requests (optimistic locking) stay as real as before."""
    original = DynamoHandler.call_action
    if getattr(original, "caseway_atomic", False):
        return

    def call_action(self: Any) -> Any:
        with _DYNAMODB_LOCK:
            return original(self)

    call_action.caseway_atomic = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action


def install_virtual_waits(recorded: list[float] | None = None) -> None:
    """Wait states and task timeouts return at once, recording what they would have waited."""

    def _wait_interval(self: Any, env: Any, wait_seconds: float) -> None:
        if recorded is not None:
            recorded.append(wait_seconds)

    for name in dir(state_wait):
        cls = getattr(state_wait, name)
        if isinstance(cls, type) and hasattr(cls, "_wait_interval"):
            cls._wait_interval = _wait_interval


class _State:
    """The template the emulation was provisioned from and what its resources are called there."""

    def __init__(self) -> None:
        self.template: dict[str, Any] | None = None
        self.physical = Physical(account=ACCOUNT, region=REGION, stack_name=resources.STACK_NAME)
        self.rules: list[resources.BusRule] = []
        self.schedules: list[resources.TemplateSchedule] = []
        self.user_pool = False  # created (provision_user_pool), not only named


_STATE = _State()
_DEV_TEMPLATE: dict[str, Any] = {}
# Settings that say where the outside world is: the local server plays API Gateway and CloudFront, and says so itself.
OUTSIDE_SETTINGS = frozenset({config.PUBLIC_BASE_URL, config.SITE_URL})


def dev_template() -> dict[str, Any]:
    """The synthesized dev template (read once per process: its sources do not change while it runs)."""
    if not _DEV_TEMPLATE:
        _DEV_TEMPLATE.update(rehearsal_template.synthesized())
    return _DEV_TEMPLATE


def provision(*, user_pool: bool = True, template: dict[str, Any] | None = None) -> Physical:
    """Create every resource of the template (default: the dev stage's) in the emulated AWS and point this process
    at them through the settings the template gives its functions (`user_pool=False`: all but the Cognito user
    pool, which tests that invite nobody can do without). SES identities are not in the template (the operator
    verifies the sender): the sender's domain and address are verified here, as `caseway setup` asks."""
    aws.reset()
    DELIVERIES.clear()
    _STATE.template = template if template is not None else dev_template()
    _STATE.user_pool = False
    _STATE.physical = resources.provision(
        _STATE.template, user_pool=False, public_url=config.get(config.PUBLIC_BASE_URL)
    )
    _STATE.rules = resources.rules(_STATE.template, _STATE.physical)
    _STATE.schedules = resources.schedules(_STATE.template, _STATE.physical)
    _check_handlers()
    apply_settings()
    table.configure(table_name=config.get(config.TABLE_NAME))
    sender = config.get(config.SENDER_EMAIL)
    aws.client("ses").verify_domain_identity(Domain=sender.split("@", 1)[1])
    aws.client("ses").verify_email_identity(EmailAddress=sender)
    if user_pool:
        provision_user_pool()
    return _STATE.physical


def _check_handlers() -> None:
    """Every function a rule, a schedule or a route invokes has a handler here: loudly, not at the first event."""
    invoked = {_function_name(t) for rule in _STATE.rules for t in rule.targets}
    invoked |= {s.function for s in _STATE.schedules}
    missing = sorted(name for name in invoked if name not in HANDLERS)
    if missing:
        raise RuntimeError(f"the template invokes {', '.join(missing)}, which the emulation has no handler for")


def resource_settings() -> dict[str, str]:
    """The settings the template gives its functions that name its resources (a reference, or a function's name),
    resolved to what was created: CASEWAY_TABLE_NAME, the bus, buckets, topic, secrets, route ARN prefix, user pool,
    the worker and Telegram functions. Tunables (rates, the sender, the reply domain, ...) and the outside world's
    addresses stay the process's own (the tests and the local stack set those); a resource not created yet (the user
    pool) is left out."""
    assert _STATE.template is not None, "provision() first"
    functions = rehearsal_template.functions(_STATE.template)
    names = {f.function_name for f in functions}
    settings: dict[str, str] = {}
    for function in functions:
        for name, raw in function.environment.items():
            if not name.startswith("CASEWAY_") or name in OUTSIDE_SETTINGS:
                continue
            if not isinstance(raw, dict) and raw not in names:
                continue
            if name == config.USER_POOL_ID and not _STATE.user_pool:
                continue  # named, not created
            try:
                value = str(_STATE.physical.resolve(raw))
            except Unresolved:
                continue
            if settings.setdefault(name, value) != value:
                raise RuntimeError(f"the template gives {name} two values: {settings[name]!r} and {value!r}")
    return settings


def apply_settings() -> None:
    os.environ.update(resource_settings())
    if config.USER_POOL_ID not in resource_settings():
        os.environ.pop(config.USER_POOL_ID, None)


def physical() -> Physical:
    """What the template's resources are called in this emulation."""
    return _STATE.physical


def provision_user_pool() -> str:
    """The template's user pool (groups, custom:org_id, the API's resource server, the app clients, the pre-token
    trigger); CASEWAY_USER_POOL_ID points the desk at it."""
    assert _STATE.template is not None, "provision() first"
    resources.provision_types(_STATE.template, _STATE.physical, resources.COGNITO_TYPES)
    _STATE.user_pool = True
    apply_settings()
    return config.get(config.USER_POOL_ID)


MACHINE_CLIENT_NAME = f"{resources.STACK_NAME}-machine"


def machine_client() -> dict[str, Any]:
    """The emulated pool's client-credentials app client (id and secret), as the stack's MachineClientId."""
    cognito = aws.client("cognito-idp")
    pool = config.get(config.USER_POOL_ID)
    listed = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    found = next(c for c in listed if c["ClientName"] == MACHINE_CLIENT_NAME)
    return cognito.describe_user_pool_client(UserPoolId=pool, ClientId=found["ClientId"])["UserPoolClient"]


def sent_emails() -> list[dict[str, Any]]:
    """What SES sent (moto keeps it in memory), oldest first: the local mailbox (infra/local/mailbox.py), each e-mail
    with its headers (Message-ID as SES gives it), `body` (the text part) and `html`."""
    return mailbox.listing(list(ses_backends[ACCOUNT][REGION].sent_messages), None)


def sent_messages() -> list[Any]:
    """SES's own records of what it sent (the mailbox's source)."""
    return list(ses_backends[ACCOUNT][REGION].sent_messages)


def schedules() -> list[resources.TemplateSchedule]:
    """The template's schedules, as provisioned: name, expression, time zone, target and payload."""
    return list(_STATE.schedules)


def fire_schedule(name: str) -> dict[str, Any]:
    """Fire a schedule as EventBridge Scheduler would: invoke its target with the template's payload."""
    found = [s for s in _STATE.schedules if s.name == name]
    if not found:
        known = ", ".join(s.name for s in _STATE.schedules)
        raise KeyError(f"no schedule {name!r} in the template; known: {known}")
    schedule = found[0]
    response = aws.client("lambda").invoke(FunctionName=schedule.target, Payload=json.dumps(schedule.payload).encode())
    result = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise RuntimeError(f"schedule {name} failed: {result}")
    return result


class Scheduler:
    """The local stack's stand-in for EventBridge Scheduler: fires every enabled schedule of the template on time,
    rate() and cron() (in the schedule's time zone), by `shared.clock` time.

    `tick(now)` is the whole scheduling step: it fires the schedules whose next firing is due at `now` and
    computes their following one. The background thread calls it every second with the real time; tests call it
    with a virtual instant (under `infra.local.virtual_time.VirtualClock`, `shared.clock.now()` is that instant), so a
    schedule fires at a virtual time through the same code path. A schedule that missed several firings (the
    clock jumped) fires once, then waits for its next firing after `now`.
    """

    def __init__(self, schedules: Any = None, *, start: Any = None) -> None:
        chosen = [s for s in _STATE.schedules if s.enabled] if schedules is None else schedules
        self.schedules = tuple(chosen)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="caseway-scheduler", daemon=True)
        self.fired: list[tuple[str, str]] = []
        self.next_at: dict[str, Any] = {}
        if start is not None:
            self.arm(start)

    def arm(self, now: Any) -> None:
        """Compute every schedule's first firing after `now` (as creating the schedules at `now` would)."""
        self.next_at = {s.name: next_firing(s.expression, s.timezone, now) for s in self.schedules}

    def tick(self, now: Any = None) -> list[tuple[str, Any]]:
        """Fire every schedule due at `now` (default: shared.clock.now()); returns (name, result) per firing."""
        now = now or clock.now()
        if not self.next_at:
            self.arm(now)
            return []
        results: list[tuple[str, Any]] = []
        for schedule in self.schedules:
            if now < self.next_at[schedule.name]:
                continue
            self.next_at[schedule.name] = next_firing(schedule.expression, schedule.timezone, now)
            try:
                result = fire_schedule(schedule.name)
                self.fired.append((schedule.name, "ok"))
                results.append((schedule.name, result))
            except Exception as error:  # keep firing the others
                logger.warning("schedule %s failed: %s", schedule.name, error)
                self.fired.append((schedule.name, f"failed: {error}"))
                results.append((schedule.name, {"error": str(error)}))
        return results

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        self.tick()
        while not self._stop.wait(1.0):
            self.tick()


def _execution_arn(ticket_id: str, route: str) -> str:
    return (
        workflows.route_arn(route).replace(":stateMachine:", ":execution:")
        + ":"
        + (workflows.execution_name(ticket_id))
    )


def route_states(ticket_id: str, route: str = "support") -> list[str]:
    """The states a ticket's route has entered so far, in order (from the execution history)."""
    events = aws.client("stepfunctions").get_execution_history(executionArn=_execution_arn(ticket_id, route))
    return [e["stateEnteredEventDetails"]["name"] for e in events["events"] if "stateEnteredEventDetails" in e]


def route_started(ticket_id: str, route: str = "support") -> bool:
    """Whether the ticket's route has an execution (the route worker starts it after the intake)."""
    sfn = aws.client("stepfunctions")
    try:
        sfn.describe_execution(executionArn=_execution_arn(ticket_id, route))
    except sfn.exceptions.ExecutionDoesNotExist:
        return False
    return True


def route_status(ticket_id: str, route: str = "support") -> str:
    """RUNNING, SUCCEEDED, FAILED, ... of a ticket's route."""
    return aws.client("stepfunctions").describe_execution(executionArn=_execution_arn(ticket_id, route))["status"]
