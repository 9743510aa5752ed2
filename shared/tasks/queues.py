"""Tiered routing (R14, R15, R19, R27): support groups per line, agents' groups and skills, the next task
an agent should take, handing a task over to another group or person, and what a ticket's owner waits on.

The priority itself is computed in shared.priority (pure); this module feeds it the task's data.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from shared.directory import items as directory
from shared.directory.items import User
from shared.platform import clock, store
from shared.platform.domain import OPEN_STATUSES, Role, Status, TaskStatus
from shared.platform.errors import Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tasks import priority
from shared.tasks.items import ROUTING_PK, WAITING_SK, GroupMember, SupportGroup, WaitingOn
from shared.tickets import items as ticket_items
from shared.tickets.items import Event, Task, Ticket
from shared.tickets.views import ticket_summary


def _group_sk(name: str) -> str:
    return f"GROUP#{name}"


def _member_sk(group: str, sub: str) -> str:
    return f"MEMBER#{group}#{sub}"


def get_group(name: str) -> SupportGroup | None:
    try:
        return SupportGroup.get(ROUTING_PK, _group_sk(name))
    except DoesNotExist:
        return None


def group_line(name: str) -> str:
    group = get_group(name)
    return group.line if group is not None else priority.line_of_group_name(name)


def registry() -> tuple[list[SupportGroup], list[GroupMember]]:
    """Every group and membership: one Query on the routing partition."""
    items = list(Entity.query(ROUTING_PK))
    return [i for i in items if isinstance(i, SupportGroup)], [i for i in items if isinstance(i, GroupMember)]


def group_view(group: SupportGroup, members: list[GroupMember]) -> dict[str, Any]:
    return {
        "name": group.name,
        "line": group.line,
        "description": group.description,
        "skills": group.skills,
        "order": "arrival" if group.line in priority.ARRIVAL_ORDER_LINES else "priority",
        "members": [
            {"sub": m.sub, "name": m.name, "email": m.email}
            for m in sorted(members, key=lambda m: m.name)
            if m.group == group.name
        ],
    }


def list_groups(caller: Caller) -> list[dict[str, Any]]:
    caller.require_staff()
    groups, members = registry()
    return [group_view(g, members) for g in sorted(groups, key=lambda g: (priority.LINES.index(g.line), g.name))]


def _check_line(line: str) -> None:
    if line not in priority.LINES:
        raise Unprocessable(
            f"Unknown line {line!r}; use one of {', '.join(priority.LINES)}.",
            errors=[{"field": "line", "message": f"one of {list(priority.LINES)}"}],
        )


def save_group(
    caller: Caller, name: str, *, line: str, description: str = "", skills: list[str] | None = None
) -> dict[str, Any]:
    """Create or change a group (managers). Moving a group to another line re-sorts its open tasks."""
    require_manager(caller)
    _check_line(line)
    before = get_group(name)
    group = SupportGroup(
        ROUTING_PK, _group_sk(name), name=name, line=line, description=description, skills=sorted(set(skills or []))
    )
    group.save()
    old_line = before.line if before is not None else priority.line_of_group_name(name)
    if old_line != line:
        _resort_queue(name, line)
    _, members = registry()
    return group_view(group, members)


def _resort_queue(group: str, line: str) -> None:
    """Re-key the group's unfinished tasks for its new line (read back from the table: the index may lag)."""
    for found in Entity.queue_index.query(ticket_items.queue_pk(group)):
        for _ in range(3):
            try:
                task = Task.get(found.pk, found.sk, consistent_read=True)
            except DoesNotExist:
                break
            if not task.priority_basis or task.queue_pk != ticket_items.queue_pk(group):
                break
            basis = priority.Basis.from_dict({**task.priority_basis, "line": line})
            task.priority_basis = basis.as_dict()
            task.queue_sk = priority.queue_key(basis, task.task_id)
            try:
                task.save()
                break
            except PutError:
                continue  # changed meanwhile (taken, done): read it again


def require_manager(caller: Caller) -> None:
    """Managers, or the desk itself (`caseway invite --stage` sets an invited agent's groups)."""
    if caller.role not in (Role.MANAGER, Role.SYSTEM):
        raise Forbidden("Only managers can change support groups and agents' routing.")


def find_staff(sub_or_email: str, field: str) -> User:
    user = directory.get_user_by_email(sub_or_email) if "@" in sub_or_email else directory.get_user(sub_or_email)
    if user is None or user.role not in (Role.AGENT.value, Role.MANAGER.value):
        raise Unprocessable(
            f"No agent or manager {sub_or_email}.", errors=[{"field": field, "message": "not a staff member"}]
        )
    return user


def agent_view(user: User) -> dict[str, Any]:
    return {
        "sub": user.sub,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "line": user.line,
        "groups": user.groups,
        "skills": user.skills or [],
    }


def set_agent_routing(
    caller: Caller, sub: str, *, groups: list[str], line: str | None, skills: list[str]
) -> dict[str, Any]:
    """A manager puts an agent into groups (several per line allowed), on a line, with skills."""
    require_manager(caller)
    user = directory.get_user(sub)
    if user is None or user.role not in (Role.AGENT.value, Role.MANAGER.value):
        raise NotFound(f"No agent {sub}.")
    check_routing(groups, line)
    previous = set(user.groups or [])
    user.groups = sorted(set(groups))
    user.line = line
    user.skills = sorted(set(skills))
    writes: list[tuple[Entity, Any]] = [(user, None)]
    writes += [
        (GroupMember(ROUTING_PK, _member_sk(g, sub), group=g, sub=sub, name=user.name, email=user.email), None)
        for g in user.groups
    ]
    store.transact(writes)
    for gone in previous - set(user.groups):
        GroupMember(ROUTING_PK, _member_sk(gone, sub)).delete()
    return agent_view(user)


def check_routing(groups: list[str], line: str | None) -> None:
    """422 unless every group exists and the line is one of the desk's lines."""
    known, _ = registry()
    known_names = {g.name for g in known}
    unknown = sorted(set(groups) - known_names)
    if unknown:
        raise Unprocessable(
            f"No group {', '.join(unknown)}; create it first (PUT /routing/groups/{{name}}) or use one of "
            f"{', '.join(sorted(known_names))}.",
            errors=[{"field": "groups", "message": f"unknown: {unknown}"}],
        )
    if line is not None:
        _check_line(line)


def get_agent(caller: Caller, sub: str) -> dict[str, Any]:
    caller.require_staff()
    user = directory.get_user(sub)
    if user is None or user.role not in (Role.AGENT.value, Role.MANAGER.value):
        raise NotFound(f"No agent {sub}.")
    return agent_view(user)


def caller_groups(caller: Caller) -> list[str]:
    user = directory.get_user(caller.sub)
    return list(user.groups) if user else []


def basis_for(ticket: Ticket, *, group: str, base: int, due_at: str | None, created_at: str) -> priority.Basis:
    """What the task's priority is computed from, read from its ticket and organisation when it is created."""
    organisation = directory.get_organisation(ticket.organisation_id)
    on_our_side = ticket.ball_side in (None, "us") and ticket.ball_since
    return priority.Basis(
        base=int(base),
        classification=ticket.classification,
        importance=organisation.importance if organisation else "standard",
        created_at=created_at,
        due_at=due_at,
        waiting_since=ticket.ball_since if on_our_side else created_at,
        line=group_line(group),
    )


def basis_without_ticket(*, group: str, base: int, due_at: str | None, created_at: str) -> priority.Basis:
    """The priority inputs of a task about no single ticket (a review): its own base, no customer."""
    return priority.Basis(
        base=int(base),
        classification=None,
        importance="standard",
        created_at=created_at,
        due_at=due_at,
        waiting_since=created_at,
        line=group_line(group),
    )


def explain(task: Task) -> dict[str, Any] | None:
    if not task.priority_basis:
        return None
    return priority.explain(priority.Basis.from_dict(task.priority_basis), clock.now())


def _entered_group_at(task: Task, events: list[Event]) -> str:
    moves = [e.at for e in events if e.type == "TaskReassigned" and e.data.get("task_id") == task.task_id]
    return max(moves, default=task.created_at)


def waiting_on_of(ticket: Ticket, items: list[Entity], owner_groups: set[str]) -> dict[str, Any] | None:
    """The unfinished task the owner cannot act on themselves (with another person, or open in a group the
    owner is not in) that has waited longest; None when the ball is with the owner or the customer."""
    if not ticket.owner or Status(ticket.status) not in OPEN_STATUSES:
        return None
    events = [i for i in items if isinstance(i, Event)]
    waiting = [
        t
        for t in items
        if isinstance(t, Task)
        and t.status != TaskStatus.DONE.value
        and ((t.assignee and t.assignee != ticket.owner) or (not t.assignee and t.group not in owner_groups))
    ]
    if not waiting:
        return None
    found = min(waiting, key=lambda t: (_entered_group_at(t, events), t.task_id))
    return {
        "task_id": found.task_id,
        "group": found.group,
        "line": group_line(found.group),
        "assignee": found.assignee,
        "since": _entered_group_at(found, events),
    }


def waiting_view(item: WaitingOn) -> dict[str, Any]:
    return {
        "task_id": item.task_id,
        "group": item.group,
        "line": item.line,
        "assignee": item.assignee,
        "since": item.since,
    }


def refresh_waiting_on(ticket_id: str) -> None:
    """Keep the ticket's WAITING_ON item right after a task change; it is what the owner's lists show."""
    items = ticket_items.load_ticket_partition(ticket_id)
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    current = next((i for i in items if isinstance(i, WaitingOn)), None)
    wanted = None
    if ticket is not None and ticket.owner:
        owner = directory.get_user(ticket.owner)
        wanted = waiting_on_of(ticket, items, set(owner.groups or []) if owner else set())
    if wanted is None:
        if current is not None:
            current.delete()
        return
    if current is not None and waiting_view(current) == wanted and current.owner == ticket.owner:
        return
    WaitingOn(
        ticket_items.ticket_pk(ticket_id),
        WAITING_SK,
        ticket_id=ticket_id,
        owner=ticket.owner,
        owner_pk=f"WAITING#{ticket.owner}",
        owner_sk=f"{wanted['since']}#{ticket_id}",
        **{k: wanted[k] for k in ("task_id", "group", "line", "assignee", "since")},
    ).save()


def waiting_on_for(ticket_ids: list[str]) -> dict[str, dict[str, Any]]:
    """WAITING_ON of several tickets at once (one BatchGetItem), for list views."""
    if not ticket_ids:
        return {}
    keys = [(ticket_items.ticket_pk(t), WAITING_SK) for t in dict.fromkeys(ticket_ids)]
    return {item.ticket_id: waiting_view(item) for item in WaitingOn.batch_get(keys)}


def list_waiting(caller: Caller, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The caller's owned tickets whose ball is with another line or person, waiting longest first (R14)."""
    caller.require_staff()
    items, next_cursor = store.query_page(
        Entity.owner_index, "owner_pk", f"WAITING#{caller.sub}", limit=limit, cursor=cursor, newest_first=False
    )
    waits = [i for i in items if isinstance(i, WaitingOn)]
    keys = [(ticket_items.ticket_pk(w.ticket_id), ticket_items.TICKET_SK) for w in waits]
    tickets = {t.ticket_id: t for t in Ticket.batch_get(keys)} if keys else {}

    return [
        {**ticket_summary(tickets[w.ticket_id]), "waiting_on": waiting_view(w)} for w in waits if w.ticket_id in tickets
    ], next_cursor
