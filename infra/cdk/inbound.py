"""Inbound e-mail (R1, R10): SES receives every address of the stage's mail domain (support@, the tickets' reply
addresses), stores the raw message in an encrypted bucket that forgets it after a while, then invokes the
inbound-email function (functions/inbound_email.py), which reads it from there. Locally infra/local/smtp.py does
the same with the emulated S3.

After the deploy: verify the domain in SES, publish the MX record of the `InboundMxRecord` output, and make the
stage's rule set the active one (`aws ses set-active-receipt-rule-set --rule-set-name <InboundRuleSet>`; SES has
one active rule set per account and region). SES receives mail only in some regions: a stage elsewhere fails the
synth with a message saying so (or set `-c caseway:inbound_mail=false`).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from constructs import Construct

from infra.cdk import nag
from infra.cdk.functions import removal_policy
from infra.stages import StageSettings
from shared.platform import config

# Where SES receives e-mail (AWS General Reference, "Email Receiving endpoints": inbound-smtp.<region>.amazonaws.com).
SES_RECEIVING_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
INBOUND_PREFIX = config.DEFAULTS[config.INBOUND_PREFIX]


def receiving_region_problem(settings: StageSettings) -> str | None:
    """Why this stage cannot receive e-mail where it is deployed (None: it can, or the region is not known yet)."""
    if not settings.inbound_mail or settings.region is None or settings.region in SES_RECEIVING_REGIONS:
        return None
    return (
        f"Stage {settings.name} is in {settings.region}, where Amazon SES does not receive e-mail; inbound e-mail "
        f"(replies to notifications, support@{settings.mail_domain}) needs one of {', '.join(SES_RECEIVING_REGIONS)}. "
        "Deploy the stage there, or turn inbound e-mail off with -c caseway:inbound_mail=false."
    )


class ReplySecret(Construct):
    """The key that signs each ticket's reply address (shared/tickets/mailthread.py), generated once per stage."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description=f"{settings.prefix}: signs the tickets' reply addresses (HMAC-SHA256)",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=48, exclude_punctuation=True),
            removal_policy=removal_policy(settings),
        )
        nag.acknowledge(
            self.secret,
            "SMG4",
            "The reply-address key is not rotated automatically: every reply address already sent in a notification "
            "names the key that signed it. Rotate by hand: make the secret a key ring "
            '({"current": "2", "1": "<old key>", "2": "<new key>"}), so both keys are valid while replies to the old '
            "notifications come in, then remove the old key (its addresses stop threading on purpose).",
        )


class InboundMail(Construct):
    """The receipt rule set of the stage's mail domain, the bucket of raw e-mails, and their outputs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        function: lambda_.Function,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        problem = receiving_region_problem(settings)
        if problem:
            cdk.Annotations.of(self).add_error(problem)
        elif settings.region is None:
            cdk.Annotations.of(self).add_warning_v2(
                "caseway:inbound-region",
                f"Stage {settings.name} names no region: inbound e-mail works only where SES receives mail "
                f"({', '.join(SES_RECEIVING_REGIONS)}).",
            )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="inbound-mail/",
            lifecycle_rules=[
                # Each e-mail is kept on its ticket (the .eml attachment); the raw copy is for a retry, a release
                # from the quarantine and a look by the operators, so it expires.
                s3.LifecycleRule(
                    id="expire-received-mail", expiration=cdk.Duration.days(settings.inbound_mail_retention_days)
                ),
            ],
            removal_policy=removal_policy(settings),
            auto_delete_objects=settings.empty_buckets_on_destroy and not settings.retain,
        )
        self.rule_set = ses.ReceiptRuleSet(
            self,
            "RuleSet",
            receipt_rule_set_name=f"{settings.prefix}-inbound",
            rules=[
                ses.ReceiptRuleOptions(
                    receipt_rule_name=f"{settings.prefix}-desk",
                    recipients=[settings.mail_domain],
                    scan_enabled=True,  # spam and virus verdicts: a failed one is quarantined, never dropped
                    tls_policy=ses.TlsPolicy.OPTIONAL,
                    actions=[
                        ses_actions.S3(bucket=self.bucket, object_key_prefix=INBOUND_PREFIX),
                        ses_actions.Lambda(function=function, invocation_type=ses_actions.LambdaInvocationType.EVENT),
                    ],
                )
            ],
        )
        self.mx_record = f"10 inbound-smtp.{cdk.Aws.REGION}.amazonaws.com"
        for name, (value, description) in {
            "InboundMxRecord": (
                self.mx_record,
                f"Publish as the MX record of {settings.mail_domain} (SES receives the desk's e-mail)",
            ),
            "InboundRuleSet": (
                self.rule_set.receipt_rule_set_name,
                "Make it active: aws ses set-active-receipt-rule-set --rule-set-name <this>",
            ),
            "InboundBucketName": (self.bucket.bucket_name, "Raw received e-mails (expire after the retention)"),
        }.items():
            cdk.CfnOutput(scope, name, value=value, description=description)
