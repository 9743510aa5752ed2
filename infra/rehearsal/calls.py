"""The record of one AWS call a rehearsed function made, as botocore got it.

Presigned URLs are signed, not called: they are recorded as the operation the URL's holder will perform under the
signing function's role ("GetObject" for a presigned download, "PutObject" for a presigned POST upload).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    function: str  # the template's logical id of the function that made it
    service: str  # botocore service name, e.g. "dynamodb", "s3", "stepfunctions", "sesv2"
    operation: str  # botocore operation name, e.g. "TransactWriteItems", "GeneratePresignedUrl"
    params: dict[str, Any]  # the call's parameters as botocore got them (JSON-able; bytes dropped)
    region: str
