"""The setup step: writes the default desk (shared/setup/defaults.py) into the table, as often as it is run.

Run by the stack on every deploy that brings new defaults (a custom resource invoking functions/setup.py), by
`caseway setup --stage <stage>` against a deployed stage, and by the local stack and the tests before the demo.

Each default is written only where it is missing, or where the stored item is still exactly what the setup wrote
last time (its mark, shared/platform/marks.py) and the default has changed since. Everything else is left alone:
an item a manager changed (kept), an item a manager removed after the setup had written it (removed: not written
again). A second run with the same defaults writes nothing at all, not even its own state.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from typing import Any

from pynamodb.exceptions import PutError

from shared.kb import mandatory
from shared.kb.agreements import mandatory_articles
from shared.kb.articles import all_cards, fingerprint, update_article
from shared.platform import clock, logs, marks
from shared.platform.errors import Conflict
from shared.platform.identity import Caller
from shared.setup.defaults import SETUP_VERSION, Default, default_items
from shared.setup.items import SETUP_PK, STATE_SK, SetupState, get_state

logger = logging.getLogger(__name__)

HISTORY_KEPT = 20
OUTCOMES = ("created", "updated", "unchanged", "kept", "removed")


def run_setup() -> dict[str, Any]:
    """Write the default desk; returns what happened to each default, by item key:
    created, updated (still as the setup wrote it, brought up to date), unchanged, kept (changed by someone since:
    left as it is), removed (removed since the setup wrote it: not written again)."""
    state = get_state()
    written: dict[str, str] = dict(state.written) if state is not None else {}
    outcome: dict[str, list[str]] = {name: [] for name in OUTCOMES}
    _write_items(default_items(), written, outcome)
    _write_articles(written, outcome)
    changed = bool(outcome["created"] or outcome["updated"])
    if changed or state is None or int(state.version) != SETUP_VERSION or written != state.written:
        _save_state(written, outcome)
    logger.info("desk setup", extra=logs.fields({name: len(keys) for name, keys in outcome.items()}))
    return {"version": SETUP_VERSION, "previous_version": int(state.version) if state else None, **outcome}


def _write_items(defaults: list[Default], written: dict[str, str], outcome: dict[str, list[str]]) -> None:
    """The table-item defaults: one Query per partition to see what is there, one conditional write per item that
    needs one."""
    by_partition: dict[str, list[Default]] = defaultdict(list)
    for default in defaults:
        by_partition[default.item.pk].append(default)
    for pk, partition_defaults in by_partition.items():
        stored_items = marks.read_partition(pk)
        for default in partition_defaults:
            result = _write_item(default, stored_items.get(default.item.sk), written.get(default.key))
            outcome[result].append(default.key)
            if result in ("created", "updated") or (result == "unchanged" and default.key in written):
                written[default.key] = marks.fingerprint(default.item.serialize())


def _write_item(default: Default, stored: dict[str, Any] | None, recorded: str | None) -> str:
    item = default.item.serialize()
    wanted = marks.fingerprint(item)
    if stored is None:
        if recorded is not None:
            return "removed"
        return "created" if marks.put_marked(item, replacing=None) else "kept"
    current, mark = marks.fingerprint(stored), marks.mark_of(stored)
    if current == wanted:
        return "unchanged"
    if mark is not None and mark == current:
        return "updated" if marks.put_marked(item, replacing=mark) else "kept"
    return "kept"


def _write_articles(written: dict[str, str], outcome: dict[str, list[str]]) -> None:
    """R29's mandatory articles: shared/kb/mandatory.py creates the missing ones (they must exist) and regenerates
    the agreements from the plans (not edited by hand); here, a hand-written one the setup wrote and nobody edited
    since is brought up to date when its default text changed."""
    before = {card.slug: card for card in all_cards()}
    seeded = mandatory.seed_mandatory()
    system = Caller.system()
    for spec in mandatory_articles():
        key = f"kb:{spec.slug}"
        wanted = fingerprint(spec.title, spec.body, list(spec.tags))
        card = before.get(spec.slug)
        if spec.slug in seeded["created"] or spec.slug in seeded["updated"]:
            result = "created" if spec.slug in seeded["created"] else "updated"
        elif card is None or card.fingerprint == wanted:
            result = "unchanged"
        elif not spec.generated and written.get(key) == card.fingerprint:
            result = "kept"
            with contextlib.suppress(Conflict):  # saved by someone meanwhile: theirs stays
                update_article(
                    system,
                    card.article_id,
                    changes={"title": spec.title, "body": spec.body, "tags": list(spec.tags)},
                    note=f"Default text of setup version {SETUP_VERSION}",
                    expected_version=int(card.version),
                )
                result = "updated"
        else:
            result = "kept"
        outcome[result].append(key)
        if result != "kept":
            written[key] = wanted


def _save_state(written: dict[str, str], outcome: dict[str, list[str]]) -> None:
    """Record the version and what was written; a run that raced another merges what both wrote."""
    entry = {"version": SETUP_VERSION, "at": clock.now_iso(), **{k: len(outcome[k]) for k in ("created", "updated")}}
    for _ in range(5):
        state = get_state() or SetupState(SETUP_PK, STATE_SK, written={}, history=[])
        state.version = SETUP_VERSION
        state.ran_at = entry["at"]
        state.written = {**state.written, **written}
        state.history = [*state.history, entry][-HISTORY_KEPT:]
        try:
            state.save()
            return
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    raise RuntimeError("the setup state kept changing under this run (another setup running at the same time?)")
