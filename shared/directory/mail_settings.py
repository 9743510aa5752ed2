"""The desk's e-mails to its staff, and each person's say in which they get: a ticket's owner hears of a customer's
reply and of the ticket's SLA warnings and breaches, managers of incidents (R24). Each kind can be turned off per
person (`PUT /people/{sub}/mail-settings`, the person or a manager); everything is on until turned off."""

from __future__ import annotations

import logging
from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.directory import items as directory
from shared.directory.items import MAIL_SETTINGS_SK, MailSettings, User
from shared.platform import clock, mail
from shared.platform.domain import Role
from shared.platform.errors import Forbidden, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.platform.table import Entity

logger = logging.getLogger(__name__)

KINDS = {
    "customer_reply": "a customer wrote into a ticket you own",
    "sla_warning": "a ticket you own passed its SLA's internal target",
    "sla_breach": "a ticket you own breached its SLA",
    "incident": "an incident was raised (managers)",
}


def _stored(sub: str) -> MailSettings | None:
    try:
        return MailSettings.get(directory.user_pk(sub), MAIL_SETTINGS_SK)
    except DoesNotExist:
        return None


def settings_view(sub: str, stored: MailSettings | None = None) -> dict[str, Any]:
    stored = stored if stored is not None else _stored(sub)
    off = set(stored.off or []) if stored is not None else set()
    return {
        "sub": sub,
        "kinds": {kind: kind not in off for kind in KINDS},
        "descriptions": dict(KINDS),
        "updated_at": stored.updated_at if stored is not None else None,
    }


def _person(caller: Caller, sub: str) -> User:
    """The staff member whose settings are read or changed: the caller's own, or anyone's for a manager."""
    if caller.role != Role.MANAGER and caller.sub != sub:
        raise Forbidden(
            "Only managers change other people's e-mail settings; yours are at /people/{your sub}/mail-settings."
        )
    user = directory.get_user(sub)
    if user is None:
        raise NotFound(f"No person {sub}.")
    return user


def get_settings(caller: Caller, sub: str) -> dict[str, Any]:
    _person(caller, sub)
    return settings_view(sub)


def put_settings(caller: Caller, sub: str, kinds: dict[str, bool]) -> dict[str, Any]:
    """Turn kinds on (True) or off (False); kinds not named keep their setting."""
    _person(caller, sub)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise Unprocessable(
            f"Unknown e-mail kinds: {', '.join(unknown)}. Known: {', '.join(KINDS)}.",
            errors=[{"field": f"kinds.{k}", "message": "not a kind of staff e-mail"} for k in unknown],
        )
    stored = _stored(sub)
    off = set(stored.off or []) if stored is not None else set()
    off |= {k for k, on in kinds.items() if not on}
    off -= {k for k, on in kinds.items() if on}
    saved = MailSettings(directory.user_pk(sub), MAIL_SETTINGS_SK, sub=sub, off=sorted(off), updated_at=clock.now_iso())
    saved.save()
    return settings_view(sub, saved)


def wants(sub: str, kind: str) -> bool:
    stored = _stored(sub)
    return stored is None or kind not in (stored.off or [])


def tell(user: User | None, kind: str, subject: str, text: str) -> str | None:
    """E-mail a staff member about `kind` unless they turned it off or are no longer active; the Message-ID, or None
    when nothing was sent."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of staff e-mail {kind!r}")
    if user is None or user.active is False or not user.email or not wants(user.sub, kind):
        return None
    return mail.send_email(user.email, subject, text)


def managers() -> list[User]:
    """The desk's active managers (one Query of the staff's people)."""
    found = Entity.organisation_index.query(directory.people_index_pk(None))
    return [u for u in found if isinstance(u, User) and u.role == Role.MANAGER.value and u.active is not False]
