"""The desk set up by the deploy: a custom resource whose provider is the stage's setup function (functions/setup.py
answers CloudFormation itself, so no provider framework is needed). It runs on the first deploy and again whenever
the defaults change (their fingerprint is a property of the resource); removing it leaves the data alone."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from shared.setup.defaults import SETUP_VERSION, defaults_fingerprint

RESOURCE_TYPE = "Custom::CasewayDeskSetup"


class DeskSetup(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.Function) -> None:
        super().__init__(scope, construct_id)
        self.function = function
        self.resource = cdk.CustomResource(
            self,
            "Run",
            service_token=function.function_arn,
            resource_type=RESOURCE_TYPE,
            properties={"SetupVersion": str(SETUP_VERSION), "Defaults": defaults_fingerprint()},
            service_timeout=cdk.Duration.minutes(10),
        )
