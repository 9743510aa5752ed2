"""Who may call the API and upload to the attachments bucket from a browser (CORS), set after the site exists.

The site's Content-Security-Policy names the API's and the attachments bucket's exact hosts in `connect-src`
(infra/cdk/site.py), so the site's distribution depends on both. Their CORS rules name the site's address, so a CORS
property on the API or the bucket would make each depend on the distribution: a cycle CloudFormation refuses. The
rules are therefore set by two SDK calls after all three exist (AwsCustomResource: ApiGatewayV2 UpdateApi,
S3 PutBucketCors), again on every change of what they name; neither resource carries a CORS property of its own, so
no template update resets them.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.cdk import nag
from infra.cdk.functions import removal_policy, retention
from infra.stages import CORS_EXPOSED_HEADERS, CORS_HEADERS, CORS_MAX_AGE_SECONDS, CORS_METHODS, StageSettings

UPLOAD_MAX_AGE_SECONDS = 3600


def api_cors(site_url: str) -> dict[str, Any]:
    """The HTTP API's CorsConfiguration: the site's origin, the API's methods and headers."""
    return {
        "AllowOrigins": [site_url],
        "AllowMethods": list(CORS_METHODS),
        "AllowHeaders": list(CORS_HEADERS),
        "ExposeHeaders": list(CORS_EXPOSED_HEADERS),
        "MaxAge": CORS_MAX_AGE_SECONDS,
    }


def bucket_cors(site_url: str) -> dict[str, Any]:
    """The attachments bucket's CORS: browsers on the site POST presigned uploads, nothing else."""
    rule = {"AllowedMethods": ["POST"], "AllowedOrigins": [site_url], "AllowedHeaders": ["*"]}
    return {"CORSRules": [{**rule, "MaxAgeSeconds": UPLOAD_MAX_AGE_SECONDS}]}


class CrossOrigin(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        site_url: str,
        http_api: apigw.HttpApi,
        bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(self, "Logs", retention=retention(settings), removal_policy=removal_policy(settings))
        api_arn = cdk.Stack.of(self).format_arn(
            service="apigateway", account="", resource="/apis", resource_name=http_api.api_id
        )
        calls = (
            (
                "ApiCors",
                cr.AwsSdkCall(
                    service="ApiGatewayV2",
                    action="updateApi",
                    parameters={"ApiId": http_api.api_id, "CorsConfiguration": api_cors(site_url)},
                    physical_resource_id=cr.PhysicalResourceId.of(f"cors-{http_api.api_id}"),
                ),
                iam.PolicyStatement(actions=["apigateway:PATCH"], resources=[api_arn]),
            ),
            (
                "UploadCors",
                cr.AwsSdkCall(
                    service="S3",
                    action="putBucketCors",
                    parameters={"Bucket": bucket.bucket_name, "CORSConfiguration": bucket_cors(site_url)},
                    physical_resource_id=cr.PhysicalResourceId.of(f"cors-{bucket.bucket_name}"),
                ),
                iam.PolicyStatement(actions=["s3:PutBucketCORS"], resources=[bucket.bucket_arn]),
            ),
        )
        for name, call, grant in calls:
            cr.AwsCustomResource(
                self,
                name,
                on_create=call,
                on_update=call,
                policy=cr.AwsCustomResourcePolicy.from_statements([grant]),
                install_latest_aws_sdk=False,
                log_group=log_group,
            )
        self._acknowledge_provider()

    def _acknowledge_provider(self) -> None:
        """AwsCustomResource's handler is a singleton function CDK places at the stack's root, with CDK's own role."""
        stack = cdk.Stack.of(self)
        for handler in (c for c in stack.node.children if c.node.id.startswith("AWS679f53fac002430cb0da5b7982bd2287")):
            nag.acknowledge(
                handler,
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                "CDK's AwsCustomResource handler, which sets the API's and the attachments bucket's CORS rules at "
                "deploy time; its role carries AWSLambdaBasicExecutionRole for its CloudWatch logs only.",
            )
