"""What people write is kept apart from the ticket item the route rewrites at every step, so the ticket stays one
write unit however long the texts are: the requester's description and intake answers on the ticket's TEXT item,
each resolution (with its preventive measure and cited articles) on a RESOLUTION item of its own. The desk reads
the ticket with them (get_ticket, load_ticket_partition); a ticket stored before they were kept apart is read as it
was and moved apart at its next write. The ticket item does not store its id (its key says it), and the
SLA badge is stored compactly and read back whole."""

from __future__ import annotations

from typing import Any

import pytest

from shared.platform import aws, config, store, workflows
from shared.platform.table import Entity
from shared.tickets import items as ticket_items
from shared.tickets.items import (
    RESOLUTION_SK_PREFIX,
    TEXT_SK,
    BadgeAttribute,
    Event,
    Ticket,
    TicketResolution,
    TicketText,
    get_ticket,
    load_ticket,
)
from tests.conftest import BOB, QUESTION, Api

LONG = ("The monthly CSV export ends with an error page. " * 60).strip()  # about 2.9 KB, a detailed report


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    # No route: only what the test writes is in the partition besides the opening.
    monkeypatch.setattr(workflows, "invoke_async", lambda *a, **k: None)
    monkeypatch.setattr(workflows, "call_worker", lambda *a, **k: None)


def _raw(ticket_id: str, sk: str) -> dict[str, Any]:
    found = aws.client("dynamodb").get_item(
        TableName=config.get(config.TABLE_NAME),
        Key={"pk": {"S": ticket_items.ticket_pk(ticket_id)}, "sk": {"S": sk}},
        ConsistentRead=True,
    )
    return found.get("Item", {})


def test_the_text_is_stored_apart_and_read_with_the_ticket(api: Api, quiet: None) -> None:
    body = {**QUESTION, "description": LONG}
    reply = api("POST", "/tickets", user=BOB, body=body)
    assert reply.status == 201, reply.text
    ticket_id = reply.json["id"]

    ticket_item, text_item = _raw(ticket_id, "TICKET"), _raw(ticket_id, TEXT_SK)
    # The ticket item holds neither the text nor its own id, and stays one write unit
    assert not {"description", "fields", "ticket_id"} & ticket_item.keys()
    assert store.item_size(ticket_item) <= 1024
    # The TEXT item holds what Bob wrote
    assert text_item["description"]["S"] == LONG
    assert text_item["kind"]["S"] == "ticket_text"

    # Read back whole, by every read of one ticket
    ticket = get_ticket(ticket_id)
    assert ticket is not None and ticket.ticket_id == ticket_id
    assert ticket.description == LONG and ticket.fields == QUESTION["fields"]
    loaded, items = load_ticket(ticket_id)
    assert loaded.description == LONG and not any(isinstance(i, TicketText) for i in items)
    shown = api("GET", f"/tickets/{ticket_id}", user=BOB).json
    assert shown["description"] == LONG and shown["fields"] == QUESTION["fields"]
    # The opening entry rode on the TEXT item when it fit, else is an item of its own: either way it is read back
    assert [e.type for e in items if isinstance(e, Event)] == ["TicketSubmitted"]


def test_a_short_ticket_opens_with_three_items_its_entry_on_the_text(api: Api, quiet: None) -> None:
    ticket_id = api("POST", "/tickets", user=BOB, body=QUESTION).json["id"]
    stored = {i.sk: i for i in Entity.query(ticket_items.ticket_pk(ticket_id), consistent_read=True)}
    assert set(stored) == {TEXT_SK, "TICKET"}  # (and REF#, in its own partition): no EVENT item
    assert [e.type for e in stored[TEXT_SK].unpacked()[1:]] == ["TicketSubmitted"]


def test_editing_a_draft_updates_its_text_and_keeps_the_entries_it_carries(api: Api, quiet: None) -> None:
    ticket_id = api("POST", "/tickets", user=BOB, body={**QUESTION, "submit": False}).json["id"]
    edited = api("PATCH", f"/tickets/{ticket_id}", user=BOB, body={"description": "Now with the steps to repeat."})
    assert edited.status == 200, edited.text
    assert _raw(ticket_id, TEXT_SK)["description"]["S"] == "Now with the steps to repeat."
    assert "description" not in _raw(ticket_id, "TICKET")
    _, items = load_ticket(ticket_id)
    assert [e.type for e in sorted((i for i in items if isinstance(i, Event)), key=lambda e: e.event_id)] == [
        "TicketCreated",
        "TicketUpdated",
    ]
    assert get_ticket(ticket_id).description == "Now with the steps to repeat."


def test_a_ticket_stored_with_its_text_on_its_own_item_is_read_and_moved_apart(api: Api, quiet: None) -> None:
    ticket_id = api("POST", "/tickets", user=BOB, body=QUESTION).json["id"]
    # Given the ticket as it was stored before the text was kept apart: text and id on the ticket item, no TEXT
    client, table = aws.client("dynamodb"), config.get(config.TABLE_NAME)
    old = {
        **_raw(ticket_id, "TICKET"),
        "ticket_id": {"S": ticket_id},
        "description": {"S": "Written before"},
        "fields": {"S": '{"problem": "old"}'},
        "resolution": {"S": "Solved before"},
        "preventive_measure": {"S": "A test"},
    }
    client.put_item(TableName=table, Item=old)
    client.delete_item(TableName=table, Key={"pk": old["pk"], "sk": {"S": TEXT_SK}})

    ticket = get_ticket(ticket_id)
    assert (ticket.ticket_id, ticket.description, ticket.fields) == (ticket_id, "Written before", {"problem": "old"})
    assert ticket.resolution == "Solved before"
    # When anything of it is written
    ticket.subject = "Renamed"
    store.transact([(ticket, None)])
    # Then the text is on its TEXT item and off the ticket's, nothing lost
    assert _raw(ticket_id, TEXT_SK)["description"]["S"] == "Written before"
    assert (
        not {"description", "fields", "ticket_id", "resolution", "preventive_measure"}
        & _raw(ticket_id, "TICKET").keys()
    )
    again = get_ticket(ticket_id)
    assert (again.subject, again.description, again.fields) == ("Renamed", "Written before", {"problem": "old"})
    assert (again.resolution, again.preventive_measure) == ("Solved before", "A test")


def test_a_ticket_read_without_its_text_cannot_overwrite_it(api: Api, quiet: None) -> None:
    ticket_id = api("POST", "/tickets", user=BOB, body=QUESTION).json["id"]
    # A list reads tickets by BatchGetItem, without their text
    [listed] = Ticket.batch_get([(ticket_items.ticket_pk(ticket_id), ticket_items.TICKET_SK)])
    assert listed.ticket_id == ticket_id and listed.description is None
    listed.subject = "Renamed from a list"
    store.transact([(listed, None)])  # what it changed is written; its text is left alone
    assert get_ticket(ticket_id).description == QUESTION["description"]
    listed.description = "Overwritten"
    with pytest.raises(RuntimeError, match="without its text"):
        store.transact([(listed, None)])
    assert get_ticket(ticket_id).description == QUESTION["description"]


def test_the_sla_badge_is_stored_compactly_and_read_back_whole() -> None:
    badge = {
        "clock": "resolution",
        "phase": "paused",
        "promise_due_at": "2026-11-24T16:00:00.123Z",
        "internal_due_at": "2026-11-23T13:20:00.000Z",
        "promise_left_seconds": 57600,
        "internal_left_seconds": 19200,
        "breached": False,
        "met_at": None,
        "computed_at": "2026-11-23T08:00:00.000Z",
    }
    stored = BadgeAttribute().serialize(badge)
    assert stored is not None and len(stored) < 120
    assert '"c":"s"' in stored and '"pd":1795536000123' in stored and "met" not in stored
    assert BadgeAttribute().deserialize(stored) == badge
    # A badge stored in the older shape (full words, ISO instants) reads the same
    older = '{"c":"resolution","p":"paused","pd":"2026-11-24T16:00:00.123Z","b":false}'
    read = BadgeAttribute().deserialize(older)
    assert (read["clock"], read["phase"], read["promise_due_at"], read["met_at"]) == (
        "resolution",
        "paused",
        "2026-11-24T16:00:00.123Z",
        None,
    )


def test_each_resolution_is_an_item_of_its_own_and_the_latest_is_the_ticket_s(api: Api, quiet: None) -> None:
    from tests.conftest import LENA

    ticket_id = api("POST", "/tickets", user=BOB, body=QUESTION).json["id"]
    note = "Explained the export settings and fixed the account's report template. " * 4  # a real note, ~290 bytes
    first = {"resolution": note.strip(), "preventive_measure": "A regression test covers the template."}
    assert api("POST", f"/tickets/{ticket_id}/resolve", user=LENA, body=first).status == 200
    # The ticket item stays one write unit; the resolution is on its own item, carrying the resolution's entries
    ticket_item = _raw(ticket_id, "TICKET")
    assert "resolution" not in ticket_item and store.item_size(ticket_item) <= 1024
    stored = [i for i in Entity.query(ticket_items.ticket_pk(ticket_id)) if isinstance(i, TicketResolution)]
    assert [r.resolution for r in stored] == [first["resolution"]]
    assert stored[0].sk.startswith(RESOLUTION_SK_PREFIX)
    shown = api("GET", f"/tickets/{ticket_id}", user=BOB).json
    assert shown["resolution"] == first["resolution"] and shown["status"] == "resolved"
    assert get_ticket(ticket_id).preventive_measure == first["preventive_measure"]

    # Reopened by the customer and resolved again: a second item, the first (and the entries it carries) kept
    assert api("POST", f"/tickets/{ticket_id}/reopen", user=BOB, body={"reason": "It fails again."}).status == 200
    second = {"resolution": "Replaced the template.", "preventive_measure": "Monitoring of the export."}
    assert api("POST", f"/tickets/{ticket_id}/resolve", user=LENA, body=second).status == 200
    stored = [i for i in Entity.query(ticket_items.ticket_pk(ticket_id)) if isinstance(i, TicketResolution)]
    assert sorted(r.resolution for r in stored) == sorted([first["resolution"], second["resolution"]])
    assert api("GET", f"/tickets/{ticket_id}", user=BOB).json["resolution"] == second["resolution"]
    _, items = load_ticket(ticket_id)
    resolved = [e for e in items if isinstance(e, Event) and e.type == "TicketResolved"]
    assert len(resolved) == 2
