"""Appends commute: messages written at the same time into one ticket are all stored, none refused.

A message, its log event and the ticket's changed attributes are one transaction without the ticket's version
lock: the ticket item gets an UpdateItem of only what changed, each changed attribute conditioned on its value as
read (shared/platform/store.transact). Appends that change nothing but `updated_at` never conflict; a real
conflict (two messages both moving the status) is retried with jitter before it reaches the caller."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pynamodb.exceptions import TransactWriteError

from shared.platform import store
from shared.tickets.items import Message, get_ticket, load_ticket_partition
from tests.conftest import BOB, LENA, QUESTION, open_l1_task

MESSAGES = 50


def _waiting_for_customer(api) -> str:
    """A ticket the agent has answered: the next customer message moves it back to in progress."""
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    task = open_l1_task(api, ticket["id"])
    assert api("POST", f"/tasks/{task['id']}/take", user=LENA).status == 200
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which browser?"})
    assert reply.json["ticket"]["status"] == "waiting_for_customer", reply.text
    return ticket["id"]


def test_fifty_concurrent_customer_messages_are_all_stored(api):
    # Given a ticket waiting for the customer
    ticket_id = _waiting_for_customer(api)

    # When the customer sends 50 messages at once
    def send(n: int) -> tuple[int, str]:
        reply = api("POST", f"/tickets/{ticket_id}/messages", user=BOB, body={"body": f"concurrent message {n}"})
        return reply.status, reply.text

    with ThreadPoolExecutor(max_workers=MESSAGES) as pool:
        replies = list(pool.map(send, range(MESSAGES)))

    # Then every one is answered 201 and stored once, with its log event, and the status moved once
    assert [status for status, _ in replies] == [201] * MESSAGES, [r for r in replies if r[0] != 201][:3]
    items = load_ticket_partition(ticket_id)
    bodies = sorted(i.body for i in items if isinstance(i, Message) and i.author_role == "customer")
    assert bodies == sorted(f"concurrent message {n}" for n in range(MESSAGES))
    added = [i for i in items if getattr(i, "type", None) == "MessageAdded" and i.actor_role == "customer"]
    assert len(added) == MESSAGES
    moved = [i for i in items if getattr(i, "type", None) == "StatusChanged" and i.actor_role == "customer"]
    assert [(e.data["before"], e.data["after"]) for e in moved] == [("waiting_for_customer", "in_progress")]
    assert get_ticket(ticket_id).status == "in_progress"


def test_writers_of_different_attributes_both_succeed_and_of_the_same_one_conflict(api):
    ticket_id = api("POST", "/tickets", user=BOB, body=QUESTION).json["id"]
    first, second, third = get_ticket(ticket_id), get_ticket(ticket_id), get_ticket(ticket_id)

    # Two writers changing different attributes of the same ticket, from the same read: both are kept
    first.priority = 7
    store.transact([(first, None)])
    second.classification = "question"
    store.transact([(second, None)])
    stored = get_ticket(ticket_id)
    assert (stored.priority, stored.classification) == (7, "question")

    # A third writer changing an attribute changed since its read: refused, nothing of it written
    third.priority = 3
    third.subject = "Changed subject"
    with pytest.raises(TransactWriteError) as refused:
        store.transact([(third, None)])
    assert store.conflict_reasons(refused.value) == ["ConditionalCheckFailed"]
    stored = get_ticket(ticket_id)
    assert (stored.priority, stored.subject) == (7, QUESTION["subject"])
