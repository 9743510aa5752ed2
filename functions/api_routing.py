"""HTTP routes of tiered routing (R14, R15, R19, R27), registered on functions.api's resolver with its
route() decorator. Imported at the end of functions.api, so everything defined there can be imported here."""

from __future__ import annotations

from typing import Any

from functions.api import LIST_QUERY, caller, parse_body, query, query_limit, route
from shared.tasks import dispatch, queues

_GROUP = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


@route("GET", "/routing/groups", "Support groups with their line, order and members", "routing")
def routing_groups() -> dict[str, Any]:
    return {"items": queues.list_groups(caller())}


@route(
    "PUT",
    "/routing/groups/{group}",
    "Create or change a support group and its line (managers)",
    "routing",
    body="RoutingGroup",
)
def routing_save_group(group: str) -> dict[str, Any]:
    who = caller()
    body = parse_body("RoutingGroup")
    return queues.save_group(who, _group_name(group), line=body.line, description=body.description, skills=body.skills)


def _group_name(group: str) -> str:
    import re

    from shared.platform.errors import Unprocessable

    if not re.fullmatch(_GROUP, group):
        raise Unprocessable(
            "A group name is 1-64 letters, digits, '.', '_' or '-'.", errors=[{"field": "group", "message": _GROUP}]
        )
    return group


@route("GET", "/routing/agents/{sub}", "An agent's line, groups and skills", "routing")
def routing_agent(sub: str) -> dict[str, Any]:
    return queues.get_agent(caller(), sub)


@route(
    "PUT",
    "/routing/agents/{sub}",
    "Set an agent's groups, line and skills (managers)",
    "routing",
    body="RoutingAgent",
)
def routing_set_agent(sub: str) -> dict[str, Any]:
    who = caller()
    body = parse_body("RoutingAgent")
    return queues.set_agent_routing(who, sub, groups=body.groups, line=body.line, skills=body.skills)


_NEXT_QUERY = (("group", {"type": "string", "description": "one of my groups; default: all of them"}),)


def _empty(group: str | None) -> dict[str, Any]:
    return {"task": None, "detail": f"No open task in {group or 'your groups'} right now."}


@route(
    "GET",
    "/tasks/next",
    "The highest-priority open task in my groups, with what my tier needs to act on it",
    "tasks",
    query=_NEXT_QUERY,
)
def next_task() -> dict[str, Any]:
    group = query("group", pattern=_GROUP)
    return dispatch.next_task(caller(), group) or _empty(group)


@route("POST", "/tasks/next/take", "Take the highest-priority open task in my groups", "tasks", query=_NEXT_QUERY)
def take_next_task() -> dict[str, Any]:
    group = query("group", pattern=_GROUP)
    return dispatch.take_next(caller(), group) or _empty(group)


@route(
    "POST",
    "/tasks/{task_id}/reassign",
    "Hand a task to another group or person; the ticket's owner stays (R14)",
    "tasks",
    body="TaskReassign",
)
def reassign_task(task_id: str) -> dict[str, Any]:
    who = caller()
    body = parse_body("TaskReassign")
    return dispatch.reassign(who, task_id, group=body.group, assignee=body.assignee, reason=body.reason)


@route(
    "GET",
    "/routing/waiting",
    "My owned tickets whose ball is with another line or person, waiting longest first (R14)",
    "routing",
    query=LIST_QUERY,
)
def waiting_tickets() -> dict[str, Any]:
    items, next_cursor = queues.list_waiting(caller(), limit=query_limit(), cursor=query("cursor", max_length=2000))
    return {"items": items, "next_cursor": next_cursor}
