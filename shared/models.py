"""The one DynamoDB table (single-table design) through pynamodb.

Every item type is a subclass of `Entity`, told apart by the `kind` discriminator, so one Query on a
ticket's partition returns the ticket, its messages, events, tasks and attachments already typed.

Access patterns (each served by GetItem or Query; no Scan anywhere):

| pattern                                         | how                                                   |
|-------------------------------------------------|-------------------------------------------------------|
| ticket with its whole history                   | Query pk=TICKET#<id> (ticket, messages, events, tasks)|
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

The sparse indexes hold only what is open: a task leaves queue_index when done, a ticket leaves
open_index when closed, so queues and reviews cost what is open, not everything ever stored.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from shared import config


class RequesterIndex(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "requester_index"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class OrganisationIndex(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "organisation_index"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class QueueIndex(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "queue_index"
        projection = AllProjection()

    queue_pk = UnicodeAttribute(hash_key=True)
    queue_sk = UnicodeAttribute(range_key=True)


class OpenIndex(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "open_index"
        projection = AllProjection()

    open_pk = UnicodeAttribute(hash_key=True)
    open_sk = UnicodeAttribute(range_key=True)


class OwnerIndex(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "owner_index"
        projection = AllProjection()

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

    @classmethod
    def _get_connection(cls) -> Any:
        """One connection (one botocore client) for every item type: they share the table, its keys and
        indexes. pynamodb would otherwise build a client per model class, each parsing the DynamoDB
        service description again (tens of ms apiece on a cold start)."""
        if cls is Entity:
            return super()._get_connection()
        return Entity._get_connection()


TTL_ATTRIBUTE = "expires_at"


class Ticket(Entity, discriminator="ticket"):
    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    organisation_id = UnicodeAttribute()
    requester_sub = UnicodeAttribute()
    requester_email = UnicodeAttribute(null=True)
    service = UnicodeAttribute()
    subject = UnicodeAttribute()
    description = UnicodeAttribute()
    fields = JSONAttribute(default=dict)
    status = UnicodeAttribute()
    ball_side = UnicodeAttribute(null=True)
    ball_since = UnicodeAttribute(null=True)  # R13, R14: since when the ball is where it is
    owner = UnicodeAttribute(null=True)
    classification = UnicodeAttribute(null=True)  # set by the support route (SLA issue)
    priority = NumberAttribute(null=True)  # computed by routing (catalog issue)
    channel = UnicodeAttribute()
    due_at = UnicodeAttribute(null=True)
    next_step_at = UnicodeAttribute(null=True)
    resolution = UnicodeAttribute(null=True)
    preventive_measure = UnicodeAttribute(null=True)
    kb_articles = JSONAttribute(null=True)  # R29: articles the resolution cites (shared/kb.py snapshots)
    satisfaction = NumberAttribute(null=True)  # R30: the customer's 1-5 after closing
    satisfaction_comment = UnicodeAttribute(null=True)
    # The web form's follow link (a capability, like a sign-in link): never in any API view.
    follow_key = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    submitted_at = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class Message(Entity, discriminator="message"):
    ticket_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    author_sub = UnicodeAttribute()
    author_role = UnicodeAttribute()
    author_email = UnicodeAttribute(null=True)
    body = UnicodeAttribute()
    internal = BooleanAttribute(default=False)
    channel = UnicodeAttribute()
    automatic = BooleanAttribute(default=False)
    attachments = JSONAttribute(default=list)
    created_at = UnicodeAttribute()


class Event(Entity, discriminator="event"):
    """R12: one append-only entry per change."""

    ticket_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    at = UnicodeAttribute()
    type = UnicodeAttribute()
    actor_sub = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    public = BooleanAttribute()
    summary = UnicodeAttribute()
    data = JSONAttribute(default=dict)


class Task(Entity, discriminator="task"):
    """R8: internal work for specialists; never shown to customers."""

    task_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    task_type = UnicodeAttribute()
    title = UnicodeAttribute()
    group = UnicodeAttribute()
    assignee = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    priority = NumberAttribute(default=0)
    priority_basis = JSONAttribute(null=True)  # what shared.priority computes the priority from
    due_at = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    taken_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class Attachment(Entity, discriminator="attachment"):
    ticket_id = UnicodeAttribute()
    attachment_id = UnicodeAttribute()
    s3_key = UnicodeAttribute()
    file_name = UnicodeAttribute()
    size = NumberAttribute()
    content_type = UnicodeAttribute()
    uploaded_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ReferenceLink(Entity, discriminator="reference"):
    ticket_id = UnicodeAttribute()


class Organisation(Entity, discriminator="organisation"):
    organisation_id = UnicodeAttribute()
    name = UnicodeAttribute()
    importance = UnicodeAttribute(default="standard")  # standard | vip
    email_domains = JSONAttribute(default=list)
    contacts = JSONAttribute(default=list)


class User(Entity, discriminator="user"):
    sub = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    organisation_id = UnicodeAttribute(null=True)
    org_admin = BooleanAttribute(default=False)
    groups = JSONAttribute(default=list)  # agents: support groups such as L1, L2
    line = UnicodeAttribute(null=True)  # agents: L1 or L2
    skills = JSONAttribute(default=list)  # agents: what they know, e.g. ["databases", "billing"]


class EmailLink(Entity, discriminator="email"):
    sub = UnicodeAttribute()


class Service(Entity, discriminator="service"):
    key = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute()
    route = UnicodeAttribute()
    intake_fields = JSONAttribute(default=list)
    customer_visible = BooleanAttribute(default=True)
    groups = JSONAttribute(default=list)
    position = NumberAttribute(default=100)  # order in the catalog
    deadline_working_days = NumberAttribute(null=True)  # the route's human step is due this many working days on


class Counter(Entity, discriminator="counter"):
    value = NumberAttribute(default=0)


class IdempotencyRecord(Entity, discriminator="idempotency"):
    request_hash = UnicodeAttribute()
    resource = UnicodeAttribute()
    status_code = NumberAttribute()
    secret = UnicodeAttribute(null=True)  # e.g. a web-form ticket's follow key, to answer a retry in full


ALL_MODELS: tuple[type[Entity], ...] = (
    Entity,
    Ticket,
    Message,
    Event,
    Task,
    Attachment,
    ReferenceLink,
    Organisation,
    User,
    EmailLink,
    Service,
    Counter,
    IdempotencyRecord,
)


def _all_models() -> list[type[Entity]]:
    """Entity and every subclass, including those of the feature model modules imported below."""
    found: list[type[Entity]] = [Entity]
    for model in found:
        found.extend(m for m in model.__subclasses__() if m not in found)
    return found


def configure(table_name: str | None = None, region: str | None = None) -> None:
    """Point every model at a table (tests and the local stack switch tables at run time)."""
    for model in _all_models():
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


# Item types of the feature modules. Imported here so that every process that reads the table knows every
# discriminator value: a Query over a partition must be able to type each item it returns.
from shared import (  # noqa: E402,F401
    models_catalog,
    models_figures,
    models_kb,
    models_money,
    models_review,
    models_routing,
)
