"""Items the desk writes for itself (its defaults), each carrying a mark: the fingerprint of what was written.

A default is written only where nobody else has written since: the write's condition is "no item there" for a new
one, and "the item still carries the mark of what was written last time" for a newer default. Managers edit items
through the logic layer, whose pynamodb `save()` replaces the whole item and so drops the mark: an edited item
fails the condition from then on and is left as the manager made it. An item changed in place (an UpdateItem that
kept the mark) is told apart by its content: its fingerprint no longer matches its mark.

Items are read and written here as DynamoDB attribute maps (`Model.serialize()`), the one place that sees the
mark, which no model declares.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.platform import aws
from shared.platform.table import Entity

MARK = "setup_mark"  # the attribute; no item model declares it, so a model's save() removes it


def fingerprint(item: dict[str, Any]) -> str:
    """Of an item's attributes as DynamoDB stores them (the mark itself left out), numbers in canonical form: the
    same for the map `Model.serialize()` builds and the one GetItem or Query reads back."""
    canonical = {name: _canonical(value) for name, value in item.items() if name != MARK}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:20]


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"N"}:
            return {"N": format(Decimal(value["N"]).normalize(), "f")}
        if set(value) == {"NS"}:
            return {"NS": sorted(format(Decimal(n).normalize(), "f") for n in value["NS"])}
        if set(value) in ({"SS"}, {"BS"}):
            return {k: sorted(v) for k, v in value.items()}
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def read_partition(pk: str) -> dict[str, dict[str, Any]]:
    """Every item of one partition as attribute maps, by sort key (a strongly consistent Query, all pages)."""
    client = aws.client("dynamodb")
    found: dict[str, dict[str, Any]] = {}
    request: dict[str, Any] = {
        "TableName": Entity.Meta.table_name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "ConsistentRead": True,
    }
    while True:
        page = client.query(**request)
        for item in page.get("Items", []):
            found[item["sk"]["S"]] = item
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def put_marked(item: dict[str, Any], *, replacing: str | None) -> bool:
    """Write `item` with its mark. `replacing`: None for a new item (written only if there is none), else the mark
    the stored item must still carry. False when the condition failed (someone wrote the item meanwhile)."""
    mark = fingerprint(item)
    request: dict[str, Any] = {"TableName": Entity.Meta.table_name, "Item": {**item, MARK: {"S": mark}}}
    if replacing is None:
        request["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        request["ConditionExpression"] = "#mark = :mark"
        request["ExpressionAttributeNames"] = {"#mark": MARK}
        request["ExpressionAttributeValues"] = {":mark": {"S": replacing}}
    try:
        aws.client("dynamodb").put_item(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def mark_of(item: dict[str, Any]) -> str | None:
    """The mark a stored item carries, or None (never written by the setup, or edited since)."""
    value = item.get(MARK)
    return value.get("S") if isinstance(value, dict) else None
