"""HTTP routes of the queues (tiered routing: R14, R15, R19, R27): support groups and their lines, agents'
groups and skills, the next task for me, handing a task over, and the tickets whose ball is elsewhere."""

from __future__ import annotations

import re
from typing import Any

from functions.api.callers import caller
from functions.api.http import LIST_QUERY, query, query_limit
from functions.api.router import MANAGER, STAFF, ApiRouter
from shared.platform.errors import Unprocessable
from shared.tasks import queues as routing

router = ApiRouter(bodies="functions.api.queues_bodies")

_GROUP = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


@router.declare("GET", "/routing/groups", "Support groups with their line, order and members", "routing", roles=STAFF)
def routing_groups() -> dict[str, Any]:
    return {"items": routing.list_groups(caller())}


@router.declare(
    "PUT",
    "/routing/groups/{group}",
    "Create or change a support group and its line (managers)",
    "routing",
    body="RoutingGroup",
    roles=(MANAGER,),
)
def routing_save_group(group: str) -> dict[str, Any]:
    who = caller()
    body = router.body("RoutingGroup")
    return routing.save_group(who, _group_name(group), line=body.line, description=body.description, skills=body.skills)


def _group_name(group: str) -> str:
    if not re.fullmatch(_GROUP, group):
        raise Unprocessable(
            "A group name is 1-64 letters, digits, '.', '_' or '-'.", errors=[{"field": "group", "message": _GROUP}]
        )
    return group


@router.declare("GET", "/routing/agents/{sub}", "An agent's line, groups and skills", "routing", roles=STAFF)
def routing_agent(sub: str) -> dict[str, Any]:
    return routing.get_agent(caller(), sub)


@router.declare(
    "PUT",
    "/routing/agents/{sub}",
    "Set an agent's groups, line and skills (managers)",
    "routing",
    body="RoutingAgent",
    roles=(MANAGER,),
)
def routing_set_agent(sub: str) -> dict[str, Any]:
    who = caller()
    body = router.body("RoutingAgent")
    return routing.set_agent_routing(who, sub, groups=body.groups, line=body.line, skills=body.skills)


_NEXT_QUERY = (("group", {"type": "string", "description": "one of my groups; default: all of them"}),)


def _empty(group: str | None) -> dict[str, Any]:
    return {"task": None, "detail": f"No open task in {group or 'your groups'} right now."}


@router.declare(
    "GET",
    "/tasks/next",
    "The highest-priority open task in my groups, with what my tier needs to act on it",
    "tasks",
    query=_NEXT_QUERY,
    roles=STAFF,
)
def next_task() -> dict[str, Any]:
    from shared.tasks import dispatch  # the next task and reassigning: kept off the API's cold start

    group = query("group", pattern=_GROUP)
    return dispatch.next_task(caller(), group) or _empty(group)


@router.declare(
    "POST",
    "/tasks/next/take",
    "Take the highest-priority open task in my groups",
    "tasks",
    query=_NEXT_QUERY,
    roles=STAFF,
)
def take_next_task() -> dict[str, Any]:
    from shared.tasks import dispatch  # the next task and reassigning: kept off the API's cold start

    group = query("group", pattern=_GROUP)
    return dispatch.take_next(caller(), group) or _empty(group)


@router.declare(
    "POST",
    "/tasks/{task_id}/reassign",
    "Hand a task to another group or person; the ticket's owner stays (R14)",
    "tasks",
    body="TaskReassign",
    roles=STAFF,
    resource="task",
)
def reassign_task(task_id: str) -> dict[str, Any]:
    from shared.tasks import dispatch  # the next task and reassigning: kept off the API's cold start

    who = caller()
    body = router.body("TaskReassign")
    return dispatch.reassign(who, task_id, group=body.group, assignee=body.assignee, reason=body.reason)


@router.declare(
    "GET",
    "/routing/waiting",
    "My owned tickets whose ball is with another line or person, waiting longest first (R14)",
    "routing",
    query=LIST_QUERY,
    roles=STAFF,
)
def waiting_tickets() -> dict[str, Any]:
    items, next_cursor = routing.list_waiting(caller(), limit=query_limit(), cursor=query("cursor", max_length=2000))
    return {"items": items, "next_cursor": next_cursor}
