"""The one DynamoDB table (single-table design) through pynamodb.

Every item type is a subclass of `Entity`, told apart by the `kind` discriminator, so one Query on a
ticket's partition returns the ticket, its messages, events, tasks and attachments already typed.

Access patterns (each served by GetItem or Query; no Scan anywhere):

| pattern                                         | how                                                   |
|-------------------------------------------------|-------------------------------------------------------|
| ticket with its whole history                   | Query pk=TICKET#<id> (ticket, messages, events, tasks)|
| ticket with its text and resolution             | Query pk=TICKET#<id>, begins_with(sk, TICKET)         |
| ticket by reference (CW-1042)                   | GetItem pk=REF#CW-1042 -> ticket id                   |
| task by id (the id embeds its ticket id)        | GetItem pk=TICKET#<id>, sk=TASK#<task id>             |
| a customer's tickets, newest first              | Query requester_index gsi1pk=USER#<sub>, descending   |
| an organisation's tickets, newest first         | Query organisation_index gsi2pk=ORG#<org>, descending |
| open tasks of a group by priority, then due     | Query queue_index queue_pk=QUEUE#<group> (sparse)     |
| open tickets by status and due date             | Query open_index open_pk=STATUS#<status> (sparse)     |
| an owner's open tickets (R14)                   | Query owner_index owner_pk=OWNER#<sub> (sparse)       |
| service catalog                                 | Query pk=CATALOG                                      |
| organisation, user, user by email               | GetItem ORG#<id> / USER#<sub> / EMAIL#<address>       |
| idempotency record                              | GetItem IDEMP#<caller>#<key>                          |
| next ticket reference                           | UpdateItem ADD on COUNTER#ticket                      |

Every index stores only the keys, `kind` and (queue_index) a task's status: an update that changes no index key
writes no index, and a Query on an index returns the whole items by BatchGetItem (`ItemsIndex`).

The sparse indexes hold only what is open: a task leaves queue_index when done, a ticket leaves
open_index when closed, so queues and reviews cost what is open, not everything ever stored.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, ClassVar

from pynamodb.attributes import DiscriminatorAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from shared.platform import config


class ItemsIndex(GlobalSecondaryIndex["Entity"]):
    """An index that stores only the keys, `kind` (pynamodb filters every Query on it) and what a filter needs: a
    write that changes none of them costs the index nothing. Its Query still returns whole items, typed: the keys
    it finds, then the items by BatchGetItem (100 a request), in the index's order; an item deleted meanwhile is
    left out."""

    def query(self, *args: Any, **kwargs: Any) -> FullItems:
        return FullItems(super().query(*args, **kwargs))


class FullItems:
    """The items of an index Query (ItemsIndex), read page by page; `last_evaluated_key` as the Query's."""

    PAGE = 100  # BatchGetItem's limit

    def __init__(self, keys: Any) -> None:
        self._keys = keys

    def __iter__(self) -> Iterator[Entity]:
        page: list[tuple[str, str]] = []
        for found in self._keys:
            page.append((found.pk, found.sk))
            if len(page) == self.PAGE:
                yield from self._fetch(page)
                page = []
        if page:
            yield from self._fetch(page)

    @staticmethod
    def _fetch(keys: list[tuple[str, str]]) -> list[Entity]:
        items = {(i.pk, i.sk): i for i in Entity.batch_get(keys)}
        return [items[k] for k in keys if k in items]

    @property
    def last_evaluated_key(self) -> dict[str, Any] | None:
        return self._keys.last_evaluated_key


class RequesterIndex(ItemsIndex):
    class Meta:
        index_name = "requester_index"
        projection = IncludeProjection(["kind"])

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class OrganisationIndex(ItemsIndex):
    class Meta:
        index_name = "organisation_index"
        projection = IncludeProjection(["kind"])

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class QueueIndex(ItemsIndex):
    class Meta:
        index_name = "queue_index"
        # the next-task pick filters the queue on a task's status (shared/tasks/dispatch.py)
        projection = IncludeProjection(["kind", "status"])

    queue_pk = UnicodeAttribute(hash_key=True)
    queue_sk = UnicodeAttribute(range_key=True)


class OpenIndex(ItemsIndex):
    class Meta:
        index_name = "open_index"
        projection = IncludeProjection(["kind"])

    open_pk = UnicodeAttribute(hash_key=True)
    open_sk = UnicodeAttribute(range_key=True)


class OwnerIndex(ItemsIndex):
    class Meta:
        index_name = "owner_index"
        projection = IncludeProjection(["kind"])

    owner_pk = UnicodeAttribute(hash_key=True)
    owner_sk = UnicodeAttribute(range_key=True)


class Entity(Model):
    class Meta:
        table_name = config.get(config.TABLE_NAME)
        region = config.region()
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    queue_pk = UnicodeAttribute(null=True)
    queue_sk = UnicodeAttribute(null=True)
    open_pk = UnicodeAttribute(null=True)
    open_sk = UnicodeAttribute(null=True)
    owner_pk = UnicodeAttribute(null=True)
    owner_sk = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL attribute (epoch seconds)

    requester_index = RequesterIndex()
    organisation_index = OrganisationIndex()
    queue_index = QueueIndex()
    open_index = OpenIndex()
    owner_index = OwnerIndex()

    # An item type that sets `changes_only` is saved by store.transact as an UpdateItem of the attributes that
    # changed since it was read, each conditioned on its value as read (attributes in `touched`, such as
    # updated_at, are set without a condition): writers that change different attributes never conflict.
    changes_only: ClassVar[bool] = False
    touched: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _instantiate(cls, attribute_values: dict[str, dict[str, Any]]) -> Any:
        instance = super()._instantiate(attribute_values)  # every read (get, query, batch get) comes here
        if instance.changes_only:
            instance.stored = dict(attribute_values)
        instance.after_read()
        return instance

    def deserialize(self, attribute_values: dict[str, dict[str, Any]]) -> None:
        super().deserialize(attribute_values)  # refresh() and update() read back this way
        if self.changes_only:
            self.stored = dict(attribute_values)
        self.after_read()

    def after_read(self) -> None:
        """Set what the item does not store (e.g. what its key already says)."""

    def stored_image(self) -> dict[str, dict[str, Any]] | None:
        """The item as it was last read from or written to the table (None: never, so a save puts it whole)."""
        return getattr(self, "stored", None)

    @classmethod
    def _get_connection(cls) -> Any:
        """One connection (one botocore client) for every item type: they share the table, its keys and
        indexes. pynamodb would otherwise build a client per model class, each parsing the DynamoDB
        service description again (tens of ms apiece on a cold start)."""
        if cls is Entity:
            return super()._get_connection()
        return Entity._get_connection()


TTL_ATTRIBUTE = "expires_at"


class Counter(Entity, discriminator="counter"):
    value = NumberAttribute(default=0)


# Every module that defines item types, lowest context first. A process that reads the table must know every
# discriminator value (a Query over a partition types each item it returns), so `configure` loads them all;
# named here as data because the table sits below every context that stores items in it.
ITEM_MODULES: tuple[str, ...] = (
    "shared.directory.items",
    "shared.directory.plans",
    "shared.tickets.items",
    "shared.tasks.items",
    "shared.routes.items",
    "shared.kb.items",
    "shared.channels.telegram_items",
    "shared.money.items",
    "shared.figures.items",
    "shared.review.items",
    "shared.setup.items",
    "shared.channels.items",
)


def all_models() -> list[type[Entity]]:
    """Entity and every item type of every context (ITEM_MODULES)."""
    for module in ITEM_MODULES:
        importlib.import_module(module)
    found: list[type[Entity]] = [Entity]
    for model in found:
        found.extend(m for m in model.__subclasses__() if m not in found)
    return found


def configure(table_name: str | None = None, region: str | None = None) -> None:
    """Point every model at a table (tests and the local stack switch tables at run time)."""
    for model in all_models():
        if table_name:
            model.Meta.table_name = table_name
        if region:
            model.Meta.region = region
        model._connection = None


def table_definition() -> dict[str, Any]:
    """The table as CreateTable parameters, derived from the models: used by the local stack and
    compared with the CDK template, so both clouds get the same keys and indexes."""
    attribute_types: dict[str, str] = {"pk": "S", "sk": "S"}
    indexes = []
    for index in (
        Entity.requester_index,
        Entity.organisation_index,
        Entity.queue_index,
        Entity.open_index,
        Entity.owner_index,
    ):
        schema = index._get_schema()
        for attr in schema["key_schema"]:
            attribute_types[attr["AttributeName"]] = "S"
        indexes.append(
            {
                "IndexName": schema["index_name"],
                "KeySchema": schema["key_schema"],
                "Projection": schema["projection"],
            }
        )
    return {
        "TableName": Entity.Meta.table_name,
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": v} for k, v in attribute_types.items()],
        "GlobalSecondaryIndexes": indexes,
        "BillingMode": "PAY_PER_REQUEST",
    }
