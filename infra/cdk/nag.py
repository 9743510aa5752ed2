"""cdk-nag (AwsSolutions) findings the stack keeps on purpose.

Everything cdk-nag can ask for that fits the design is fixed in the constructs (access logs, SSL-only
buckets, queues and topics, encryption, PITR, X-Ray, DLQs, the latest runtime). What remains is
acknowledged where it arises, naming the exact finding (for wildcard resources: the resource) and why.
`make synth` fails on any finding that is not acknowledged; tests/cdk/test_cdk.py checks the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from constructs import IConstruct

PACK = "AwsSolutions"


@dataclass(frozen=True)
class Acknowledged:
    path: str
    rule: str
    reason: str


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=f"{PACK}-{rule}", reason=reason))


def acknowledge_wildcard(construct: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge IAM5 for one wildcard resource of the policies under `construct` (cdk-nag names
    each such finding by the resource as its flattened CloudFormation reference)."""
    flat = flatten_reference(cdk.Stack.of(construct).resolve(resource))
    acknowledge(construct, f"IAM5[Resource::{flat}]", reason)


def flatten_reference(node: Any) -> str:
    """cdk-nag's flattenCfnReference: {"Fn::GetAtt": [X, "Arn"]} -> <X.Arn>, {"Ref": R} -> <R>."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return delimiter.join(flatten_reference(item) for item in items)
        if "Fn::Sub" in node:
            return flatten_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_reference(node['Ref'])}>"
    return json.dumps(node)


def acknowledgments(scope: IConstruct) -> list[Acknowledged]:
    """Every acknowledgment in the tree, for the tests and the report."""
    found: list[Acknowledged] = []
    for construct in scope.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY and entry.data:
                for rule, reason in dict(entry.data).items():
                    found.append(Acknowledged(construct.node.path, str(rule), str(reason)))
    return found
