"""R24 reaching people: the incidents topic. Every incident the desk raises (shared/money/incidents.py) is published
here as it is raised; the stage's managers' addresses (StageSettings.incident_email, else alarm_email) are its
e-mail subscriptions. Encrypted with the notifications' customer managed key, SSL only."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.stages import StageSettings


class Incidents(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.key = key
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
        """Each of `functions` may publish (and use the key for it)."""
        for function in functions:
            function.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn]))
            # SNS encrypts what a publisher sends with the topic's key, as the publisher: exactly these two actions
            function.add_to_role_policy(
                iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn])
            )
