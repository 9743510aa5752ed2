"""The companion process (R20, R22): the daily review of open tickets and the weekly review of long cases.

Both read only what is open: the sparse open_index (open_pk=STATUS#<status>, one Query per open status) and the
sparse queue_index (open tasks, one Query per support group). Closed tickets are never read, so a review costs
what is open, not everything ever stored (bench/review_bench.py measures it).

Daily review (every working-day morning; nothing on a holiday of the plan calendar): per support group, one
review task listing the open tickets of that group that need a nudge, each with its suggested actions:

| situation                                                                  | action                          |
|----------------------------------------------------------------------------|---------------------------------|
| ball on our side, a task of another group open > N working hours (R14)    | chase <that group>              |
| ball on our side, no activity > N working hours, a task of a group open    | chase <that group>              |
| ball on our side, no activity > N working hours, no open task              | answer the customer             |
| waiting for the customer, the automatic close within 1 working day        | remind the customer             |
| resolved, the automatic close within 1 working day                         | close                           |
| on the customer's side, the automatic close already past                   | close                           |
| ball on our side, due date today (plan calendar's zone)                    | due today                       |
| ball on our side, due date on an earlier day                               | overdue                         |

A ticket's group (whose review lists it) is its owner's first support group (R14: the one who received it stays
responsible and chases the other lines); without an owner, the group of its oldest open task; without one, the
first group of its service, else L1. A group with nothing to review gets no task.

Weekly review (Monday morning): one task for the managers per case open more than a week, built from the case's
own log: what happened (its events, in short), who holds the ball and since when, time spent (TimeEntry minutes),
and the next step (next_step_at, open tasks).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from shared.clocks.ticket import plan_for
from shared.directory import items as directory
from shared.money.items import TimeEntry
from shared.platform import bus, clock
from shared.platform.domain import OPEN_STATUSES, BallSide, Status, TaskStatus
from shared.platform.table import Entity
from shared.review.items import ReviewTask
from shared.review.tasks import review_pk, review_task_id
from shared.routes.support import STEPS
from shared.sla.calendars import Calendar
from shared.sla.plans import DEFAULT_PLAN, SupportPlan, add_working_days, is_working_day
from shared.tasks import queues
from shared.tasks.priority import queue_key
from shared.tickets import items as ticket_items
from shared.tickets.items import Event, Task, Ticket

logger = logging.getLogger(__name__)


IDLE_WORKING_HOURS = 4  # N: ball on our side with no activity for longer than this needs a nudge


NEAR_AUTO_CLOSE_WORKING_DAYS = 1


LONG_CASE_DAYS = 7


MANAGERS_GROUP = "managers"


DEFAULT_GROUP = "L1"


PAGE = 100  # items per Query page when reading what is open


def _local_day(calendar: Calendar, moment: datetime) -> date:
    return moment.astimezone(calendar.zone).date()


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def open_tickets() -> list[Ticket]:
    """Every open ticket, from the sparse open_index: one Query (paged) per open status."""
    found: list[Ticket] = []
    for status in sorted(s.value for s in OPEN_STATUSES):
        for item in Entity.open_index.query(ticket_items.open_pk(status), page_size=PAGE):
            if isinstance(item, Ticket):
                found.append(item)
    return found


def _known_groups(services: list[Any]) -> set[str]:

    groups = {step["group"] for step in STEPS.values()} | {DEFAULT_GROUP}
    for service in services:
        groups.update(service.groups or [])
    return groups


def open_tasks(groups: set[str]) -> tuple[dict[str, list[Task]], list[ReviewTask]]:
    """Open tasks of tickets by ticket id, and the open review tasks, from the sparse queue_index: one Query
    (paged) per group."""
    by_ticket: dict[str, list[Task]] = defaultdict(list)
    reviews: list[ReviewTask] = []
    for group in sorted(groups):
        for item in Entity.queue_index.query(ticket_items.queue_pk(group), page_size=PAGE):
            if isinstance(item, ReviewTask):
                reviews.append(item)
            elif isinstance(item, Task):
                by_ticket[item.ticket_id].append(item)
    return by_ticket, reviews


class _Lookups:
    """Users, organisations and services read once per review (a handful of GetItems, whatever the table holds)."""

    def __init__(self) -> None:
        self.users: dict[str, Any] = {}
        self.plans: dict[str, SupportPlan] = {}
        self.services = {s.key: s for s in directory.list_services()}

    def user_group(self, sub: str) -> str | None:
        if sub not in self.users:
            self.users[sub] = directory.get_user(sub)
        user = self.users[sub]
        return (user.groups or [None])[0] if user else None

    def plan(self, ticket: Ticket) -> SupportPlan:

        if ticket.organisation_id not in self.plans:
            self.plans[ticket.organisation_id] = plan_for(ticket)
        return self.plans[ticket.organisation_id]

    def home_group(self, ticket: Ticket, tasks: list[Task]) -> str:
        if ticket.owner:
            group = self.user_group(ticket.owner)
            if group:
                return group
        if tasks:
            return min(tasks, key=lambda t: t.created_at).group
        service = self.services.get(ticket.service)
        if service is not None and service.groups:
            return service.groups[0]
        return DEFAULT_GROUP


def nudges(
    ticket: Ticket,
    tasks: list[Task],
    home: str,
    calendar: Calendar,
    now: datetime,
    *,
    idle_hours: float = IDLE_WORKING_HOURS,
    auto_close_after_days: int = 3,
) -> list[dict[str, str]]:
    """The suggested actions for one open ticket (empty: it needs no nudge). Pure: no AWS."""

    out: list[dict[str, str]] = []
    idle_limit = timedelta(hours=idle_hours)
    status = Status(ticket.status)
    ours = ticket.ball_side == BallSide.US.value or status in (Status.NEW, Status.IN_PROGRESS)
    if ours:
        other_lines = [t for t in tasks if t.group != home]
        waiting = [t for t in other_lines if calendar.between(_parse(t.created_at), now) > idle_limit]
        for group in sorted({t.group for t in waiting}):
            oldest = min((t for t in waiting if t.group == group), key=lambda t: t.created_at)
            out.append(
                {
                    "action": f"chase {group}",
                    "why": f"waiting on {group} since {oldest.created_at} ({oldest.title}); R14: chase the other line",
                }
            )
        last_activity = _parse(ticket.updated_at) or _parse(ticket.created_at)
        idle = calendar.between(last_activity, now)
        if not waiting and idle > idle_limit:
            hours = f"{idle.total_seconds() / 3600:.1f}"
            if tasks:
                group = min(tasks, key=lambda t: t.created_at).group
                out.append(
                    {
                        "action": f"chase {group}",
                        "why": f"ball on our side, no activity for {hours} working hours; a task of {group} is open",
                    }
                )
            else:
                out.append(
                    {
                        "action": "answer the customer",
                        "why": f"ball on our side, no activity for {hours} working hours and no open task",
                    }
                )
        due = _parse(ticket.due_at)
        if due is not None:
            today, due_day = _local_day(calendar, now), _local_day(calendar, due)
            if due_day == today:
                out.append({"action": "due today", "why": f"due at {ticket.due_at}"})
            elif due_day < today:
                out.append({"action": "overdue", "why": f"was due at {ticket.due_at}"})
        return out
    # The customer's side: the automatic close (R21) is the ticket's due date; else counted from the ball's move.
    auto_close = _parse(ticket.due_at)
    if auto_close is None and ticket.ball_since:
        auto_close = add_working_days(calendar, _parse(ticket.ball_since), auto_close_after_days)
    if auto_close is None:
        return out
    if auto_close <= now:
        out.append(
            {"action": "close", "why": f"the customer stayed silent; the automatic close was due {ticket.due_at}"}
        )
    elif auto_close <= add_working_days(calendar, now, NEAR_AUTO_CLOSE_WORKING_DAYS):
        if status == Status.WAITING_FOR_CUSTOMER:
            out.append(
                {
                    "action": "remind the customer",
                    "why": f"we wait for the customer; it closes by itself at {auto_close}",
                }
            )
        else:
            out.append({"action": "close", "why": f"resolved and unanswered; it closes by itself at {auto_close}"})
    return out


def _entry(ticket: Ticket, actions: list[dict[str, str]], tasks: list[Task]) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "ball_side": ticket.ball_side,
        "ball_since": ticket.ball_since,
        "owner": ticket.owner,
        "due_at": ticket.due_at,
        "updated_at": ticket.updated_at,
        "open_tasks": [{"id": t.task_id, "group": t.group, "title": t.title} for t in tasks],
        "actions": actions,
    }


def review_entries(
    now: datetime, *, idle_hours: float = IDLE_WORKING_HOURS
) -> tuple[dict[str, list[dict[str, Any]]], list[ReviewTask]]:
    """What each group's daily review lists (group -> entries, oldest ball first), and the review tasks still
    open in the groups' queues."""
    tickets = open_tickets()
    lookups = _Lookups()
    groups = _known_groups(list(lookups.services.values())) | {
        g for t in tickets if t.owner for g in [lookups.user_group(t.owner)] if g
    }
    tasks, open_reviews = open_tasks(groups)
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ticket in tickets:
        ticket_tasks = tasks.get(ticket.ticket_id, [])
        home = lookups.home_group(ticket, ticket_tasks)
        plan = lookups.plan(ticket)
        actions = nudges(
            ticket,
            ticket_tasks,
            home,
            plan.calendar,
            now,
            idle_hours=idle_hours,
            auto_close_after_days=plan.auto_close_after_days,
        )
        if actions:
            by_group[home].append(_entry(ticket, actions, ticket_tasks))
    for entries in by_group.values():
        entries.sort(key=lambda e: (e["ball_since"] or "", e["reference"]))
    return dict(by_group), open_reviews


def _save_new(task: ReviewTask) -> bool:
    """Write the review task unless it exists (the same review fired again): True if written."""
    try:
        task.save(condition=ReviewTask.pk.does_not_exist())
    except PutError as error:
        if "ConditionalCheckFailed" in str(error):
            return False
        raise
    bus.publish(
        "ReviewTaskCreated",
        {
            "task_id": task.task_id,
            "group": task.group,
            "task_type": task.task_type,
            "review_date": task.review_date,
            "ticket_id": task.ticket_id or None,
            "tickets": len(task.items) if task.review == "daily" else 1,
        },
    )
    return True


def _supersede(old: ReviewTask, new_task_id: str | None, otherwise: str) -> bool:
    """An earlier review nobody took is done once the next one exists: the queue shows the current one only.
    A review someone has taken stays theirs. True if `old` was closed here."""
    if old.status != TaskStatus.OPEN.value:
        return False
    old.status = TaskStatus.DONE.value
    old.outcome = "superseded"
    old.note = f"Superseded by {new_task_id}" if new_task_id else f"Superseded: {otherwise}"
    old.completed_at = clock.now_iso()
    old.queue_pk = old.queue_sk = None
    try:
        old.save()  # the version check: someone taking it at this very moment wins
    except PutError:
        return False
    bus.publish("ReviewTaskCompleted", {"task_id": old.task_id, "group": old.group, "outcome": old.outcome})
    return True


def _review_task(review: str, day: str, subject: str, **fields: Any) -> ReviewTask:
    task_id = review_task_id(review, day, subject)
    group = fields["group"]
    priority = fields.pop("priority", 0)
    now = clock.now_iso()
    basis = queues.basis_without_ticket(group=group, base=priority, due_at=fields.get("due_at"), created_at=now)
    return ReviewTask(
        review_pk(review, day),
        f"TASK#{task_id}",
        task_id=task_id,
        review=review,
        review_date=day,
        status=TaskStatus.OPEN.value,
        priority=priority,
        priority_basis=basis.as_dict(),
        created_at=now,
        queue_pk=ticket_items.queue_pk(group),
        queue_sk=queue_key(basis, task_id),  # ordered in its queue like every other task (shared/priority.py)
        **fields,
    )


def daily_review(now: datetime | None = None, *, idle_hours: float = IDLE_WORKING_HOURS) -> dict[str, Any]:
    """R20: one review task per group with tickets to nudge; nothing on a day off of the plan calendar."""
    now = now or clock.now()

    calendar = DEFAULT_PLAN.calendar
    day = _local_day(calendar, now)
    if not is_working_day(calendar, day):
        return {"date": day.isoformat(), "working_day": False, "created": [], "existing": [], "superseded": []}
    created, existing = [], []
    by_group, open_reviews = review_entries(now, idle_hours=idle_hours)
    for group, entries in sorted(by_group.items()):
        count = len(entries)
        task = _review_task(
            "daily",
            day.isoformat(),
            group,
            ticket_id="",
            reference=f"daily review {day.isoformat()}",
            task_type="daily_review",
            title=f"Daily review {day.isoformat()} for {group}: {count} ticket{'s' if count != 1 else ''} to nudge",
            group=group,
            items=entries,
        )
        (created if _save_new(task) else existing).append(task.task_id)
    today = {group: review_task_id("daily", day.isoformat(), group) for group in by_group}
    superseded = [
        old.task_id
        for old in open_reviews
        if old.review == "daily"
        and old.review_date < day.isoformat()
        and _supersede(old, today.get(old.group), "nothing to review in this group today")
    ]
    return {
        "date": day.isoformat(),
        "working_day": True,
        "created": created,
        "existing": existing,
        "superseded": superseded,
    }


def case_review(ticket: Ticket, items: list[Entity], now: datetime) -> dict[str, Any]:
    """R22: one long case from its own log (the ticket's partition). Pure: no AWS."""
    events = sorted((i for i in items if isinstance(i, Event)), key=lambda e: e.event_id)
    minutes = sum(int(i.minutes) for i in items if isinstance(i, TimeEntry))
    tasks = [i for i in items if isinstance(i, Task) and i.status != TaskStatus.DONE.value]
    opened = _parse(ticket.submitted_at or ticket.created_at)
    ball_since = _parse(ticket.ball_since)
    return {
        "ticket_id": ticket.ticket_id,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "opened_at": ticket.submitted_at or ticket.created_at,
        "open_days": (now - opened).days if opened else None,
        "what_happened": [{"at": e.at, "type": e.type, "summary": e.summary} for e in events],
        "ball": {
            "side": ticket.ball_side,
            "since": ticket.ball_since,
            "days": (now - ball_since).days if ball_since else None,
            "owner": ticket.owner,
        },
        "time_spent_minutes": minutes,
        "next_step": {
            "at": ticket.next_step_at,
            "open_tasks": [{"id": t.task_id, "group": t.group, "title": t.title, "status": t.status} for t in tasks],
        },
    }


def weekly_review(now: datetime | None = None) -> dict[str, Any]:
    """R22: a review task for the managers for each case open more than a week (one Query of its log each)."""
    now = now or clock.now()

    calendar = DEFAULT_PLAN.calendar
    day = _local_day(calendar, now).isoformat()
    limit = now - timedelta(days=LONG_CASE_DAYS)
    created, existing = [], []
    earlier = [
        item
        for item in Entity.queue_index.query(ticket_items.queue_pk(MANAGERS_GROUP), page_size=PAGE)
        if isinstance(item, ReviewTask) and item.review == "weekly" and item.review_date < day
    ]
    reviewed: dict[str, str] = {}
    for ticket in open_tickets():
        opened = _parse(ticket.submitted_at or ticket.created_at)
        if opened is None or opened > limit:
            continue
        content = case_review(ticket, ticket_items.load_ticket_partition(ticket.ticket_id), now)
        task = _review_task(
            "weekly",
            day,
            ticket.ticket_id,
            ticket_id=ticket.ticket_id,
            reference=ticket.reference,
            task_type="weekly_review",
            title=f"Weekly review of {ticket.reference}: open {content['open_days']} days - {ticket.subject}"[:200],
            group=MANAGERS_GROUP,
            items=[content],
        )
        (created if _save_new(task) else existing).append(task.task_id)
        reviewed[ticket.ticket_id] = task.task_id
    superseded = [
        old.task_id for old in earlier if _supersede(old, reviewed.get(old.ticket_id), "the case is no longer open")
    ]
    return {"date": day, "created": created, "existing": existing, "superseded": superseded}
