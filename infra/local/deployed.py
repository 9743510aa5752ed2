"""`caseway setup` and `caseway doctor`: operations on a deployed stage, found by its stack's outputs.

Both use the caller's AWS credentials (boto3: `--profile`, `--region`, or the environment), read the stack
`caseway-<stage>` (infra/app.py) and act on what its outputs name.

- `setup` invokes the stage's setup function (functions/setup.py), the same step the deploy runs: the default
  desk, never over what managers changed.
- `doctor` checks what a working desk needs and that a deploy cannot do alone, one line per check: OK, or FIX with
  the command or console step that fixes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shared.setup.defaults import SETUP_VERSION
from shared.setup.items import SETUP_PK, STATE_SK

SANDBOX_DAILY_QUOTA = 200  # SES: an account in the sandbox may send 200 messages a day


class StageError(Exception):
    """The stage cannot be reached or read; the message says what to do."""


@dataclass(frozen=True)
class Stage:
    name: str
    session: Any  # boto3.Session
    stack_status: str
    outputs: dict[str, str]

    @property
    def stack_name(self) -> str:
        return f"caseway-{self.name}"

    def client(self, service: str, **options: Any) -> Any:
        return self.session.client(service, **options)

    def output(self, key: str) -> str:
        value = self.outputs.get(key)
        if not value:
            raise StageError(
                f"stack {self.stack_name} has no output {key}: "
                f"deploy this version first (make deploy STAGE={self.name})"
            )
        return value


def find_stage(stage: str, *, profile: str | None = None, region: str | None = None) -> Stage:
    name = f"caseway-{stage}"
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        stacks = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        if "does not exist" in message:
            raise StageError(
                f"no stack {name} in {session.region_name or 'the default region'}: deploy it "
                f"(make deploy STAGE={stage}) or pass --region/--profile"
            ) from None
        raise StageError(f"cannot read stack {name}: {message}") from None
    except BotoCoreError as error:
        raise StageError(f"cannot reach AWS ({error}); check your credentials (aws configure, AWS_PROFILE)") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return Stage(stage, session, stacks[0].get("StackStatus", ""), outputs)


# --- setup -----------------------------------------------------------------------------------------------------


def run_setup(stage: Stage) -> dict[str, Any]:
    """Invoke the stage's setup function and return what it did."""
    function = stage.output("SetupFunctionName")
    try:
        # the function may take up to its 300 s timeout; a retried invoke would only run the same setup again
        lambda_client = stage.client("lambda", config=Config(read_timeout=320, retries={"max_attempts": 1}))
        response = lambda_client.invoke(FunctionName=function, Payload=json.dumps({"action": "setup"}).encode())
    except (ClientError, BotoCoreError) as error:
        raise StageError(f"cannot invoke {function}: {error}") from None
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        message = payload.get("errorMessage") if isinstance(payload, dict) else payload
        raise StageError(f"the setup function failed: {message} (its logs: CloudWatch log group of {function})")
    return payload


def setup_report(result: dict[str, Any]) -> str:
    lines = [f"Setup version {result.get('version')} (the desk was at {result.get('previous_version') or 'none'})"]
    meaning = {
        "created": "created",
        "updated": "brought up to date (unchanged since the setup wrote them)",
        "unchanged": "already as the defaults say",
        "kept": "changed by someone since: left as they are",
        "removed": "removed since the setup wrote them: not written again",
    }
    for key, text in meaning.items():
        items = result.get(key) or []
        if items:
            lines.append(f"  {len(items):3} {text}: {', '.join(items)}")
    return "\n".join(lines) + "\n"


# --- doctor ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'OK' if self.ok else 'FIX':<4} {self.name:<16} {self.message}"
        return text if self.ok or not self.fix else f"{text}; fix: {self.fix}"


def doctor(stage: Stage) -> list[Check]:
    """Every check, each on its own: one that cannot be read says so and the others still run."""
    checks: list[Check] = []
    for name, check in CHECKS:
        try:
            checks.append(check(stage))
        except StageError as error:
            checks.append(Check(name, False, str(error)))
        except (ClientError, BotoCoreError) as error:
            checks.append(Check(name, False, f"could not check: {' '.join(str(error).split())}"))
    return checks


def _stack(stage: Stage) -> Check:
    if stage.stack_status.endswith("_COMPLETE") and "ROLLBACK" not in stage.stack_status:
        return Check("stack", True, f"{stage.stack_name} is {stage.stack_status}")
    return Check(
        "stack",
        False,
        f"{stage.stack_name} is {stage.stack_status}",
        f"see its events in the CloudFormation console, then make deploy STAGE={stage.name}",
    )


def _setup_version(stage: Stage) -> Check:
    table = stage.output("TableName")
    item = (
        stage.client("dynamodb")
        .get_item(TableName=table, Key={"pk": {"S": SETUP_PK}, "sk": {"S": STATE_SK}}, ConsistentRead=True)
        .get("Item")
    )
    fix = f"caseway setup --stage {stage.name}"
    if item is None:
        return Check("setup-version", False, "the desk was never set up", fix)
    version = int(item["version"]["N"])
    if version < SETUP_VERSION:
        return Check(
            "setup-version", False, f"the desk is at setup version {version}, this code has {SETUP_VERSION}", fix
        )
    return Check("setup-version", True, f"the desk is at setup version {version} (this code: {SETUP_VERSION})")


def _catalog(stage: Stage) -> Check:
    count = stage.client("dynamodb").query(
        TableName=stage.output("TableName"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :service)",
        ExpressionAttributeValues={":pk": {"S": "CATALOG"}, ":service": {"S": "SERVICE#"}},
        Select="COUNT",
    )["Count"]
    if count == 0:
        return Check(
            "catalog", False, "no services: customers see an empty form", f"caseway setup --stage {stage.name}"
        )
    return Check("catalog", True, f"{count} services")


def _ses_identity(stage: Stage) -> Check:
    sender = stage.output("SenderEmail")
    domain = sender.split("@", 1)[-1]
    found = stage.client("ses").get_identity_verification_attributes(Identities=[sender, domain])
    status = {name: attrs.get("VerificationStatus") for name, attrs in found["VerificationAttributes"].items()}
    verified = [name for name in (sender, domain) if status.get(name) == "Success"]
    if verified:
        return Check("ses-identity", True, f"{sender} may send ({verified[0]} is verified)")
    pending = [name for name in (sender, domain) if status.get(name) == "Pending"]
    if pending:
        return Check(
            "ses-identity",
            False,
            f"{pending[0]} is waiting for verification",
            f"click the link SES mailed to {sender}, or add the DNS records SES shows for {domain} "
            "(SES console > Verified identities)",
        )
    return Check(
        "ses-identity",
        False,
        f"neither {sender} nor {domain} is verified in SES: no customer e-mail goes out",
        f"aws ses verify-email-identity --email-address {sender} --region {stage.session.region_name}",
    )


def _ses_sandbox(stage: Stage) -> Check:
    fix = "SES console > Account dashboard > Request production access"
    try:
        account = stage.client("sesv2").get_account()
    except (ClientError, BotoCoreError, NotImplementedError):  # no SES v2 there (an emulation): judge by the quota
        account = None
    if account is not None and "ProductionAccessEnabled" in account:
        if account["ProductionAccessEnabled"]:
            return Check("ses-sandbox", True, "SES has production access")
        return Check("ses-sandbox", False, "SES is in the sandbox: it delivers only to verified addresses", fix)
    quota = stage.client("ses").get_send_quota()["Max24HourSend"]
    if quota <= SANDBOX_DAILY_QUOTA:
        return Check(
            "ses-sandbox",
            False,
            f"SES may send {quota:g} messages a day, the sandbox's quota: it delivers only to verified addresses",
            fix,
        )
    return Check("ses-sandbox", True, f"SES may send {quota:g} messages a day (out of the sandbox)")


def _inbound_mail(stage: Stage) -> Check:
    """SES uses one receipt rule set per account and region: the stage's must be the active one to receive mail."""
    rule_set = stage.outputs.get("InboundRuleSet")
    if not rule_set:
        return Check("inbound-mail", True, "inbound e-mail is off for this stage (inbound_mail=false)")
    active = stage.client("ses").describe_active_receipt_rule_set().get("Metadata", {}).get("Name")
    if active == rule_set:
        return Check("inbound-mail", True, f"SES receives the desk's e-mail with {rule_set}; MX: {_mx(stage)}")
    return Check(
        "inbound-mail",
        False,
        f"the active receipt rule set is {active or 'none'}, not {rule_set}: no e-mail reaches the desk",
        f"aws ses set-active-receipt-rule-set --rule-set-name {rule_set} --region {stage.session.region_name}, "
        f"and publish the MX record {_mx(stage)}",
    )


def _mx(stage: Stage) -> str:
    return stage.outputs.get("InboundMxRecord") or "(see the InboundMxRecord output)"


def subscription_check(name: str, topic: str, subscriptions: list[dict[str, Any]], setting: str, stage: str) -> Check:
    """E-mail subscriptions of a topic: none (set the address and deploy), pending (confirm the mail), confirmed."""
    mails = [s for s in subscriptions if s.get("Protocol") in ("email", "email-json")]
    confirmed = [s["Endpoint"] for s in mails if s.get("SubscriptionArn", "").startswith("arn:")]
    pending = [s["Endpoint"] for s in mails if not s.get("SubscriptionArn", "").startswith("arn:")]
    if pending:
        return Check(
            name,
            False,
            f"{', '.join(pending)} not confirmed: nothing reaches them",
            f"open the mail 'AWS Notification - Subscription Confirmation' sent to {pending[0]} and click "
            "Confirm subscription",
        )
    if confirmed:
        return Check(name, True, f"{', '.join(confirmed)} subscribed to {topic.rsplit(':', 1)[-1]}")
    return Check(
        name,
        False,
        f"nobody is subscribed to {topic.rsplit(':', 1)[-1]}",
        f"make deploy STAGE={stage} CDK_ARGS='-c caseway:{setting}=you@example.com'",
    )


def _subscriptions(stage: Stage, topic: str) -> list[dict[str, Any]]:
    sns = stage.client("sns")
    found, token = [], None
    while True:
        page = sns.list_subscriptions_by_topic(TopicArn=topic, **({"NextToken": token} if token else {}))
        found += page.get("Subscriptions", [])
        token = page.get("NextToken")
        if not token:
            return found


def _alarm_email(stage: Stage) -> Check:
    topic = stage.output("OpsTopicArn")
    return subscription_check("alarm-email", topic, _subscriptions(stage, topic), "alarm_email", stage.name)


def _incident_email(stage: Stage) -> Check:
    topic = stage.output("IncidentsTopicArn")
    return subscription_check("incident-email", topic, _subscriptions(stage, topic), "incident_email", stage.name)


def _trigger(stage: Stage) -> Check:
    pool = stage.client("cognito-idp").describe_user_pool(UserPoolId=stage.output("UserPoolId"))["UserPool"]
    config = pool.get("LambdaConfig") or {}
    arn = (config.get("PreTokenGenerationConfig") or {}).get("LambdaArn") or config.get("PreTokenGeneration")
    if arn:
        return Check("cognito-trigger", True, f"pre-token-generation trigger: {arn.rsplit(':', 1)[-1]}")
    return Check(
        "cognito-trigger",
        False,
        "the user pool has no pre-token-generation trigger: tokens lack role, groups and organisation",
        f"make deploy STAGE={stage.name} (this version attaches it)",
    )


CHECKS: tuple[tuple[str, Callable[[Stage], Check]], ...] = (
    ("stack", _stack),
    ("setup-version", _setup_version),
    ("catalog", _catalog),
    ("ses-identity", _ses_identity),
    ("ses-sandbox", _ses_sandbox),
    ("inbound-mail", _inbound_mail),
    ("alarm-email", _alarm_email),
    ("incident-email", _incident_email),
    ("cognito-trigger", _trigger),
)
