"""Every setting that differs between stages, in one place.

`cdk synth -c stage=prod` (or `make synth STAGE=prod`) picks one of STAGES. An organisation adapts a
stage without editing code through context values: `-c caseway:alarm_email=ops@acme.example` (on
the command line or in cdk.json) overrides that field of the chosen stage. The account and region
come from the environment the CDK CLI sets from your credentials (CDK_DEFAULT_ACCOUNT,
CDK_DEFAULT_REGION); without them (offline synth) the stack is environment-agnostic.

Two stages can live in one account: every name the stack gives (stack, functions, state machines,
bus, schedule group, log groups, Cognito domain) carries the stage.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OVERRIDE_PREFIX = "caseway:"


@dataclass(frozen=True)
class StageSettings:
    name: str

    # --- data lifetime ----------------------------------------------------------------------
    removal_policy: str  # "retain": table, bucket, user pool and logs outlive the stack; "destroy": not
    deletion_protection: bool  # DynamoDB and Cognito refuse deletion; the stack has termination protection
    log_retention_days: int  # Lambda, state machine and API access logs
    log_level: str  # powertools and Lambda application log level
    log_execution_data: bool  # state machine logs include inputs/outputs (ticket text: personal data)

    # --- API ----------------------------------------------------------------------------------
    api_rate_limit: float  # requests per second, steady, for the whole API stage
    api_burst_limit: int
    webform_rate_limit: float  # the anonymous write routes (web form, follow-link replies and close)
    webform_burst_limit: int
    webform_rate_per_hour: int  # the application's own per-address quota (CASEWAY_WEBFORM_RATE_PER_HOUR)
    # The API behind CloudFront with a WAF web ACL of per-IP rate limits (infra/cdk/edge.py; the stack in us-east-1)
    edge_waf: bool = False
    waf_anonymous_per_5min: int = 100  # requests per client IP in five minutes to /public/... (then 429)
    waf_all_per_5min: int = 2000  # requests per client IP in five minutes to any route
    # The web app's site (infra/cdk/site.py) is the API's CORS origin and the Cognito callback. Its address: the
    # CloudFront distribution's own https://<id>.cloudfront.net, or portal_url (e.g. "https://help.acme.example",
    # a DNS name pointed at the distribution) with site_certificate_arn (ACM, us-east-1, as CloudFront requires).
    portal_url: str | None = None
    site_certificate_arn: str | None = None
    custom_domain: str | None = None  # e.g. "help.acme.example"; needs certificate_arn (ACM, same region)
    certificate_arn: str | None = None

    # --- people and mail ------------------------------------------------------------------------
    alarm_email: str | None = None  # subscribed to the ops topic that every alarm notifies
    incident_email: str | None = None  # managers told of each incident (R24), comma-separated; default alarm_email
    sender_email: str = "support@caseway.example"  # SES identity the desk writes from (verify it in SES)
    # Inbound e-mail (infra/cdk/inbound.py): SES receives every address of mail_domain (support@, the tickets' reply
    # addresses support+<reference>.<signature>@) where SES receives mail; verify the domain in SES, publish the MX
    # record the stack outputs, and make the stage's receipt rule set the active one.
    inbound_mail: bool = True
    mail_domain: str = "caseway.example"
    inbound_mail_retention_days: int = 90  # raw received e-mails in the inbound bucket (each is also on its ticket)
    inbound_services: str = "support=functionality-question"  # receiving local part -> the service a new e-mail opens
    inbound_rate_per_hour: int = 20  # e-mails one sender may send into the desk per hour
    mfa: str = "optional"  # "optional" or "required" (TOTP authenticator apps)
    password_min_length: int = 12
    auth_domain_prefix: str | None = None  # Cognito hosted sign-in; default caseway-<stage>-<account id>

    # --- schedules ------------------------------------------------------------------------------
    schedule_timezone: str | None = None  # overrides every schedule's time zone (None: each its own)
    schedule_expressions: Mapping[str, str] = field(default_factory=dict)  # per schedule name

    # --- events ---------------------------------------------------------------------------------
    event_archive_days: int = 30  # ticket-events archive kept for replay to integrations

    # --- feature switches -----------------------------------------------------------------------
    machine_clients: bool = True  # Cognito client-credentials app client for API integrations
    threat_protection: bool = False  # Cognito Plus plan: adaptive authentication, compromised creds
    dashboard: bool = True  # the CloudWatch dashboard (alarms are always on)
    empty_buckets_on_destroy: bool = False  # a custom resource empties the buckets when the stack goes

    # --- where (from the environment) -----------------------------------------------------------
    account: str | None = field(default_factory=lambda: os.environ.get("CDK_DEFAULT_ACCOUNT"))
    region: str | None = field(default_factory=lambda: os.environ.get("CDK_DEFAULT_REGION"))

    @property
    def stack_name(self) -> str:
        return f"caseway-{self.name}"

    @property
    def prefix(self) -> str:
        """Prefix of the physical names this stage gives."""
        return f"caseway-{self.name}"

    @property
    def incident_emails(self) -> list[str]:
        """Who the incidents topic mails: incident_email's addresses, else the alarm_email."""
        raw = self.incident_email or self.alarm_email or ""
        return [address.strip() for address in raw.split(",") if address.strip()]

    @property
    def retain(self) -> bool:
        return self.removal_policy == "retain"

    def __post_init__(self) -> None:
        if self.removal_policy not in ("retain", "destroy"):
            raise ValueError(f"stage {self.name}: removal_policy must be 'retain' or 'destroy'")
        if self.mfa not in ("optional", "required"):
            raise ValueError(f"stage {self.name}: mfa must be 'optional' or 'required'")
        if self.log_retention_days not in RETENTION_DAYS:
            raise ValueError(f"stage {self.name}: log_retention_days must be one of {sorted(RETENTION_DAYS)}")
        if bool(self.custom_domain) != bool(self.certificate_arn):
            raise ValueError(f"stage {self.name}: custom_domain and certificate_arn go together")
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError(f"stage {self.name}: log_level must be DEBUG, INFO, WARNING or ERROR")


# The HTTP API's CORS (infra/cdk/api.py); the local gateway answers preflights by the same settings. In the cloud
# the one allowed origin is the stage's site; locally the app is on the API's own origin, and LOCAL_DEV_ORIGIN
# (Vite's dev server, `npx vite` in web/) is the one allowed cross-origin caller.
CORS_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS")
CORS_HEADERS = ("authorization", "content-type", "idempotency-key")
CORS_EXPOSED_HEADERS = ("idempotent-replayed", "location")
CORS_MAX_AGE_SECONDS = 3600
LOCAL_DEV_ORIGIN = "http://localhost:5173"

# CloudWatch Logs accepts only these retention periods.
RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653})

STAGES: dict[str, StageSettings] = {
    "dev": StageSettings(
        name="dev",
        removal_policy="destroy",
        deletion_protection=False,
        log_retention_days=7,
        log_level="DEBUG",
        log_execution_data=True,
        api_rate_limit=20,
        api_burst_limit=40,
        webform_rate_limit=1,
        webform_burst_limit=5,
        webform_rate_per_hour=30,
        password_min_length=8,
        event_archive_days=7,
        empty_buckets_on_destroy=True,
    ),
    "staging": StageSettings(
        name="staging",
        removal_policy="destroy",
        deletion_protection=False,
        log_retention_days=30,
        log_level="INFO",
        log_execution_data=True,
        api_rate_limit=50,
        api_burst_limit=100,
        webform_rate_limit=2,
        webform_burst_limit=10,
        webform_rate_per_hour=30,
        event_archive_days=14,
        empty_buckets_on_destroy=True,
    ),
    "prod": StageSettings(
        name="prod",
        removal_policy="retain",
        deletion_protection=True,
        log_retention_days=365,
        log_level="INFO",
        log_execution_data=False,
        api_rate_limit=200,
        api_burst_limit=400,
        webform_rate_limit=5,
        webform_burst_limit=20,
        webform_rate_per_hour=30,
        mfa="required",
        password_min_length=12,
        event_archive_days=365,
        threat_protection=True,
    ),
}

DEFAULT_STAGE = "dev"


def _convert(key: str, raw: Any, annotation: str) -> Any:
    """A context value (a string on the command line, any JSON type in cdk.json) as the field's type."""
    if not isinstance(raw, str):
        return raw
    if annotation == "bool":
        if raw.lower() not in ("true", "false"):
            raise ValueError(f"{key}: expected true or false, got {raw!r}")
        return raw.lower() == "true"
    if annotation == "int":
        return int(raw)
    if annotation == "float":
        return float(raw)
    if annotation.startswith("Mapping"):
        pairs = (item.split("=", 1) for item in raw.split(",") if item.strip())
        return {name.strip(): value.strip() for name, value in pairs}
    return raw or None


def settings_for(stage: str, overrides: Mapping[str, Any] | None = None) -> StageSettings:
    """The stage's settings with `caseway:<field>` context overrides applied."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; choose one of {', '.join(STAGES)}")
    settings = STAGES[stage]
    annotations = {f.name: str(f.type) for f in dataclasses.fields(StageSettings) if f.name != "name"}
    changes: dict[str, Any] = {}
    for key, raw in (overrides or {}).items():
        if not key.startswith(OVERRIDE_PREFIX):
            continue
        name = key.removeprefix(OVERRIDE_PREFIX)
        if name not in annotations:
            raise ValueError(f"unknown stage setting {key!r}; settings: {', '.join(sorted(annotations))}")
        changes[name] = _convert(key, raw, annotations[name])
    return dataclasses.replace(settings, **changes) if changes else settings
