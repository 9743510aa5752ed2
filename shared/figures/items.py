"""Item types of the manager's and the specialists' figures (R27, R28): counters kept as things happen,
so that no figure ever reads all tickets.

No new global secondary indexes; every figure is a GetItem or a Query over a small, bounded partition:

| pattern                                        | how                                                          |
|------------------------------------------------|--------------------------------------------------------------|
| counters of the days of a month                | Query pk=FIGURES#<YYYY-MM>, sk between DAY#<from> and DAY#<to> |
| a specialist's counters of a day / a month     | Query pk=FIGURES#AGENT#<sub>, sk between DAY#<first> and DAY#<day> |
| organisations and staff the figures go over    | Query pk=FIGURES#DIRECTORY (sk ORG#<id> / STAFF#<sub>)        |
| a week's ratings of 1-2 and their comments      | Query pk=FIGURES#<YYYY-MM>, sk between LOWRATING#<from> and ~ |
| "this was already counted" (exactly once)      | conditional Put pk=FIGMARK#<what>, sk=MARK, with a TTL        |

Days are dates in the default plan calendar's zone (shared.sla.DEFAULT_PLAN, Europe/Prague). Counters are
written with UpdateItem ADD, so concurrent writers never lose a count.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from shared.platform.table import Entity


class FigureDay(Entity, discriminator="figure_day"):
    """The desk's counters of one day. pk=FIGURES#<YYYY-MM>, sk=DAY#<YYYY-MM-DD>."""

    period = UnicodeAttribute(null=True)  # YYYY-MM-DD
    submitted = NumberAttribute(null=True)  # tickets submitted that day
    bugs = NumberAttribute(null=True)  # tickets classified as bug that day
    critical_bugs = NumberAttribute(null=True)  # ... as critical bug
    planned_tasks = NumberAttribute(null=True)  # tasks planned for (due on) that day
    planned_minutes = NumberAttribute(null=True)  # their standard effort
    done_tasks = NumberAttribute(null=True)  # of the tasks planned for that day, those done
    done_minutes = NumberAttribute(null=True)
    resolved = NumberAttribute(null=True)  # tickets resolved that day (R18: the SLA met ratio per week)
    sla_met = NumberAttribute(null=True)  # ... within every promise made to the customer
    sla_missed = NumberAttribute(null=True)
    rated = NumberAttribute(null=True)  # tickets rated that day (R30)
    rating_sum = NumberAttribute(null=True)
    rating_1 = NumberAttribute(null=True)  # the distribution of the ratings, 1 (poor) to 5 (excellent)
    rating_2 = NumberAttribute(null=True)
    rating_3 = NumberAttribute(null=True)
    rating_4 = NumberAttribute(null=True)
    rating_5 = NumberAttribute(null=True)


class AgentFigures(Entity, discriminator="agent_figures"):
    """One specialist's counters of a day (pk=FIGURES#AGENT#<sub>, sk=DAY#<date>); a month is the sum of its days."""

    period = UnicodeAttribute(null=True)
    tasks_closed = NumberAttribute(null=True)
    resolved = NumberAttribute(null=True)  # tickets resolved while they owned them (R14)
    sla_met = NumberAttribute(null=True)  # ... within every promise made to the customer (R18)
    sla_missed = NumberAttribute(null=True)  # ... after a promise had run out


class DirectoryEntry(Entity, discriminator="figures_directory"):
    """An organisation or a staff member the figures go over. pk=FIGURES#DIRECTORY, sk=ORG#<id> | STAFF#<sub>."""

    ident = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute(null=True)
    line = UnicodeAttribute(null=True)
    groups = JSONAttribute(default=list)


class LowRating(Entity, discriminator="figure_low_rating"):
    """A rating of 1 or 2 and its comment (R30: the manager reads what went wrong).
    pk=FIGURES#<YYYY-MM>, sk=LOWRATING#<YYYY-MM-DD>#<ticket id>."""

    period = UnicodeAttribute(null=True)  # YYYY-MM-DD, the day it was rated
    ticket_id = UnicodeAttribute(null=True)
    reference = UnicodeAttribute(null=True)
    organisation_id = UnicodeAttribute(null=True)
    rating = NumberAttribute(null=True)
    comment = UnicodeAttribute(null=True)


class FigureMark(Entity, discriminator="figure_mark"):
    """Written in the same transaction as a counter that must count a thing once. pk=FIGMARK#<what>, sk=MARK."""
