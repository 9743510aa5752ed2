"""Where a ticket's plan comes from: the stored calendars and plans (shared.directory.plans) as SupportPlans.

Read at each route step, once per invocation: the worker's entry points call `new_invocation()` first, so a
step never works on a plan older than the invocation. A plan or calendar not stored yet (a stack the setup step
has not run on) falls back to the built-in one of the same id, today's constants, which are also what the setup
step and the demo write as the first versions (`default_plans_and_calendars`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import PutError

from shared.directory import plans as stored
from shared.sla.calendars import Calendar
from shared.sla.plans import DEFAULT_PLAN, PRAGUE_OFFICE, VIP_PLAN, SupportPlan

logger = logging.getLogger(__name__)

BUILT_IN_CALENDARS: dict[str, Calendar] = {stored.DEFAULT_CALENDAR_ID: PRAGUE_OFFICE}
BUILT_IN_PLANS: dict[str, SupportPlan] = {stored.DEFAULT_PLAN_ID: DEFAULT_PLAN, stored.VIP_PLAN_ID: VIP_PLAN}
PLAN_TITLES = {stored.DEFAULT_PLAN_ID: "Standard", stored.VIP_PLAN_ID: "VIP"}


class _Read(threading.local):
    """What this invocation read. A Lambda process serves one invocation at a time; the local stack runs several
    functions' invocations at once on threads of one process, so each thread keeps its own."""

    def __init__(self) -> None:
        self.bodies: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.built: dict[tuple[str, str | None], SupportPlan] = {}
        self.organisations: dict[str | None, tuple[str, str | None]] = {}


_read = _Read()


def new_invocation() -> None:
    """Forget what was read: the next step reads the current calendars and plans again."""
    _read.bodies.clear()
    _read.built.clear()
    _read.organisations.clear()


def stored_body(kind: str, terms_id: str) -> dict[str, Any] | None:
    """The current version's body of a calendar or plan, None when none is stored (read once per invocation)."""
    key = (kind, terms_id)
    if key not in _read.bodies:
        item = stored.get_current(kind, terms_id)  # type: ignore[arg-type]
        _read.bodies[key] = item.body if item is not None else None
    return _read.bodies[key]


Read = Callable[[str, str], "dict[str, Any] | None"]


def plan_body_of(plan: SupportPlan, calendar_id: str, title: str | None = None) -> dict[str, Any]:
    """A SupportPlan in the stored shape (its calendar by id)."""
    data = plan.to_json()
    del data["calendar"], data["name"]
    return {"title": title, "calendar_id": calendar_id, **data}


def calendar_body_of(calendar: Calendar, title: str | None = None) -> dict[str, Any]:
    return {"title": title, "always_open": calendar.twenty_four_seven, **calendar.to_json()}


def calendar_id_of(plan_id: str, calendar_id: str | None, read: Read = stored_body) -> str:
    """The calendar a plan runs on: the organisation's own (`calendar_id`), else the plan's."""
    if calendar_id:
        return calendar_id
    body = read("plan", plan_id)
    return body["calendar_id"] if body is not None else stored.DEFAULT_CALENDAR_ID


def calendar_from(calendar_id: str, read: Read = stored_body) -> Calendar:
    body = read("calendar", calendar_id)
    if body is not None:
        return Calendar.from_json(body)
    if calendar_id in BUILT_IN_CALENDARS:
        return BUILT_IN_CALENDARS[calendar_id]
    logger.warning("no calendar %r: the default calendar applies", calendar_id)
    return calendar_from(stored.DEFAULT_CALENDAR_ID, read)


def plan_from(plan_id: str, calendar_id: str | None, read: Read) -> SupportPlan:
    """The plan on its calendar from the bodies `read` gives (the stored ones, or a version before a change).

    A plan or calendar with no body is the built-in one of that id; an unknown one is the default (logged): a
    ticket's route must go on whatever was assigned.
    """
    body = read("plan", plan_id)
    if body is None and plan_id not in BUILT_IN_PLANS:
        logger.warning("no support plan %r: the default plan applies", plan_id)
        return plan_from(stored.DEFAULT_PLAN_ID, calendar_id, read)
    calendar = calendar_from(calendar_id_of(plan_id, calendar_id, read), read)
    if body is None:
        built = BUILT_IN_PLANS[plan_id]
        return SupportPlan(built.name, calendar, built.targets, built.reminder_after, built.auto_close_after_days)
    return SupportPlan.from_json({**body, "name": plan_id, "calendar": calendar.to_json()})


def plan_named(plan_id: str, calendar_id: str | None = None) -> SupportPlan:
    """The current version of a plan on the organisation's calendar (`calendar_id`) or its own."""
    key = (plan_id, calendar_id)
    if key not in _read.built:
        _read.built[key] = plan_from(plan_id, calendar_id, stored_body)
    return _read.built[key]


def current_plans() -> list[SupportPlan]:
    """Every stored plan at its current version on its own calendar (the built-in ones where none is stored)."""
    ids = sorted(item.terms_id for item in stored.list_current("plan")) or sorted(BUILT_IN_PLANS)
    return [plan_named(plan_id) for plan_id in ids]


def plan_of_organisation(org_id: str | None) -> SupportPlan:
    """The organisation's support plan on its calendar (shared.directory.plans.terms_of_organisation)."""
    if org_id not in _read.organisations:
        _read.organisations[org_id] = stored.terms_of_organisation(org_id)
    return plan_named(*_read.organisations[org_id])


def default_plans_and_calendars(at: str | None = None) -> list[Any]:
    """The items of the default calendar and plans as first versions (today's built-in constants). The setup
    step writes them on a stack's first deploy, each only if it does not exist yet; so does the demo."""
    found: list[Any] = []
    for calendar_id, calendar in BUILT_IN_CALENDARS.items():
        found += stored.new_items("calendar", calendar_id, calendar_body_of(calendar, "Prague office"), 1, "setup", at)
    for plan_id, plan in BUILT_IN_PLANS.items():
        body = plan_body_of(plan, stored.DEFAULT_CALENDAR_ID, PLAN_TITLES[plan_id])
        found += stored.new_items("plan", plan_id, body, 1, "setup", at)
    return found


def write_defaults() -> int:
    """Write `default_plans_and_calendars()`, never over anything already there; returns how many were written."""
    written = 0
    for item in default_plans_and_calendars():
        try:
            item.save(condition=type(item).pk.does_not_exist())
            written += 1
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # anything but "already there" (a manager's version stays as it is)
    return written
