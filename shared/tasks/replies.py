"""Saved replies per group (issue 14): a title and a text per language, with placeholders filled in for a ticket
in its organisation's language. Managers keep any group's; an agent keeps their own groups'."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.directory import items as directory
from shared.platform import clock, store, words
from shared.platform.domain import Role
from shared.platform.errors import Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.tasks.items import REPLIES_PK, SavedReply
from shared.tasks.queues import caller_groups, get_group, registry
from shared.tickets import access
from shared.tickets.readers import reader_of

PLACEHOLDERS = ("customer_name", "reference", "subject", "next_step_at")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _sk(reply_id: str) -> str:
    return f"REPLY#{reply_id}"


def reply_view(reply: SavedReply) -> dict[str, Any]:
    return {
        "id": reply.reply_id,
        "group": reply.group,
        "title": reply.title,
        "texts": reply.texts,
        "updated_at": reply.updated_at,
        "updated_by": reply.updated_by,
    }


def _all() -> list[SavedReply]:
    found = SavedReply.query(REPLIES_PK, SavedReply.sk.startswith("REPLY#"))
    return sorted(found, key=lambda r: (r.group, r.title.casefold(), r.reply_id))


def _load(reply_id: str) -> SavedReply:
    try:
        return SavedReply.get(REPLIES_PK, _sk(reply_id))
    except DoesNotExist:
        raise NotFound(f"No saved reply {reply_id}.") from None


def _check_group(caller: Caller, group: str, doing: str) -> None:
    """Managers: any group; agents: their own groups."""
    caller.require_staff()
    if caller.role == Role.AGENT and group not in caller_groups(caller):
        raise Forbidden(f"You are not in group {group}, so you cannot {doing} its saved replies; ask a manager.")


def list_replies(caller: Caller, group: str | None) -> list[dict[str, Any]]:
    """A group's saved replies (no group: every group of mine; a manager's: every group's)."""
    caller.require_staff()
    if group:
        _check_group(caller, group, "read")
        return [reply_view(r) for r in _all() if r.group == group]
    if caller.role == Role.MANAGER:
        return [reply_view(r) for r in _all()]
    mine = set(caller_groups(caller))
    return [reply_view(r) for r in _all() if r.group in mine]


def check_may_edit(caller: Caller, reply_id: str) -> SavedReply:
    """The reply, when the caller may change it (before its new content is read)."""
    reply = _load(reply_id)
    _check_group(caller, reply.group, "change")
    return reply


def create_reply(caller: Caller, *, group: str, title: str, texts: dict[str, str]) -> dict[str, Any]:
    _check_group(caller, group, "add to")
    _check_content(group, texts)
    reply_id = store.new_id()
    reply = SavedReply(REPLIES_PK, _sk(reply_id), reply_id=reply_id, group=group, title=title, texts=texts)
    _stamp(reply, caller)
    reply.save(SavedReply.pk.does_not_exist())
    return reply_view(reply)


def update_reply(caller: Caller, reply: SavedReply, *, group: str, title: str, texts: dict[str, str]) -> dict[str, Any]:
    if group != reply.group:
        _check_group(caller, group, "move a reply into")
    _check_content(group, texts)
    reply.group, reply.title, reply.texts = group, title, texts
    _stamp(reply, caller)
    reply.save()
    return reply_view(reply)


def delete_reply(caller: Caller, reply: SavedReply) -> None:
    reply.delete()


def _stamp(reply: SavedReply, caller: Caller) -> None:
    reply.updated_at = clock.now_iso()
    reply.updated_by = caller.sub


def _check_content(group: str, texts: dict[str, str]) -> None:
    if get_group(group) is None:
        known, _ = registry()
        raise Unprocessable(
            f"No group {group}; use one of {', '.join(sorted(g.name for g in known))}.",
            errors=[{"field": "group", "message": "unknown group"}],
        )
    known_languages = words.languages()
    if not texts:
        raise Unprocessable(
            f"Give the reply's text in at least one language: {', '.join(known_languages)}.",
            errors=[{"field": "texts", "message": "at least one language"}],
        )
    for language, text in texts.items():
        if language not in known_languages:
            raise Unprocessable(
                f"The desk writes in {', '.join(known_languages)}; {language!r} is none of them.",
                errors=[{"field": f"texts.{language}", "message": f"one of {known_languages}"}],
            )
        unknown = [name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
        if unknown:
            raise Unprocessable(
                f"Unknown placeholder {{{unknown[0]}}} in the {language} text; use "
                + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                + ".",
                errors=[{"field": f"texts.{language}", "message": f"placeholders: {list(PLACEHOLDERS)}"}],
            )


def ticket_replies(caller: Caller, ticket_id: str) -> list[dict[str, Any]]:
    """The saved replies of the caller's groups (a manager's: every group's), each filled in for the ticket in its
    customer's language (else English, else the first language it has)."""
    caller.require_staff()
    ticket = access.visible_ticket_item(caller, ticket_id)
    reader = reader_of(ticket)
    requester = directory.get_user(ticket.requester_sub)
    values = {
        "customer_name": (requester.name if requester else None) or ticket.requester_email or "",
        "reference": ticket.reference,
        "subject": ticket.subject,
        "next_step_at": reader.time(datetime.fromisoformat(ticket.next_step_at)) if ticket.next_step_at else "",
    }
    mine = None if caller.role == Role.MANAGER else set(caller_groups(caller))
    items = []
    for reply in _all():
        if mine is not None and reply.group not in mine:
            continue
        text = reply.texts.get(reader.language) or reply.texts.get(words.ENGLISH) or next(iter(reply.texts.values()))
        items.append({"id": reply.reply_id, "group": reply.group, "title": reply.title, "text": _fill(text, values)})
    return items


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
