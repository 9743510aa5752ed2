"""Presigned uploads and downloads of attachments (S3)."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import quote

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
    return aws.client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": config.get(config.ATTACHMENTS_BUCKET),
            "Key": key,
            "ResponseContentDisposition": content_disposition(file_name),
            "ResponseContentType": content_type,
        },
        ExpiresIn=DOWNLOAD_EXPIRY_SECONDS,
    )


def content_disposition(file_name: str) -> str:
    """`attachment` under the file's own name. A name beyond ASCII (`export červen.csv`) goes as RFC 6266's
    `filename*=UTF-8''...` with an ASCII fallback: a raw one is no valid HTTP header value (the local S3 drops the
    connection on it)."""
    safe = file_name.replace('"', "").replace("\\", "")
    if safe.isascii():
        return f'attachment; filename="{safe}"'
    fallback = unicodedata.normalize("NFKD", safe).encode("ascii", "ignore").decode()
    if fallback.startswith(".") or not fallback:  # nothing of the name left in ASCII (Cyrillic): a generic one
        fallback = f"download{fallback}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(safe, safe='')}"


def put_object(key: str, data: bytes, content_type: str) -> None:
    """Store a file the desk received itself (an e-mail's attachment), encrypted at rest as every attachment."""
    aws.client("s3").put_object(
        Bucket=config.get(config.ATTACHMENTS_BUCKET), Key=key, Body=data, ContentType=content_type
    )


def read_object(bucket: str, key: str) -> bytes:
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def delete_object(bucket: str, key: str) -> None:
    aws.client("s3").delete_object(Bucket=bucket, Key=key)
