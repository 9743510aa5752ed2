"""The API behind CloudFront with a WAF web ACL (StageSettings.edge_waf): per-client rate limits API Gateway cannot
give.

API Gateway throttles an HTTP API per stage and per route, each a total for every caller: one client could use the
anonymous routes' whole allowance and block the web form for every customer. A per-IP limit needs AWS WAF, and an
HTTP API (API Gateway v2) cannot be associated with a web ACL (only REST APIs, ALBs, AppSync, Cognito and CloudFront
can). Rebuilding the API as a REST API would change every route and event shape the functions read; a CloudFront
distribution in front of the HTTP API changes nothing behind it, and CloudFront takes a web ACL. A CloudFront web ACL
(scope CLOUDFRONT) exists only in us-east-1, so the switch needs a stack in that region (checked below).

Rules, in order:
- `anonymous-per-ip`: the anonymous routes (everything under /public/: the web form, follow links and their
  replies, approvals and uploads) at most `waf_anonymous_per_5min` requests per client IP in five minutes, then 429;
- `all-per-ip`: any route at most `waf_all_per_5min` per IP in five minutes, then 429.
Telegram's webhook is left out of the per-IP rules on purpose: every update comes from Telegram's few servers, so a
per-IP limit would throttle all chats together; the webhook refuses any call without the secret token instead.

With the switch on, the app, its CSP and Telegram's webhook use the distribution's address. The execute-api address
still answers (a direct caller bypasses the ACL) until the API checks a header only CloudFront adds; and the API then
sees CloudFront's address as the source IP (its own per-address quotas need CloudFront-Viewer-Address).
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as waf
from constructs import Construct

from infra.cdk import nag
from infra.stages import StageSettings

ANONYMOUS_PREFIX = "/public/"
TOO_MANY = "too-many-requests"
EDGE_REGION = "us-east-1"


def _rate_rule(name: str, priority: int, limit: int, scope_down: waf.CfnWebACL.StatementProperty | None) -> object:
    return waf.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        statement=waf.CfnWebACL.StatementProperty(
            rate_based_statement=waf.CfnWebACL.RateBasedStatementProperty(
                limit=limit, aggregate_key_type="IP", evaluation_window_sec=300, scope_down_statement=scope_down
            )
        ),
        action=waf.CfnWebACL.RuleActionProperty(
            block=waf.CfnWebACL.BlockActionProperty(
                custom_response=waf.CfnWebACL.CustomResponseProperty(
                    response_code=429, custom_response_body_key=TOO_MANY
                )
            )
        ),
        visibility_config=waf.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
        ),
    )


class ApiEdge(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        http_api: apigw.HttpApi,
        log_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        if settings.region and settings.region != EDGE_REGION:
            raise ValueError(
                f"Stage {settings.name}: edge_waf needs the stack in {EDGE_REGION} (a CloudFront web ACL exists only "
                f"there); this stage deploys to {settings.region}. Turn edge_waf off or deploy to {EDGE_REGION}."
            )
        anonymous = waf.CfnWebACL.StatementProperty(
            byte_match_statement=waf.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=waf.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="STARTS_WITH",
                search_string=ANONYMOUS_PREFIX,
                text_transformations=[waf.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
        problem = {
            "type": "about:blank",
            "title": "Too many requests",
            "status": 429,
            "detail": "Too many requests from your address; wait a few minutes and try again.",
        }
        self.acl = waf.CfnWebACL(
            self,
            "WebAcl",
            name=f"{settings.prefix}-api",
            scope="CLOUDFRONT",
            default_action=waf.CfnWebACL.DefaultActionProperty(allow={}),
            custom_response_bodies={
                TOO_MANY: waf.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=json.dumps(problem)
                )
            },
            rules=[
                _rate_rule("anonymous-per-ip", 0, settings.waf_anonymous_per_5min, anonymous),
                _rate_rule("all-per-ip", 1, settings.waf_all_per_5min, None),
            ],
            visibility_config=waf.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=f"{settings.prefix}-api", sampled_requests_enabled=True
            ),
        )
        api_host = cdk.Fn.select(2, cdk.Fn.split("/", http_api.api_endpoint))  # https://<host>
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Caseway {settings.name}: the API behind the WAF web ACL",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(
                    api_host,
                    protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                    origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            ),
            web_acl_id=self.acl.attr_arn,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=log_bucket,
            log_file_prefix="api/",
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"
        nag.acknowledge(
            self.distribution,
            "CFR1",
            "The desk's customers write from any country; the web ACL limits each client's rate instead.",
        )
        nag.acknowledge(
            self.distribution,
            "CFR4",
            "The API's distribution uses CloudFront's own *.cloudfront.net certificate, whose TLS policy CloudFront "
            "sets; the origin is reached over TLS 1.2 only.",
        )
        cdk.CfnOutput(cdk.Stack.of(self), "ApiEdgeUrl", value=self.url, description="The API behind the WAF web ACL")
