"""The HTTP API: one API Gateway route per entry of functions.api.app.ROUTES (the one declaration of the
API's routes), each to the API function. Every route needs a Cognito JWT except the ones
functions.api marks public (health, catalog, docs, web form, follow links). The stage throttles the
whole API and, tighter, the anonymous write routes; it writes JSON access logs.

Local-only endpoints (/local/...) are served by the local gateway, not by functions.api, so they are
not in ROUTES and never reach the cloud.
"""

from __future__ import annotations

import json
import re

import jsii
from aws_cdk import aws_apigateway as restapi
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.api.app import ROUTES
from functions.api.router import Route
from infra.cdk import nag
from infra.cdk.functions import removal_policy, retention
from infra.cdk.identity import Identity
from infra.stages import StageSettings

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integration.latency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "userAgent": "$context.identity.userAgent",
}


def route_key(route: Route) -> str:
    return f"{route.method} {route.path}"


def anonymous_write(route: Route) -> bool:
    """The routes anyone can call that write: the web form and follow-link replies and close."""
    return route.public and route.method not in ("GET", "HEAD", "OPTIONS")


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogs:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)
        self._format = restapi.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT))

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> restapi.AccessLogFormat:
        return self._format


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        function: lambda_.IFunction,
        identity: Identity,
    ) -> None:
        super().__init__(scope, construct_id)
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=settings.prefix,
            description=f"Caseway {settings.name}: tickets, tasks, catalog and web form",
            create_default_stage=False,
            # CORS (the site's origin) is set after the site exists: infra/cdk/cross_origin.py says why.
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=retention(settings), removal_policy=removal_policy(settings)
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=settings.api_rate_limit, burst_limit=settings.api_burst_limit),
            access_log_settings=_AccessLogs(self.access_logs),
        )

        integration = integrations.HttpLambdaIntegration(
            "ApiFunction", function, payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0
        )
        self.authorizer = authorizers.HttpUserPoolAuthorizer(
            "Cognito",
            identity.user_pool,
            user_pool_clients=identity.clients,
            authorizer_name=f"{settings.prefix}-cognito",
        )
        self.routes = self._add_routes(settings, integration)

        self.url = self.http_api.api_endpoint
        self.domain: apigw.DomainName | None = None
        if settings.custom_domain and settings.certificate_arn:
            self.domain = apigw.DomainName(
                self,
                "Domain",
                domain_name=settings.custom_domain,
                certificate=acm.Certificate.from_certificate_arn(self, "Certificate", settings.certificate_arn),
            )
            apigw.ApiMapping(self, "DomainMapping", api=self.http_api, domain_name=self.domain, stage=self.stage)
            self.url = f"https://{settings.custom_domain}"

    def _add_routes(
        self, settings: StageSettings, integration: apigw.HttpRouteIntegration
    ) -> dict[str, apigw.HttpRoute]:
        """One route per functions.api.ROUTES entry; the anonymous writes get the stage's tighter throttle."""
        routes: dict[str, apigw.HttpRoute] = {}
        throttled: dict[str, dict[str, float]] = {}
        for route in ROUTES:
            key = route_key(route)
            http_route = apigw.HttpRoute(
                self,
                _route_id(route),
                http_api=self.http_api,
                route_key=apigw.HttpRouteKey.with_(route.path, apigw.HttpMethod(route.method)),
                integration=integration,
                authorizer=apigw.HttpNoneAuthorizer() if route.public else self.authorizer,
            )
            if route.public:
                nag.acknowledge(http_route, "APIG4", _public_reason(route))
            if anonymous_write(route):
                throttled[key] = {
                    "ThrottlingRateLimit": settings.webform_rate_limit,
                    "ThrottlingBurstLimit": settings.webform_burst_limit,
                }
                self.stage.node.add_dependency(http_route)  # a route setting needs its route first
            routes[key] = http_route
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.route_settings = throttled
        return routes


def _public_reason(route: Route) -> str:
    """Why a public route needs no authorizer (cdk-nag APIG4)."""
    return f"{route_key(route)} is public by design ({route.summary}); functions.api marks it public. " + (
        "Anonymous writes are throttled per route on the stage (StageSettings.webform_rate_limit); "
        "the web form is also limited per source IP and e-mail per hour by the application, and "
        "follow-link writes need the ticket's secret key."
        if anonymous_write(route)
        else "It is read-only: health, catalog and docs are public information, and a "
        "follow-link read needs the ticket's secret key."
    )


def _route_id(route: Route) -> str:
    words = re.split(r"[^A-Za-z0-9]+", f"{route.method.lower()} {route.path}")
    return "Route" + "".join(w[:1].upper() + w[1:] for w in words if w)
