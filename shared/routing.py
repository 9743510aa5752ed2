"""Tiered routing (R14, R15, R19, R27): support groups per line, agents' groups and skills, the next task
an agent should take, handing a task over to another group or person, and what a ticket's owner waits on.

The priority itself is computed in shared.priority (pure); this module feeds it the task's data.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from shared import clock, integrations, priority, store
from shared.domain import OPEN_STATUSES, Role, Status, TaskStatus
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.identity import Caller
from shared.models import Entity, Event, Message, Task, Ticket, User
from shared.models_routing import ROUTING_PK, WAITING_SK, GroupMember, SupportGroup, WaitingOn

# How many open tasks of each group /tasks/next looks at when a taker loses a race for the first one.
NEXT_CANDIDATES = 5


def _group_sk(name: str) -> str:
    return f"GROUP#{name}"


def _member_sk(group: str, sub: str) -> str:
    return f"MEMBER#{group}#{sub}"


# --- groups and agents ---------------------------------------------------------------------------


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
    _require_manager(caller)
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
    for found in Entity.queue_index.query(store.queue_pk(group)):
        for _ in range(3):
            try:
                task = Task.get(found.pk, found.sk, consistent_read=True)
            except DoesNotExist:
                break
            if not task.priority_basis or task.queue_pk != store.queue_pk(group):
                break
            basis = priority.Basis.from_dict({**task.priority_basis, "line": line})
            task.priority_basis = basis.as_dict()
            task.queue_sk = priority.queue_key(basis, task.task_id)
            try:
                task.save()
                break
            except PutError:
                continue  # changed meanwhile (taken, done): read it again


def _require_manager(caller: Caller) -> None:
    if caller.role != Role.MANAGER:
        raise Forbidden("Only managers can change support groups and agents' routing.")


def _find_staff(sub_or_email: str, field: str) -> User:
    user = store.get_user_by_email(sub_or_email) if "@" in sub_or_email else store.get_user(sub_or_email)
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
    _require_manager(caller)
    user = store.get_user(sub)
    if user is None or user.role not in (Role.AGENT.value, Role.MANAGER.value):
        raise NotFound(f"No agent {sub}.")
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


def get_agent(caller: Caller, sub: str) -> dict[str, Any]:
    caller.require_staff()
    user = store.get_user(sub)
    if user is None or user.role not in (Role.AGENT.value, Role.MANAGER.value):
        raise NotFound(f"No agent {sub}.")
    return agent_view(user)


def _caller_groups(caller: Caller) -> list[str]:
    user = store.get_user(caller.sub)
    return list(user.groups) if user else []


# --- a task's priority basis ---------------------------------------------------------------------


def basis_for(ticket: Ticket, *, group: str, base: int, due_at: str | None, created_at: str) -> priority.Basis:
    """What the task's priority is computed from, read from its ticket and organisation when it is created."""
    organisation = store.get_organisation(ticket.organisation_id)
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


# --- the next task -------------------------------------------------------------------------------


def _open_heads(group: str, count: int) -> list[Task]:
    found = Entity.queue_index.query(
        store.queue_pk(group),
        filter_condition=Task.status == TaskStatus.OPEN.value,
        limit=count,
        page_size=max(count, 25),
    )
    return [t for t in found if isinstance(t, Task)]


def _groups_to_serve(caller: Caller, group: str | None) -> list[str]:
    caller.require_staff()
    mine = _caller_groups(caller)
    if group:
        if caller.role == Role.AGENT and group not in mine:
            raise Forbidden(f"You are not in group {group}; ask a manager to add you.")
        return [group]
    if not mine:
        raise Unprocessable(
            "You are in no support group; say which group's queue (?group=L2) or ask a manager to add you.",
            errors=[{"field": "group", "message": "required when you are in no group"}],
        )
    return mine


def _rank(task: Task) -> tuple[float, str, str]:
    """Across several groups: the highest priority now, then the earlier deadline, then arrival."""
    if not task.priority_basis:
        return (-float(task.priority or 0), task.due_at or "9999", task.created_at)
    basis = priority.Basis.from_dict(task.priority_basis)
    return (-priority.score(basis, clock.now()), task.due_at or "9999", task.created_at)


def next_candidates(caller: Caller, group: str | None, count: int = 1) -> list[Task]:
    """Open tasks the caller may take, best first. Each group's queue is already in its line's order
    (arrival for L1, priority for the others); several queues are merged by priority now."""
    heads: list[tuple[int, Task]] = []
    for name in _groups_to_serve(caller, group):
        heads += list(enumerate(_open_heads(name, count)))
    ordered = sorted(heads, key=lambda pair: (pair[0], _rank(pair[1])))
    return [task for _, task in ordered][:count]


def next_task(caller: Caller, group: str | None) -> dict[str, Any] | None:
    found = next_candidates(caller, group)
    if not found:
        return None
    return brief(found[0])


def take_next(caller: Caller, group: str | None) -> dict[str, Any] | None:
    """Take the best open task; if someone else takes it first, the next one."""
    from shared.tasks import take_task

    for task in next_candidates(caller, group, NEXT_CANDIDATES):
        try:
            taken, _ = take_task(caller, task.task_id)
        except Conflict:
            continue
        return brief(taken)
    return None


# --- what each tier needs to act (R27) -----------------------------------------------------------


def brief(task: Task) -> dict[str, Any]:
    from shared.views import task_view

    items = store.load_ticket_partition(task.ticket_id)
    ticket = next(i for i in items if isinstance(i, Ticket))
    organisation = store.get_organisation(ticket.organisation_id)
    line = group_line(task.group)
    view: dict[str, Any] = {
        "task": task_view(task),
        "line": line,
        "ticket": {
            "id": ticket.ticket_id,
            "reference": ticket.reference,
            "subject": ticket.subject,
            "service": ticket.service,
            "status": ticket.status,
            "owner": ticket.owner,
            "classification": ticket.classification,
            "next_step_at": ticket.next_step_at,
            "organisation": {
                "id": ticket.organisation_id,
                "name": organisation.name if organisation else None,
                "importance": organisation.importance if organisation else "standard",
            },
        },
    }
    messages = sorted((i for i in items if isinstance(i, Message)), key=lambda m: m.message_id)
    if line == "L1":
        # First line talks to the customer: the request as they wrote it, the intake answers, who to call.
        requester = store.get_user(ticket.requester_sub)
        view["customer"] = {
            "description": ticket.description,
            "fields": ticket.fields,
            "requester": {
                "sub": ticket.requester_sub,
                "email": ticket.requester_email,
                "name": requester.name if requester else None,
            },
            "contacts": organisation.contacts if organisation else [],
            "messages": [
                {"author_role": m.author_role, "body": m.body, "created_at": m.created_at}
                for m in messages
                if not m.internal and not m.automatic
            ],
        }
    else:
        # Further lines work from what the first line found: its classification and notes (R27).
        done = sorted(
            (i for i in items if isinstance(i, Task) and i.status == TaskStatus.DONE.value and i.note),
            key=lambda t: t.completed_at or "",
        )
        view["handover"] = {
            "classification": ticket.classification,
            "description": ticket.description,
            "fields": ticket.fields,
            "notes": [
                {"task": t.title, "outcome": t.outcome, "by": t.assignee, "note": t.note, "at": t.completed_at}
                for t in done
            ]
            + [
                {"task": None, "outcome": None, "by": m.author_sub, "note": m.body, "at": m.created_at}
                for m in messages
                if m.internal
            ],
        }
    return view


# --- handing over (R14: the owner stays) ---------------------------------------------------------


def reassign(
    caller: Caller, task_id: str, *, group: str | None, assignee: str | None, reason: str | None
) -> dict[str, Any]:
    """Hand a task to another group or person. An agent hands over their own task, a manager any; the
    ticket's owner never changes (R14), and the customer sees nothing of it."""
    from shared.tasks import _load
    from shared.tickets import _event, _with_retries, ticket_detail

    caller.require_staff()
    if not group and not assignee:
        raise Unprocessable(
            "Say where the task goes: a group, a person, or both.",
            errors=[{"field": "group", "message": "group or assignee required"}],
        )
    state: dict[str, Any] = {}

    def attempt() -> None:
        task, ticket = _load(task_id)
        if caller.role == Role.AGENT and task.assignee != caller.sub:
            raise Forbidden(
                f"Task {task_id} is not yours to hand over"
                + (f" (it is assigned to {task.assignee})" if task.assignee else " (take it first)")
                + "; ask a manager."
            )
        if task.status == TaskStatus.DONE.value:
            raise Conflict(f"Task {task_id} is already done.")
        target_group = group or task.group
        target = get_group(target_group)
        if target is None:
            known, _ = registry()
            raise Unprocessable(
                f"No group {target_group}; use one of {', '.join(sorted(g.name for g in known))}.",
                errors=[{"field": "group", "message": "unknown group"}],
            )
        person = _find_staff(assignee, "assignee") if assignee else None
        if person is not None and target_group not in (person.groups or []):
            raise Unprocessable(
                f"{person.name} is not in group {target_group}; hand it to the group or to one of its members.",
                errors=[{"field": "assignee", "message": f"not in group {target_group}"}],
            )
        new_assignee = person.sub if person else None
        if target_group == task.group and new_assignee == task.assignee:
            raise Conflict(f"Task {task_id} is already with {new_assignee or target_group}.")
        before = {"group": task.group, "assignee": task.assignee}
        now = clock.now_iso()
        task.group = target_group
        task.queue_pk = store.queue_pk(target_group)
        if task.priority_basis:
            # It keeps its arrival and the customer's waiting time: a handover never puts it at the back.
            basis = priority.Basis.from_dict({**task.priority_basis, "line": target.line})
            task.priority_basis = basis.as_dict()
            task.queue_sk = priority.queue_key(basis, task.task_id)
        if new_assignee:
            task.status, task.assignee, task.taken_at = TaskStatus.TAKEN.value, new_assignee, now
        else:
            task.status, task.assignee, task.taken_at = TaskStatus.OPEN.value, None, None
        to = f"{person.name} ({target_group})" if person else target_group
        event = _event(
            ticket,
            caller,
            "TaskReassigned",
            f"{task.title} handed to {to}" + (f": {reason}" if reason else ""),
            public=False,
            task_id=task_id,
            from_group=before["group"],
            to_group=target_group,
            from_assignee=before["assignee"],
            to_assignee=new_assignee,
            line=target.line,
            reason=reason,
        )
        store.transact([(task, None), (event, None)])
        state.update(task=task, ticket=ticket, before=before)

    _with_retries("This task", attempt)
    task, ticket = state["task"], state["ticket"]
    integrations.publish(
        "TaskReassigned",
        {
            **ticket_detail(ticket),
            "task_id": task_id,
            "from_group": state["before"]["group"],
            "to_group": task.group,
            "from_assignee": state["before"]["assignee"],
            "to_assignee": task.assignee,
        },
    )
    refresh_waiting_on(ticket.ticket_id)
    return brief(task)


# --- what the owner waits on (R14) ---------------------------------------------------------------


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
    items = store.load_ticket_partition(ticket_id)
    ticket = next((i for i in items if isinstance(i, Ticket)), None)
    current = next((i for i in items if isinstance(i, WaitingOn)), None)
    wanted = None
    if ticket is not None and ticket.owner:
        owner = store.get_user(ticket.owner)
        wanted = waiting_on_of(ticket, items, set(owner.groups or []) if owner else set())
    if wanted is None:
        if current is not None:
            current.delete()
        return
    if current is not None and waiting_view(current) == wanted and current.owner == ticket.owner:
        return
    WaitingOn(
        store.ticket_pk(ticket_id),
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
    keys = [(store.ticket_pk(t), WAITING_SK) for t in dict.fromkeys(ticket_ids)]
    return {item.ticket_id: waiting_view(item) for item in WaitingOn.batch_get(keys)}


def list_waiting(caller: Caller, *, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The caller's owned tickets whose ball is with another line or person, waiting longest first (R14)."""
    caller.require_staff()
    items, next_cursor = store.query_page(
        Entity.owner_index, "owner_pk", f"WAITING#{caller.sub}", limit=limit, cursor=cursor, newest_first=False
    )
    waits = [i for i in items if isinstance(i, WaitingOn)]
    keys = [(store.ticket_pk(w.ticket_id), store.TICKET_SK) for w in waits]
    tickets = {t.ticket_id: t for t in Ticket.batch_get(keys)} if keys else {}
    from shared.views import ticket_summary

    return [
        {**ticket_summary(tickets[w.ticket_id]), "waiting_on": waiting_view(w)} for w in waits if w.ticket_id in tickets
    ], next_cursor
