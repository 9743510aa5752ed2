"""Uploading a file as the web app does: the presigned POST the API handed out, with its fields and the file, straight
to the attachments bucket (moto in-process intercepts the request; the local stack's moto server receives it)."""

from __future__ import annotations

from typing import Any

import requests

# The first bytes of a real file of each type; `file_like` pads them to the size a test announces.
STARTS = {
    "application/pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "image/gif": b"GIF89a",
    "image/webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    "application/zip": b"PK\x03\x04",
    "text/plain": b"Hello, ",
    "text/csv": b"name,count\n",
    "application/json": b'{"a": ',
}


def file_like(content_type: str, size: int) -> bytes:
    """`size` bytes that are what `content_type` says (its signature, then filler of its kind)."""
    start = STARTS.get(content_type, b"PK\x03\x04")
    filler = b" " if content_type.startswith(("text/", "application/json")) else b"\x00"
    return (start + filler * size)[:size]


def post_upload(slot: dict[str, Any], data: bytes, file_name: str = "file") -> int:
    """POST `data` with the slot's presigned fields (the answer of POST .../attachments); S3's status."""
    upload = slot["upload"]
    reply = requests.post(upload["url"], data=upload["fields"], files={"file": (file_name, data)}, timeout=30)
    return reply.status_code


def upload(api: Any, path: str, body: dict[str, Any], *, user: str | None = None, data: bytes | None = None) -> str:
    """Announce a file (POST `path`, e.g. /tickets/{id}/attachments) and upload it; the attachment's id. Without
    `data`, a file of the announced type and size."""
    slot = api("POST", path, user=user, body=body)
    assert slot.status == 201, slot.text
    content = data if data is not None else file_like(body["content_type"], body["size"])
    assert post_upload(slot.json, content) in (200, 201, 204)
    return slot.json["id"]
