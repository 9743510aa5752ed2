"""The template is the one list of resources: what the loader creates, the settings the process then reads, events
delivered by the template's rules only, and schedules fired with the template's payload."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from moto import mock_aws

from infra.local import emulation as aws_emulation
from infra.rehearsal import resources
from shared.platform import aws, bus, config
from tests.conftest import BOB, DEMO, QUESTION, Api, stop_routes


def _of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def test_every_resource_the_desk_uses_is_created_from_the_template(user_pool: str) -> None:
    template = aws_emulation.dev_template()
    physical = aws_emulation.physical()
    # The table, with the template's indexes, and the process reads its name from the template's setting.
    (table_id,) = _of_type(template, "AWS::DynamoDB::Table")
    table = aws.client("dynamodb").describe_table(TableName=physical.ref(table_id))["Table"]
    assert config.get(config.TABLE_NAME) == physical.ref(table_id)
    indexes = template["Resources"][table_id]["Properties"]["GlobalSecondaryIndexes"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {i["IndexName"] for i in indexes}
    # The state machines, each with the route worker's ARN substituted as the dispatcher knows it.
    sfn = aws.client("stepfunctions")
    for logical_id, machine in _of_type(template, "AWS::StepFunctions::StateMachine").items():
        described = sfn.describe_state_machine(stateMachineArn=physical.ref(logical_id))
        assert machine["Properties"]["StateMachineName"] == described["name"]
        assert "${" not in described["definition"]
        assert aws_emulation.function_arn("route-tasks") in described["definition"]
    # The bus and its rules with their patterns.
    events = aws.client("events")
    (bus_id,) = _of_type(template, "AWS::Events::EventBus")
    assert config.get(config.EVENT_BUS_NAME) == physical.ref(bus_id)
    listed = events.list_rules(EventBusName=physical.ref(bus_id))["Rules"]
    for rule in _of_type(template, "AWS::Events::Rule").values():
        assert json.dumps(rule["Properties"]["EventPattern"]) in [r["EventPattern"] for r in listed]
    # The schedules, with their time zone, target and payload.
    scheduler = aws.client("scheduler")
    for schedule in _of_type(template, "AWS::Scheduler::Schedule").values():
        props = schedule["Properties"]
        found = scheduler.get_schedule(Name=props["Name"], GroupName=props["GroupName"])
        assert found["ScheduleExpressionTimezone"] == props["ScheduleExpressionTimezone"]
        assert json.loads(found["Target"]["Input"]) == json.loads(props["Target"]["Input"])
        assert found["Target"]["Arn"] == aws_emulation.function_arn("housekeeping")
    # Buckets with their lifecycle rules, the queue, the topics.
    s3 = aws.client("s3")
    for logical_id, bucket in _of_type(template, "AWS::S3::Bucket").items():
        rules = bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
        if rules:
            kept = s3.get_bucket_lifecycle_configuration(Bucket=physical.ref(logical_id))["Rules"]
            assert [r["ID"] for r in kept] == [r["Id"] for r in rules]
    assert config.get(config.ATTACHMENTS_BUCKET) in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    queues = aws.client("sqs").list_queues()["QueueUrls"]
    assert [physical.ref(q) for q in _of_type(template, "AWS::SQS::Queue")] == queues
    topics = {t["TopicArn"] for t in aws.client("sns").list_topics()["Topics"]}
    assert config.get(config.INCIDENTS_TOPIC_ARN) in topics
    # The secrets hold a value generated as the template asks (length, no punctuation).
    secrets = aws.client("secretsmanager")
    reply = secrets.get_secret_value(SecretId=config.get(config.REPLY_SECRET_ARN))["SecretString"]
    assert len(reply) == 48 and reply.isalnum()
    assert aws.reply_secret() == reply
    # The user pool with its groups, clients and the pre-token trigger.
    cognito = aws.client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=user_pool)["UserPool"]
    (trigger,) = [
        k
        for k, f in _of_type(template, "AWS::Lambda::Function").items()
        if f["Properties"].get("Handler") == "functions.cognito_pre_token.handler"
    ]
    assert pool["LambdaConfig"]["PreTokenGenerationConfig"]["LambdaArn"] == physical.get_att(trigger, "Arn")
    groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=user_pool)["Groups"]}
    assert groups == {g["Properties"]["GroupName"] for g in _of_type(template, "AWS::Cognito::UserPoolGroup").values()}
    assert aws_emulation.machine_client()["AllowedOAuthFlows"] == ["client_credentials"]


def test_a_generated_secret_follows_its_specification() -> None:
    value = resources.generated_secret({"PasswordLength": 20, "ExcludePunctuation": True, "ExcludeCharacters": "abc"})
    assert len(value) == 20 and value.isalnum() and not set(value) & set("abc")
    templated = json.loads(
        resources.generated_secret({"SecretStringTemplate": '{"user": "desk"}', "GenerateStringKey": "password"})
    )
    assert templated["user"] == "desk" and len(templated["password"]) == 32


def test_a_schedule_fires_with_the_template_payload(emulated_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[dict[str, Any]] = []
    name = aws_emulation.function_arn("housekeeping").rsplit(":", 1)[-1]
    monkeypatch.setitem(aws_emulation.HANDLERS, name, lambda event, context: received.append(event) or {"ok": 1})
    daily = next(s for s in aws_emulation.schedules() if s.name == "daily-review")
    assert daily.timezone == "Europe/Prague"
    assert aws_emulation.fire_schedule("daily-review") == {"ok": 1}
    assert received == [daily.payload] == [{"action": "daily_review", "idle_working_hours": 4}]


# --- events as EventBridge delivers them ---------------------------------------------------------------------------


def _counters_rule(template: dict[str, Any]) -> str:
    """The rule whose target is the counters function (Fn::GetAtt <counters function>.Arn)."""
    (counters,) = [
        logical_id
        for logical_id, f in _of_type(template, "AWS::Lambda::Function").items()
        if f["Properties"].get("Handler") == "functions.counters.handler"
    ]
    (found,) = [
        logical_id
        for logical_id, rule in _of_type(template, "AWS::Events::Rule").items()
        if {"Fn::GetAtt": [counters, "Arn"]} in [t["Arn"] for t in rule["Properties"]["Targets"]]
    ]
    return found


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The detail-types the counters function receives (its own handler still runs)."""
    name = aws_emulation.function_arn("counters").rsplit(":", 1)[-1]
    original = aws_emulation.HANDLERS[name]
    received: list[str] = []

    def counters(event: dict[str, Any], context: Any) -> Any:
        received.append(event["detail-type"])
        return original(event, context)

    monkeypatch.setitem(aws_emulation.HANDLERS, name, counters)
    return received


def test_a_submitted_ticket_reaches_the_counters_through_the_template_rule(
    seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = _counted(monkeypatch)
    reply = Api()("POST", "/tickets", user=BOB, body=QUESTION)
    assert reply.status == 201, reply.text
    assert "TicketSubmitted" in received  # the put waits for its consumers
    rule = _counters_rule(aws_emulation.dev_template())
    submitted = [d for d in aws_emulation.DELIVERIES if d.detail_type == "TicketSubmitted"]
    assert submitted and all(rule in d.rules for d in submitted)
    # Events the rule's pattern does not take are published but reach no consumer.
    others = [d for d in aws_emulation.DELIVERIES if d.detail_type != "TicketSubmitted"]
    assert others and not any(d.rules for d in others)
    assert set(received) == {"TicketSubmitted"}
    assert aws_emulation.undelivered() == []


@pytest.fixture
def changed_template() -> Iterator[dict[str, Any]]:
    """A fresh emulation provisioned from a copy of the dev template the test changes first (`provision_with`)."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    with mock_aws(config=aws_emulation.MOTO_CONFIG), mock.patch.object(aws, "reset", lambda: None):
        aws_emulation.install_lambda_dispatcher()
        threads_before = len(TMP_THREADS)
        yield copy.deepcopy(aws_emulation.dev_template())
        stop_routes(threads_before)


def test_a_rule_whose_pattern_no_longer_matches_fails_naming_the_rule(
    changed_template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Can it fail: a copy of the template whose counters rule asks for another source. Submitting a ticket then
    does not reach the counters, and the delivery check says which rule did not match."""
    rule = _counters_rule(changed_template)
    changed_template["Resources"][rule]["Properties"]["EventPattern"]["source"] = ["caseway.ticket"]
    aws_emulation.provision(user_pool=False, template=changed_template)
    DEMO.seed()
    received = _counted(monkeypatch)
    reply = Api()("POST", "/tickets", user=BOB, body=QUESTION)
    assert reply.status == 201, reply.text
    assert "TicketSubmitted" not in received
    problems = aws_emulation.undelivered()
    assert problems, "the delivery check saw nothing wrong"
    assert any(
        p.startswith(f"TicketSubmitted from {bus.EVENT_SOURCE}")
        and f"did not reach {aws_emulation.FUNCTION_PREFIX}counters" in p
        and f"rule {rule}" in p
        and '"caseway.ticket"' in p
        for p in problems
    ), problems
