"""Every AWS call a rehearsed function made, checked against that function's role in the template.

Each `Call` becomes the IAM requests AWS would authorize for it (`requests`): the action, the resource ARN derived
from the call's parameters, and the condition keys the parameters tell (`dynamodb:LeadingKeys` from the keys,
`ses:FromAddress` from the sender, ...). A call can need several: a TransactWriteItems is one request per item, a
Publish to an encrypted topic also needs the topic's KMS key. A call no rule here knows fails the check by name
(`Unmapped`): a new kind of call must be mapped before it can pass.

Each request is evaluated against the identity policies of the calling function's role, read from the template
(the role's inline and managed policies, and every AWS::IAM::Policy / AWS::IAM::ManagedPolicy attached to it) and
resolved through `Physical`, with a real IAM policy evaluator: the npm package `@cloud-copilot/iam-simulate`, run
once per check for every request (`iam_simulate.mjs`). Why it and not moto's IAM enforcement: it implements AWS's
evaluation of identity policies whole (every condition operator, set operators over multi-valued keys such as
LeadingKeys, NotAction/NotResource, explicit denies), validates each action and resource ARN against AWS's service
reference (a mapping here that names a wrong action or ARN shape fails instead of passing), and explains which
statement matched or missed, which the denial's message uses. moto's enforcement (INITIAL_NO_AUTH_ACTION_COUNT)
is, in its own documentation's words, very basic: it checks access keys' policies per action with little resource
and condition matching, and only for calls that reach moto (a presigned URL never does).

One deliberate departure from that reference: Step Functions' task-token calls (SendTaskSuccess, SendTaskFailure,
SendTaskHeartbeat) are listed there without a resource type, but AWS authorizes a callback through a Lambda task
against the state machine the token belongs to (its AccessDenied names that ARN, and a role granted them on the
state machine may send them). They are evaluated against that state machine (`task_tokens`: token -> state machine
ARN, when the caller knows it; otherwise against every state machine of the template, since the token might be
any route's).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from infra.rehearsal.calls import Call
from infra.rehearsal.intrinsics import Physical

SIMULATOR = Path(__file__).with_name("iam_simulate.mjs")
ROOT = Path(__file__).resolve().parents[2]

Context = dict[str, str | list[str]]
# What every request of a function's SDK carries (botocore calls AWS over TLS; a presigned URL is https too).
SDK_CONTEXT: Context = {"aws:SecureTransport": "true"}


class Unmapped(LookupError):
    """A call no rule here turns into IAM requests (its service and operation are in the message)."""


class NotAllowed(AssertionError):
    """At least one call is not allowed by its function's role; the message has one line per denial."""

    def __init__(self, denials: list[Denial]) -> None:
        self.denials = denials
        super().__init__("\n".join(d.message for d in denials))


@dataclass(frozen=True)
class Request:
    """One authorization AWS makes for a call."""

    call: Call
    action: str
    resource: str
    context: Context = field(default_factory=dict)
    resource_level: bool = False  # authorized against `resource` although AWS's reference lists no resource type

    def key(self) -> str:
        return json.dumps([self.call.function, self.action, self.resource, self.context], sort_keys=True)


@dataclass(frozen=True)
class Denial:
    request: Request
    role: str
    result: str
    reason: str

    @property
    def message(self) -> str:
        r = self.request
        return (
            f"function {r.call.function}: {r.action} on {r.resource} is not allowed by role {self.role}: {self.reason}"
            f" (the call: {r.call.service}.{r.call.operation})"
        )


# --- what the template says about the resources the calls name ---------------------------------------------------


@dataclass
class Stack:
    """The template's resources as the rehearsal created them: what a call's parameters need to become ARNs, and the
    identity policies of each function's role."""

    template: dict[str, Any]
    physical: Physical
    task_tokens: Mapping[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}

    @property
    def account(self) -> str:
        return self.physical.account

    def arn(self, service: str, region: str, rest: str) -> str:
        return f"arn:aws:{service}:{region}:{self.account}:{rest}"

    # DynamoDB: each table's partition key, and each index's
    def partition_keys(self, table_name: str) -> dict[str | None, str]:
        """{None: the table's partition key attribute, index name: the index's}; empty for a table the template does
        not define."""
        for logical_id, table in self.of_type("AWS::DynamoDB::Table").items():
            if self.physical.refs.get(logical_id) != table_name:
                continue
            props = table["Properties"]
            keys: dict[str | None, str] = {None: _hash_key(props["KeySchema"])}
            for index in props.get("GlobalSecondaryIndexes", []) + props.get("LocalSecondaryIndexes", []):
                keys[index["IndexName"]] = _hash_key(index["KeySchema"])
            return keys
        return {}

    def secret_arn(self, secret_id: str, region: str) -> str:
        """A secret's ARN from what a call names it by: its ARN, or its name (the ARN then ends in a random suffix)."""
        arns = [self.physical.refs[k] for k in self.of_type("AWS::SecretsManager::Secret") if k in self.physical.refs]
        for arn in arns:
            if secret_id == arn or (not secret_id.startswith("arn:") and _secret_name(arn) == secret_id):
                return arn
        return secret_id if secret_id.startswith("arn:") else self.arn("secretsmanager", region, f"secret:{secret_id}")

    def state_machines(self) -> list[str]:
        return [self.physical.refs[k] for k in self.of_type("AWS::StepFunctions::StateMachine")]

    def topic_key(self, topic_arn: str) -> str | None:
        """The KMS key ARN an SNS topic is encrypted with, if the template encrypts it."""
        for logical_id, topic in self.of_type("AWS::SNS::Topic").items():
            if self.physical.refs.get(logical_id) == topic_arn and "KmsMasterKeyId" in topic.get("Properties", {}):
                key = str(self.physical.resolve(topic["Properties"]["KmsMasterKeyId"]))
                return key if key.startswith("arn:") else self.arn("kms", topic_arn.split(":")[3], f"key/{key}")
        return None

    def resource_policy(self, resource: str) -> dict[str, Any] | None:
        """The template's policy on the resource a request names, resolved: a KMS key's key policy (without one
        that lets the account's IAM policies in, KMS refuses whatever the role says), a bucket's, a topic's or a
        queue's policy (their explicit denies apply to the role too, e.g. requests without TLS)."""
        for logical_id, resource_def in self.resources.items():
            props = resource_def.get("Properties", {})
            kind = resource_def.get("Type")
            if kind == "AWS::KMS::Key" and self.physical.attributes.get(logical_id, {}).get("Arn") == resource:
                return dict(self.physical.resolve(props["KeyPolicy"]))
            if kind == "AWS::S3::BucketPolicy":
                bucket = self.physical.resolve(props["Bucket"])
                if resource == f"arn:aws:s3:::{bucket}" or resource.startswith(f"arn:aws:s3:::{bucket}/"):
                    return dict(self.physical.resolve(props["PolicyDocument"]))
            if kind == "AWS::SNS::TopicPolicy" and resource in self.physical.resolve(props["Topics"]):
                return dict(self.physical.resolve(props["PolicyDocument"]))
            if kind == "AWS::SQS::QueuePolicy" and resource in self._queue_arns(props["Queues"]):
                return dict(self.physical.resolve(props["PolicyDocument"]))
        return None

    def _queue_arns(self, queues: list[Any]) -> list[str]:
        urls = self.physical.resolve(queues)
        return [self.arn("sqs", u.split(".")[1], "{}:{}".format(*urlparse(u).path.strip("/").split("/"))) for u in urls]

    # IAM: the role of a function and its identity policies
    def role_of(self, function: str) -> str:
        try:
            role = self.resources[function]["Properties"]["Role"]
        except KeyError:
            raise LookupError(f"{function}: the template has no such function, or it names no role") from None
        if not (isinstance(role, dict) and "Fn::GetAtt" in role and role["Fn::GetAtt"][0] in self.resources):
            raise LookupError(f"{function}: its role {role} is not a role of this template")
        return str(role["Fn::GetAtt"][0])

    def role_policies(self, role_id: str) -> list[dict[str, Any]]:
        """Every identity policy of the role, resolved: [{"name", "policy"}]."""
        role = self.resources[role_id]["Properties"]
        found = [{"name": p["PolicyName"], "policy": p["PolicyDocument"]} for p in role.get("Policies", [])]
        managed = {k: v for k, v in self.resources.items() if v.get("Type") == "AWS::IAM::ManagedPolicy"}
        for arn in role.get("ManagedPolicyArns", []):
            if isinstance(arn, dict) and arn.get("Ref") in managed:
                found.append({"name": arn["Ref"], "policy": managed[arn["Ref"]]["Properties"]["PolicyDocument"]})
            else:
                raise LookupError(f"role {role_id} carries a managed policy the template does not hold: {arn}")
        for logical_id, policy in self.resources.items():
            attached = {"Ref": role_id} in policy.get("Properties", {}).get("Roles", [])
            if attached and policy.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                found.append({"name": logical_id, "policy": policy["Properties"]["PolicyDocument"]})
        return [{"name": p["name"], "policy": self.physical.resolve(p["policy"])} for p in found]

    def principal(self, function: str, role_id: str) -> str:
        name = self.resources[function]["Properties"].get("FunctionName", function)
        return f"arn:aws:sts::{self.account}:assumed-role/{role_id}/{self.physical.resolve(name)}"


def _hash_key(key_schema: list[dict[str, str]]) -> str:
    return next(k["AttributeName"] for k in key_schema if k["KeyType"] == "HASH")


def _secret_name(arn: str) -> str:
    name = arn.split(":secret:", 1)[-1]
    return re.sub(r"-[A-Za-z0-9]{6}$", "", name)


# --- calls -> IAM requests -------------------------------------------------------------------------------------

Rule = Callable[[Call, Stack], list[Request]]


def _leading_keys(stack: Stack, table: str, index: str | None, items: Iterable[Mapping[str, Any]]) -> Context:
    """dynamodb:LeadingKeys: the partition key values the call touches (typed values, as DynamoDB compares them)."""
    attribute = stack.partition_keys(table).get(index)
    if attribute is None:
        return {}
    values = sorted({next(iter(item[attribute].values())) for item in items if attribute in item})
    return {"dynamodb:LeadingKeys": [str(v) for v in values]} if values else {}


def _table_arn(stack: Stack, call: Call, table: str, index: str | None = None) -> str:
    if table.startswith("arn:"):
        return table + (f"/index/{index}" if index else "")
    return stack.arn("dynamodb", call.region, f"table/{table}" + (f"/index/{index}" if index else ""))


_KEY_EQUALS = re.compile(r"(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)")


def _query_partition(call: Call, stack: Stack) -> list[Mapping[str, Any]]:
    """The partition key value of a Query (`<key> = :value` in KeyConditionExpression, or KeyConditions)."""
    p = call.params
    attribute = stack.partition_keys(p["TableName"]).get(p.get("IndexName"))
    if attribute is None:
        return []
    if "KeyConditions" in p:
        condition = p["KeyConditions"].get(attribute, {})
        return [{attribute: v} for v in condition.get("AttributeValueList", [])[:1]]
    names = p.get("ExpressionAttributeNames", {})
    values = p.get("ExpressionAttributeValues", {})
    for name, value in _KEY_EQUALS.findall(p.get("KeyConditionExpression", "")):
        if names.get(name, name) == attribute and value in values:
            return [{attribute: values[value]}]
    return []


def _dynamodb_item(action: str) -> Rule:
    def rule(call: Call, stack: Stack) -> list[Request]:
        p = call.params
        keys = [p.get("Key") or p.get("Item") or {}]
        context = _leading_keys(stack, p["TableName"], None, keys)
        return [Request(call, action, _table_arn(stack, call, p["TableName"]), context)]

    return rule


def _dynamodb_read(action: str) -> Rule:
    """Query and Scan: on the table, or on the index they name."""

    def rule(call: Call, stack: Stack) -> list[Request]:
        p = call.params
        index = p.get("IndexName")
        context: Context = {}
        if action == "dynamodb:Query":
            context = _leading_keys(stack, p["TableName"], index, _query_partition(call, stack))
        if "Select" in p:
            context["dynamodb:Select"] = p["Select"]
        return [Request(call, action, _table_arn(stack, call, p["TableName"], index), context)]

    return rule


def _dynamodb_batch_get(call: Call, stack: Stack) -> list[Request]:
    return [
        Request(call, "dynamodb:BatchGetItem", _table_arn(stack, call, t), _leading_keys(stack, t, None, r["Keys"]))
        for t, r in call.params["RequestItems"].items()
    ]


def _dynamodb_batch_write(call: Call, stack: Stack) -> list[Request]:
    requests = []
    for table, writes in call.params["RequestItems"].items():
        keys = [w.get("PutRequest", {}).get("Item") or w.get("DeleteRequest", {}).get("Key") or {} for w in writes]
        context = _leading_keys(stack, table, None, keys)
        requests.append(Request(call, "dynamodb:BatchWriteItem", _table_arn(stack, call, table), context))
    return requests


# A transaction is authorized item by item, with the action of each item's own operation.
_TRANSACTION_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def _dynamodb_transaction(call: Call, stack: Stack) -> list[Request]:
    requests = []
    for entry in call.params["TransactItems"]:
        ((kind, item),) = entry.items()
        keys = [item.get("Key") or item.get("Item") or {}]
        context = _leading_keys(stack, item["TableName"], None, keys)
        arn = _table_arn(stack, call, item["TableName"])
        requests.append(Request(call, _TRANSACTION_ACTIONS[kind], arn, context))
    return requests


def _s3_object(action: str) -> Rule:
    def rule(call: Call, stack: Stack) -> list[Request]:
        return [Request(call, action, f"arn:aws:s3:::{call.params['Bucket']}/{call.params['Key']}")]

    return rule


def _s3_copy(call: Call, stack: Stack) -> list[Request]:
    """CopyObject reads its source (s3:GetObject) and writes its target (s3:PutObject)."""
    source = call.params["CopySource"]
    bucket, key = (source["Bucket"], source["Key"]) if isinstance(source, dict) else source.lstrip("/").split("/", 1)
    return [
        Request(call, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"),
        Request(call, "s3:PutObject", f"arn:aws:s3:::{call.params['Bucket']}/{call.params['Key']}"),
    ]


def _s3_bucket(action: str) -> Rule:
    def rule(call: Call, stack: Stack) -> list[Request]:
        context: Context = {"s3:prefix": call.params["Prefix"]} if "Prefix" in call.params else {}
        return [Request(call, action, f"arn:aws:s3:::{call.params['Bucket']}", context)]

    return rule


def _states_start(call: Call, stack: Stack) -> list[Request]:
    return [Request(call, "states:StartExecution", call.params["stateMachineArn"])]


def _states_execution(action: str) -> Rule:
    def rule(call: Call, stack: Stack) -> list[Request]:
        return [Request(call, action, call.params["executionArn"])]

    return rule


def _states_token(action: str) -> Rule:
    """A task token's answer, against the state machine whose token it is (see the module doc)."""

    def rule(call: Call, stack: Stack) -> list[Request]:
        known = stack.task_tokens.get(call.params["taskToken"])
        machines = [known] if known else stack.state_machines()
        return [Request(call, action, arn, resource_level=True) for arn in machines]

    return rule


def _lambda_invoke(call: Call, stack: Stack) -> list[Request]:
    name = call.params["FunctionName"]
    arn = name if name.startswith("arn:") else stack.arn("lambda", call.region, f"function:{name}")
    if call.params.get("Qualifier"):
        arn += f":{call.params['Qualifier']}"
    return [Request(call, "lambda:InvokeFunction", arn)]


def _events_put(call: Call, stack: Stack) -> list[Request]:
    by_bus: dict[str, list[Mapping[str, Any]]] = {}
    for entry in call.params["Entries"]:
        by_bus.setdefault(entry.get("EventBusName") or "default", []).append(entry)
    requests = []
    for bus, entries in by_bus.items():
        arn = bus if bus.startswith("arn:") else stack.arn("events", call.region, f"event-bus/{bus}")
        context: Context = {
            "events:source": sorted({e["Source"] for e in entries if "Source" in e}),
            "events:detail-type": sorted({e["DetailType"] for e in entries if "DetailType" in e}),
        }
        requests.append(Request(call, "events:PutEvents", arn, context))
    return requests


def _ses_identity(stack: Stack, call: Call, sender: str) -> str:
    """The sending identity: the sender's domain (the stack sends from addresses of a verified domain)."""
    return stack.arn("ses", call.region, f"identity/{sender.rsplit('@', 1)[-1]}")


def _mail_context(sender: str, recipients: list[str]) -> Context:
    name, address = parseaddr(sender)
    context: Context = {"ses:FromAddress": address}
    if name:
        context["ses:FromDisplayName"] = name
    if recipients:
        context["ses:Recipients"] = sorted({a for _, a in getaddresses(recipients)})
    return context


def _ses_v1(action: str) -> Rule:
    def rule(call: Call, stack: Stack) -> list[Request]:
        p = call.params
        destination = p.get("Destination", {})
        recipients = p.get("Destinations") or [
            *destination.get("ToAddresses", []),
            *destination.get("CcAddresses", []),
            *destination.get("BccAddresses", []),
        ]
        sender = p["Source"]
        address = parseaddr(sender)[1]
        return [Request(call, action, _ses_identity(stack, call, address), _mail_context(sender, recipients))]

    return rule


def _sesv2_send(call: Call, stack: Stack) -> list[Request]:
    p = call.params
    destination = p.get("Destination", {})
    recipients = [*destination.get("ToAddresses", []), *destination.get("CcAddresses", [])]
    recipients += destination.get("BccAddresses", [])
    sender = p["FromEmailAddress"]
    address = parseaddr(sender)[1]
    context = {**_mail_context(sender, recipients), "ses:ApiVersion": "2"}
    return [Request(call, "ses:SendEmail", _ses_identity(stack, call, address), context)]


def _sns_publish(call: Call, stack: Stack) -> list[Request]:
    topic = call.params.get("TopicArn") or call.params["TargetArn"]
    requests = [Request(call, "sns:Publish", topic)]
    key = stack.topic_key(topic)
    if key:  # SNS encrypts the message with the topic's key under the publisher's permissions
        requests += [Request(call, "kms:GenerateDataKey", key), Request(call, "kms:Decrypt", key)]
    return requests


def _sqs_queue(action: str) -> Rule:
    def rule(call: Call, stack: Stack) -> list[Request]:
        path = urlparse(call.params["QueueUrl"]).path.strip("/").split("/")
        return [Request(call, action, stack.arn("sqs", call.region, f"{path[-2]}:{path[-1]}"))]

    return rule


def _secret(action: str) -> Rule:
    def rule(call: Call, stack: Stack) -> list[Request]:
        return [Request(call, action, stack.secret_arn(call.params["SecretId"], call.region))]

    return rule


def _user_pool(action: str) -> Rule:
    def rule(call: Call, stack: Stack) -> list[Request]:
        return [Request(call, action, stack.arn("cognito-idp", call.region, f"userpool/{call.params['UserPoolId']}"))]

    return rule


def _schedule(action: str) -> Rule:
    def rule(call: Call, stack: Stack) -> list[Request]:
        p = call.params
        arn = stack.arn("scheduler", call.region, f"schedule/{p.get('GroupName') or 'default'}/{p['Name']}")
        requests = [Request(call, action, arn)]
        role = p.get("Target", {}).get("RoleArn")
        if role:  # the schedule's target role is passed to EventBridge Scheduler
            requests.append(Request(call, "iam:PassRole", role, {"iam:PassedToService": "scheduler.amazonaws.com"}))
        return requests

    return rule


def _metric_data(call: Call, stack: Stack) -> list[Request]:
    return [Request(call, "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": call.params["Namespace"]})]


# (botocore service, operation) -> the IAM requests of that call.
RULES: dict[tuple[str, str], Rule] = {
    ("dynamodb", "GetItem"): _dynamodb_item("dynamodb:GetItem"),
    ("dynamodb", "PutItem"): _dynamodb_item("dynamodb:PutItem"),
    ("dynamodb", "UpdateItem"): _dynamodb_item("dynamodb:UpdateItem"),
    ("dynamodb", "DeleteItem"): _dynamodb_item("dynamodb:DeleteItem"),
    ("dynamodb", "DescribeTable"): _dynamodb_item("dynamodb:DescribeTable"),
    ("dynamodb", "Query"): _dynamodb_read("dynamodb:Query"),
    ("dynamodb", "Scan"): _dynamodb_read("dynamodb:Scan"),
    ("dynamodb", "BatchGetItem"): _dynamodb_batch_get,
    ("dynamodb", "BatchWriteItem"): _dynamodb_batch_write,
    ("dynamodb", "TransactWriteItems"): _dynamodb_transaction,
    ("dynamodb", "TransactGetItems"): _dynamodb_transaction,
    ("s3", "GetObject"): _s3_object("s3:GetObject"),
    ("s3", "HeadObject"): _s3_object("s3:GetObject"),
    ("s3", "PutObject"): _s3_object("s3:PutObject"),
    ("s3", "CopyObject"): _s3_copy,
    ("s3", "DeleteObject"): _s3_object("s3:DeleteObject"),
    ("s3", "ListObjectsV2"): _s3_bucket("s3:ListBucket"),
    ("stepfunctions", "StartExecution"): _states_start,
    ("stepfunctions", "DescribeExecution"): _states_execution("states:DescribeExecution"),
    ("stepfunctions", "StopExecution"): _states_execution("states:StopExecution"),
    ("stepfunctions", "SendTaskSuccess"): _states_token("states:SendTaskSuccess"),
    ("stepfunctions", "SendTaskFailure"): _states_token("states:SendTaskFailure"),
    ("stepfunctions", "SendTaskHeartbeat"): _states_token("states:SendTaskHeartbeat"),
    ("lambda", "Invoke"): _lambda_invoke,
    ("events", "PutEvents"): _events_put,
    ("ses", "SendEmail"): _ses_v1("ses:SendEmail"),
    ("ses", "SendRawEmail"): _ses_v1("ses:SendRawEmail"),
    ("sesv2", "SendEmail"): _sesv2_send,
    ("sns", "Publish"): _sns_publish,
    ("sqs", "SendMessage"): _sqs_queue("sqs:SendMessage"),
    ("sqs", "ReceiveMessage"): _sqs_queue("sqs:ReceiveMessage"),
    ("sqs", "DeleteMessage"): _sqs_queue("sqs:DeleteMessage"),
    ("secretsmanager", "GetSecretValue"): _secret("secretsmanager:GetSecretValue"),
    ("secretsmanager", "DescribeSecret"): _secret("secretsmanager:DescribeSecret"),
    ("scheduler", "CreateSchedule"): _schedule("scheduler:CreateSchedule"),
    ("scheduler", "UpdateSchedule"): _schedule("scheduler:UpdateSchedule"),
    ("scheduler", "DeleteSchedule"): _schedule("scheduler:DeleteSchedule"),
    ("scheduler", "GetSchedule"): _schedule("scheduler:GetSchedule"),
    ("cloudwatch", "PutMetricData"): _metric_data,
}
for _operation in (
    "AdminCreateUser",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminGetUser",
    "AdminListGroupsForUser",
    "AdminUpdateUserAttributes",
    "AdminUserGlobalSignOut",
    "AdminDeleteUser",
    "DescribeUserPoolClient",
    "ListUsers",
):
    RULES[("cognito-idp", _operation)] = _user_pool(f"cognito-idp:{_operation}")

# Calls that need no permission of the caller's role.
UNAUTHORIZED = {("sts", "GetCallerIdentity")}


def requests(call: Call, stack: Stack) -> list[Request]:
    """The IAM requests AWS authorizes for one call."""
    if (call.service, call.operation) in UNAUTHORIZED:
        return []
    rule = RULES.get((call.service, call.operation))
    if rule is None:
        raise Unmapped(
            f"function {call.function}: {call.service}.{call.operation} has no IAM mapping in infra/rehearsal/iam.py"
        )
    return rule(call, stack)


# --- evaluation -------------------------------------------------------------------------------------------------


def check(calls: Iterable[Call], stack: Stack) -> list[Denial]:
    """Every call's requests evaluated against its function's role: the denials (empty when all are allowed).
    Raises `Unmapped` for a call no rule knows."""
    unique: dict[str, Request] = {}
    for call in calls:
        for request in requests(call, stack):
            unique.setdefault(request.key(), request)
    if not unique:
        return []
    roles = {r.call.function: stack.role_of(r.call.function) for r in unique.values()}
    policies = {role: stack.role_policies(role) for role in set(roles.values())}
    resource_policies = {arn: stack.resource_policy(arn) for arn in {r.resource for r in unique.values()}}
    batch = [
        {
            "action": r.action,
            "resource": r.resource,
            "account": stack.account,
            "principal": stack.principal(r.call.function, roles[r.call.function]),
            "context": {**SDK_CONTEXT, **r.context},
            "policies": policies[roles[r.call.function]],
            "resourcePolicy": resource_policies[r.resource],
            "resourceLevel": r.resource_level,
        }
        for r in unique.values()
    ]
    answers = _simulate(batch)
    denials = []
    for request, answer in zip(unique.values(), answers, strict=True):
        if answer["result"] != "Allowed":
            role = roles[request.call.function]
            denials.append(Denial(request, role, answer["result"], _reason(request, answer)))
    return denials


def assert_allowed(calls: Iterable[Call], stack: Stack) -> None:
    """Raise `NotAllowed` naming every call the roles do not allow."""
    denials = check(calls, stack)
    if denials:
        raise NotAllowed(denials)


def _simulate(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    done = subprocess.run(  # noqa: S603 - a fixed command: node and the script beside this module
        ["node", str(SIMULATOR)],  # noqa: S607 - node from PATH, as make test and the CDK CLI use it
        input=json.dumps({"requests": batch}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the IAM evaluator failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return list(json.loads(done.stdout)["answers"])


def _reason(request: Request, answer: Mapping[str, Any]) -> str:
    """What was missing, from the statements that name the action."""
    if answer.get("error"):
        return f"the evaluator refused the request: {answer['error']}"
    statements = answer.get("statements", [])
    denying = [s for s in statements if s["effect"] == "Deny" and s["resourceMatch"] and s["conditionMatch"]]
    if denying:
        return "; ".join(f"statement {s['sid']} of {s['policy']} denies it" for s in denying)
    if answer.get("identityResult") == "Allowed":
        return f"the role allows it, but the resource's own policy does not ({answer.get('resourceResult')})"
    on_resource = [s for s in statements if s["effect"] == "Allow" and s["resourceMatch"]]
    if on_resource:
        return "; ".join(
            f"statement {s['sid']} of {s['policy']} allows it only where "
            + ", ".join(f"{c['operator']} {c['key']} {c['values']}" for c in s["condition"])
            + f" (the call gives {_context_text(request.context)})"
            for s in on_resource
        )
    elsewhere = sorted({r for s in statements if s["effect"] == "Allow" for r in s["resource"]})
    if elsewhere:
        return f"no statement allows {request.action} on that resource (it is allowed on {', '.join(elsewhere)})"
    return f"no statement allows {request.action}"


def _context_text(context: Context) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(context.items())) or "no condition keys"
