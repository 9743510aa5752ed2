"""The template's resources created in emulated AWS: the one list of what the desk runs on.

`provision(template)` reads the synthesized template (infra/rehearsal/template.py) and creates, through boto3 against
whatever endpoint the process points at (moto in-process for the tests, the moto server for `make run`), every resource
the desk uses: the table with its indexes and TTL, the event bus and its rules (their patterns; the targets are kept
here, see `rules`), the schedule group and schedules (expression, time zone, target, payload), the queue, the topics,
the buckets (versioning, lifecycle rules, CORS, encryption: what moto keeps of them), the secrets (a value generated
as the template's GenerateSecretString asks), the user pool with its groups, resource server, app clients, domain
and the Cognito trigger, and the state machines with their DefinitionSubstitutions resolved. It returns the
`Physical` of every resource, so any reference in the template (an environment, a policy, a target) resolves to what
was created. Resources the desk never calls (API Gateway, CloudFront, alarms, log groups, roles and policies, Lambda
functions and permissions, custom resources) get the names and attributes CloudFormation would give them, without
being created: the local stack plays API Gateway and CloudFront itself, and runs the functions itself.

Why a loader and not moto's CloudFormation: moto 5.2.5's `CreateStack` fails on this template outright (an
AttributeError inside its parser), and its CloudFormation has no model for 27 of the template's resource types, among
them every one the desk depends on beyond the basics: AWS::Cognito::UserPool (and its groups, clients, resource server,
domain), AWS::Scheduler::Schedule and ScheduleGroup, AWS::SecretsManager::Secret, AWS::SES::ReceiptRule(Set) and the
API Gateway v2 resources (checked with `moto.cloudformation.parsing.get_model_map()`). Where it has a model, it creates
Lambda functions from their code (which the rehearsal runs itself) and rules whose Lambda targets moto cannot deliver
to. A loader of a page per resource type is smaller than working around that, and says exactly what it creates.

Physical names follow CloudFormation: a name the template gives is used as it is; otherwise `<stack>-<logical id>-
<suffix>` (lower case for buckets), with a suffix derived from the logical id, so a name is the same in every
emulation (the tests start a fresh one per test).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from infra.rehearsal.intrinsics import Physical
from shared.platform import aws

STACK_NAME = "caseway-dev"
ACCOUNT = "123456789012"
REGION = "us-east-1"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
# Created only on request: tests that invite nobody do without a user pool (CreateUserPool costs about 20 ms).
COGNITO_TYPES = (
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolResourceServer",
    "AWS::Cognito::UserPoolGroup",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
)


def physical_name(resource_type: str, logical_id: str, stack_name: str = STACK_NAME) -> str:
    """The name CloudFormation generates for a resource that names none (its suffix stable here, random there)."""
    suffix = hashlib.sha256(logical_id.encode()).hexdigest()[:12].upper()
    if resource_type == "AWS::S3::Bucket":
        return f"{stack_name}-{logical_id}-{suffix}".lower()[:63]
    return f"{stack_name}-{logical_id}-{suffix}"[:64]


# --- names and attributes, before anything is created ---------------------------------------------------------


def _name(props: dict[str, Any], key: str, resource_type: str, logical_id: str, physical: Physical) -> str:
    given = props.get(key)
    return physical.resolve(given) if given is not None else physical_name(resource_type, logical_id)


def _register(physical: Physical, logical_id: str, resource: dict[str, Any], public_url: str) -> None:
    """What Ref and Fn::GetAtt give for a resource, as far as it is known without creating it."""
    kind, props = resource["Type"], resource.get("Properties", {})
    region, account = physical.region, physical.account

    def name(key: str) -> str:
        return _name(props, key, kind, logical_id, physical)

    if kind == "AWS::DynamoDB::Table":
        table = name("TableName")
        physical.add(logical_id, table, Arn=f"arn:aws:dynamodb:{region}:{account}:table/{table}")
    elif kind == "AWS::Lambda::Function":
        function = name("FunctionName")
        physical.add(logical_id, function, Arn=f"arn:aws:lambda:{region}:{account}:function:{function}")
    elif kind == "AWS::IAM::Role":
        role = name("RoleName")
        physical.add(logical_id, role, Arn=f"arn:aws:iam::{account}:role/{role}", RoleId=f"AROA{logical_id[:16]}")
    elif kind == "AWS::Events::EventBus":
        bus = name("Name")
        physical.add(logical_id, bus, Arn=f"arn:aws:events:{region}:{account}:event-bus/{bus}", Name=bus)
    elif kind == "AWS::SQS::Queue":
        queue = name("QueueName")
        url = f"https://sqs.{region}.amazonaws.com/{account}/{queue}"
        physical.add(logical_id, url, Arn=f"arn:aws:sqs:{region}:{account}:{queue}", QueueName=queue, QueueUrl=url)
    elif kind == "AWS::SNS::Topic":
        topic = name("TopicName")
        topic_arn = f"arn:aws:sns:{region}:{account}:{topic}"
        physical.add(logical_id, topic_arn, TopicArn=topic_arn, TopicName=topic)
    elif kind == "AWS::S3::Bucket":
        bucket = name("BucketName")
        physical.add(
            logical_id,
            bucket,
            Arn=f"arn:aws:s3:::{bucket}",
            DomainName=f"{bucket}.s3.amazonaws.com",
            RegionalDomainName=f"{bucket}.s3.{region}.amazonaws.com",
        )
    elif kind == "AWS::StepFunctions::StateMachine":
        machine = name("StateMachineName")
        machine_arn = f"arn:aws:states:{region}:{account}:stateMachine:{machine}"
        physical.add(logical_id, machine_arn, Arn=machine_arn, Name=machine)
    elif kind == "AWS::Logs::LogGroup":
        group = name("LogGroupName")
        physical.add(logical_id, group, Arn=f"arn:aws:logs:{region}:{account}:log-group:{group}:*")
    elif kind == "AWS::Scheduler::ScheduleGroup":
        group = name("Name")
        physical.add(logical_id, group, Arn=f"arn:aws:scheduler:{region}:{account}:schedule-group/{group}")
    elif kind == "AWS::KMS::Key":
        key_id = str(_stable_uuid(logical_id))
        physical.add(logical_id, key_id, Arn=f"arn:aws:kms:{region}:{account}:key/{key_id}", KeyId=key_id)
    elif kind == "AWS::Cognito::UserPool":
        # Cognito chooses a pool's id when it is created (`_create_user_pool` replaces this one); until then the
        # pool's ARN in a policy is what this id gives.
        pool = f"{region}_{hashlib.sha256(logical_id.encode()).hexdigest()[:9]}"
        physical.add(logical_id, pool, Arn=f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool}", UserPoolId=pool)
    elif kind == "AWS::ApiGatewayV2::Api":
        # The local server plays API Gateway: its address is the API's endpoint.
        physical.add(logical_id, logical_id.lower()[:10], ApiEndpoint=public_url, ApiId=logical_id.lower()[:10])
    elif kind == "AWS::CloudFront::Distribution":
        # The local server serves the web app on the API's origin: the template writes https://<DomainName>.
        physical.add(logical_id, logical_id[:14].upper(), DomainName=urlsplit(public_url).netloc, Id=logical_id[:14])
    else:
        physical.add(logical_id, physical_name(kind, logical_id))


def _stable_uuid(logical_id: str) -> str:
    digest = hashlib.sha256(logical_id.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


# --- creating them ---------------------------------------------------------------------------------------------


def _create_table(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    definition: dict[str, Any] = {
        "TableName": physical.ref(logical_id),
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput", "StreamSpecification"):
        if key in props:
            definition[key] = props[key]
    ddb = aws.client("dynamodb")
    ddb.create_table(**definition)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        ddb.update_time_to_live(TableName=definition["TableName"], TimeToLiveSpecification=ttl)


def _create_bus(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    aws.client("events").create_event_bus(Name=physical.ref(logical_id))


def _create_rule(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    """The rule with its pattern; its targets stay with the rehearsal (`rules`), which delivers to them: moto's own
    delivery knows no Lambda target."""
    props = physical.resolve({k: v for k, v in props.items() if k != "Targets"})
    bus = props.get("EventBusName", "default")
    name = props.get("Name") or physical_name("AWS::Events::Rule", logical_id)
    aws.client("events").put_rule(
        Name=name,
        EventBusName=bus,
        EventPattern=json.dumps(props["EventPattern"]),
        State=props.get("State", "ENABLED"),
        Description=props.get("Description", ""),
    )
    rule_arn = f"arn:aws:events:{physical.region}:{physical.account}:rule/{bus}/{name}"
    physical.add(logical_id, f"{bus}|{name}", Arn=rule_arn)


def _create_schedule_group(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    aws.client("scheduler").create_schedule_group(Name=physical.ref(logical_id))


def _create_schedule(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    name = props.get("Name") or physical_name("AWS::Scheduler::Schedule", logical_id)
    target = {k: v for k, v in props["Target"].items() if k in {"Arn", "RoleArn", "Input", "RetryPolicy"}}
    if "DeadLetterConfig" in props["Target"]:
        target["DeadLetterConfig"] = props["Target"]["DeadLetterConfig"]
    created = aws.client("scheduler").create_schedule(
        Name=name,
        GroupName=props.get("GroupName", "default"),
        ScheduleExpression=props["ScheduleExpression"],
        ScheduleExpressionTimezone=props.get("ScheduleExpressionTimezone", "UTC"),
        FlexibleTimeWindow=props.get("FlexibleTimeWindow", {"Mode": "OFF"}),
        Target=target,
        State=props.get("State", "ENABLED"),
        Description=props.get("Description", ""),
    )
    physical.add(logical_id, name, Arn=created["ScheduleArn"])


def _create_queue(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    attributes = {
        k: str(props[k]).lower() if isinstance(props[k], bool) else str(props[k])
        for k in ("MessageRetentionPeriod", "VisibilityTimeout", "SqsManagedSseEnabled", "DelaySeconds")
        if k in props
    }
    url = aws.client("sqs").create_queue(QueueName=physical.get_att(logical_id, "QueueName"), Attributes=attributes)
    physical.add(logical_id, url["QueueUrl"], QueueUrl=url["QueueUrl"])


def _create_topic(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    attributes = {"DisplayName": props["DisplayName"]} if "DisplayName" in props else {}
    aws.client("sns").create_topic(Name=physical.get_att(logical_id, "TopicName"), Attributes=attributes)


def _create_bucket(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    bucket = physical.ref(logical_id)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    if props.get("VersioningConfiguration"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration=props["VersioningConfiguration"])
    rules = props.get("LifecycleConfiguration", {}).get("Rules")
    if rules:
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": [lifecycle_rule(rule) for rule in rules]}
        )
    cors = props.get("CorsConfiguration", {}).get("CorsRules")
    if cors:
        renamed = {"MaxAge": "MaxAgeSeconds", "Id": "ID", "ExposedHeaders": "ExposeHeaders"}
        api_rules = [{renamed.get(k, k): v for k, v in rule.items()} for rule in cors]
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": api_rules})
    encryption = props.get("BucketEncryption")
    if encryption:
        rules = [
            {
                "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                **({"BucketKeyEnabled": rule["BucketKeyEnabled"]} if "BucketKeyEnabled" in rule else {}),
            }
            for rule in encryption["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})


def lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A lifecycle rule as CloudFormation writes it, in the shape of S3's PutBucketLifecycleConfiguration."""
    api: dict[str, Any] = {
        "ID": rule.get("Id", ""),
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = rule["ExpirationInDays"]
    if rule.get("ExpiredObjectDeleteMarker"):
        expiration["ExpiredObjectDeleteMarker"] = True
    if expiration:
        api["Expiration"] = expiration
    if "NoncurrentVersionExpiration" in rule:
        api["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return api


def generated_secret(spec: dict[str, Any]) -> str:
    """A value as Secrets Manager's GetRandomPassword makes it for a GenerateSecretString (length 32 by default;
    ExcludePunctuation, ExcludeCharacters, ...), put into SecretStringTemplate under GenerateStringKey if it names
    one."""
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    if spec.get("IncludeSpace"):
        alphabet += " "
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "GenerateStringKey" in spec:
        return json.dumps({**json.loads(spec.get("SecretStringTemplate", "{}")), spec["GenerateStringKey"]: value})
    return value


def _create_secret(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    name = props.get("Name") or physical_name("AWS::SecretsManager::Secret", logical_id)
    value = props.get("SecretString")
    if value is None:
        value = generated_secret(props.get("GenerateSecretString", {}))
    created = aws.client("secretsmanager").create_secret(
        Name=name, SecretString=value, Description=props.get("Description", "")
    )
    physical.add(logical_id, created["ARN"], Id=created["ARN"])


def _create_user_pool(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    schema = [
        {**attribute, "AttributeDataType": attribute.get("AttributeDataType", "String")}
        for attribute in props.get("Schema", [])
    ]
    request: dict[str, Any] = {
        "PoolName": props.get("UserPoolName") or physical_name("AWS::Cognito::UserPool", logical_id),
        "Schema": schema,
    }
    for key in (
        "UsernameAttributes",
        "AutoVerifiedAttributes",
        "AdminCreateUserConfig",
        "LambdaConfig",
        "MfaConfiguration",
        "Policies",
        "AccountRecoverySetting",
        "UserPoolTags",
    ):
        if key in props:
            request[key] = props[key]
    pool = aws.client("cognito-idp").create_user_pool(**request)["UserPool"]
    physical.add(
        logical_id,
        pool["Id"],
        Arn=pool["Arn"],
        ProviderName=f"cognito-idp.{physical.region}.amazonaws.com/{pool['Id']}",
        ProviderURL=f"https://cognito-idp.{physical.region}.amazonaws.com/{pool['Id']}",
        UserPoolId=pool["Id"],
    )


def _create_group(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    aws.client("cognito-idp").create_group(
        UserPoolId=props["UserPoolId"], GroupName=props["GroupName"], Description=props.get("Description", "")
    )
    physical.add(logical_id, props["GroupName"])


def _create_resource_server(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    aws.client("cognito-idp").create_resource_server(
        UserPoolId=props["UserPoolId"], Identifier=props["Identifier"], Name=props["Name"], Scopes=props["Scopes"]
    )
    physical.add(logical_id, props["Identifier"])


def _create_client(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    request = {k: v for k, v in props.items() if k not in {"UserPoolId"}}
    created = aws.client("cognito-idp").create_user_pool_client(UserPoolId=props["UserPoolId"], **request)
    client = created["UserPoolClient"]
    physical.add(logical_id, client["ClientId"], ClientId=client["ClientId"], ClientSecret=client.get("ClientSecret"))


def _create_domain(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    props = physical.resolve(props)
    aws.client("cognito-idp").create_user_pool_domain(Domain=props["Domain"], UserPoolId=props["UserPoolId"])
    physical.add(logical_id, props["Domain"], CloudFrontDistribution=f"{props['Domain']}.cloudfront.net")


def _create_state_machine(physical: Physical, logical_id: str, props: dict[str, Any]) -> None:
    aws.client("stepfunctions").create_state_machine(
        name=physical.get_att(logical_id, "Name"),
        definition=state_machine_definition(physical, props),
        roleArn=physical.resolve(props["RoleArn"]),
        type=props.get("StateMachineType", "STANDARD"),
    )


def state_machine_definition(physical: Physical, props: dict[str, Any]) -> str:
    """The ASL as Step Functions receives it: DefinitionString (or Definition) resolved, then each ${name} of
    DefinitionSubstitutions replaced by its resolved value."""
    if "DefinitionString" in props:
        definition = str(physical.resolve(props["DefinitionString"]))
    else:
        definition = json.dumps(physical.resolve(props["Definition"]))
    for placeholder, value in physical.resolve(props.get("DefinitionSubstitutions", {})).items():
        definition = definition.replace("${" + placeholder + "}", str(value))
    return definition


Creator = Callable[[Physical, str, dict[str, Any]], None]
# In the order they are created (what a resource's properties refer to comes first).
CREATORS: dict[str, Creator] = {
    "AWS::DynamoDB::Table": _create_table,
    "AWS::S3::Bucket": _create_bucket,
    "AWS::SQS::Queue": _create_queue,
    "AWS::SNS::Topic": _create_topic,
    "AWS::SecretsManager::Secret": _create_secret,
    "AWS::Events::EventBus": _create_bus,
    "AWS::Events::Rule": _create_rule,
    "AWS::Scheduler::ScheduleGroup": _create_schedule_group,
    "AWS::Scheduler::Schedule": _create_schedule,
    "AWS::Cognito::UserPool": _create_user_pool,
    "AWS::Cognito::UserPoolResourceServer": _create_resource_server,
    "AWS::Cognito::UserPoolGroup": _create_group,
    "AWS::Cognito::UserPoolClient": _create_client,
    "AWS::Cognito::UserPoolDomain": _create_domain,
    "AWS::StepFunctions::StateMachine": _create_state_machine,
}


def provision(
    template: dict[str, Any],
    *,
    user_pool: bool = True,
    public_url: str = DEFAULT_PUBLIC_URL,
    physical: Physical | None = None,
) -> Physical:
    """Create the template's resources in the emulated AWS the process points at; their `Physical`.
    `user_pool=False`: all but the Cognito resources (`provision_types(..., COGNITO_TYPES)` adds them later)."""
    physical = physical or Physical(account=ACCOUNT, region=REGION, stack_name=STACK_NAME)
    for logical_id, resource in template["Resources"].items():
        _register(physical, logical_id, resource, public_url)
    skipped = () if user_pool else COGNITO_TYPES
    provision_types(template, physical, [t for t in CREATORS if t not in skipped])
    return physical


def provision_types(template: dict[str, Any], physical: Physical, types: Iterable[str]) -> Physical:
    """Create the template's resources of these types, in CREATORS' order."""
    wanted = set(types)
    for resource_type, create in CREATORS.items():
        if resource_type not in wanted:
            continue
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == resource_type:
                create(physical, logical_id, resource.get("Properties", {}))
    return physical


# --- what the rehearsal delivers itself ------------------------------------------------------------------------


@dataclass(frozen=True)
class BusRule:
    """An EventBridge rule of the template: its pattern and the ARNs of its targets (resolved)."""

    logical_id: str
    name: str
    bus: str
    pattern: dict[str, Any]
    targets: tuple[str, ...]
    enabled: bool = True


@dataclass(frozen=True)
class TemplateSchedule:
    """An EventBridge Scheduler schedule of the template, as it fires: expression, time zone, target, payload."""

    logical_id: str
    name: str
    expression: str
    timezone: str
    target: str  # the target's ARN (a Lambda function)
    payload: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    description: str = ""

    @property
    def function(self) -> str:
        """The target function's name."""
        return self.target.split(":function:")[-1].split(":")[0]


def rules(template: dict[str, Any], physical: Physical) -> list[BusRule]:
    found = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Events::Rule":
            continue
        props = physical.resolve(resource["Properties"])
        found.append(
            BusRule(
                logical_id=logical_id,
                name=str(physical.ref(logical_id)).split("|")[-1],
                bus=props.get("EventBusName", "default"),
                pattern=props["EventPattern"],
                targets=tuple(target["Arn"] for target in props.get("Targets", [])),
                enabled=props.get("State", "ENABLED") == "ENABLED",
            )
        )
    return found


def schedules(template: dict[str, Any], physical: Physical) -> list[TemplateSchedule]:
    found = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Scheduler::Schedule":
            continue
        props = physical.resolve(resource["Properties"])
        found.append(
            TemplateSchedule(
                logical_id=logical_id,
                name=props.get("Name") or physical_name("AWS::Scheduler::Schedule", logical_id),
                expression=props["ScheduleExpression"],
                timezone=props.get("ScheduleExpressionTimezone", "UTC"),
                target=props["Target"]["Arn"],
                payload=json.loads(props["Target"].get("Input") or "{}"),
                enabled=props.get("State", "ENABLED") == "ENABLED",
                description=props.get("Description", ""),
            )
        )
    return found
