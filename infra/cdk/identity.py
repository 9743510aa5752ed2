"""Who may call the API: a Cognito user pool with the desk's groups and the organisation attribute the
API reads (shared/identity.py), an app client for the portal and one for machine clients."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.cdk import nag
from infra.cdk.functions import removal_policy
from infra.stages import StageSettings
from shared.platform.identity import COGNITO_GROUPS as GROUPS
from shared.platform.identity import MACHINE_SCOPES, ORG_ATTRIBUTE, RESOURCE_SERVER

# Where Cognito's hosted UI sends the browser back with the authorization code (web/src/auth/cognito.ts).
PORTAL_CALLBACK_PATH = "/app/callback"


def hosted_ui_prefix(settings: StageSettings) -> str:
    """The hosted sign-in's domain prefix: https://<prefix>.auth.<region>.amazoncognito.com."""
    return settings.auth_domain_prefix or f"{settings.prefix}-{cdk.Aws.ACCOUNT_ID}"


def hosted_ui_url(settings: StageSettings) -> str:
    return f"https://{hosted_ui_prefix(settings)}.auth.{cdk.Aws.REGION}.amazoncognito.com"


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings, site_url: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = self._user_pool(settings)
        for name, description in GROUPS.items():
            cognito.CfnUserPoolGroup(
                self,
                f"Group{name.title().replace('_', '')}",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=name,
                description=description,
            )

        self.domain = self.user_pool.add_domain(
            "HostedSignIn",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=hosted_ui_prefix(settings)),
        )

        self.portal_client = self._portal_client(settings, site_url)
        self.clients = [self.portal_client]
        self.machine_client: cognito.UserPoolClient | None = None
        if settings.machine_clients:
            self.machine_client = self._machine_client(settings)
            self.clients.append(self.machine_client)

    def keep_tokens_with(self, trigger: lambda_.IFunction) -> None:
        """Every person's ID and access token goes through the pre-token-generation trigger, event version V2_0
        (access token customisation; the pool's Essentials or Plus feature plan allows it)."""
        self.user_pool.add_trigger(
            cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, trigger, cognito.LambdaVersion.V2_0
        )

    def _user_pool(self, settings: StageSettings) -> cognito.UserPool:
        """Invited users only, signing in by e-mail; MFA and threat protection as the stage sets them."""
        pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=settings.prefix,
            self_sign_up_enabled=False,  # staff and organisations' users are invited
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
            ),
            custom_attributes={ORG_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True)},
            password_policy=cognito.PasswordPolicy(
                min_length=settings.password_min_length,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=cdk.Duration.days(7),
            ),
            mfa=cognito.Mfa.REQUIRED if settings.mfa == "required" else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS if settings.threat_protection else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if settings.threat_protection else None
            ),
            deletion_protection=settings.deletion_protection,
            removal_policy=removal_policy(settings),
        )
        if settings.mfa != "required":
            nag.acknowledge(
                pool,
                "COG2",
                f"MFA is optional in the {settings.name} stage (StageSettings.mfa) so test users and scripts "
                "can sign in without an authenticator; the prod stage requires TOTP MFA.",
            )
        if not settings.threat_protection:
            nag.acknowledge(
                pool,
                "COG8",
                f"The {settings.name} stage stays on the Essentials feature plan (StageSettings.threat_protection "
                "off) to avoid the Plus plan's per-user price for test users; prod uses Plus with full-function "
                "threat protection.",
            )
        return pool

    def _portal_client(self, settings: StageSettings, site_url: str) -> cognito.UserPoolClient:
        """The portal (a browser app): authorization code with PKCE, one-hour tokens."""
        # Users may edit their own name; never their organisation, which decides what they may see.
        readable = cognito.ClientAttributes().with_standard_attributes(email=True, email_verified=True, fullname=True)
        return self.user_pool.add_client(
            "PortalClient",
            user_pool_client_name=f"{settings.prefix}-portal",
            generate_secret=False,  # a browser app: authorization code with PKCE, no secret
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{site_url}{PORTAL_CALLBACK_PATH}"],
                logout_urls=[f"{site_url}/"],
            ),
            read_attributes=readable.with_custom_attributes(ORG_ATTRIBUTE),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
            prevent_user_existence_errors=True,
            access_token_validity=cdk.Duration.hours(1),
            id_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(30),
            enable_token_revocation=True,
        )

    def _machine_client(self, settings: StageSettings) -> cognito.UserPoolClient:
        """A machine client (client credentials) with the API's resource server scopes."""
        scopes = [cognito.ResourceServerScope(scope_name=n, scope_description=d) for n, d in MACHINE_SCOPES.items()]
        server = self.user_pool.add_resource_server(
            "ApiResourceServer",
            identifier=RESOURCE_SERVER,
            user_pool_resource_server_name=settings.prefix,
            scopes=scopes,
        )
        return self.user_pool.add_client(
            "MachineClient",
            user_pool_client_name=f"{settings.prefix}-machine",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(client_credentials=True),
                scopes=[cognito.OAuthScope.resource_server(server, scope) for scope in scopes],
            ),
            prevent_user_existence_errors=True,
            access_token_validity=cdk.Duration.hours(1),
            enable_token_revocation=True,
        )
