"""Item types of tiered routing: support groups with their line, group membership, and what a ticket's
owner is waiting on (R14, R15).

No new global secondary indexes: the routing registry is one partition (pk=ROUTING), and a ticket that
waits on another line is also listed on owner_index under WAITING#<owner> (sorted by since when)."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from shared.platform.table import Entity

ROUTING_PK = "ROUTING"
WAITING_SK = "WAITING_ON"


class SupportGroup(Entity, discriminator="support_group"):
    """pk=ROUTING, sk=GROUP#<name>: a group of agents on one line; a line may have several groups."""

    name = UnicodeAttribute()
    line = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    skills = JSONAttribute(default=list)  # what the group's work needs, e.g. ["databases"]


class GroupMember(Entity, discriminator="group_member"):
    """pk=ROUTING, sk=MEMBER#<group>#<sub>: one agent in one group (kept with the agent's profile)."""

    group = UnicodeAttribute()
    sub = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()


class WaitingOn(Entity, discriminator="waiting_on"):
    """pk=TICKET#<id>, sk=WAITING_ON: the ball is with another line or person than the ticket's owner."""

    ticket_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    task_id = UnicodeAttribute()
    group = UnicodeAttribute()
    line = UnicodeAttribute()
    assignee = UnicodeAttribute(null=True)
    since = UnicodeAttribute()


class Presence(Entity, discriminator="presence"):
    """pk=PRESENCE#<ticket id>, sk=SUB#<sub>: a staff member viewing or replying to a ticket (collision), renewed
    while their page polls; `expires_at` (the table's TTL attribute) removes it later, reads ignore it sooner."""

    ticket_id = UnicodeAttribute()
    sub = UnicodeAttribute()
    name = UnicodeAttribute()
    activity = UnicodeAttribute()  # viewing | replying
    since = UnicodeAttribute()  # when this activity began
    seen_at = UnicodeAttribute()  # the last renewal


REPLIES_PK = "REPLIES"


class SavedReply(Entity, discriminator="saved_reply"):
    """pk=REPLIES, sk=REPLY#<id>: a group's saved reply, a text per language with placeholders (shared.tasks.replies).
    One partition: a desk keeps tens to hundreds of them, read a group at a time."""

    reply_id = UnicodeAttribute()
    group = UnicodeAttribute()
    title = UnicodeAttribute()
    texts = JSONAttribute(default=dict)  # language -> text
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
