"""How a ticket's log is stored: the entries one write makes together are one item (Event.pack), or ride on the new
message they log while that item stays one write unit (Message.carry); the partition reads back every entry on its
own, with its id, instant, type and data, whatever item it was stored in."""

from __future__ import annotations

from typing import Any

import pytest

from shared.platform import store, workflows
from shared.platform.identity import Caller
from shared.platform.table import Entity
from shared.tickets import items as ticket_items
from shared.tickets.conversation import system_message
from shared.tickets.items import Event, Message, load_ticket, load_ticket_partition
from shared.tickets.log import new_event
from tests.conftest import BOB, QUESTION, Api

AT = "2026-11-23T08:00:00.000Z"


@pytest.fixture
def ticket_id(api: Api, monkeypatch: pytest.MonkeyPatch) -> str:
    # No route: only what the test writes is in the log besides the opening entry.
    monkeypatch.setattr(workflows, "invoke_async", lambda *a, **k: None)
    monkeypatch.setattr(workflows, "call_worker", lambda *a, **k: None)
    reply = api("POST", "/tickets", user=BOB, body=QUESTION)
    assert reply.status == 201, reply.text
    return reply.json["id"]


def _stored(ticket_id: str) -> list[dict[str, Any]]:
    """The partition's items as stored (no unpacking): their sort keys and what they carry."""
    return [
        {"sk": i.sk, "more": getattr(i, "more", None), "log_entries": getattr(i, "log_entries", None)}
        for i in Entity.query(ticket_items.ticket_pk(ticket_id), consistent_read=True)
    ]


def _entries(ticket_id: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    events = sorted((i for i in load_ticket_partition(ticket_id) if isinstance(i, Event)), key=lambda e: e.event_id)
    return [(e.event_id, e.type, e.at, e.data) for e in events]


def test_the_entries_of_one_write_are_one_item_and_read_back_one_by_one(ticket_id: str) -> None:
    ticket, _ = load_ticket(ticket_id)
    before = _entries(ticket_id)
    items_before = len(_stored(ticket_id))
    # Given three entries written in one step
    written = [
        new_event(ticket, Caller.system(), kind, f"{kind} happened", public=True, at=AT, n=n)
        for n, kind in enumerate(("StatusChanged", "TicketResolved", "TaskCompleted"))
    ]
    store.transact([(e, None) for e in written])

    # Then the table holds one item more, carrying the two later entries
    stored = _stored(ticket_id)
    assert len(stored) == items_before + 1
    packed = [s for s in stored if s["sk"] == f"EVENT#{written[0].event_id}"]
    assert len(packed) == 1 and [m[Event.ENTRY_SHORT["event_id"]] for m in packed[0]["more"]] == [
        e.event_id for e in written[1:]
    ]
    # and the partition reads back each entry with its own id, type, instant and data
    assert _entries(ticket_id) == sorted(
        [*before, *((e.event_id, e.type, AT, {"n": n}) for n, e in enumerate(written))]
    )


def test_entries_ride_on_the_new_message_they_log_while_it_stays_one_write_unit(ticket_id: str) -> None:
    ticket, _ = load_ticket(ticket_id)
    items_before = len(_stored(ticket_id))
    # Given a short message and its entry written together
    message, said = system_message(ticket, "We are on it.", AT)
    store.transact([(message, None), (said, None)])

    # Then the message's item carries the entry: one item for both
    stored = _stored(ticket_id)
    assert len(stored) == items_before + 1
    carried = next(s for s in stored if s["sk"] == message.sk)
    assert [e[Event.ENTRY_SHORT["event_id"]] for e in carried["log_entries"]] == [said.event_id]
    # and both read back: the message, and the entry as an Event of its own
    items = load_ticket_partition(ticket_id)
    assert [m.body for m in items if isinstance(m, Message) and m.message_id == message.message_id] == ["We are on it."]
    assert said.event_id in [e.event_id for e in items if isinstance(e, Event)]


def test_a_message_put_again_keeps_the_entries_it_carries(ticket_id: str) -> None:
    ticket, _ = load_ticket(ticket_id)
    message, said = system_message(ticket, "We are on it.", AT)
    store.transact([(message, None), (said, None)])
    # Given the message read back (carrying its entry) and put again whole with another write's entry
    [read] = [m for m in load_ticket_partition(ticket_id) if isinstance(m, Message) and m.sk == message.sk]
    later = new_event(ticket, Caller.system(), "MessageEdited", "Edited", public=True, at=AT)
    store.transact([(read, None), (later, None)])
    # Then both entries are read back: the first still on the message, the later one in an item of its own
    assert {said.event_id, later.event_id} <= {e[0] for e in _entries(ticket_id)}
    carried = next(s for s in _stored(ticket_id) if s["sk"] == message.sk)
    assert [e[Event.ENTRY_SHORT["event_id"]] for e in carried["log_entries"]] == [said.event_id]


def test_a_message_too_large_to_carry_its_entries_leaves_them_in_an_item_of_their_own(ticket_id: str) -> None:
    ticket, _ = load_ticket(ticket_id)
    items_before = len(_stored(ticket_id))
    # Given a message near 1 KB and its entry
    message, said = system_message(ticket, "x" * 900, AT)
    store.transact([(message, None), (said, None)])

    # Then the entry is an item of its own and the message carries nothing
    stored = _stored(ticket_id)
    assert len(stored) == items_before + 2
    assert next(s for s in stored if s["sk"] == message.sk)["log_entries"] is None
    assert said.event_id in [e[0] for e in _entries(ticket_id)]


def test_entries_stored_with_their_full_field_names_read_the_same(ticket_id: str) -> None:
    """Entries carried or packed before they were stored with one-letter names (and empty data left out)."""
    pk = ticket_items.ticket_pk(ticket_id)
    long = {
        "event_id": "01M8MQH3N90N2BQ9P1M7HM2T7A",
        "at": AT,
        "type": "StatusChanged",
        "actor_sub": "system",
        "actor_role": "system",
        "public": True,
        "summary": "Status: new -> in_progress",
        "data": {"to": "in_progress"},
    }
    short = Event.entry_of(Event.from_entry(pk, ticket_id, long))
    assert short == {Event.ENTRY_SHORT[name]: value for name, value in long.items()}
    for stored in (long, short, {k: v for k, v in short.items() if k != "d"}):
        event = Event.from_entry(pk, ticket_id, stored)
        assert (event.sk, event.event_id, event.type, event.public) == (
            f"EVENT#{long['event_id']}",
            long["event_id"],
            "StatusChanged",
            True,
        )
        assert event.data == (long["data"] if "d" in stored or "data" in stored else {})
