"""Where tickets live: the DynamoDB table exactly as shared/models.py declares it, and the attachments
bucket the API hands out presigned uploads for."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.cdk.functions import removal_policy
from infra.stages import StageSettings
from shared.platform import files, table

# A message's attachments live under tickets/<ticket id>/ (shared/tickets/conversation.py); a browser's upload waits
# under uploads/<ticket id>/ until a message claims it, and what nobody claims expires there.
ATTACHMENTS_PREFIX = files.CLAIMED_PREFIX
PENDING_PREFIX = files.PENDING_PREFIX

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(definition: dict[str, Any], types: dict[str, str]) -> dynamodb.Attribute:
    name = definition["AttributeName"]
    return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[types[name]])


def _key(schema: list[dict[str, Any]], key_type: str) -> dict[str, Any] | None:
    return next((k for k in schema if k["KeyType"] == key_type), None)


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        definition = table.table_definition()
        if definition["BillingMode"] != "PAY_PER_REQUEST":
            raise ValueError("the models declare provisioned capacity; the stack supports on-demand only")
        types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
        hash_key = _key(definition["KeySchema"], "HASH")
        range_key = _key(definition["KeySchema"], "RANGE")
        assert hash_key is not None
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=_attribute(hash_key, types),
            sort_key=_attribute(range_key, types) if range_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=settings.deletion_protection,
            removal_policy=removal_policy(settings),
            time_to_live_attribute=table.TTL_ATTRIBUTE,
        )
        self.index_names: list[str] = []
        for index in definition.get("GlobalSecondaryIndexes", []):
            projection = index["Projection"]
            index_range = _key(index["KeySchema"], "RANGE")
            self.table.add_global_secondary_index(
                index_name=index["IndexName"],
                partition_key=_attribute(_key(index["KeySchema"], "HASH") or {}, types),
                sort_key=_attribute(index_range, types) if index_range else None,
                projection_type=dynamodb.ProjectionType(projection["ProjectionType"]),
                non_key_attributes=projection.get("NonKeyAttributes"),
            )
            self.index_names.append(index["IndexName"])

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=cdk.Duration.days(90))],
            removal_policy=removal_policy(settings),
            auto_delete_objects=settings.empty_buckets_on_destroy and not settings.retain,
        )
        self.attachments = s3.Bucket(
            self,
            "Attachments",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="attachments/",
            lifecycle_rules=[
                # A browser that gives up half-way leaves parts that cost money and are never seen.
                s3.LifecycleRule(
                    id="abort-abandoned-uploads",
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                ),
                # An upload no message claimed (moved to tickets/) within its days is removed, every version of it.
                s3.LifecycleRule(
                    id="expire-unclaimed-uploads",
                    prefix=PENDING_PREFIX,
                    expiration=cdk.Duration.days(files.PENDING_DAYS),
                    noncurrent_version_expiration=cdk.Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="expire-replaced-versions",
                    noncurrent_version_expiration=cdk.Duration.days(30),
                    expired_object_delete_marker=True,
                ),
            ],
            removal_policy=removal_policy(settings),
            auto_delete_objects=settings.empty_buckets_on_destroy and not settings.retain,
        )
