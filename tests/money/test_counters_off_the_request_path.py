"""The counters a submission feeds (R28 new tickets per day, R23 the contract's usage) are kept by the
TicketSubmitted event's consumer (functions/counters.py), off the request path; the contract's limits are still
checked at creation, the daily question limit exactly under concurrency (docs/performance.md, "Request path")."""

from __future__ import annotations

import threading
from typing import Any

from functions import counters
from infra.local import fake_aws
from shared.figures import counts
from shared.money import offers
from shared.money.keys import contract_pk
from shared.platform import aws, config
from shared.tickets.items import Ticket
from tests.conftest import BOB, MARIA, QUESTION, Api

CONTRACT = {"rate_per_hour": "85.00", "start_date": "2026-01-01", "period": "month"}


def put_contract(api: Api, **spec: Any) -> None:
    reply = api("PUT", "/contracts/acme", user=MARIA, body={**CONTRACT, **spec})
    assert reply.status in (200, 201), reply.text


def used_tickets(api: Api) -> int:
    return api("GET", "/contracts/acme", user=MARIA).json["usage"]["tickets"]


def submitted_today() -> int:
    pk, sk = counts.day_key(counts.today())
    item = aws.client("dynamodb").get_item(
        TableName=config.get(config.TABLE_NAME), Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    )
    return int(item.get("Item", {}).get("submitted", {}).get("N", 0))


def test_a_submission_is_counted_by_the_consumer_once_however_often_its_event_arrives(api):
    put_contract(api, tickets_per_period=40)
    before_usage, before_day = used_tickets(api), submitted_today()
    reply = api("POST", "/tickets", user=BOB, body=QUESTION)
    assert reply.status == 201, reply.text
    # The local bus delivered TicketSubmitted to the consumer: both counters moved by one
    assert (used_tickets(api), submitted_today()) == (before_usage + 1, before_day + 1)

    # EventBridge delivers at least once: the same event again changes nothing
    ticket = reply.json
    period = f"{counts.today():%Y-%m}"
    event = {
        "detail-type": "TicketSubmitted",
        "source": "caseway.tickets",
        "detail": {
            "ticket_id": ticket["id"],
            "organisation_id": "acme",
            "service": QUESTION["service"],
            "at": ticket["created_at"],
            "contract": {"period": period, "counted_in": period, "reasons": [], "today": counts.today().isoformat()},
        },
    }
    again = counters.handler(event, fake_aws.LambdaContext("caseway-counters"))
    assert (again["ticket_id"], again["first"]) == (ticket["id"], False)
    assert (used_tickets(api), submitted_today()) == (before_usage + 1, before_day + 1)
    # and both counts were written under one mark for the ticket (one item, not one per counter)
    assert marks_of(ticket["id"]) == [f"SUBMITTED#{ticket['id']}"]


def marks_of(ticket_id: str) -> list[str]:
    """The mark items of a ticket's counted submission, whatever their prefix (the table is small in a test)."""
    found = aws.client("dynamodb").scan(TableName=config.get(config.TABLE_NAME))["Items"]
    return sorted(i["pk"]["S"] for i in found if i["sk"]["S"] == "MARK" and i["pk"]["S"].endswith(ticket_id))


def test_the_consumer_refuses_an_event_it_was_not_meant_to_get():
    try:
        counters.handler({"detail-type": "MessageAdded", "detail": {}}, fake_aws.LambdaContext("caseway-counters"))
    except ValueError as error:
        assert "TicketSubmitted" in str(error)
    else:
        raise AssertionError("an unexpected detail-type must fail the invocation")


def test_concurrent_questions_of_one_person_pass_the_daily_limit_exactly(api):
    put_contract(api, questions_per_user_per_day=3)
    findings: list[dict[str, Any] | None] = []
    start = threading.Barrier(8)

    def submit(n: int) -> None:
        ticket = Ticket(
            f"TICKET#CONCURRENT{n}",
            "TICKET",
            ticket_id=f"CONCURRENT{n}",
            organisation_id="acme",
            requester_sub="one-person",
            service=QUESTION["service"],
        )
        start.wait()
        findings.append(offers.check_submitted(ticket))

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    over = [f for f in findings if f and "daily_questions" in f["reasons"]]
    assert len(findings) == 8 and len(over) == 5, findings
    day = aws.client("dynamodb").query(
        TableName=config.get(config.TABLE_NAME),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
        ExpressionAttributeValues={":pk": {"S": contract_pk("acme")}, ":day": {"S": "DAY#"}},
        ConsistentRead=True,
    )["Items"]
    assert [int(i["value"]["N"]) for i in day] == [3]  # the counter stops at the limit
