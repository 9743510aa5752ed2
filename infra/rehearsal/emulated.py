"""The emulated resources of a template that the rehearsed functions touch, created in the emulated AWS by their
template names and properties, and the `Physical` that resolves the template against them.

Covered: the table (keys, indexes, TTL), the event bus, buckets, topics, queues, secrets, the state machines (their
definition with the substitutions resolved, so each Lambda task names the template's function), the user pool (as
the local stack makes it: groups, resource server, machine client), and the names of what is not emulated but
referenced in environments (functions, roles, log groups, the HTTP API's endpoint, the site's domain). Anything else
a template refers to stays unknown and `Physical.resolve` names it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from infra.rehearsal.intrinsics import Physical
from shared.platform import aws

TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode")


def _name(stack: str, logical_id: str, given: Any, *, lower: bool = False) -> str:
    name = given if isinstance(given, str) else f"{stack}-{logical_id}"
    return name.lower()[:63] if lower else name


def provision(
    template: dict[str, Any],
    *,
    api_url: str,
    site_domain: str,
    user_pool: Callable[[], str],
    secret_values: dict[str, str] | None = None,
    physical: Physical | None = None,
) -> Physical:
    """Create the template's resources; `user_pool()` creates the user pool and gives its id (the local stack's, with
    its groups and clients); `secret_values` gives a secret's value by its Name (else a random one)."""
    physical = physical or Physical()
    resources = template["Resources"]
    stack, region, account = physical.stack_name, physical.region, physical.account
    for logical_id, resource in resources.items():
        kind, properties = resource["Type"], resource.get("Properties") or {}
        arn_of = f"arn:aws:{{}}:{region}:{account}:{{}}"
        if kind == "AWS::DynamoDB::Table":
            name = _name(stack, logical_id, properties.get("TableName"))
            ddb = aws.client("dynamodb")
            ddb.create_table(TableName=name, **{k: properties[k] for k in TABLE_KEYS if k in properties})
            ttl = properties.get("TimeToLiveSpecification")
            if ttl:
                ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
            physical.add(logical_id, name, Arn=arn_of.format("dynamodb", f"table/{name}"))
        elif kind == "AWS::Events::EventBus":
            name = properties["Name"]
            arn = aws.client("events").create_event_bus(Name=name)["EventBusArn"]
            physical.add(logical_id, name, Arn=arn, Name=name)
        elif kind == "AWS::S3::Bucket":
            name = _name(stack, logical_id, properties.get("BucketName"), lower=True)
            aws.client("s3").create_bucket(Bucket=name)
            physical.add(
                logical_id,
                name,
                Arn=f"arn:aws:s3:::{name}",
                DomainName=f"{name}.s3.amazonaws.com",
                RegionalDomainName=f"{name}.s3.{region}.amazonaws.com",
            )
        elif kind == "AWS::SNS::Topic":
            name = _name(stack, logical_id, properties.get("TopicName"))
            arn = aws.client("sns").create_topic(Name=name)["TopicArn"]
            physical.add(logical_id, arn, TopicArn=arn, TopicName=name)
        elif kind == "AWS::SQS::Queue":
            name = _name(stack, logical_id, properties.get("QueueName"))
            url = aws.client("sqs").create_queue(QueueName=name)["QueueUrl"]
            physical.add(logical_id, url, Arn=arn_of.format("sqs", name), QueueName=name, QueueUrl=url)
        elif kind == "AWS::SecretsManager::Secret":
            name = _name(stack, logical_id, properties.get("Name"))
            value = properties.get("SecretString") or (secret_values or {}).get(name) or secrets.token_hex(24)
            arn = aws.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
            physical.add(logical_id, arn, Id=arn)
        elif kind == "AWS::Lambda::Function":
            name = _name(stack, logical_id, properties.get("FunctionName"))
            physical.add(logical_id, name, Arn=arn_of.format("lambda", f"function:{name}"))
        elif kind == "AWS::IAM::Role":
            name = _name(stack, logical_id, properties.get("RoleName"))
            physical.add(logical_id, name, Arn=f"arn:aws:iam::{account}:role/{name}", RoleId=name)
        elif kind == "AWS::Logs::LogGroup":
            name = _name(stack, logical_id, properties.get("LogGroupName"))
            physical.add(logical_id, name, Arn=arn_of.format("logs", f"log-group:{name}:*"))
        elif kind == "AWS::KMS::Key":  # named only: the emulated topics and queues encrypt nothing
            key_id = f"rehearsal-{logical_id.lower()}"
            physical.add(logical_id, key_id, Arn=arn_of.format("kms", f"key/{key_id}"), KeyId=key_id)
        elif kind == "AWS::ApiGatewayV2::Api":
            physical.add(logical_id, "rehearsal", ApiEndpoint=api_url, ApiId="rehearsal")
        elif kind == "AWS::CloudFront::Distribution":
            physical.add(logical_id, "rehearsal", DomainName=site_domain)
        elif kind == "AWS::Cognito::UserPool":
            pool = user_pool()
            physical.add(
                logical_id,
                pool,
                Arn=arn_of.format("cognito-idp", f"userpool/{pool}"),
                ProviderURL=f"cognito-idp.{region}.amazonaws.com/{pool}",
            )
    for logical_id, resource in resources.items():  # their definitions name the functions and roles added above
        if resource["Type"] == "AWS::StepFunctions::StateMachine":
            _state_machine(physical, logical_id, resource["Properties"])
    return physical


def _state_machine(physical: Physical, logical_id: str, properties: dict[str, Any]) -> None:
    definition = physical.resolve(properties["DefinitionString"])
    for placeholder, value in physical.resolve(properties.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + placeholder + "}", str(value))
    json.loads(definition)  # a substitution left half-done fails here, by name, not inside moto
    name = properties.get("StateMachineName") or f"{physical.stack_name}-{logical_id}"
    arn = aws.client("stepfunctions").create_state_machine(
        name=name, definition=definition, roleArn=physical.resolve(properties["RoleArn"]), type="STANDARD"
    )["stateMachineArn"]
    physical.add(logical_id, arn, Arn=arn, Name=name)
