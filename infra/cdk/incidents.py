"""R24 reaching people: the incidents topic. Every incident the desk raises (shared/money/incidents.py) is published
here as it is raised; the stage's managers' addresses (StageSettings.incident_email, else alarm_email) are its
e-mail subscriptions. Encrypted with the notifications' customer managed key, SSL only."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.stages import StageSettings
from shared.platform import config


class Incidents(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=f"{settings.prefix}-incidents",
            display_name=f"Caseway {settings.name} incidents",
            master_key=key,
            enforce_ssl=True,
        )
        for address in settings.incident_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(address))

    def publishers(self, functions: Iterable[lambda_.Function]) -> None:
        """Each function may publish (and use the key for it), and knows the topic's ARN."""
        for function in functions:
            self.topic.grant_publish(function)
            function.add_environment(config.INCIDENTS_TOPIC_ARN, self.topic.topic_arn)
