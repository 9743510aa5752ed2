"""The CDK app, checked offline: what each stage's template holds, what differs between dev and prod,
and that cfn-lint, cdk-nag (AwsSolutions) and an ASL validator find nothing a deploy would reject.

Every stage is synthesized once per session, in one app, without bundling (CDK stages a placeholder
for the Lambda asset; `make synth` bundles for real).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from functions.api.app import PUBLIC_ROUTES, ROUTES
from infra.app import build_stack
from infra.cdk import asl as routes
from infra.cdk import bundling, nag
from infra.cdk.functions import FUNCTIONS
from infra.cdk.identity import GROUPS, ORG_ATTRIBUTE
from infra.cdk.stack import (
    PRE_TOKEN_ACTIONS,
    PRE_TOKEN_KEYS,
    TELEGRAM_WEBHOOK_ACTIONS,
    TELEGRAM_WEBHOOK_KEYS,
    CasewayStack,
)
from infra.rehearsal import template as rehearsal_template
from infra.stages import (
    CORS_EXPOSED_HEADERS,
    CORS_HEADERS,
    CORS_MAX_AGE_SECONDS,
    CORS_METHODS,
    STAGES,
    settings_for,
)
from shared.platform import config
from shared.platform import files as attachment_files
from shared.platform import table as table_module
from shared.platform.schedules import SCHEDULES

ROOT = Path(__file__).resolve().parents[2]
ASL_VALIDATOR = ROOT / "node_modules" / ".bin" / "asl-validator"
STAGE_NAMES = tuple(STAGES)
ALARM_EMAIL = "ops@acme.example"
# The test app sets one override through the same context mechanism `-c caseway:...` uses.
OVERRIDES = {"staging": {"caseway:alarm_email": ALARM_EMAIL}}


class Synthesized:
    def __init__(self) -> None:
        context = json.loads((ROOT / "cdk.json").read_text())["context"]
        context["aws:cdk:bundling-stacks"] = []  # no pip install in tests
        self.app = cdk.App(context=context)
        self.stacks: dict[str, CasewayStack] = {
            stage: build_stack(self.app, settings_for(stage, OVERRIDES.get(stage))) for stage in STAGE_NAMES
        }
        assembly = self.app.synth()
        self.json: dict[str, dict[str, Any]] = {
            stage: assembly.get_stack_by_name(stack.stack_name).template for stage, stack in self.stacks.items()
        }
        self.templates = {stage: Template.from_json(template) for stage, template in self.json.items()}
        dev = self.stacks["dev"].settings
        if not (dev.account or dev.region or OVERRIDES.get("dev")):  # the rehearsal's template: keep it, once
            rehearsal_template.remember("dev", self.json["dev"])

    def resources(self, stage: str, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json[stage]["Resources"].items() if v["Type"] == resource_type}

    def one(self, stage: str, resource_type: str) -> dict[str, Any]:
        found = list(self.resources(stage, resource_type).values())
        assert len(found) == 1, f"{stage}: expected one {resource_type}, found {len(found)}"
        return found[0]

    def functions(self, stage: str) -> dict[str, dict[str, Any]]:
        """Our functions by short name (the S3 auto-delete provider is not one of them)."""
        by_name = {}
        for resource in self.resources(stage, "AWS::Lambda::Function").values():
            name = resource["Properties"].get("FunctionName", "")
            if isinstance(name, str) and name.startswith(f"caseway-{stage}-"):
                by_name[name.removeprefix(f"caseway-{stage}-")] = resource
        return by_name


@pytest.fixture(scope="module")
def synth() -> Synthesized:
    return Synthesized()


@pytest.fixture(scope="module")
def template_files(synth: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("templates")
    files = {}
    for stage, template in synth.json.items():
        files[stage] = folder / f"caseway-{stage}.template.json"
        files[stage].write_text(json.dumps(template, indent=1))
    return files


def site_url(synth: Synthesized, stage: str) -> str:
    """The stage's web app address (its SiteUrl output), flattened: https://<SiteDistribution...DomainName>."""
    url = nag.flatten_reference(synth.json[stage]["Outputs"]["SiteUrl"]["Value"])
    assert re.fullmatch(r"https://<SiteDistribution\w+\.DomainName>", url), url
    return url


def sdk_call(synth: Synthesized, stage: str, action: str) -> dict[str, Any]:
    """The parameters of the stack's one AwsCustomResource call of `action` (references flattened to <X.Attr>)."""

    def text(create: Any) -> str:  # the JSON as a Fn::Join of literal text and references
        _, parts = create["Fn::Join"]
        return "".join(part if isinstance(part, str) else nag.flatten_reference(part) for part in parts)

    (found,) = [
        call["parameters"]
        for resource in synth.resources(stage, "Custom::AWS").values()
        if (call := json.loads(text(resource["Properties"]["Create"])))["action"] == action
    ]
    return found


def attachments_bucket(synth: Synthesized, stage: str) -> str:
    """The attachments bucket's logical id (the bucket whose access logs go under attachments/)."""
    return next(
        k
        for k, b in synth.resources(stage, "AWS::S3::Bucket").items()
        if b["Properties"].get("LoggingConfiguration", {}).get("LogFilePrefix") == "attachments/"
    )


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return policy["Properties"]["PolicyDocument"]["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policies_of_role(synth: Synthesized, stage: str, role_id: str) -> list[dict[str, Any]]:
    return [
        p for p in synth.resources(stage, "AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]
    ]


# --- stages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_stack_name_and_tags_carry_the_stage(synth: Synthesized, stage: str) -> None:
    stack = synth.stacks[stage]
    assert stack.stack_name == f"caseway-{stage}"
    assert stack.tags.tag_values() == {"project": "caseway", "caseway:stage": stage}
    table = synth.one(stage, "AWS::DynamoDB::Table")
    assert {"Key": "caseway:stage", "Value": stage} in table["Properties"]["Tags"]


def test_two_stages_in_one_account_share_no_physical_name(synth: Synthesized) -> None:
    # Names scoped by a parent that carries the stage (user pool, schedule group) may repeat.
    scoped = {"AWS::Cognito::UserPoolGroup", "AWS::Cognito::UserPoolResourceServer", "AWS::Scheduler::Schedule"}
    name_keys = {
        "Name",
        "FunctionName",
        "StateMachineName",
        "QueueName",
        "TopicName",
        "UserPoolName",
        "ClientName",
        "AlarmName",
        "DashboardName",
        "LogGroupName",
        "ArchiveName",
        "TableName",
        "BucketName",
    }

    def names(stage: str) -> set[str]:
        found = set()
        for resource in synth.json[stage]["Resources"].values():
            if resource["Type"] in scoped:
                continue
            for key, value in resource.get("Properties", {}).items():
                if key in name_keys and isinstance(value, str):  # not a reference to another resource
                    found.add(f"{resource['Type']}:{value}")
        return found

    dev, prod = names("dev"), names("prod")
    assert len(dev) > 10
    assert not dev & prod
    assert all("dev" in name for name in dev), sorted(n for n in dev if "dev" not in n)


def test_stage_settings_overrides_from_context() -> None:
    settings = settings_for(
        "prod",
        {
            "caseway:alarm_email": "ops@acme.example",
            "caseway:api_rate_limit": "75.5",
            "caseway:machine_clients": "false",
            "caseway:schedule_expressions": "close-silent-resolved=rate(5 minutes)",
            "stage": "prod",
        },
    )
    assert settings.alarm_email == "ops@acme.example"
    assert settings.api_rate_limit == 75.5
    assert settings.machine_clients is False
    assert settings.schedule_expressions == {"close-silent-resolved": "rate(5 minutes)"}
    with pytest.raises(ValueError, match="unknown stage setting"):
        settings_for("dev", {"caseway:no_such_setting": "1"})
    with pytest.raises(ValueError, match="unknown stage"):
        settings_for("qa")


def test_prod_differs_from_dev_where_it_must(synth: Synthesized) -> None:
    dev, prod = STAGES["dev"], STAGES["prod"]
    for stage, deletion_protected, policy in (("dev", False, "Delete"), ("prod", True, "Retain")):
        table = synth.one(stage, "AWS::DynamoDB::Table")
        assert table["Properties"]["DeletionProtectionEnabled"] is deletion_protected
        assert table["DeletionPolicy"] == policy
        pool = synth.one(stage, "AWS::Cognito::UserPool")
        assert pool["DeletionPolicy"] == policy
        assert pool["Properties"]["DeletionProtection"] == ("ACTIVE" if deletion_protected else "INACTIVE")
        for bucket in synth.resources(stage, "AWS::S3::Bucket").values():
            assert bucket["DeletionPolicy"] == policy
    assert synth.stacks["prod"].termination_protection is True
    assert synth.stacks["dev"].termination_protection is False

    for stage, settings in (("dev", dev), ("prod", prod)):
        retentions = {
            g["Properties"]["RetentionInDays"] for g in synth.resources(stage, "AWS::Logs::LogGroup").values()
        }
        assert retentions == {settings.log_retention_days}
        throttle = synth.one(stage, "AWS::ApiGatewayV2::Stage")["Properties"]["DefaultRouteSettings"]
        assert throttle["ThrottlingRateLimit"] == settings.api_rate_limit
        assert throttle["ThrottlingBurstLimit"] == settings.api_burst_limit
    assert dev.log_retention_days < prod.log_retention_days
    assert dev.api_rate_limit < prod.api_rate_limit

    assert synth.one("dev", "AWS::Cognito::UserPool")["Properties"]["MfaConfiguration"] == "OPTIONAL"
    assert synth.one("prod", "AWS::Cognito::UserPool")["Properties"]["MfaConfiguration"] == "ON"
    assert synth.one("prod", "AWS::Cognito::UserPool")["Properties"]["UserPoolTier"] == "PLUS"


# --- data -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_table_is_exactly_what_the_models_declare(synth: Synthesized, stage: str) -> None:
    expected = table_module.table_definition()
    table = synth.one(stage, "AWS::DynamoDB::Table")["Properties"]

    def by_name(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
        return {item[key]: item for item in items}

    assert table["KeySchema"] == expected["KeySchema"]
    assert by_name(table["AttributeDefinitions"], "AttributeName") == by_name(
        expected["AttributeDefinitions"], "AttributeName"
    )
    indexes = by_name(table["GlobalSecondaryIndexes"], "IndexName")
    expected_indexes = by_name(expected["GlobalSecondaryIndexes"], "IndexName")
    assert indexes.keys() == expected_indexes.keys()
    for name, index in expected_indexes.items():
        assert indexes[name]["KeySchema"] == index["KeySchema"], name
        assert indexes[name]["Projection"] == index["Projection"], name
    assert table["BillingMode"] == expected["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": table_module.TTL_ATTRIBUTE, "Enabled": True}


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_attachments_bucket_is_private_encrypted_and_cleans_up(synth: Synthesized, stage: str) -> None:
    template = synth.templates[stage]
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}},
                ]
            },
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": "attachments/"}),
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like({"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}),
                        # An upload no message claimed expires under uploads/ (shared/platform/files.py)
                        Match.object_like(
                            {
                                "Id": "expire-unclaimed-uploads",
                                "Prefix": attachment_files.PENDING_PREFIX,
                                "ExpirationInDays": attachment_files.PENDING_DAYS,
                                "Status": "Enabled",
                            }
                        ),
                    ]
                )
            },
        },
    )
    upload_cors = sdk_call(synth, stage, "putBucketCors")
    assert upload_cors["Bucket"] == f"<{attachments_bucket(synth, stage)}>"
    (cors,) = upload_cors["CORSConfiguration"]["CORSRules"]
    assert cors["AllowedMethods"] == ["POST"]
    assert cors["AllowedOrigins"] == [site_url(synth, stage)]
    for policy in synth.resources(stage, "AWS::S3::BucketPolicy").values():
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements(policy)
        )


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_api_may_read_the_attachments_it_hands_out(synth: Synthesized, stage: str) -> None:
    """S3 checks a presigned URL against the role that signed it, when it is used: the API signs every download (a
    customer's or an agent's file) and every upload, so its role needs s3:GetObject as well as s3:PutObject there."""
    attachments_id = attachments_bucket(synth, stage)
    role_id = synth.functions(stage)["api"]["Properties"]["Role"]["Fn::GetAtt"][0]
    granted = {
        action
        for p in policies_of_role(synth, stage, role_id)
        for st in statements(p)
        if st["Effect"] == "Allow" and attachments_id in json.dumps(st["Resource"]) and "/tickets/*" in json.dumps(st)
        for action in as_list(st["Action"])
    }
    assert {"s3:GetObject", "s3:PutObject"} <= granted


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_who_may_touch_the_attachments_and_under_which_prefix(synth: Synthesized, stage: str) -> None:
    """The API signs uploads (uploads/) and downloads (both prefixes) and claims uploads (read, copy to tickets/);
    the route worker claims the office's uploads; the inbound function stores e-mailed files in tickets/."""
    bucket = attachments_bucket(synth, stage)
    granted: dict[str, set[tuple[str, str]]] = {}
    for name, function in synth.functions(stage).items():
        for policy in policies_of_role(synth, stage, function["Properties"]["Role"]["Fn::GetAtt"][0]):
            for statement in statements(policy):
                for resource in as_list(statement["Resource"]):
                    flat = nag.flatten_reference(resource)
                    if flat.startswith(f"<{bucket}.Arn>/"):
                        prefix = flat.removeprefix(f"<{bucket}.Arn>/")
                        granted.setdefault(name, set()).update((a, prefix) for a in as_list(statement["Action"]))
    pending, claimed = f"{attachment_files.PENDING_PREFIX}*", f"{attachment_files.CLAIMED_PREFIX}*"
    assert granted == {
        "api": {
            ("s3:PutObject", pending),
            ("s3:GetObject", pending),
            ("s3:PutObject", claimed),
            ("s3:GetObject", claimed),
        },
        "route-tasks": {("s3:GetObject", pending), ("s3:PutObject", claimed)},
        "inbound-email": {("s3:PutObject", claimed)},
    }


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_webhook_and_the_pre_token_trigger_reach_only_their_items(synth: Synthesized, stage: str) -> None:
    """Anyone can set these two off: their table rights name the partition keys they need (dynamodb:LeadingKeys;
    tests/cdk/test_leading_keys.py runs their handlers against those patterns), and no index."""
    for name, actions, keys in (
        ("telegram-webhook", TELEGRAM_WEBHOOK_ACTIONS, TELEGRAM_WEBHOOK_KEYS),
        ("pre-token", PRE_TOKEN_ACTIONS, PRE_TOKEN_KEYS),
    ):
        role = synth.functions(stage)[name]["Properties"]["Role"]["Fn::GetAtt"][0]
        table = [
            st
            for policy in policies_of_role(synth, stage, role)
            for st in statements(policy)
            if any(a.startswith("dynamodb:") for a in as_list(st["Action"]))
        ]
        assert [sorted(as_list(st["Action"])) for st in table] == [sorted(actions)], name
        assert table[0]["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(keys)}}, name
        assert "/index/" not in json.dumps(table[0]["Resource"]), name


# --- functions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_functions_run_arm64_latest_python_traced_with_json_logs(synth: Synthesized, stage: str) -> None:
    settings = STAGES[stage]
    functions = synth.functions(stage)
    assert set(functions) == {spec.short_name for spec in FUNCTIONS}
    handlers = {spec.short_name: spec.handler for spec in FUNCTIONS}
    assert handlers == {
        "api": "functions.api.app.handler",
        "route-tasks": "functions.route_tasks.handler",
        "housekeeping": "functions.housekeeping.handler",
        "setup": "functions.setup.handler",
        "pre-token": "functions.cognito_pre_token.handler",
        "counters": "functions.counters.handler",
        "inbound-email": "functions.inbound_email.handler",
        "telegram-webhook": "functions.telegram_webhook.handler",
        "telegram": "functions.telegram_bot.handler",
    }
    roles = set()
    log_groups = set()
    queue_ids = {k for k in synth.resources(stage, "AWS::SQS::Queue")}
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Handler"] == handlers[name]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == bundling.RUNTIME.name == f"python{bundling.PYTHON_VERSION}"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["LoggingConfig"]["ApplicationLogLevel"] == settings.log_level.replace("WARNING", "WARN")
        log_groups.add(props["LoggingConfig"]["LogGroup"]["Ref"])
        roles.add(props["Role"]["Fn::GetAtt"][0])
        variables = props["Environment"]["Variables"]
        wanted = {v for k, v in vars(config).items() if k.isupper() and isinstance(v, str) and v.startswith("CASEWAY_")}
        # Only the API is told the user pool (it invites people); the pool invokes the pre-token trigger, so
        # naming the pool there would be circular, and the workers never call it.
        assert (config.USER_POOL_ID in variables) == (name == "api"), name
        wanted.discard(config.USER_POOL_ID)
        # The reply-address key is never a plain variable in the cloud: its secret's ARN is (REPLY_SECRET_ARN).
        assert config.REPLY_SECRET not in variables, name
        wanted.discard(config.REPLY_SECRET)
        assert wanted <= variables.keys(), f"{name} misses {wanted - variables.keys()}"
        assert "AWS_REGION" not in variables  # reserved: Lambda sets it
        assert variables["POWERTOOLS_LOG_LEVEL"] == settings.log_level
        assert variables["POWERTOOLS_SERVICE_NAME"].startswith("caseway-")
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == f"Caseway/{stage}"
        # Asynchronous invocations (the schedules) that fail for good land in a dead-letter queue.
        assert props["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0] in queue_ids
    assert len(roles) == len(functions), "one role per function"
    assert len(log_groups) == len(functions), "one log group per function"


def test_route_arn_prefix_points_at_the_state_machines(synth: Synthesized) -> None:
    for stage in STAGE_NAMES:
        prefix = synth.functions(stage)["api"]["Properties"]["Environment"]["Variables"][config.ROUTE_ARN_PREFIX]
        flat = nag.flatten_reference(prefix)
        assert flat == f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:caseway-{stage}-"
        names = {
            m["Properties"]["StateMachineName"]
            for m in synth.resources(stage, "AWS::StepFunctions::StateMachine").values()
        }
        assert names == {f"caseway-{stage}-{route}" for route in routes.route_names()}


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_function_roles_name_their_actions_and_resources(synth: Synthesized, stage: str) -> None:
    """Least privilege in the policies' shape: no wildcard action, '*' as a resource only for X-Ray (it has no
    resource-level permissions), no managed policy. Whether each role allows what its function calls is the
    rehearsal's check (tests/rehearsal/test_iam.py): every recorded call evaluated against the role."""
    for name, function in synth.functions(stage).items():
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        role = synth.json[stage]["Resources"][role_id]
        assert "ManagedPolicyArns" not in role["Properties"]
        for policy in policies_of_role(synth, stage, role_id):
            for statement in statements(policy):
                actions = as_list(statement["Action"])
                assert not any("*" in a for a in actions), f"{name}: wildcard action {actions}"
                if "*" in as_list(statement["Resource"]):
                    assert {a.split(":")[0] for a in actions} == {"xray"}, f"{name}: '*' for {actions}"
    # The API invokes the route worker and the Telegram bot (by its name: it invokes itself), no other function.
    worker = next(k for k, f in synth.functions(stage).items() if k == "route-tasks")
    worker_id = next(
        logical
        for logical, r in synth.resources(stage, "AWS::Lambda::Function").items()
        if r["Properties"].get("FunctionName") == f"caseway-{stage}-{worker}"
    )
    for policy in policies_of_role(synth, stage, synth.functions(stage)["api"]["Properties"]["Role"]["Fn::GetAtt"][0]):
        for statement in statements(policy):
            if any(a.startswith("lambda:") for a in as_list(statement["Action"])):
                targets = {
                    r["Fn::GetAtt"][0]
                    if isinstance(r, dict) and "Fn::GetAtt" in r
                    else r["Fn::Join"][1][0]["Fn::GetAtt"][0]
                    if isinstance(r["Fn::Join"][1][0], dict)
                    else nag.flatten_reference(r)
                    for r in as_list(statement["Resource"])
                }
                bot = f"arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:caseway-{stage}-telegram"
                assert targets == {worker_id, bot}
    # The API may start and complete the routes, and nothing else in Step Functions.
    api_role = synth.functions(stage)["api"]["Properties"]["Role"]["Fn::GetAtt"][0]
    machines = set(synth.resources(stage, "AWS::StepFunctions::StateMachine"))
    for policy in policies_of_role(synth, stage, api_role):
        for statement in statements(policy):
            if any(a.startswith("states:") for a in as_list(statement["Action"])):
                assert {r["Ref"] for r in as_list(statement["Resource"])} == machines


# --- API --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_every_api_route_is_in_the_cloud_and_only_public_ones_skip_the_jwt(synth: Synthesized, stage: str) -> None:
    authorizer_id, authorizer = next(iter(synth.resources(stage, "AWS::ApiGatewayV2::Authorizer").items()))
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    issuer = nag.flatten_reference(authorizer["Properties"]["JwtConfiguration"]["Issuer"])
    assert issuer.startswith("https://cognito-idp.")
    routes_by_key = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in synth.resources(stage, "AWS::ApiGatewayV2::Route").values()
    }
    # Besides the API's routes, Telegram's webhook: its own function, no JWT (Telegram sends the secret token)
    webhook = routes_by_key.pop("POST /telegram/webhook")
    assert webhook["AuthorizationType"] == "NONE" and "AuthorizerId" not in webhook
    assert set(routes_by_key) == {f"{r.method} {r.path}" for r in ROUTES}
    assert not [key for key in routes_by_key if "/local/" in key or key.split(" ")[1].startswith("/local")]
    public = {f"{method} {path}" for method, path in PUBLIC_ROUTES}
    assert public == {f"{r.method} {r.path}" for r in ROUTES if r.public}
    for key, route in routes_by_key.items():
        if key in public:
            assert route["AuthorizationType"] == "NONE", key
            assert "AuthorizerId" not in route, key
        else:
            assert route["AuthorizationType"] == "JWT", key
            assert route["AuthorizerId"] == {"Ref": authorizer_id}, key


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_api_stage_throttles_logs_and_allows_the_portal(synth: Synthesized, stage: str) -> None:
    settings = STAGES[stage]
    props = synth.one(stage, "AWS::ApiGatewayV2::Stage")["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    log_format = json.loads(props["AccessLogSettings"]["Format"])
    assert {"requestId", "routeKey", "status", "ip"} <= log_format.keys()
    anonymous_writes = {f"{r.method} {r.path}" for r in ROUTES if r.public and r.method != "GET"}
    assert "POST /public/tickets" in anonymous_writes
    assert set(props["RouteSettings"]) == anonymous_writes
    for setting in props["RouteSettings"].values():
        assert setting["ThrottlingRateLimit"] == settings.webform_rate_limit < settings.api_rate_limit
        assert setting["ThrottlingBurstLimit"] == settings.webform_burst_limit < settings.api_burst_limit
    # CORS is set by an SDK call once the site exists (infra/cdk/cross_origin.py), not by a property of the API
    assert "CorsConfiguration" not in synth.one(stage, "AWS::ApiGatewayV2::Api")["Properties"]
    api_cors = sdk_call(synth, stage, "updateApi")
    assert api_cors["ApiId"] == f"<{next(iter(synth.resources(stage, 'AWS::ApiGatewayV2::Api')))}>"
    cors = api_cors["CorsConfiguration"]
    assert cors["AllowOrigins"] == [site_url(synth, stage)]
    assert "authorization" in cors["AllowHeaders"]
    # The settings the local gateway answers preflights by (tests/local/test_gateway.py)
    assert (cors["AllowMethods"], cors["AllowHeaders"], cors["ExposeHeaders"], cors["MaxAge"]) == (
        list(CORS_METHODS),
        list(CORS_HEADERS),
        list(CORS_EXPOSED_HEADERS),
        CORS_MAX_AGE_SECONDS,
    )


# --- identity ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_user_pool_groups_org_attribute_and_clients(synth: Synthesized, stage: str) -> None:
    settings = STAGES[stage]
    pool = synth.one(stage, "AWS::Cognito::UserPool")["Properties"]
    org = next(a for a in pool["Schema"] if a["Name"] == ORG_ATTRIBUTE)
    assert (org["AttributeDataType"], org["Mutable"]) == ("String", True)
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == settings.password_min_length
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    groups = {g["Properties"]["GroupName"] for g in synth.resources(stage, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(GROUPS) >= {"customer", "agent", "manager"}

    clients = {
        c["Properties"]["ClientName"]: c["Properties"]
        for c in synth.resources(stage, "AWS::Cognito::UserPoolClient").values()
    }
    portal = clients[f"caseway-{stage}-portal"]
    assert portal["AllowedOAuthFlows"] == ["code"]
    assert portal["GenerateSecret"] is False  # public client: PKCE
    site = site_url(synth, stage)
    assert [nag.flatten_reference(u) for u in portal["CallbackURLs"]] == [f"{site}/app/callback"]
    assert [nag.flatten_reference(u) for u in portal["LogoutURLs"]] == [f"{site}/"]
    assert f"custom:{ORG_ATTRIBUTE}" in portal["ReadAttributes"]
    assert not [a for a in portal["WriteAttributes"] if a.startswith("custom:")], "users must not set their org"
    machine = clients[f"caseway-{stage}-machine"]
    assert machine["AllowedOAuthFlows"] == ["client_credentials"]
    assert machine["GenerateSecret"] is True
    # Both clients' tokens pass the API's JWT authorizer.
    audience = synth.one(stage, "AWS::ApiGatewayV2::Authorizer")["Properties"]["JwtConfiguration"]["Audience"]
    assert len(audience) == 2


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_every_token_goes_through_the_pre_token_trigger_and_only_the_api_manages_the_pool(
    synth: Synthesized, stage: str
) -> None:
    pool_id, pool = next(iter(synth.resources(stage, "AWS::Cognito::UserPool").items()))
    trigger_id = next(
        logical
        for logical, r in synth.resources(stage, "AWS::Lambda::Function").items()
        if r["Properties"].get("FunctionName") == f"caseway-{stage}-pre-token"
    )
    config_ = pool["Properties"]["LambdaConfig"]["PreTokenGenerationConfig"]
    assert config_ == {"LambdaArn": {"Fn::GetAtt": [trigger_id, "Arn"]}, "LambdaVersion": "V2_0"}
    assert pool["Properties"]["UserPoolTier"] in ("ESSENTIALS", "PLUS")  # V2_0 needs one of them
    permissions = [
        p["Properties"]
        for p in synth.resources(stage, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [trigger_id, "Arn"]}
    ]
    assert [(p["Principal"], p["SourceArn"]) for p in permissions] == [
        ("cognito-idp.amazonaws.com", {"Fn::GetAtt": [pool_id, "Arn"]})
    ]
    api = synth.functions(stage)["api"]
    assert api["Properties"]["Environment"]["Variables"][config.USER_POOL_ID] == {"Ref": pool_id}
    for policy in policies_of_role(synth, stage, api["Properties"]["Role"]["Fn::GetAtt"][0]):
        for statement in statements(policy):
            if any(a.startswith("cognito-idp:") for a in as_list(statement["Action"])):
                assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [pool_id, "Arn"]}]
                assert "cognito-idp:AdminCreateUser" in statement["Action"]


# --- routes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_state_machines_are_the_asl_files_inline_with_every_placeholder_substituted(
    synth: Synthesized, stage: str
) -> None:
    machines = synth.resources(stage, "AWS::StepFunctions::StateMachine")
    by_name = {m["Properties"]["StateMachineName"].removeprefix(f"caseway-{stage}-"): m for m in machines.values()}
    assert set(by_name) == set(routes.route_names())
    functions = {
        logical: name
        for logical, name in (
            (k, v["Properties"].get("FunctionName")) for k, v in synth.resources(stage, "AWS::Lambda::Function").items()
        )
    }
    for route, machine in by_name.items():
        props = machine["Properties"]
        assert "DefinitionS3Location" not in props
        definition = props["DefinitionString"]
        assert isinstance(definition, str), "inline text, so cfn-lint checks it"
        assert json.loads(definition) == json.loads((routes.STATEMACHINES_DIR / f"{route}.asl.json").read_text())
        substitutions = props.get("DefinitionSubstitutions", {})
        assert set(substitutions) == routes.placeholders(route)
        for placeholder, value in substitutions.items():
            target = functions[value["Fn::GetAtt"][0]]
            assert target == f"caseway-{stage}-{routes.ROUTE_FUNCTIONS[placeholder]}"
        assert props["TracingConfiguration"] == {"Enabled": True}
        assert props["LoggingConfiguration"]["Level"] == "ALL"
        assert props["LoggingConfiguration"]["IncludeExecutionData"] is STAGES[stage].log_execution_data
        # The role may invoke exactly the functions its definition names.
        role_id = props["RoleArn"]["Fn::GetAtt"][0]
        invoked = [
            r["Fn::GetAtt"][0]
            for p in policies_of_role(synth, stage, role_id)
            for s in statements(p)
            if "lambda:InvokeFunction" in as_list(s["Action"])
            for r in as_list(s["Resource"])
        ]
        assert sorted(invoked) == sorted({v["Fn::GetAtt"][0] for v in substitutions.values()})


def test_every_asl_file_passes_the_asl_validator() -> None:
    if not ASL_VALIDATOR.exists():
        pytest.fail("node_modules/.bin/asl-validator is missing: run `make test` (it runs npm ci) or `npm ci`")
    names = routes.route_names()
    assert names, "no statemachines/*.asl.json"
    for name in names:
        dummy = {
            p: f"arn:aws:lambda:us-east-1:123456789012:function:caseway-test-{p}" for p in routes.placeholders(name)
        }
        text = routes.definition(name, dummy)
        assert not re.search(r"\$\{[A-Za-z0-9_]+\}", text)
        result = subprocess.run(
            [str(ASL_VALIDATOR), "--json-definition", text],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, f"{name}.asl.json: {result.stdout}{result.stderr}"


# --- schedules, events, monitoring, outputs ---------------------------------------------------------


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_every_schedule_definition_is_an_eventbridge_schedule_with_its_time_zone(
    synth: Synthesized, stage: str
) -> None:
    schedules = {
        s["Properties"]["Name"]: s["Properties"] for s in synth.resources(stage, "AWS::Scheduler::Schedule").values()
    }
    assert set(schedules) == {s.name for s in SCHEDULES}
    functions = {
        k: v["Properties"].get("FunctionName") for k, v in synth.resources(stage, "AWS::Lambda::Function").items()
    }
    group = synth.one(stage, "AWS::Scheduler::ScheduleGroup")["Properties"]["Name"]
    assert group == f"caseway-{stage}"
    for entry in SCHEDULES:
        props = schedules[entry.name]
        assert props["GroupName"] == group
        assert props["ScheduleExpression"] == entry.expression
        assert props["ScheduleExpressionTimezone"] == (STAGES[stage].schedule_timezone or entry.timezone)
        assert props["State"] == "ENABLED"
        target = props["Target"]
        assert functions[target["Arn"]["Fn::GetAtt"][0]] == f"caseway-{stage}-{entry.function}"
        assert json.loads(target["Input"]) == entry.payload
        assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] in synth.resources(stage, "AWS::SQS::Queue")
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        role_id = target["RoleArn"]["Fn::GetAtt"][0]
        invoke = [
            s
            for p in policies_of_role(synth, stage, role_id)
            for s in statements(p)
            if s["Action"] == "lambda:InvokeFunction"
        ]
        assert [s["Resource"] for s in invoke] == [target["Arn"]]


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_ticket_events_bus_has_an_archive(synth: Synthesized, stage: str) -> None:
    bus_id, bus = next(iter(synth.resources(stage, "AWS::Events::EventBus").items()))
    assert bus["Properties"]["Name"] == f"caseway-{stage}-ticket-events"
    archive = synth.one(stage, "AWS::Events::Archive")["Properties"]
    assert archive["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    assert archive["RetentionDays"] == STAGES[stage].event_archive_days


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_ticket_submitted_reaches_the_counters_consumer_with_retries_and_a_dead_letter_queue(
    synth: Synthesized, stage: str
) -> None:
    bus_id = next(iter(synth.resources(stage, "AWS::Events::EventBus")))
    counters_id = next(
        logical
        for logical, r in synth.resources(stage, "AWS::Lambda::Function").items()
        if r["Properties"].get("FunctionName") == f"caseway-{stage}-counters"
    )
    rules = [
        r["Properties"]
        for r in synth.resources(stage, "AWS::Events::Rule").values()
        if r["Properties"].get("EventBusName") == {"Ref": bus_id}
    ]
    (rule,) = [r for r in rules if any(t["Arn"] == {"Fn::GetAtt": [counters_id, "Arn"]} for t in r["Targets"])]
    assert rule["EventPattern"] == {"source": ["caseway.tickets"], "detail-type": ["TicketSubmitted"]}
    (target,) = rule["Targets"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert "Arn" in target["DeadLetterConfig"]
    # Only EventBridge, from this rule, may invoke it.
    permissions = [
        p["Properties"]
        for p in synth.resources(stage, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [counters_id, "Arn"]}
    ]
    assert permissions and all(p["Principal"] == "events.amazonaws.com" for p in permissions)
    # Least privilege on the table: read (the period's time entries by their keys: BatchGetItem), count, mark and save
    # incidents; nothing deletes (the rehearsal's IAM check, tests/rehearsal/test_iam.py, found the batch read).
    role_id = synth.functions(stage)["counters"]["Properties"]["Role"]["Fn::GetAtt"][0]
    table_actions = {
        action
        for policy in policies_of_role(synth, stage, role_id)
        for statement in statements(policy)
        for action in as_list(statement["Action"])
        if action.startswith("dynamodb:")
    }
    assert table_actions == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
    }


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_alarms_notify_the_ops_topic_and_the_dashboard_shows_the_desk(synth: Synthesized, stage: str) -> None:
    topic_id = next(iter(synth.resources(stage, "AWS::SNS::Topic")))
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"] for a in synth.resources(stage, "AWS::CloudWatch::Alarm").values()
    }
    prefix = f"caseway-{stage}-"
    expected = {"api-5xx-rate", "failed-invocations-depth"}
    expected |= {f"{spec.short_name}-errors" for spec in FUNCTIONS}
    expected |= {f"route-{route}-failed" for route in routes.route_names()}
    assert {name.removeprefix(prefix) for name in alarms} == expected
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    dashboard = synth.one(stage, "AWS::CloudWatch::Dashboard")["Properties"]["DashboardBody"]
    body = json.dumps(dashboard)
    for title in (
        "API requests",
        "API latency",
        "API 5xx",
        "Lambda errors",
        "Lambda throttles",
        "Lambda duration",
        "Route executions",
        "Tickets created",
        "SLA breaches",
    ):
        assert title in body, title
    subscriptions = [s["Properties"] for s in synth.resources(stage, "AWS::SNS::Subscription").values()]
    ops_subscriptions = [s for s in subscriptions if s["TopicArn"] == {"Ref": topic_id}]
    if stage in OVERRIDES:
        assert ops_subscriptions == [{"Protocol": "email", "TopicArn": {"Ref": topic_id}, "Endpoint": ALARM_EMAIL}]
        # the alarm address also gets the incidents when no incident_email is set (tests/cdk/test_setup_stack.py)
        assert [s["Endpoint"] for s in subscriptions if s not in ops_subscriptions] == [ALARM_EMAIL]
    else:
        assert subscriptions == []


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_outputs_tell_the_deployer_where_things_are(synth: Synthesized, stage: str) -> None:
    outputs = synth.json[stage]["Outputs"]
    assert {"ApiUrl", "WebFormUrl", "UserPoolId", "PortalClientId", "MachineClientId", "EventBusName"} <= outputs.keys()
    # the web form is the web app's page; the API's /form only redirects there
    assert nag.flatten_reference(outputs["WebFormUrl"]["Value"]) == site_url(synth, stage) + "/app/form"


# --- the web app's site ----------------------------------------------------------------------------


def _site_bucket(synth: Synthesized, stage: str) -> str:
    (bucket_id,) = [k for k in synth.resources(stage, "AWS::S3::Bucket") if k.startswith("SiteFiles")]
    return bucket_id


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_site_is_a_private_bucket_behind_cloudfront_with_origin_access_control(
    synth: Synthesized, stage: str
) -> None:
    bucket_id = _site_bucket(synth, stage)
    bucket = synth.json[stage]["Resources"][bucket_id]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert "WebsiteConfiguration" not in bucket  # no S3 website endpoint: CloudFront only
    distribution = synth.one(stage, "AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    (origin,) = distribution["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    control = synth.one(stage, "AWS::CloudFront::OriginAccessControl")["Properties"]["OriginAccessControlConfig"]
    assert (control["OriginAccessControlOriginType"], control["SigningBehavior"]) == ("s3", "always")
    (policy,) = [
        p
        for p in synth.resources(stage, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    allowed = [st for st in statements(policy) if st["Effect"] == "Allow"]
    reads = [st for st in allowed if "s3:GetObject" in as_list(st["Action"])]
    assert reads and all(st["Principal"] == {"Service": "cloudfront.amazonaws.com"} for st in reads)
    assert all("AWS:SourceArn" in st["Condition"]["StringEquals"] for st in reads)  # this distribution only
    assert all(st["Principal"] != "*" and st["Principal"] != {"AWS": "*"} for st in allowed)
    behaviour = distribution["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert distribution["DefaultRootObject"] == "index.html"
    assert distribution["Logging"]["Prefix"] == "cloudfront/"
    (association,) = behaviour["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    assert "SiteUrl" in synth.json[stage]["Outputs"]
    # The functions know the site, to link customers to its pages.
    api_environment = synth.functions(stage)["api"]["Properties"]["Environment"]["Variables"]
    assert nag.flatten_reference(api_environment[config.SITE_URL]) == site_url(synth, stage)


def test_the_app_paths_function_sends_every_app_address_to_index_html(tmp_path: Path) -> None:
    """The CloudFront Function's code, run by Node as CloudFront's JS runtime would call it."""
    from infra.cdk.site import APP_PATHS

    script = tmp_path / "paths.js"
    script.write_text(
        APP_PATHS
        + "\nconst uris = JSON.parse(process.argv[2]);"
        + "\nconsole.log(JSON.stringify(uris.map((u) => handler({request: {uri: u}}).uri)));\n"
    )
    asked = ["/", "/app", "/app/", "/app/tickets/CW-1002", "/static/index-abc.js", "/config.json", "/apple"]
    answer = subprocess.run(["node", str(script), json.dumps(asked)], capture_output=True, text=True, check=True)
    assert json.loads(answer.stdout) == [
        "/index.html",
        "/index.html",
        "/index.html",
        "/index.html",
        "/static/index-abc.js",
        "/config.json",
        "/apple",
    ]


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_site_sends_the_security_headers(synth: Synthesized, stage: str) -> None:
    config = synth.one(stage, "AWS::CloudFront::ResponseHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"]
    distribution = synth.one(stage, "AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    (policy_id,) = synth.resources(stage, "AWS::CloudFront::ResponseHeadersPolicy")
    assert distribution["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": policy_id}
    headers = config["SecurityHeadersConfig"]
    csp = nag.flatten_reference(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'none'"
    # connect-src names each host the app calls exactly: no wildcard (the API, Cognito, the attachments bucket)
    connect = directives["connect-src"].split()
    assert not any("*" in source for source in connect), connect
    api = next(iter(synth.resources(stage, "AWS::ApiGatewayV2::Api")))
    bucket = attachments_bucket(synth, stage)
    expected_api = (
        f"https://{STAGES[stage].custom_domain}"
        if STAGES[stage].custom_domain
        else f"<{api}.ApiEndpoint>"  # https://<api id>.execute-api.<region>.amazonaws.com
    )
    assert connect[:3] == ["'self'", expected_api, "https://cognito-idp.<AWS::Region>.amazonaws.com"]
    # browser uploads: the bucket's virtual-hosted addresses
    assert connect[-2:] == [f"https://<{bucket}>.s3.amazonaws.com", f"https://<{bucket}.RegionalDomainName>"]
    hsts = headers["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 365 * 24 * 3600
    assert hsts["IncludeSubdomains"] is True
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert all(h["Override"] for h in headers.values())


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_built_app_and_its_config_are_deployed_to_the_site(synth: Synthesized, stage: str) -> None:
    deployments = {
        k: v["Properties"]
        for k, v in synth.json[stage]["Resources"].items()
        if v["Type"] == "Custom::CDKBucketDeployment"
    }
    static = next(d for k, d in deployments.items() if k.startswith("SiteStaticFiles"))
    pages = next(d for k, d in deployments.items() if k.startswith("SitePages"))
    bucket = {"Ref": _site_bucket(synth, stage)}
    assert static["DestinationBucketName"] == pages["DestinationBucketName"] == bucket
    assert static["Include"] == ["static/*"]
    assert static["SystemMetadata"]["cache-control"] == "public, max-age=31536000, immutable"
    assert static["Prune"] is False  # pages loaded before a deploy keep finding their chunks
    assert pages["Exclude"] == ["static/*", ".vite/*"]
    assert pages["SystemMetadata"]["cache-control"] == "no-cache"
    assert sorted(pages["DistributionPaths"]) == ["/config.json", "/index.html"]
    # config.json is filled at deploy time with the API's URL, the user pool and the portal client.
    markers = json.dumps(pages["SourceMarkers"])
    assert "ApiEndpoint" in markers
    assert "IdentityUserPool" in markers
    assert "PortalClient" in markers


# --- inbound e-mail ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_ses_stores_each_received_mail_then_invokes_the_inbound_function(synth: Synthesized, stage: str) -> None:
    settings = STAGES[stage]
    rule_set = synth.one(stage, "AWS::SES::ReceiptRuleSet")
    assert rule_set["Properties"]["RuleSetName"] == f"caseway-{stage}-inbound"
    rule = synth.one(stage, "AWS::SES::ReceiptRule")["Properties"]["Rule"]
    assert rule["Recipients"] == [settings.mail_domain] and rule["Enabled"] is True and rule["ScanEnabled"] is True
    store, invoke = rule["Actions"]  # in this order: the function reads what the S3 action stored
    bucket_id = store["S3Action"]["BucketName"]["Ref"]
    assert store["S3Action"]["ObjectKeyPrefix"] == "inbound/"
    inbound = synth.functions(stage)["inbound-email"]
    function_id = next(k for k, v in synth.json[stage]["Resources"].items() if v is inbound)
    assert invoke["LambdaAction"]["FunctionArn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert invoke["LambdaAction"]["InvocationType"] == "Event"
    assert inbound["Properties"]["Environment"]["Variables"][config.INBOUND_BUCKET] == {"Ref": bucket_id}

    bucket = synth.json[stage]["Resources"][bucket_id]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [expire] = bucket["LifecycleConfiguration"]["Rules"]
    assert expire["ExpirationInDays"] == settings.inbound_mail_retention_days and expire["Status"] == "Enabled"
    policies = [
        p
        for p in synth.resources(stage, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    granted = [st for p in policies for st in statements(p)]
    assert any(st["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(st) for st in granted)
    assert any(
        st.get("Principal") == {"Service": "ses.amazonaws.com"} and st["Action"] == "s3:PutObject" for st in granted
    )
    outputs = synth.json[stage]["Outputs"]
    assert "inbound-smtp." in json.dumps(outputs["InboundMxRecord"]["Value"])
    assert outputs["InboundRuleSet"]["Value"] == {"Ref": next(iter(synth.resources(stage, "AWS::SES::ReceiptRuleSet")))}


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_reply_address_key_is_a_generated_secret_read_by_the_functions_that_sign(
    synth: Synthesized, stage: str
) -> None:
    [(secret_id, secret)] = [
        (k, v) for k, v in synth.resources(stage, "AWS::SecretsManager::Secret").items() if k.startswith("ReplySecret")
    ]
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] == 48
    for name, function in synth.functions(stage).items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables[config.REPLY_SECRET_ARN] == {"Ref": secret_id}, name
        assert variables[config.REPLY_DOMAIN] == STAGES[stage].mail_domain, name
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        reads = [
            st
            for p in policies_of_role(synth, stage, role_id)
            for st in statements(p)
            if "secretsmanager:GetSecretValue" in as_list(st["Action"])
            and {"Ref": secret_id} in as_list(st["Resource"])
        ]
        signs = name in (
            "api",
            "route-tasks",
            "housekeeping",
            "inbound-email",
            "telegram",
        )  # telegram: its "received" e-mail
        assert bool(reads) == signs, name


def test_a_stage_where_ses_receives_no_mail_fails_the_synth_with_a_clear_message() -> None:
    from infra.cdk.inbound import SES_RECEIVING_REGIONS, receiving_region_problem

    frankfurt = settings_for("dev", {"caseway:region": "eu-central-1"})
    problem = receiving_region_problem(frankfurt)
    assert problem is not None and "eu-central-1" in problem and "does not receive e-mail" in problem
    assert all(region in problem for region in SES_RECEIVING_REGIONS) and "caseway:inbound_mail=false" in problem
    assert receiving_region_problem(settings_for("dev", {"caseway:region": "eu-west-1"})) is None
    without = settings_for("dev", {"caseway:region": "eu-central-1", "caseway:inbound_mail": "false"})
    assert receiving_region_problem(without) is None

    context = json.loads((ROOT / "cdk.json").read_text())["context"] | {"aws:cdk:bundling-stacks": []}
    app = cdk.App(context=context)
    build_stack(app, frankfurt)
    with pytest.raises(RuntimeError, match="in eu-central-1, where Amazon SES does not receive e-mail"):
        app.synth()


# --- what a deploy would reject ----------------------------------------------------------------------


def test_cfn_lint_finds_no_errors(template_files: dict[str, Path]) -> None:
    from cfnlint.api import lint

    for stage, path in template_files.items():
        matches = lint(path.read_text(), regions=["us-east-1", "eu-west-1"])
        errors = [m for m in matches if str(m.rule.id).startswith("E")]
        assert not errors, f"{stage}: " + "\n".join(str(m) for m in errors)


def test_cdk_nag_has_no_unacknowledged_findings(synth: Synthesized) -> None:
    report = AwsSolutionsChecks().validate_scope(synth.app)
    findings = [
        f"{v.rule_name} ({v.severity}) at {r.construct_path}" for v in report.violations for r in v.violating_resources
    ]
    assert not findings, "\n".join(findings)


def test_every_acknowledgment_names_the_finding_and_a_specific_reason(synth: Synthesized) -> None:
    acknowledged = nag.acknowledgments(synth.app)
    assert acknowledged, "expected the documented acknowledgments (public routes, X-Ray '*', ...)"
    for item in acknowledged:
        assert re.fullmatch(r"(Annotation::)?AwsSolutions-[A-Z]+\d+(\[.+\])?", item.rule), item
        assert len(item.reason) >= 60, f"{item.rule} at {item.path}: reason too short: {item.reason!r}"
    # Prod keeps MFA and the Plus plan: nothing about Cognito acknowledged there.
    prod_rules = {a.rule for a in acknowledged if a.path.startswith("caseway-prod/")}
    assert not [r for r in prod_rules if "COG" in r]


# --- bundling (without pip) -------------------------------------------------------------------------


def test_bundle_leaves_out_what_the_lambda_runtime_provides(tmp_path: Path) -> None:
    dependencies = [bundling.requirement_name(r) for r in bundling.runtime_dependencies()]
    assert "boto3" not in dependencies
    assert "botocore" not in dependencies
    assert "pynamodb" in dependencies
    # A pip --target folder with botocore pulled in by pynamodb: botocore's files go, pynamodb's stay.
    for name, files in (
        ("botocore", ["botocore/__init__.py", "botocore/data/x.json"]),
        ("pynamodb", ["pynamodb/__init__.py"]),
    ):
        dist = tmp_path / f"{name}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        for file in files:
            (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / file).write_text("#")
        (dist / "RECORD").write_text("".join(f"{f},,\n" for f in [*files, f"{dist.name}/METADATA"]))
    bundling._remove_runtime_provided(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "pynamodb",
        "pynamodb-1.0.dist-info",
        "pynamodb-1.0.dist-info/METADATA",
        "pynamodb-1.0.dist-info/RECORD",
        "pynamodb/__init__.py",
    ]


def test_asset_holds_the_code_packages_and_targets_the_runtime() -> None:
    files = {p.relative_to(ROOT).parts[0] for p in bundling.source_files()}
    assert files == {"shared", "functions"}
    assert not [p for p in bundling.source_files() if "__pycache__" in p.parts]
    assert bundling.PLATFORM.endswith("aarch64")
    assert bundling.ARCHITECTURE.name == "arm64"
