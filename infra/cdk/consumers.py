"""The bus's own consumers: one EventBridge rule per consumer function (shared/platform/bus.py CONSUMERS), matching
the detail-types it takes from the ticket-events bus. The rule invokes the function asynchronously: EventBridge
retries a failed delivery, Lambda retries a failed invocation twice (infra/cdk/functions.py), and what still fails
lands in the failed-invocations queue, which the monitoring alarms on."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.platform import bus


class Consumers(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        event_bus: events.IEventBus,
        functions: dict[str, lambda_.Function],
        dead_letter_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules: dict[str, events.Rule] = {}
        for short_name, detail_types in bus.CONSUMERS.items():
            rule = events.Rule(
                self,
                "".join(part.capitalize() for part in short_name.split("-")),
                event_bus=event_bus,
                description=f"{', '.join(detail_types)} -> {short_name}",
                event_pattern=events.EventPattern(source=[bus.EVENT_SOURCE], detail_type=list(detail_types)),
            )
            rule.add_target(
                targets.LambdaFunction(
                    functions[short_name],
                    dead_letter_queue=dead_letter_queue,  # an event EventBridge could not deliver at all
                    retry_attempts=8,
                    max_event_age=cdk.Duration.hours(6),
                )
            )
            self.rules[short_name] = rule
