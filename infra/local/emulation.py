"""AWS emulated by moto, shared by the local stack (server mode) and the tests (in-process).

- Resources are created from the same definitions the CDK app uses: the table from the pynamodb
  models, the routes from statemachines/*.asl.json (infra/cdk/asl.py).
- Lambda tasks of the routes run the project's own handlers in-process: moto's Lambda invoke (without
  Docker) is replaced by a dispatcher to those handlers.
- Wait states can be made to return at once (a virtual clock for tests).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import traceback
from collections.abc import Callable
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.dynamodb.responses import DynamoHandler
from moto.events.models import EventsBackend
from moto.ses.models import ses_backends
from moto.stepfunctions.parser.asl.component.state.wait import state_wait
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from functions import counters, housekeeping, inbound_email, route_tasks
from functions import setup as desk_setup
from infra.cdk import asl
from infra.local import fake_aws, mailbox
from shared.platform import aws, bus, clock, config, files, identity, table, workflows
from shared.platform.schedules import SCHEDULES, by_name, next_firing

logger = logging.getLogger(__name__)

ACCOUNT = "123456789012"
REGION = "us-east-1"
FUNCTION_PREFIX = "caseway-"
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


def install_lambda_dispatcher() -> None:
    """Route moto's Lambda invocations to the project's handlers, in this process."""

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> bytes:
        name = function_name.split(":function:")[-1].split(":")[0]
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
    validate_each_definition_once()
    import_user_pool_key_once()


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
    """What the EventBridge rules of infra/cdk/consumers.py do in the cloud (moto's rules cannot target Lambda):
    each event put on the bus whose detail-type a consumer takes (bus.CONSUMERS) is handed to that consumer's
    handler as EventBridge would shape it, on a thread of its own as a separate Lambda would run it, with Lambda's
    retries of an asynchronous invocation. The put waits for the consumer, so whoever published it (a test, the
    local desk) sees the counters as soon as its call returns; a consumer that still fails is logged."""
    original = EventsBackend.put_events
    if getattr(original, "caseway_consumers", False):
        return

    def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entries = original(self, events)
        for event, entry in zip(events, entries, strict=False):
            if entry.get("EventId") and event.get("Source") == bus.EVENT_SOURCE:
                for function, detail_types in bus.CONSUMERS.items():
                    if event.get("DetailType") in detail_types:
                        consumer = threading.Thread(target=_consume, args=(function, event, entry["EventId"]))
                        consumer.start()
                        consumer.join()
        return entries

    put_events.caseway_consumers = True  # type: ignore[attr-defined]
    EventsBackend.put_events = put_events


def _consume(function: str, event: dict[str, Any], event_id: str) -> None:
    shaped = {
        "version": "0",
        "id": event_id,
        "detail-type": event["DetailType"],
        "source": event["Source"],
        "account": ACCOUNT,
        "time": clock.now_iso(),
        "region": REGION,
        "resources": [],
        "detail": json.loads(event["Detail"]),
    }
    name = f"{FUNCTION_PREFIX}{function}"
    for attempt in range(1, ASYNC_ATTEMPTS + 1):
        try:
            HANDLERS[name](shaped, fake_aws.LambdaContext(name))
            return
        except Exception:
            logger.exception("%s failed on %s (attempt %d of %d)", name, event["DetailType"], attempt, ASYNC_ATTEMPTS)


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


def substitutions() -> dict[str, str]:
    return {placeholder: function_arn(fn) for placeholder, fn in asl.ROUTE_FUNCTIONS.items()}


def provision(*, user_pool: bool = True) -> None:
    """Create every resource the handlers use, from the project's own definitions (`user_pool=False`: all but
    the Cognito user pool, which tests that invite nobody can do without)."""
    aws.reset()
    table.configure()
    ddb = aws.client("dynamodb")
    definition = table.table_definition()
    ddb.create_table(**definition)
    ddb.update_time_to_live(
        TableName=definition["TableName"],
        TimeToLiveSpecification={"Enabled": True, "AttributeName": table.TTL_ATTRIBUTE},
    )
    aws.client("events").create_event_bus(Name=config.get(config.EVENT_BUS_NAME))
    aws.client("sns").create_topic(Name=config.get(config.INCIDENTS_TOPIC_ARN).rsplit(":", 1)[-1])  # R24 mail
    aws.client("s3").create_bucket(Bucket=config.get(config.ATTACHMENTS_BUCKET))
    # The deployed bucket's rule (infra/cdk/data.py): uploads no message claimed expire. moto stores it, never runs it.
    aws.client("s3").put_bucket_lifecycle_configuration(
        Bucket=config.get(config.ATTACHMENTS_BUCKET),
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-unclaimed-uploads",
                    "Filter": {"Prefix": files.PENDING_PREFIX},
                    "Status": "Enabled",
                    "Expiration": {"Days": files.PENDING_DAYS},
                }
            ]
        },
    )
    aws.client("s3").create_bucket(Bucket=config.get(config.INBOUND_BUCKET))  # SES's receipt rule stores mail here
    sender = config.get(config.SENDER_EMAIL)
    aws.client("ses").verify_domain_identity(Domain=sender.split("@", 1)[1])
    aws.client("ses").verify_email_identity(EmailAddress=sender)
    if user_pool:
        provision_user_pool()
    else:
        os.environ.pop(config.USER_POOL_ID, None)
    sfn = aws.client("stepfunctions")
    for name in asl.route_names():
        sfn.create_state_machine(
            name=f"caseway-{name}",
            definition=asl.definition(name, substitutions()),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/caseway-route-{name}",
            type="STANDARD",
        )


MACHINE_CLIENT_NAME = "caseway-machine"


def provision_user_pool() -> str:
    """The user pool as the stack makes it (groups, custom:org_id, the API's resource server and a
    client-credentials app client); CASEWAY_USER_POOL_ID points the desk at it."""
    cognito = aws.client("cognito-idp")
    pool = cognito.create_user_pool(
        PoolName="caseway",
        UsernameAttributes=["email"],
        Schema=[{"Name": identity.ORG_ATTRIBUTE, "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    for name, description in identity.COGNITO_GROUPS.items():
        cognito.create_group(UserPoolId=pool, GroupName=name, Description=description)
    cognito.create_resource_server(
        UserPoolId=pool,
        Identifier=identity.RESOURCE_SERVER,
        Name="caseway",
        Scopes=[{"ScopeName": n, "ScopeDescription": d} for n, d in identity.MACHINE_SCOPES.items()],
    )
    cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName=MACHINE_CLIENT_NAME,
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=[f"{identity.RESOURCE_SERVER}/{n}" for n in identity.MACHINE_SCOPES],
    )
    os.environ[config.USER_POOL_ID] = pool
    return pool


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


def fire_schedule(name: str) -> dict[str, Any]:
    """Fire a schedule as EventBridge Scheduler would: invoke its function with its payload."""
    schedule = by_name(name)
    response = aws.client("lambda").invoke(
        FunctionName=function_arn(schedule.function), Payload=json.dumps(schedule.payload).encode()
    )
    result = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise RuntimeError(f"schedule {name} failed: {result}")
    return result


class Scheduler:
    """The local stack's stand-in for EventBridge Scheduler: fires every schedule of shared/schedules.py on time,
    rate() and cron() (in the schedule's time zone), by `shared.clock` time.

    `tick(now)` is the whole scheduling step: it fires the schedules whose next firing is due at `now` and
    computes their following one. The background thread calls it every second with the real time; tests call it
    with a virtual instant (under `infra.local.virtual_time.VirtualClock`, `shared.clock.now()` is that instant), so a
    schedule fires at a virtual time through the same code path. A schedule that missed several firings (the
    clock jumped) fires once, then waits for its next firing after `now`.
    """

    def __init__(self, schedules: Any = None, *, start: Any = None) -> None:
        self.schedules = tuple(SCHEDULES if schedules is None else schedules)
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
