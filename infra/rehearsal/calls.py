"""The record of one AWS call a rehearsed function made, as botocore got it (infra/rehearsal/bootstrap.py writes them,
one JSON object a line, into the function's record file; `read` gives them back).

Presigned URLs are signed, not called: they are recorded as the operation the URL's holder will perform under the
signing function's role ("GetObject" for a presigned download, "PutObject" for a presigned POST upload).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Call:
    function: str  # the template's logical id of the function that made it
    service: str  # botocore service name, e.g. "dynamodb", "s3", "stepfunctions", "sesv2"
    operation: str  # botocore operation name, e.g. "TransactWriteItems", "GeneratePresignedUrl"
    params: dict[str, Any]  # the call's parameters as botocore got them (JSON-able; bytes dropped)
    region: str


def read(path: Path) -> list[Call]:
    """The calls recorded in one record file, oldest first (other records in it, the settings read, are skipped)."""
    if not path.is_file():
        return []
    calls = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("kind") == "call":
            calls.append(
                Call(record["function"], record["service"], record["operation"], record["params"], record["region"])
            )
    return calls
