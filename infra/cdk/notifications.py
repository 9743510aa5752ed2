"""What the desk tells others: the ticket-events bus (the integration contract, docs/events.md) with
an archive integrations can replay, and the ops topic every alarm notifies."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.stages import StageSettings
from shared.platform import bus


class Notifications(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "TicketEvents", event_bus_name=f"{settings.prefix}-ticket-events")
        self.archive = self.bus.archive(
            "Archive",
            archive_name=f"{settings.prefix}-ticket-events",
            description="Every ticket event, for replay to an integration that missed some",
            event_pattern=events.EventPattern(source=[bus.EVENT_SOURCE]),
            retention=cdk.Duration.days(settings.event_archive_days),
        )

        # CloudWatch alarms can publish to an encrypted topic only with a customer managed key whose
        # policy lets CloudWatch use it (the AWS managed SNS key cannot be shared).
        self.ops_key = kms.Key(
            self,
            "OpsTopicKey",
            description=f"{settings.prefix}: encrypts the ops alarm topic",
            enable_key_rotation=True,
            # Alarm notifications are transient: nothing to keep the key for after the stack is gone.
            removal_policy=cdk.RemovalPolicy.DESTROY,
            pending_window=cdk.Duration.days(7),
        )
        self.ops_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            )
        )
        self.ops_topic = sns.Topic(
            self,
            "OpsTopic",
            topic_name=f"{settings.prefix}-ops",
            display_name=f"Caseway {settings.name} alarms",
            master_key=self.ops_key,
            enforce_ssl=True,
        )
        if settings.alarm_email:
            self.ops_topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))
