"""The routes: one Step Functions state machine per statemachines/*.asl.json.

The definition is the file's text, kept inline in the template (so cfn-lint validates it) with each
${Placeholder} filled through DefinitionSubstitutions by CloudFormation. Each machine is named
<prefix><route>, which is what the API's CASEWAY_ROUTE_ARN_PREFIX + route name points at, logs every
event to its own log group, is traced by X-Ray, and has a role that may invoke exactly the functions
its file names.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.cdk import asl, nag
from infra.cdk.functions import Functions, removal_policy, retention
from infra.stages import StageSettings


def machine_name_prefix(settings: StageSettings) -> str:
    return f"{settings.prefix}-"


def route_arn_prefix(scope: Construct, settings: StageSettings) -> str:
    """The ARN of this stage's state machines up to the route name (CASEWAY_ROUTE_ARN_PREFIX)."""
    return cdk.Stack.of(scope).format_arn(
        service="states",
        resource="stateMachine",
        resource_name=machine_name_prefix(settings),
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )


class RouteMachines(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, functions: Functions) -> None:
        super().__init__(scope, construct_id)
        self.machines: dict[str, sfn.StateMachine] = {}
        for route in asl.route_names():
            used = sorted(asl.placeholders(route))
            unknown = [p for p in used if p not in asl.ROUTE_FUNCTIONS]
            if unknown:
                raise ValueError(
                    f"statemachines/{route}.asl.json uses {unknown}; infra/cdk/asl.py ROUTE_FUNCTIONS names "
                    f"what each placeholder stands for"
                )
            invoked: dict[str, lambda_.Function] = {p: functions[asl.ROUTE_FUNCTIONS[p]] for p in used}
            log_group = logs.LogGroup(
                self,
                f"{route.title()}Logs",
                # Step Functions vended logs: this prefix keeps the log group resource policy small.
                log_group_name=f"/aws/vendedlogs/states/{machine_name_prefix(settings)}{route}",
                retention=retention(settings),
                removal_policy=removal_policy(settings),
            )
            role = iam.Role(
                self,
                f"{route.title()}Role",
                assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                description=f"{machine_name_prefix(settings)}{route}: invokes the functions its definition names",
            )
            machine = sfn.StateMachine(
                self,
                route.title(),
                state_machine_name=f"{machine_name_prefix(settings)}{route}",
                state_machine_type=sfn.StateMachineType.STANDARD,
                definition_body=sfn.DefinitionBody.from_string(
                    (asl.STATEMACHINES_DIR / f"{route}.asl.json").read_text()
                ),
                definition_substitutions={p: f.function_arn for p, f in invoked.items()},
                role=role,
                logs=sfn.LogOptions(
                    destination=log_group,
                    level=sfn.LogLevel.ALL,
                    include_execution_data=settings.log_execution_data,
                ),
                tracing_enabled=True,
                removal_policy=removal_policy(settings),
            )
            if invoked:
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["lambda:InvokeFunction"],
                        resources=[f.function_arn for f in {id(f): f for f in invoked.values()}.values()],
                    )
                )
            nag.acknowledge_wildcard(
                role,
                "*",
                "Logging to CloudWatch Logs uses the log-delivery actions (logs:CreateLogDelivery, "
                "logs:PutResourcePolicy, ...) and X-Ray tracing uses xray:PutTraceSegments and "
                "xray:GetSampling*; none supports resource-level permissions, so AWS documents Resource '*'. "
                "lambda:InvokeFunction names exactly the functions of this route's definition.",
            )
            self.machines[route] = machine

    @property
    def arns(self) -> list[str]:
        return [m.state_machine_arn for m in self.machines.values()]
