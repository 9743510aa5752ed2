"""Presigned uploads and downloads of attachments (S3)."""

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


DOWNLOAD_EXPIRY_SECONDS = 300  # a download link works for five minutes: long enough to start, short to leak


def presigned_download(key: str, file_name: str, content_type: str) -> str:
    """A short-lived GET of one stored file, saved under its own name."""
    safe = file_name.replace('"', "").replace("\\", "")
    return aws.client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": config.get(config.ATTACHMENTS_BUCKET),
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{safe}"',
            "ResponseContentType": content_type,
        },
        ExpiresIn=DOWNLOAD_EXPIRY_SECONDS,
    )
