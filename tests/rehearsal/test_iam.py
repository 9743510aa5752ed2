"""The rehearsal's IAM check: calls become the requests AWS authorizes, and each is evaluated against the calling
function's role in the synthesized dev template; a statement a call needs, dropped from a copy, fails naming the
function, the action and the resource."""

from __future__ import annotations

import copy
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient

from infra.local import emulation as aws_emulation
from infra.rehearsal import iam
from infra.rehearsal.calls import Call
from infra.rehearsal.iam import NotAllowed, Stack, Unmapped
from infra.rehearsal.intrinsics import Physical
from shared.platform import aws
from tests.conftest import BOB, Api
from tests.tickets.test_authorization import open_ticket
from tests.uploads import file_like, post_upload

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"


# --- the dev template and plausible physical names for its resources --------------------------------------------


def _synthesize_dev() -> dict[str, Any]:
    try:
        from infra.rehearsal.template import synthesized  # the rehearsal's cached synth, where it exists
    except ImportError:
        synthesized = None
    if synthesized is not None:
        return synthesized("dev")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk as cdk  # only this fallback synthesizes

    from infra.app import build_stack  # only this fallback synthesizes
    from infra.stages import settings_for  # only this fallback synthesizes

    context = json.loads((ROOT / "cdk.json").read_text())["context"] | {"aws:cdk:bundling-stacks": []}
    app = cdk.App(context=context)
    stack = build_stack(app, settings_for("dev"))
    return dict(app.synth().get_stack_by_name(stack.stack_name).template)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return _synthesize_dev()


def physical_names(template: dict[str, Any], names: dict[str, str] | None = None) -> Physical:
    """What `Ref` and `Fn::GetAtt` give for each resource the functions' roles name, as AWS would name them
    (`names`: a logical id's name where the emulation uses its own)."""
    names = names or {}
    p = Physical(account=ACCOUNT, region=REGION, stack_name="caseway-dev")

    def arn(service: str, rest: str) -> str:
        return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{rest}"

    for number, (lid, resource) in enumerate(template["Resources"].items()):
        props = resource.get("Properties", {})
        kind = resource["Type"]
        default = f"caseway-dev-{lid.lower()}"
        if kind == "AWS::DynamoDB::Table":
            name = names.get(lid, props.get("TableName", default))
            p.add(lid, name, Arn=arn("dynamodb", f"table/{name}"))
        elif kind == "AWS::S3::Bucket":
            name = names.get(lid, props.get("BucketName", default))
            p.add(lid, name, Arn=f"arn:aws:s3:::{name}")
        elif kind == "AWS::Events::EventBus":
            name = names.get(lid, props["Name"])
            p.add(lid, name, Arn=arn("events", f"event-bus/{name}"))
        elif kind == "AWS::SNS::Topic":
            name = names.get(lid, props.get("TopicName", default))
            p.add(lid, arn("sns", name), TopicName=name, TopicArn=arn("sns", name))
        elif kind == "AWS::SecretsManager::Secret":
            p.add(lid, arn("secretsmanager", f"secret:{names.get(lid, props.get('Name', default))}-Ab12Cd"))
        elif kind == "AWS::StepFunctions::StateMachine":
            name = names.get(lid, props["StateMachineName"])
            p.add(lid, arn("states", f"stateMachine:{name}"), Arn=arn("states", f"stateMachine:{name}"), Name=name)
        elif kind == "AWS::Lambda::Function":
            name = names.get(lid, props.get("FunctionName", default))
            p.add(lid, name, Arn=arn("lambda", f"function:{name}"))
        elif kind == "AWS::Logs::LogGroup":
            name = props.get("LogGroupName", f"/aws/lambda/{default}")
            p.add(lid, name, Arn=arn("logs", f"log-group:{name}:*"))
        elif kind == "AWS::SQS::Queue":
            name = props.get("QueueName", default)
            p.add(lid, f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}", Arn=arn("sqs", name), QueueName=name)
        elif kind == "AWS::KMS::Key":
            key = f"0000abcd-0000-0000-0000-{number:012d}"
            p.add(lid, key, Arn=arn("kms", f"key/{key}"))
        elif kind == "AWS::Cognito::UserPool":
            pool = names.get(lid, f"{REGION}_Rehearsal")
            p.add(lid, pool, Arn=arn("cognito-idp", f"userpool/{pool}"))
        elif kind == "AWS::IAM::Role":
            p.add(lid, default, Arn=f"arn:aws:iam::{ACCOUNT}:role/{default}")
    return p


def function_id(template: dict[str, Any], short: str) -> str:
    """The logical id of the function named caseway-dev-<short>."""
    [found] = [
        lid
        for lid, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("FunctionName") == f"caseway-dev-{short}"
    ]
    return found


def resource_id(template: dict[str, Any], kind: str, prefix: str) -> str:
    [found] = [lid for lid, r in template["Resources"].items() if r["Type"] == kind and lid.startswith(prefix)]
    return found


@pytest.fixture(scope="module")
def stack(template: dict[str, Any]) -> Stack:
    return Stack(template, physical_names(template))


def without_grant(template: dict[str, Any], function: str, action: str, resource_part: str) -> dict[str, Any]:
    """A copy of the template whose function's role no longer grants `action` on resources containing
    `resource_part` (the statements naming it lose that action, or that resource)."""
    changed = copy.deepcopy(template)
    stack = Stack(changed, Physical())
    role = stack.role_of(function)
    for resource in changed["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy" or {"Ref": role} not in resource["Properties"]["Roles"]:
            continue
        kept = []
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if action not in actions or resource_part not in json.dumps(resources):
                kept.append(statement)
                continue
            others = [a for a in actions if a != action]
            if others:
                kept.append({**statement, "Action": others})
            elsewhere = [r for r in resources if resource_part not in json.dumps(r)]
            if elsewhere:  # the action stays granted on the statement's other resources
                kept.append({**statement, "Action": action, "Resource": elsewhere})
        resource["Properties"]["PolicyDocument"]["Statement"] = kept
    return changed


def with_grant(template: dict[str, Any], function: str, statement: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(template)
    role = Stack(changed, Physical()).role_of(function)
    for resource in changed["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role} in resource["Properties"]["Roles"]:
            resource["Properties"]["PolicyDocument"]["Statement"].append(statement)
            return changed
    raise AssertionError(f"{function}: its role has no policy")


# --- calls as the code makes them ---------------------------------------------------------------------------------


def presigned_download(template: dict[str, Any], stack: Stack, function: str) -> Call:
    """What shared.platform.files.presigned_download signs (the runner records it as the GetObject it allows)."""
    bucket = stack.physical.refs[resource_id(template, "AWS::S3::Bucket", "DataAttachments")]
    params = {"Bucket": bucket, "Key": "tickets/T-1/att-1/invoice.pdf", "ResponseContentType": "application/pdf"}
    return Call(function, "s3", "GetObject", params, REGION)


def reply_secret_read(template: dict[str, Any], stack: Stack, function: str) -> Call:
    """shared.platform.aws.reply_secret: GetSecretValue of CASEWAY_REPLY_SECRET_ARN (the template's Ref)."""
    secret = stack.physical.refs[resource_id(template, "AWS::SecretsManager::Secret", "ReplySecret")]
    return Call(function, "secretsmanager", "GetSecretValue", {"SecretId": secret}, REGION)


def ticket_submission(template: dict[str, Any], stack: Stack, function: str) -> list[Call]:
    """The calls a ticket's submission makes (shared/tickets/intake.py): the ticket's items in one transaction,
    the route worker told, the e-mail to the requester, the event on the bus."""
    table = stack.physical.refs[resource_id(template, "AWS::DynamoDB::Table", "DataTable")]
    bus = stack.physical.refs[resource_id(template, "AWS::Events::EventBus", "NotificationsTicketEvents")]
    item = {"pk": {"S": "TICKET#T-1"}, "sk": {"S": "TICKET"}}
    return [
        Call(
            function,
            "dynamodb",
            "GetItem",
            {"TableName": table, "Key": {"pk": {"S": "ORG#acme"}, "sk": {"S": "ORG"}}},
            REGION,
        ),
        Call(
            function,
            "dynamodb",
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
                    {
                        "ConditionCheck": {
                            "TableName": table,
                            "Key": {"pk": {"S": "ORG#acme"}, "sk": {"S": "ORG"}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": table,
                            "Key": {"pk": {"S": "COUNT#2026-11"}, "sk": {"S": "ORG#acme"}},
                            "UpdateExpression": "ADD n :one",
                        }
                    },
                ]
            },
            REGION,
        ),
        Call(
            function, "lambda", "Invoke", {"FunctionName": "caseway-dev-route-tasks", "InvocationType": "Event"}, REGION
        ),
        Call(
            function,
            "ses",
            "SendRawEmail",
            {"Source": "support@caseway.example", "Destinations": ["olga@acme.example"]},
            REGION,
        ),
        Call(
            function,
            "events",
            "PutEvents",
            {
                "Entries": [
                    {"Source": "caseway.tickets", "DetailType": "TicketSubmitted", "Detail": "{}", "EventBusName": bus}
                ]
            },
            REGION,
        ),
    ]


# --- calls -> requests --------------------------------------------------------------------------------------------


def test_each_call_becomes_the_requests_aws_authorizes(template: dict[str, Any], stack: Stack) -> None:
    api = function_id(template, "api")
    table = stack.physical.refs[resource_id(template, "AWS::DynamoDB::Table", "DataTable")]
    table_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    [submit] = [c for c in ticket_submission(template, stack, api) if c.operation == "TransactWriteItems"]
    assert [(r.action, r.resource, r.context) for r in iam.requests(submit, stack)] == [
        ("dynamodb:PutItem", table_arn, {"dynamodb:LeadingKeys": ["TICKET#T-1"]}),
        ("dynamodb:ConditionCheckItem", table_arn, {"dynamodb:LeadingKeys": ["ORG#acme"]}),
        ("dynamodb:UpdateItem", table_arn, {"dynamodb:LeadingKeys": ["COUNT#2026-11"]}),
    ]
    # A Query on an index is authorized on the index, with the index's partition key as the leading key.
    index = template["Resources"][resource_id(template, "AWS::DynamoDB::Table", "DataTable")]["Properties"][
        "GlobalSecondaryIndexes"
    ][0]
    index_key = next(k["AttributeName"] for k in index["KeySchema"] if k["KeyType"] == "HASH")
    query = Call(
        api,
        "dynamodb",
        "Query",
        {
            "TableName": table,
            "IndexName": index["IndexName"],
            "KeyConditionExpression": "#0 = :0 AND begins_with (#1, :1)",
            "ExpressionAttributeNames": {"#0": index_key, "#1": "sk"},
            "ExpressionAttributeValues": {":0": {"S": "ORG#acme"}, ":1": {"S": "T"}},
        },
        REGION,
    )
    [request] = iam.requests(query, stack)
    assert (request.resource, request.context) == (
        f"{table_arn}/index/{index['IndexName']}",
        {"dynamodb:LeadingKeys": ["ORG#acme"]},
    )
    batch = Call(
        api,
        "dynamodb",
        "BatchGetItem",
        {"RequestItems": {table: {"Keys": [submit.params["TransactItems"][0]["Put"]["Item"]]}}},
        REGION,
    )
    assert [(r.action, r.context) for r in iam.requests(batch, stack)] == [
        ("dynamodb:BatchGetItem", {"dynamodb:LeadingKeys": ["TICKET#T-1"]})
    ]
    [mail] = [c for c in ticket_submission(template, stack, api) if c.service == "ses"]
    [request] = iam.requests(mail, stack)
    assert request.resource == f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/caseway.example"
    assert request.context == {"ses:FromAddress": "support@caseway.example", "ses:Recipients": ["olga@acme.example"]}
    # A presigned download is the GetObject its holder performs; a task token's answer goes to a state machine.
    [download] = iam.requests(presigned_download(template, stack, api), stack)
    assert (download.action, download.resource) == (
        "s3:GetObject",
        f"arn:aws:s3:::{download.call.params['Bucket']}/tickets/T-1/att-1/invoice.pdf",
    )
    token = Call(api, "stepfunctions", "SendTaskSuccess", {"taskToken": "tok", "output": "{}"}, REGION)
    support = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:caseway-dev-support"
    assert [r.resource for r in iam.requests(token, Stack(template, stack.physical, task_tokens={"tok": support}))] == [
        support
    ]
    assert len(iam.requests(token, stack)) == len(stack.state_machines()) == 4  # any route's token


def test_a_publish_to_the_encrypted_incidents_topic_needs_its_key_too(template: dict[str, Any], stack: Stack) -> None:
    topic = stack.physical.refs[resource_id(template, "AWS::SNS::Topic", "IncidentsTopic")]
    publish = Call(function_id(template, "counters"), "sns", "Publish", {"TopicArn": topic, "Message": "m"}, REGION)
    assert [r.action for r in iam.requests(publish, stack)] == ["sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"]
    assert iam.check([publish], stack) == []  # the key's policy lets the account's roles in; the role has both


def test_a_call_without_an_iam_mapping_fails_by_name(template: dict[str, Any], stack: Stack) -> None:
    call = Call(function_id(template, "api"), "dynamodb", "ExecuteStatement", {"Statement": "SELECT 1"}, REGION)
    with pytest.raises(Unmapped, match=r"dynamodb\.ExecuteStatement has no IAM mapping"):
        iam.check([call], stack)


# --- the roles of the template ------------------------------------------------------------------------------------


def test_a_statement_a_ticket_submission_needs_dropped_from_the_template_fails_naming_it(
    template: dict[str, Any], stack: Stack
) -> None:
    api = function_id(template, "api")
    calls = ticket_submission(template, stack, api)
    assert iam.check(calls, stack) == []
    changed = Stack(without_grant(template, api, "events:PutEvents", "NotificationsTicketEvents"), stack.physical)
    with pytest.raises(NotAllowed) as denied:
        iam.assert_allowed(calls, changed)
    bus = stack.physical.refs[resource_id(template, "AWS::Events::EventBus", "NotificationsTicketEvents")]
    assert str(denied.value) == (
        f"function {api}: events:PutEvents on arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus} is not allowed by "
        f"role {stack.role_of(api)}: no statement allows events:PutEvents (the call: events.PutEvents)"
    )
    changed = Stack(without_grant(template, api, "dynamodb:ConditionCheckItem", "DataTable"), stack.physical)
    [denial] = iam.check(calls, changed)
    assert (denial.request.action, denial.request.call.operation) == (
        "dynamodb:ConditionCheckItem",
        "TransactWriteItems",
    )


def test_a_condition_the_call_does_not_meet_is_named(template: dict[str, Any], stack: Stack) -> None:
    api = function_id(template, "api")
    other = Call(
        api, "ses", "SendRawEmail", {"Source": "Mallory <ceo@caseway.example>", "Destinations": ["x@y.example"]}, REGION
    )
    [denial] = iam.check([other], stack)
    assert "allows it only where StringEquals ses:FromAddress ['support@caseway.example']" in denial.message
    assert "ses:FromAddress=ceo@caseway.example" in denial.message


def test_the_api_signs_downloads_only_with_s3_get_object_on_the_attachments(
    template: dict[str, Any], stack: Stack
) -> None:
    """A presigned GET is checked against the signer's role when it is used: without s3:GetObject on the attachments
    every download answers AccessDenied."""
    api = function_id(template, "api")
    download = presigned_download(template, stack, api)
    removed = Stack(without_grant(template, api, "s3:GetObject", "DataAttachments"), stack.physical)
    [denial] = iam.check([download], removed)
    assert denial.message.startswith(
        f"function {api}: s3:GetObject on arn:aws:s3:::{download.params['Bucket']}/tickets/T-1/att-1/invoice.pdf is not"
        f" allowed by role {stack.role_of(api)}: no statement allows s3:GetObject on that resource"
    )
    fixed = with_grant(
        template,
        api,
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        {"Fn::GetAtt": [resource_id(template, "AWS::S3::Bucket", "DataAttachments"), "Arn"]},
                        "/tickets/*",
                    ],
                ]
            },
        },
    )
    assert iam.check([download], Stack(without_grant(fixed, api, "s3:GetObject", "InboundMail"), stack.physical)) == []


def test_the_telegram_bot_reads_the_reply_secret_only_with_a_grant(template: dict[str, Any], stack: Stack) -> None:
    """A ticket opened from Telegram e-mails its requester, whose reply address is signed with the reply secret."""
    bot = function_id(template, "telegram")
    read = reply_secret_read(template, stack, bot)
    removed = Stack(without_grant(template, bot, "secretsmanager:GetSecretValue", "ReplySecret"), stack.physical)
    [denial] = iam.check([read], removed)
    assert denial.message.startswith(
        f"function {bot}: secretsmanager:GetSecretValue on {read.params['SecretId']} is not allowed by role "
        f"{stack.role_of(bot)}: no statement allows secretsmanager:GetSecretValue on that resource"
    )
    secret = resource_id(template, "AWS::SecretsManager::Secret", "ReplySecret")
    fixed = with_grant(
        template, bot, {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": {"Ref": secret}}
    )
    assert iam.check([read], Stack(fixed, stack.physical)) == []


def test_the_template_allows_the_downloads_and_the_reply_secret_the_code_needs(
    template: dict[str, Any], stack: Stack
) -> None:
    calls = [presigned_download(template, stack, function_id(template, "api"))]
    calls += [
        reply_secret_read(template, stack, function_id(template, name))
        for name in ("api", "route-tasks", "housekeeping", "inbound-email", "telegram")
    ]
    calls += ticket_submission(template, stack, function_id(template, "telegram"))
    iam.assert_allowed(calls, stack)


# --- the API's real calls, recorded in this process ---------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """The parameters as a record keeps them: bytes dropped, anything else not JSON as text."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if not isinstance(v, bytes | bytearray)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value if not isinstance(v, bytes | bytearray)]
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


@contextmanager
def recording(template: dict[str, Any]) -> Iterator[list[Call]]:
    """Every AWS call made meanwhile, by the function that made it: the API's on this thread (the `api` fixture calls
    its handler here), every other function's on the thread the local stack runs its invocation on (a route step, a
    bus consumer). Recorded at botocore's parameter-building step, the hook point a rehearsed process records at; a
    presigned URL passes it as the operation it signs, a presigned POST is recorded as the PutObject it allows (it
    passes the hook as a CreateBucket without the key)."""
    from infra.local import emulation  # the local stack's handlers, wrapped to name their calls' function

    calls: list[Call] = []
    api_thread = threading.get_ident()
    api_function = function_id(template, "api")
    running = threading.local()
    original = BaseClient._emit_api_params
    s3_class = type(aws.client("s3"))
    original_post = s3_class.generate_presigned_post

    def caller() -> str | None:
        function = getattr(running, "function", None)
        return function or (api_function if threading.get_ident() == api_thread else None)

    def emit(self: BaseClient, api_params: Any, operation_model: Any, context: Any) -> Any:
        params = original(self, api_params=api_params, operation_model=operation_model, context=context)
        presigned_post = context.get("is_presign_request") and operation_model.name == "CreateBucket"
        function = caller()
        if function and not presigned_post:
            service = self.meta.service_model.service_name
            calls.append(Call(function, service, operation_model.name, _jsonable(params), self.meta.region_name))
        return params

    def presign_post(self: BaseClient, Bucket: str, Key: str, **more: Any) -> Any:
        function = caller()
        if function:
            calls.append(Call(function, "s3", "PutObject", _jsonable({"Bucket": Bucket, "Key": Key}), REGION))
        return original_post(self, Bucket, Key, **more)

    def as_function(name: str, handler: Any) -> Any:
        function = function_id(template, name.removeprefix(emulation.FUNCTION_PREFIX))

        def run(event: Any, context: Any) -> Any:
            before = getattr(running, "function", None)
            running.function = function
            try:
                return handler(event, context)
            finally:
                running.function = before

        return run

    handlers = {name: as_function(name, handler) for name, handler in emulation.HANDLERS.items()}
    with (
        mock.patch.object(BaseClient, "_emit_api_params", emit),
        mock.patch.object(s3_class, "generate_presigned_post", presign_post),
        mock.patch.dict(emulation.HANDLERS, handlers),
    ):
        yield calls


_LOCAL_NAME = re.compile(r"((?:function|stateMachine|execution):|\"FunctionName\": \")caseway-(?!dev-)")


def as_deployed(calls: list[Call]) -> list[Call]:
    """The calls with the dev stage's names for functions and routes, which its policies also write as text
    (`function:caseway-dev-telegram`, `stateMachine:caseway-dev-*`) where the local stack says caseway-<x>."""
    renamed = []
    for call in calls:
        params = json.loads(_LOCAL_NAME.sub(r"\1caseway-dev-", json.dumps(call.params)))
        renamed.append(Call(call.function, call.service, call.operation, params, call.region))
    return renamed


def local_stack(template: dict[str, Any], function: str) -> Stack:
    """The template with the emulation's own resources: the emulation is provisioned from this template by the
    rehearsal's loader, so its `Physical` gives the names the function's calls carry."""
    assert template["Resources"][function]["Type"] == "AWS::Lambda::Function"
    return Stack(template, aws_emulation.physical())


def _attachment_round(api: Api) -> str:
    """A customer opens a ticket, uploads a file to it and sends it in a message; the ticket's id."""
    ticket = open_ticket(api, BOB)
    upload = api(
        "POST",
        f"/tickets/{ticket['id']}/attachments",
        user=BOB,
        body={"file_name": "invoice.pdf", "size": 2048, "content_type": "application/pdf"},
    )
    assert upload.status == 201, upload.text
    post_upload(upload.json, file_like("application/pdf", 2048))  # the browser's POST, as the web app sends it
    body = {"body": "The invoice", "attachments": [upload.json["id"]]}
    assert api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body=body).status == 201
    return f"{ticket['id']}/{upload.json['id']}"


def test_the_api_s_own_calls_opening_a_ticket_with_a_file_are_allowed_by_its_role(
    template: dict[str, Any], api: Api
) -> None:
    function = function_id(template, "api")
    with recording(template) as calls:
        _attachment_round(api)
    made = {(c.service, c.operation) for c in calls if c.function == function}
    assert {("dynamodb", "TransactWriteItems"), ("s3", "PutObject"), ("events", "PutEvents")} <= made, made
    iam.assert_allowed([c for c in as_deployed(calls) if c.function == function], local_stack(template, function))


def test_the_api_s_own_calls_for_a_download_are_allowed_by_its_role(template: dict[str, Any], api: Api) -> None:
    function = function_id(template, "api")
    ticket_and_file = _attachment_round(api)
    with recording(template) as calls:
        ticket_id, attachment = ticket_and_file.split("/")
        assert api("GET", f"/tickets/{ticket_id}/attachments/{attachment}", user=BOB).status == 200
    assert ("s3", "GetObject") in {(c.service, c.operation) for c in calls if c.function == function}
    iam.assert_allowed([c for c in as_deployed(calls) if c.function == function], local_stack(template, function))


def test_every_function_a_ticket_sets_off_makes_only_calls_its_own_role_allows(
    template: dict[str, Any], api: Api
) -> None:
    """A customer's question through its route: the API, the route worker the route invokes and the counters
    consumer of TicketSubmitted, each checked against its own role."""
    with recording(template) as calls:
        open_ticket(api, BOB)
    by_function: dict[str, set[str]] = {}
    for call in calls:
        by_function.setdefault(call.function, set()).add(f"{call.service}.{call.operation}")
    expected = {function_id(template, name) for name in ("api", "route-tasks", "counters")}
    assert expected <= set(by_function), by_function
    assert "stepfunctions.StartExecution" in by_function[function_id(template, "route-tasks")]
    calls = as_deployed(calls)
    for function in by_function:
        iam.assert_allowed([c for c in calls if c.function == function], local_stack(template, function))
