"""Presigned uploads of attachments (S3)."""

from __future__ import annotations

from typing import Any

from shared.platform import aws, config


def presigned_upload(key: str, content_type: str, max_size: int) -> dict[str, Any]:
    return aws.client("s3").generate_presigned_post(
        Bucket=config.get(config.ATTACHMENTS_BUCKET),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]],
        ExpiresIn=900,
    )
