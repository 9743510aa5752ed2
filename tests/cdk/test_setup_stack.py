"""The stack sets the desk up on deploy and tells managers of incidents: the setup custom resource (its provider is
the stage's setup function), the encrypted incidents topic with the managers' e-mail subscriptions, who may publish
to it, and the outputs `caseway setup` and `caseway doctor` read. One stage with both e-mail settings, synthesized
once without bundling; cfn-lint and cdk-nag on it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.app import build_stack
from infra.cdk.setup import RESOURCE_TYPE
from infra.stages import settings_for
from shared.directory import services
from shared.platform import config
from shared.setup import defaults

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = {
    "caseway:alarm_email": "ops@desk.example",
    "caseway:incident_email": "maria@desk.example, lead@desk.example",
}


class Synth:
    def __init__(self) -> None:
        context = json.loads((ROOT / "cdk.json").read_text())["context"]
        context["aws:cdk:bundling-stacks"] = []
        self.app = cdk.App(context=context)
        self.stack = build_stack(self.app, settings_for("dev", OVERRIDES))
        self.template: dict[str, Any] = self.app.synth().get_stack_by_name(self.stack.stack_name).template
        self.resources: dict[str, dict[str, Any]] = self.template["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def function(self, short_name: str) -> tuple[str, dict[str, Any]]:
        return next(
            (k, v)
            for k, v in self.of_type("AWS::Lambda::Function").items()
            if v["Properties"].get("FunctionName") == f"caseway-dev-{short_name}"
        )

    def statements_of(self, function_id: str) -> list[dict[str, Any]]:
        role = self.resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        return [
            statement
            for policy in self.of_type("AWS::IAM::Policy").values()
            if {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]


@pytest.fixture(scope="module")
def synth() -> Synth:
    return Synth()


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_the_deploy_runs_the_setup_function_as_a_custom_resource(synth: Synth) -> None:
    function_id, function = synth.function("setup")
    resources = synth.of_type(RESOURCE_TYPE)
    assert len(resources) == 1
    resource = next(iter(resources.values()))
    assert resource["Properties"]["ServiceToken"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert resource["Properties"]["SetupVersion"] == str(defaults.SETUP_VERSION)
    assert resource["Properties"]["Defaults"] == defaults.defaults_fingerprint()
    assert resource["Properties"]["ServiceTimeout"] == "600"  # a failed answer never holds a deploy for an hour
    # its function runs the setup handler on the desk's table and bus, with the grants its writes need
    assert function["Properties"]["Handler"] == "functions.setup.handler"
    environment = function["Properties"]["Environment"]["Variables"]
    assert environment[config.TABLE_NAME] == {"Ref": next(iter(synth.of_type("AWS::DynamoDB::Table")))}
    statements = synth.statements_of(function_id)
    table_actions = {a for s in statements for a in _actions(s) if a.startswith("dynamodb:")}
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"} <= table_actions
    assert any("events:PutEvents" in _actions(s) for s in statements)
    # and raises no incidents: it may not publish to the topic
    assert not [s for s in statements if "sns:Publish" in _actions(s)]


def test_new_defaults_run_the_setup_again_on_deploy(monkeypatch: pytest.MonkeyPatch) -> None:
    before = defaults.defaults_fingerprint()
    assert defaults.defaults_fingerprint() == before
    renamed = [{**s, "title": s["title"] + " (new)"} for s in services.DEFAULT_SERVICES]
    monkeypatch.setattr(services, "DEFAULT_SERVICES", renamed)
    assert defaults.defaults_fingerprint() != before


def test_incidents_reach_the_managers_through_an_encrypted_topic(synth: Synth) -> None:
    topics = {v["Properties"]["TopicName"]: (k, v) for k, v in synth.of_type("AWS::SNS::Topic").items()}
    topic_id, topic = topics["caseway-dev-incidents"]
    ops_id, _ = topics["caseway-dev-ops"]
    key_id = next(iter(synth.of_type("AWS::KMS::Key")))
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    policies = [
        p for p in synth.of_type("AWS::SNS::TopicPolicy").values() if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for p in policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    )
    # the managers' addresses (incident_email) are its subscriptions; the alarm address stays on the ops topic
    subscriptions = {
        (s["Properties"]["TopicArn"]["Ref"], s["Properties"]["Endpoint"])
        for s in synth.of_type("AWS::SNS::Subscription").values()
    }
    assert subscriptions == {
        (topic_id, "maria@desk.example"),
        (topic_id, "lead@desk.example"),
        (ops_id, "ops@desk.example"),
    }
    # every function that can raise an incident knows the topic and may publish to it, with the key
    for name in ("api", "route-tasks", "housekeeping"):
        function_id, function = synth.function(name)
        assert function["Properties"]["Environment"]["Variables"][config.INCIDENTS_TOPIC_ARN] == {"Ref": topic_id}
        statements = synth.statements_of(function_id)
        assert {"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": topic_id}} in statements
        assert {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
        } in statements


def test_without_an_incident_email_the_alarm_address_gets_the_incidents() -> None:
    settings = settings_for("prod", {"caseway:alarm_email": "ops@desk.example"})
    assert settings.incident_emails == ["ops@desk.example"]
    assert settings_for("prod").incident_emails == []


def test_outputs_name_what_setup_and_doctor_read(synth: Synth) -> None:
    outputs = synth.template["Outputs"]
    function_id, _ = synth.function("setup")
    assert outputs["SetupFunctionName"]["Value"] == {"Ref": function_id}
    assert outputs["TableName"]["Value"] == {"Ref": next(iter(synth.of_type("AWS::DynamoDB::Table")))}
    assert outputs["SenderEmail"]["Value"] == settings_for("dev").sender_email
    assert "Ref" in outputs["IncidentsTopicArn"]["Value"]
    assert {"UserPoolId", "OpsTopicArn"} <= outputs.keys()


def test_cfn_lint_and_cdk_nag_find_nothing(synth: Synth) -> None:
    from cfnlint.api import lint

    matches = lint(json.dumps(synth.template), regions=["us-east-1", "eu-west-1"])
    assert not [str(m) for m in matches if str(m.rule.id).startswith("E")]
    report = AwsSolutionsChecks().validate_scope(synth.app)
    findings = [f"{v.rule_name} at {r.construct_path}" for v in report.violations for r in v.violating_resources]
    assert not findings, "\n".join(findings)
