"""`caseway setup --stage` and `caseway doctor --stage` against a deployed stage, played by the emulation: the stack
`caseway-<stage>` with the outputs the CDK app gives, and the resources they name, created in moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.local import cli, deployed
from shared import desk
from shared.kb import agreements
from shared.platform import aws, config
from shared.setup import defaults

TRIGGER = "arn:aws:lambda:us-east-1:123456789012:function:caseway-dev-pre-token"


def deploy_stage(
    stage: str = "dev", *, sender: str | None = None, trigger: bool = True, alarm_email: str | None = "ops@desk.example"
) -> dict[str, str]:
    """The resources a deploy of `stage` leaves, as far as the commands read them, and its stack with their names."""
    sns = aws.client("sns")
    ops = sns.create_topic(Name=f"caseway-{stage}-ops")["TopicArn"]
    if alarm_email:
        sns.subscribe(TopicArn=ops, Protocol="email", Endpoint=alarm_email)
    incidents = config.get(config.INCIDENTS_TOPIC_ARN)
    sns.subscribe(TopicArn=incidents, Protocol="email", Endpoint="maria@desk.example")
    lambda_config = {"PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": TRIGGER}} if trigger else {}
    pool = aws.client("cognito-idp").create_user_pool(PoolName=f"caseway-{stage}", LambdaConfig=lambda_config)
    outputs = {
        "TableName": config.get(config.TABLE_NAME),
        "SetupFunctionName": "caseway-dev-setup",  # the emulation's handler of functions/setup.py
        "IncidentsTopicArn": incidents,
        "OpsTopicArn": ops,
        "UserPoolId": pool["UserPool"]["Id"],
        "SenderEmail": sender or config.get(config.SENDER_EMAIL),
        "InboundRuleSet": f"caseway-{stage}-inbound",
        "InboundMxRecord": "10 inbound-smtp.us-east-1.amazonaws.com",
    }
    aws.client("ses").create_receipt_rule_set(RuleSetName=outputs["InboundRuleSet"])
    template = {
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"caseway-{stage}-marker"}}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    aws.client("cloudformation").create_stack(StackName=f"caseway-{stage}", TemplateBody=json.dumps(template))
    return outputs


@pytest.fixture
def stage(emulated_aws: None) -> dict[str, str]:
    desk.assemble()
    return deploy_stage()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def checks(lines: list[str]) -> dict[str, str]:
    """Each doctor line by check name: 'OK ...' or 'FIX ...'."""
    found = {}
    for line in lines:
        verdict, name, rest = line.split(None, 2)
        found[name] = f"{verdict} {rest}"
    return found


def test_doctor_says_what_to_fix_then_setup_fixes_it(stage, capsys):
    # Given a freshly deployed stage that was never set up, with SES in the sandbox (moto's quota: 200 a day)
    code, lines, _ = run(capsys, "doctor", "--stage", "dev")

    # Then the doctor reports every check on a line of its own, and says how to fix what is missing
    assert code == 1
    found = checks(lines)
    assert list(found) == [name for name, _ in deployed.CHECKS]
    assert found["stack"].startswith("OK caseway-dev is CREATE_COMPLETE")
    assert found["setup-version"] == "FIX the desk was never set up; fix: caseway setup --stage dev"
    assert found["catalog"] == "FIX no services: customers see an empty form; fix: caseway setup --stage dev"
    assert found["ses-identity"].startswith("OK support@caseway.example may send")
    assert found["ses-sandbox"] == (
        "FIX SES may send 200 messages a day, the sandbox's quota: it delivers only to verified addresses; "
        "fix: SES console > Account dashboard > Request production access"
    )
    assert found["inbound-mail"] == (
        "FIX the active receipt rule set is none, not caseway-dev-inbound: no e-mail reaches the desk; "
        "fix: aws ses set-active-receipt-rule-set --rule-set-name caseway-dev-inbound --region us-east-1, "
        "and publish the MX record 10 inbound-smtp.us-east-1.amazonaws.com"
    )
    assert found["alarm-email"] == "OK ops@desk.example subscribed to caseway-dev-ops"
    assert found["incident-email"] == "OK maria@desk.example subscribed to caseway-dev-incidents"
    assert found["cognito-trigger"] == "OK pre-token-generation trigger: caseway-dev-pre-token"

    # When the deployer runs the command it gave
    code, lines, _ = run(capsys, "setup", "--stage", "dev")

    # Then the stage's setup function ran and said what it did
    assert code == 0
    assert lines[0] == f"Setup version {defaults.SETUP_VERSION} (the desk was at none)"
    written = len(defaults.default_items()) + len(agreements.mandatory_articles())
    assert lines[1].startswith(f"  {written:3} created: service:functionality-question")
    # and the doctor finds the desk set up
    found = checks(run(capsys, "doctor", "--stage", "dev")[1])
    assert found["setup-version"] == (
        f"OK the desk is at setup version {defaults.SETUP_VERSION} (this code: {defaults.SETUP_VERSION})"
    )
    assert found["catalog"] == "OK 4 services"
    aws.client("ses").set_active_receipt_rule_set(RuleSetName="caseway-dev-inbound")
    assert checks(run(capsys, "doctor", "--stage", "dev")[1])["inbound-mail"] == (
        "OK SES receives the desk's e-mail with caseway-dev-inbound; MX: 10 inbound-smtp.us-east-1.amazonaws.com"
    )

    # And a second setup changes nothing
    code, lines, _ = run(capsys, "setup", "--stage", "dev")
    assert code == 0
    assert lines[0] == f"Setup version {defaults.SETUP_VERSION} (the desk was at {defaults.SETUP_VERSION})"
    assert [line for line in lines if "created" in line or "brought up to date" in line] == []


def test_doctor_names_the_missing_sender_subscription_and_trigger(emulated_aws, capsys):
    # Given a stage whose sender is not verified, with no alarm address and no Cognito trigger
    deploy_stage("staging", sender="help@unverified.example", trigger=False, alarm_email=None)

    code, lines, _ = run(capsys, "doctor", "--stage", "staging")

    # Then each is a FIX with the command or console step
    assert code == 1
    found = checks(lines)
    assert found["ses-identity"] == (
        "FIX neither help@unverified.example nor unverified.example is verified in SES: no customer e-mail goes "
        "out; fix: aws ses verify-email-identity --email-address help@unverified.example --region us-east-1"
    )
    assert found["alarm-email"] == (
        "FIX nobody is subscribed to caseway-staging-ops; "
        "fix: make deploy STAGE=staging CDK_ARGS='-c caseway:alarm_email=you@example.com'"
    )
    assert found["cognito-trigger"].startswith("FIX the user pool has no pre-token-generation trigger")
    assert found["cognito-trigger"].endswith("fix: make deploy STAGE=staging (this version attaches it)")


def test_a_stage_that_is_not_deployed_is_one_error_line(emulated_aws, capsys):
    for command in ("doctor", "setup"):
        code, lines, err = run(capsys, command, "--stage", "prod")
        assert code == 2
        assert lines == []
        assert err == (
            f"caseway {command}: error: no stack caseway-prod in us-east-1: deploy it (make deploy STAGE=prod) "
            "or pass --region/--profile\n"
        )


def test_a_subscription_waiting_for_confirmation_is_named_with_the_mail_to_click():
    subscriptions: list[dict[str, Any]] = [
        {"Protocol": "email", "Endpoint": "ops@desk.example", "SubscriptionArn": "PendingConfirmation"},
        {"Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:123456789012:q", "SubscriptionArn": "arn:aws:sns:x"},
    ]
    check = deployed.subscription_check(
        "alarm-email", "arn:aws:sns:us-east-1:1:caseway-dev-ops", subscriptions, "alarm_email", "dev"
    )
    assert check.line() == (
        "FIX  alarm-email      ops@desk.example not confirmed: nothing reaches them; fix: open the mail "
        "'AWS Notification - Subscription Confirmation' sent to ops@desk.example and click Confirm subscription"
    )
