"""The desk's chores on a clock: one EventBridge Scheduler schedule per entry of shared/schedules.py
(the same definitions the local stack fires), in a schedule group of the stage's own.

Each schedule invokes its function asynchronously with the entry's payload, retries delivery, sends
what it cannot deliver to the functions' dead-letter queue, and assumes a role that may invoke that one
function and write to that one queue.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.cdk.functions import Functions
from infra.stages import StageSettings
from shared.platform.schedules import SCHEDULES, Schedule


def expression(settings: StageSettings, schedule: Schedule) -> str:
    return settings.schedule_expressions.get(schedule.name, schedule.expression)


def timezone(settings: StageSettings, schedule: Schedule) -> str:
    return settings.schedule_timezone or schedule.timezone


class Schedules(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, functions: Functions) -> None:
        super().__init__(scope, construct_id)
        unknown = sorted(set(settings.schedule_expressions) - {s.name for s in SCHEDULES})
        if unknown:
            raise ValueError(f"stage {settings.name} sets expressions of unknown schedules {unknown}")
        self.group = scheduler.CfnScheduleGroup(self, "Group", name=settings.prefix)
        self.schedules: dict[str, scheduler.CfnSchedule] = {}
        dead_letters = functions.failed_invocations
        for entry in SCHEDULES:
            function = functions[entry.function]
            construct_name = "".join(part.capitalize() for part in entry.name.split("-"))
            role = iam.Role(
                self,
                f"{construct_name}Role",
                assumed_by=iam.ServicePrincipal(
                    "scheduler.amazonaws.com",
                    conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
                ),
                description=f"Schedule {entry.name}: invokes {function.node.id} only",
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn])
            )
            schedule = scheduler.CfnSchedule(
                self,
                construct_name,
                name=entry.name,
                group_name=self.group.name,
                description=entry.description[:512] or None,
                schedule_expression=expression(settings, entry),
                schedule_expression_timezone=timezone(settings, entry),
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                state="ENABLED",
                target=scheduler.CfnSchedule.TargetProperty(
                    arn=function.function_arn,
                    role_arn=role.role_arn,
                    input=json.dumps(entry.payload, sort_keys=True),
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_event_age_in_seconds=3600, maximum_retry_attempts=3
                    ),
                    dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=dead_letters.queue_arn),
                ),
            )
            schedule.node.add_dependency(self.group)
            schedule.node.add_dependency(role)  # its policy too: the first run must be allowed
            self.schedules[entry.name] = schedule
