"""The Lambda functions: one spec per entry point, each with its own role, log group and settings.

Every function: arm64, the bundling module's Python runtime, X-Ray active tracing, JSON logs at the
stage's level into a log group with the stage's retention, powertools settings, and a dead-letter
queue for asynchronous invocations (the schedules invoke asynchronously; so may future event rules).
Permissions beyond logs, tracing and the DLQ are granted by the stack, next to the resource.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.cdk import bundling, nag
from infra.stages import StageSettings


@dataclass(frozen=True)
class FunctionSpec:
    short_name: str  # what state machine placeholders and schedules call it (infra/cdk/asl.py, shared/schedules.py)
    handler: str
    service: str  # powertools service name, as the handler's Logger names it
    memory_mb: int
    timeout_s: int
    description: str
    asset: str = "workers"  # bundling profile (infra/cdk/bundling.py: PROFILES)


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "api",
        "functions.api.app.handler",
        "caseway-api",
        1024,  # more memory is more CPU: the cold start imports pydantic and the resolver
        29,  # HTTP API gives up on an integration after 30 s
        "HTTP API (payload v2): tickets, tasks, catalog, web form",
        asset="api",
    ),
    FunctionSpec(
        "route-tasks",
        "functions.route_tasks.handler",
        "caseway-routes",
        512,
        30,
        "Steps of the routes (Step Functions, waitForTaskToken)",
    ),
    FunctionSpec(
        "pre-token",
        "functions.cognito_pre_token.handler",
        "caseway-pre-token",
        512,
        5,  # Cognito waits at most 5 s for a trigger
        "Cognito pre-token-generation trigger (V2): role, groups, organisation and e-mail in every token",
        asset="api",
    ),
    FunctionSpec(
        "counters",
        "functions.counters.handler",
        "caseway-counters",
        256,
        30,
        "Counters kept off the request path (EventBridge rule: TicketSubmitted on the ticket-events bus)",
    ),
    FunctionSpec(
        "housekeeping",
        "functions.housekeeping.handler",
        "caseway-housekeeping",
        512,
        300,
        "Scheduled chores (EventBridge Scheduler, asynchronous)",
    ),
    FunctionSpec(
        "setup",
        "functions.setup.handler",
        "caseway-setup",
        512,
        300,
        "Sets the desk up on deploy (custom resource) and by `caseway setup`: the default catalog, plans, articles",
    ),
    FunctionSpec(
        "telegram-webhook",
        "functions.telegram_webhook.handler",
        "caseway-telegram-webhook",
        256,
        10,  # Telegram waits for the answer; the function only checks, marks and hands on
        "Telegram's webhook (POST /telegram/webhook): the secret token, each update once, handed to the bot",
        asset="api",
    ),
    FunctionSpec(
        "telegram",
        "functions.telegram_bot.handler",
        "caseway-telegram",
        512,
        60,
        "The Telegram bot (asynchronous): answers the chats' updates, sends customers' notifications to linked chats",
    ),
)


class Functions(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, metrics_namespace: str) -> None:
        super().__init__(scope, construct_id)
        self.failed_invocations = sqs.Queue(
            self,
            "FailedInvocations",
            queue_name=f"{settings.prefix}-failed-invocations",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        codes = {profile: bundling.code(profile) for profile in {spec.asset for spec in FUNCTIONS}}
        self.functions: dict[str, lambda_.Function] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        for spec in FUNCTIONS:
            log_group = logs.LogGroup(
                self,
                f"{_pascal(spec.short_name)}Logs",
                retention=retention(settings),
                removal_policy=removal_policy(settings),
            )
            role = iam.Role(
                self,
                f"{_pascal(spec.short_name)}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"{settings.prefix}-{spec.short_name}: only what this function calls",
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                )
            )
            nag.acknowledge_wildcard(
                role,
                "*",
                "Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no "
                "resource-level permissions: AWS requires Resource '*' for them. Every other statement of this "
                "role names its resources.",
            )
            function = lambda_.Function(
                self,
                _pascal(spec.short_name),
                function_name=f"{settings.prefix}-{spec.short_name}",
                description=spec.description,
                code=codes[spec.asset],
                handler=spec.handler,
                runtime=bundling.RUNTIME,
                architecture=bundling.ARCHITECTURE,
                memory_size=spec.memory_mb,
                timeout=cdk.Duration.seconds(spec.timeout_s),
                role=role,
                tracing=lambda_.Tracing.ACTIVE,
                logging_format=lambda_.LoggingFormat.JSON,
                application_log_level_v2=lambda_.ApplicationLogLevel(settings.log_level.replace("WARNING", "WARN")),
                system_log_level_v2=lambda_.SystemLogLevel.WARN,
                log_group=log_group,
                dead_letter_queue=self.failed_invocations,
                retry_attempts=2,
                max_event_age=cdk.Duration.hours(6),
                environment={
                    "POWERTOOLS_SERVICE_NAME": spec.service,
                    "POWERTOOLS_LOG_LEVEL": settings.log_level,
                    "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace,
                },
            )
            self.functions[spec.short_name] = function
            self.log_groups[spec.short_name] = log_group

    def __getitem__(self, short_name: str) -> lambda_.Function:
        try:
            return self.functions[short_name]
        except KeyError:
            known = ", ".join(self.functions)
            raise KeyError(f"no function {short_name!r}; functions: {known}") from None

    def set_environment(self, variables: dict[str, str]) -> None:
        for function in self.functions.values():
            for name, value in variables.items():
                function.add_environment(name, value)


def removal_policy(settings: StageSettings) -> cdk.RemovalPolicy:
    return cdk.RemovalPolicy.RETAIN if settings.retain else cdk.RemovalPolicy.DESTROY


_RETENTION_NAMES = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    3653: "TEN_YEARS",
}


def retention(settings: StageSettings) -> logs.RetentionDays:
    """The stage's log retention (StageSettings validates the number against CloudWatch's list)."""
    return logs.RetentionDays[_RETENTION_NAMES[settings.log_retention_days]]


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))
