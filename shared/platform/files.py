"""Presigned uploads and downloads of attachments (S3)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from shared.platform import aws, config, filetypes

# Where a browser's upload lands until a message claims it (shared/tickets/conversation.py `claim_upload`): the
# attachments bucket's lifecycle rule removes what is still there after PENDING_DAYS (infra/cdk/data.py), so an upload
# nobody referenced does not stay.
PENDING_PREFIX = "uploads/"
CLAIMED_PREFIX = "tickets/"
PENDING_DAYS = 2


def presigned_upload(key: str, content_type: str, size: int) -> dict[str, Any]:
    """A presigned POST of exactly one file: this key, this content type and exactly the declared size (S3 refuses
    any other length), for 15 minutes."""
    return aws.client("s3").generate_presigned_post(
        Bucket=config.get(config.ATTACHMENTS_BUCKET),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=900,
    )


@dataclass(frozen=True)
class Stored:
    """What an uploaded object is as S3 holds it: its size, the content type it was stored with, its first bytes."""

    size: int
    content_type: str
    head: bytes


def inspect(key: str, head_bytes: int) -> Stored | None:
    """The stored object's size, type and first `head_bytes` bytes; None when nothing was uploaded under `key`."""
    try:
        got = aws.client("s3").get_object(
            Bucket=config.get(config.ATTACHMENTS_BUCKET), Key=key, Range=f"bytes=0-{head_bytes - 1}"
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "InvalidRange"):
            return None
        raise
    total = got.get("ContentRange", "").rpartition("/")[2]
    body = got["Body"].read()
    size = int(total) if total.isdigit() else len(body)
    return Stored(size=size, content_type=got.get("ContentType", ""), head=body)


def copy(source: str, target: str) -> None:
    """A server-side copy within the attachments bucket (a claimed upload moves to its ticket's prefix); the
    presigned uploads' source copy is left to the lifecycle rule, so a download link issued for it still works."""
    bucket = config.get(config.ATTACHMENTS_BUCKET)
    aws.client("s3").copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": source})


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
    safe = filetypes.clean_name(file_name).replace('"', "") or "download"
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
