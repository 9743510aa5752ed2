"""The Lambda that sets the desk up (shared/setup): the default catalog, groups, calendars and plans, and the
mandatory knowledge-base articles, never over what managers have changed since.

Invoked two ways:
- by CloudFormation, as the stack's custom resource (infra/cdk/setup.py), on the first deploy and on every deploy
  that brings new defaults: the event has a RequestType and a ResponseURL, and the answer goes to that URL (the
  custom resource protocol); removing the resource (or the stack) leaves the desk's data alone;
- directly (`caseway setup --stage <stage>`): the answer is what the setup did.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from functions import entry
from shared.platform import logs
from shared.setup.step import run_setup

logger = entry.start("caseway-setup")

PHYSICAL_ID = "caseway-desk-setup"  # one per stack, never replaced: an update must not look like a delete


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "RequestType" in event and "ResponseURL" in event:
        return custom_resource(event, context)
    result = run_setup()
    logger.info("setup run", extra=logs.fields({"created": result["created"], "updated": result["updated"]}))
    return result


def custom_resource(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Create and Update run the setup; Delete does nothing (the data outlives the resource). Whatever happens is
    answered to CloudFormation, so a deploy never hangs on the resource: a failure fails the deploy with its
    reason."""
    status, reason, data = "SUCCESS", "", {}
    if event["RequestType"] in ("Create", "Update"):
        try:
            result = run_setup()
            data = {"Version": str(result["version"]), **{k: str(len(result[k])) for k in ("created", "updated")}}
            reason = f"Desk set up (version {result['version']}): " + ", ".join(
                f"{len(result[k])} {k}" for k in ("created", "updated", "unchanged", "kept", "removed")
            )
        except Exception as error:
            logger.exception("setup failed")
            status, reason = "FAILED", f"The desk setup failed: {type(error).__name__}: {error}"[:1000]
    answer = {
        "Status": status,
        "Reason": reason or "Nothing to do: the desk's data stays when the setup resource goes",
        "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data,
    }
    _respond(event["ResponseURL"], answer)
    return answer


def _respond(url: str, answer: dict[str, Any]) -> None:
    """PUT the answer to the pre-signed S3 URL CloudFormation gave (an empty content type, as the URL was signed)."""
    if urlsplit(url).scheme not in ("https", "http"):
        raise ValueError(f"ResponseURL {url!r} is not an http(s) URL")
    body = json.dumps(answer).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, method="PUT", headers={"content-type": "", "content-length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - as above
        response.read()
