"""The web app's site per stage: a private S3 bucket behind a CloudFront distribution (origin access control),
the built app (web/dist) deployed into it with its /config.json, and the security headers of infra/site.py as a
response headers policy (CSP without inline scripts, frame-ancestors 'none', HSTS, nosniff, Referrer-Policy).

The site's URL is the Cognito portal client's callback and sign-out URL and the API's (and the attachments bucket's)
CORS origin. The CSP's connect-src names the API's and the attachments bucket's exact hosts, so the distribution
depends on both: their CORS rules are set after deploy (infra/cdk/cross_origin.py) to keep CloudFormation free of a
cycle. Cognito's hosts are named by the stage's region and prefix, so the user pool can name the site.

Deploying the files: s3-deployment's BucketDeployment (a Lambda with the AWS CLI layer, a prebuilt asset of the
aws-cdk-lib packages: no Docker at synth). Hashed files (/static/*) first, cached for a year and never pruned (a
page loaded before a deploy keeps finding its chunks); then index.html and config.json, revalidated on every load,
and a CloudFront invalidation of those two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra import site
from infra.cdk import nag
from infra.cdk.functions import removal_policy, retention
from infra.stages import StageSettings

# CloudFront Function (viewer request): every address of the app is its index.html; files are themselves.
APP_PATHS = """function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '/app' || uri.indexOf('/app/') === 0) {
    request.uri = '/index.html';
  }
  return request;
}
"""


def connect_sources(hosted_ui: str, api_url: str, attachments: s3.IBucket) -> tuple[str, ...]:
    """What the app's pages may call, each by its exact host: the API (`api_url`: its custom domain or its
    execute-api endpoint), Cognito's OIDC discovery and the hosted UI's token endpoint (`hosted_ui`:
    https://<prefix>.auth.<region>.amazoncognito.com), and the attachments bucket, where browsers upload with presigned
    POSTs (its virtual-hosted addresses, global and regional)."""
    uploads = (
        f"https://{attachments.bucket_name}.s3.amazonaws.com",
        f"https://{attachments.bucket_regional_domain_name}",
    )
    return (api_url, f"https://cognito-idp.{cdk.Aws.REGION}.amazonaws.com", hosted_ui, *uploads)


class Site(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        access_logs: s3.IBucket,
        hosted_ui: str,
        api_url: str,
        attachments: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.bucket = s3.Bucket(
            self,
            "Files",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="site/",
            removal_policy=removal_policy(settings),
            auto_delete_objects=settings.empty_buckets_on_destroy and not settings.retain,
        )
        # CloudFront's standard logs are written with ACLs, which the access-logs bucket (owner enforced) refuses.
        self.cdn_logs = s3.Bucket(
            self,
            "CdnLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(id="expire-cdn-logs", expiration=cdk.Duration.days(90))],
            removal_policy=removal_policy(settings),
            auto_delete_objects=settings.empty_buckets_on_destroy and not settings.retain,
        )
        nag.acknowledge(
            self.cdn_logs,
            "S1",
            "This bucket receives the site distribution's CloudFront logs; logging the reads of the log bucket "
            "itself would need yet another bucket, and only CloudFront and the account's operators write or read it.",
        )
        self.headers = self._headers(settings, connect_sources(hosted_ui, api_url, attachments))
        self.distribution = self._distribution(settings)
        self.url = settings.portal_url or f"https://{self.distribution.distribution_domain_name}"
        cdk.CfnOutput(
            cdk.Stack.of(self),
            "SiteUrl",
            value=self.url,
            description="The web app: customers, agents and managers sign in here",
        )

    def _headers(self, settings: StageSettings, connect: tuple[str, ...]) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            response_headers_policy_name=f"{settings.prefix}-site",
            comment="Caseway web app: CSP without inline scripts, never framed, HSTS, nosniff, no referrer",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=site.content_security_policy(connect),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.seconds(site.HSTS_SECONDS),
                    include_subdomains=True,
                    override=True,
                ),
            ),
        )

    def _distribution(self, settings: StageSettings) -> cloudfront.Distribution:
        if settings.portal_url and not settings.site_certificate_arn:
            raise ValueError(
                f"Stage {settings.name}: portal_url {settings.portal_url} needs site_certificate_arn (an ACM "
                "certificate for that name in us-east-1) so CloudFront can serve it; or leave portal_url unset to "
                "use the distribution's own address."
            )
        custom: dict[str, Any] = {}
        if settings.portal_url and settings.site_certificate_arn:
            custom = {
                "domain_names": [settings.portal_url.removeprefix("https://").rstrip("/")],
                "certificate": acm.Certificate.from_certificate_arn(self, "Certificate", settings.site_certificate_arn),
                "minimum_protocol_version": cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            }
        app_paths = cloudfront.Function(
            self,
            "AppPaths",
            code=cloudfront.FunctionCode.from_inline(APP_PATHS),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Every address of the web app (/, /app, /app/*) is its index.html",
        )
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Caseway {settings.name}: web app",
            default_root_object=site.INDEX,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=app_paths, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.cdn_logs,
            log_file_prefix="cloudfront/",
            **custom,
        )
        nag.acknowledge(
            distribution,
            "CFR1",
            "The desk's customers and staff sign in from any country; the site holds only the app's static files, "
            "and the API behind it authorises every request.",
        )
        nag.acknowledge(
            distribution,
            "CFR2",
            "The distribution serves the built app's static files only (GET/HEAD, cached); the API has its own "
            "throttling per stage and per anonymous route (infra/cdk/api.py). Attach a WAF web ACL per organisation "
            "if its policy asks for one.",
        )
        if not custom:
            nag.acknowledge(
                distribution,
                "CFR4",
                "Without portal_url and site_certificate_arn the site uses CloudFront's own *.cloudfront.net "
                "certificate, whose TLS policy CloudFront sets; with them the distribution requires TLS 1.2 (2021).",
            )
        return distribution

    def deploy(self, config: dict[str, Any], dist: Path = site.DIST) -> None:
        """The built app and its config.json into the bucket (see the module's docstring)."""
        files = self._files(dist)
        # The handler's log group, kept as long as the stage keeps its other logs (both deployments share it).
        log_group = logs.LogGroup(
            self, "DeployLogs", retention=retention(self.settings), removal_policy=removal_policy(self.settings)
        )
        static = s3deploy.BucketDeployment(
            self,
            "StaticFiles",
            sources=[files],
            destination_bucket=self.bucket,
            exclude=["*"],
            include=[f"{site.STATIC_PREFIX.strip('/')}/*"],
            cache_control=[s3deploy.CacheControl.from_string(site.HASHED_CACHE)],
            prune=False,
            memory_limit=512,
            log_group=log_group,
        )
        pages = s3deploy.BucketDeployment(
            self,
            "Pages",
            sources=[files, s3deploy.Source.json_data(site.CONFIG_PATH.lstrip("/"), config)],
            destination_bucket=self.bucket,
            exclude=[f"{site.STATIC_PREFIX.strip('/')}/*", ".vite/*"],  # .vite: the build's manifest (make bench)
            cache_control=[s3deploy.CacheControl.from_string(site.UNHASHED_CACHE)],
            distribution=self.distribution,
            distribution_paths=["/" + site.INDEX, site.CONFIG_PATH],
            prune=False,
            memory_limit=512,
            log_group=log_group,
        )
        pages.node.add_dependency(static)  # the new index.html only once the chunks it names are there
        self._acknowledge_deployment_handler()

    def _acknowledge_deployment_handler(self) -> None:
        """BucketDeployment's handler is a singleton function CDK places at the stack's root, with CDK's own role."""
        stack = cdk.Stack.of(self)
        handlers = [c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")]
        assert handlers, "BucketDeployment created no handler function"
        why = "CDK's BucketDeployment handler (aws-cdk-lib's s3-deployment), which copies the built web app "
        for handler in handlers:
            nag.acknowledge(
                handler,
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                why
                + "into the site bucket; its role carries AWSLambdaBasicExecutionRole for its CloudWatch logs only.",
            )
            grants = (
                "from the CDK assets bucket (s3:GetObject*/GetBucket*/List* on the staged assets) into the site "
                "bucket (s3:*Object*/Abort* on its objects only); the grants are CDK's own (grant_read, grant_write)."
            )
            for action in ("s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:Abort*", "s3:DeleteObject*"):
                nag.acknowledge(handler, f"IAM5[Action::{action}]", why + grants)
            # The assets bucket's name as the synthesizer writes it: a stack whose region (or account) the CDK CLI made
            # concrete names it literally (and the partition with it), an environment-agnostic one by reference.
            nag.acknowledge_wildcard(
                handler,
                f"arn:{stack.partition}:s3:::cdk-{cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER}-"
                f"assets-{stack.account}-{stack.region}/*",
                why + "reads the staged web app from the CDK bootstrap's assets bucket, whose keys are content hashes.",
            )
            nag.acknowledge_wildcard(
                handler,
                f"{self.bucket.bucket_arn}/*",
                why + "writes every file of the built app into the site bucket, under names the build chooses.",
            )
            nag.acknowledge(
                handler,
                "IAM5[Resource::*]",
                why + "invalidates index.html and config.json on the site distribution after a deploy; CloudFront's "
                "CreateInvalidation/GetInvalidation take no resource-level permission in CDK's grant (Resource *).",
            )
            nag.acknowledge(
                handler,
                "L1",
                why + "runs the Python runtime aws-cdk-lib pins for its handler code; it runs at deploy time only, "
                "and upgrading aws-cdk-lib moves it.",
            )

    def _files(self, dist: Path) -> s3deploy.ISource:
        if (dist / site.INDEX).is_file():
            return s3deploy.Source.asset(str(dist))
        if cdk.Stack.of(self).bundling_required:
            raise FileNotFoundError(f"{dist} is missing: build the web app first (make web; make synth/deploy do it)")
        # Like a Lambda asset whose bundling is skipped (tests synthesize with aws:cdk:bundling-stacks = []): the
        # template is complete, the staged asset is a placeholder that is never deployed.
        return s3deploy.Source.data(site.INDEX, "web app not built: make web")
