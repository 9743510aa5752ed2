"""Item types of the daily and weekly reviews (R20, R22).

No new global secondary indexes: reuse the generic ones of shared.models (gsi1/gsi2/queue/open/owner)
with key prefixes of their own.

A review task is a `Task` (so GET /tasks?group=... lists it from queue_index QUEUE#<group> like any other)
kept in a partition of its own, because a daily review is about many tickets, not one:

| item                          | keys (task id)                                                                  |
|-------------------------------|---------------------------------------------------------------------------------|
| daily review of a group       | pk=REVIEW#daily#<date>, sk=TASK#<id> (review-daily-<date>-<group>)              |
| weekly review of one case     | pk=REVIEW#weekly#<date>, sk=TASK#<id> (review-weekly-<date>-<ticket id>)        |

<date> is the local date (plan calendar's zone) of the review. While open, the task is in queue_index
(queue_pk=QUEUE#<group>); done, it leaves it, like every task. The key is derived from the group (or ticket) and
the date, so firing a review twice the same day writes nothing new (conditional put).
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from shared.tickets.items import Task


class ReviewTask(Task, discriminator="review_task"):
    """A review task: `task_type` is daily_review or weekly_review; `ticket_id` is the case's id for a weekly
    review and empty for a daily one (it lists many tickets in `items`)."""

    review = UnicodeAttribute()  # daily | weekly
    review_date = UnicodeAttribute()  # YYYY-MM-DD, local date in the plan calendar's zone
    items = JSONAttribute(default=list)  # daily: the tickets to nudge; weekly: one case's review
