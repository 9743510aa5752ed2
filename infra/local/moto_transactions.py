"""moto's TransactWriteItems made affordable: it backs a transaction up by deep-copying the whole table once per item
of the transaction, to restore it if the transaction fails, a cost that grows with the table (most of the CPU of a
local stack with the demo desk, and of a test that closes many tickets). A transaction writes only the items it
names, and the emulation applies one request at a time (emulation.make_dynamodb_requests_atomic), so keeping a copy
of just those items and putting them back when the transaction fails leaves the table exactly as moto's own
rollback does. Internal API of moto 5.2.5 (pinned), like the patches of infra/local/emulation.py."""

from __future__ import annotations

import copy
import threading
from typing import Any

_TRANSACTION = threading.local()


def back_up_only_what_a_transaction_writes() -> None:
    """From now on a TransactWriteItems backs up only the items it names (see the module's doc). Idempotent."""
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "caseway_item_backup", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        named = _named_items(self, transact_items)
        if named is None:
            return original(self, transact_items)
        before = [(t, h, r, copy.deepcopy(t.get_item(h, r))) for t, h, r in named]
        _TRANSACTION.active = True
        try:
            return original(self, transact_items)
        except Exception:
            for target, hash_key, range_key, item in reversed(before):
                _put_back(target, hash_key, range_key, item)
            raise
        finally:
            _TRANSACTION.active = False

    transact_write_items.caseway_item_backup = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items
    models.copy = _TablesByReference()  # type: ignore[assignment]


class _TablesByReference:
    """The `copy` module as moto's DynamoDB backend sees it: inside a transaction a table is not copied."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if isinstance(value, Table) and getattr(_TRANSACTION, "active", False):
            return value
        return copy.deepcopy(value, memo)


def _named_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]] | None:
    """(table, hash key, range key) of every item a transaction names; None where moto should decide."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    named = []
    for entry in transact_items:
        if len(entry) != 1:
            return None
        op_type, op = next(iter(entry.items()))
        target = backend.tables.get(op.get("TableName"))
        key = op.get("Item") if op_type == "Put" else op.get("Key")
        if target is None or not isinstance(key, dict) or target.hash_key_attr not in key:
            return None
        if target.range_key_attr is not None and target.range_key_attr not in key:
            return None
        range_key = DynamoType(key[target.range_key_attr]) if target.range_key_attr else None
        named.append((target, DynamoType(key[target.hash_key_attr]), range_key))
    return named


def _put_back(target: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    """Put an item back as it was before a transaction (None: it did not exist)."""
    if range_key is None:
        if item is None:
            target.items.pop(hash_key, None)
        else:
            target.items[hash_key] = item
    elif item is None:
        target.items[hash_key].pop(range_key, None)
    else:
        target.items[hash_key][range_key] = item
