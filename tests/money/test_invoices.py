"""Invoices prepared ahead from the period's billable time (R25), payment tracking and the overdue incident,
and who may see and change them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from infra.local import emulation as aws_emulation
from shared.platform import clock
from tests.conftest import ALICE, BOB, DANA, DEMO, GUS, LENA, MARIA, PETR, QUESTION, VERA, Api
from tests.money.test_money import incidents, log, open_ticket

DOCUMENT = {
    "service": "document-request",
    "subject": "Certificate of support",
    "description": "We need the yearly support certificate for our auditors.",
    "fields": {"document_type": "Support certificate 2026"},
}


@pytest.fixture
def moments(emulated_aws: None) -> Iterator[list[datetime]]:
    """The desk seeded on Wednesday 28 October 2026: Acme's demo time (17 h) falls into October."""
    now = [datetime(2026, 10, 28, 10, 0, tzinfo=UTC)]
    clock.set_clock(lambda: now[0])
    DEMO.seed(now[0])
    yield now
    clock.set_clock(None)


def at(moments: list[datetime], *args: int) -> None:
    moments[0] = datetime(*args, tzinfo=UTC)


def fire() -> dict[str, Any]:
    return aws_emulation.fire_schedule("billing-check")


def test_invoice_draft_totals_equal_the_billable_entries_in_json_and_csv(moments):
    api = Api()
    question, document = open_ticket(api, BOB), open_ticket(api, ALICE, DOCUMENT)
    for user, ticket, minutes, billable in (
        (LENA, question, 95, True),
        (DANA, question, 50, True),
        (LENA, question, 20, False),
        (PETR, document, 45, True),
    ):
        assert log(api, user, ticket["id"], minutes, billable=billable).status == 201

    # Four days before the end of October nothing is prepared yet (and September had no usage)
    assert fire()["invoices"] == []
    assert api("GET", "/invoices/acme-2026-10", user=MARIA).status == 404
    # Three days before, the draft is there
    at(moments, 2026, 10, 29, 6, 0)
    assert fire()["invoices"] == ["acme-2026-10"]
    invoice = api("GET", "/invoices/acme-2026-10", user=MARIA).json

    # Hand-computed: the demo's 300 + 240 min on questions and 480 min on a change request, and today's
    # 95 + 50 min (questions) and 45 min (documents) at 85.00 EUR per hour; the 20 unbillable minutes are out.
    assert invoice["lines"] == [
        {"service": "change-request", "tickets": 0, "billable_minutes": 480, "hours": "8.00", "amount": "680.00"},
        {"service": "document-request", "tickets": 1, "billable_minutes": 45, "hours": "0.75", "amount": "63.75"},
        {
            "service": "functionality-question",
            "tickets": 1,
            "billable_minutes": 685,
            "hours": "11.42",
            "amount": "970.42",
        },
    ]
    assert (invoice["amount"], invoice["currency"], invoice["billable_minutes"], invoice["tickets"]) == (
        "1714.17",
        "EUR",
        1210,
        2,
    )
    assert (invoice["status"], invoice["period_start"], invoice["period_end"]) == ("draft", "2026-10-01", "2026-10-31")
    assert invoice["due_date"] == "2026-11-19"  # billing day 5 November + 14 days
    # ... which is the sum of the billable time entries stored on the tickets
    logged = [
        e
        for t in (question, document)
        for e in api("GET", f"/tickets/{t['id']}/time", user=LENA).json["items"]
        if e["billable"]
    ]
    assert invoice["billable_minutes"] == sum(e["minutes"] for e in logged) + 300 + 240 + 480

    # CSV: one line per service and the total, the same by suffix or by query
    by_suffix = api("GET", "/invoices/acme-2026-10.csv", user=MARIA)
    by_query = api("GET", "/invoices/acme-2026-10?format=csv", user=MARIA)
    assert by_suffix.status == 200 and by_suffix.content_type.startswith("text/csv")
    assert by_suffix.text == by_query.text
    rows = list(csv.DictReader(io.StringIO(by_suffix.text)))
    assert [r["service"] for r in rows] == ["change-request", "document-request", "functionality-question", "TOTAL"]
    assert sum(Decimal(r["amount"]) for r in rows[:-1]) == Decimal(rows[-1]["amount"]) == Decimal("1714.17")
    assert rows[-1]["billable_minutes"] == "1210" and rows[-1]["currency"] == "EUR"
    assert api("GET", "/invoices/acme-2026-10.json", user=MARIA).json == invoice
    assert api("GET", "/invoices/acme-2026-10?format=pdf", user=MARIA).status == 422

    # A draft follows later time; the next day's check recomputes it
    at(moments, 2026, 10, 30, 9, 0)
    assert log(api, LENA, question["id"], 15).status == 201
    fire()
    assert api("GET", "/invoices/acme-2026-10", user=MARIA).json["amount"] == "1735.42"  # 700 min: 991.67


def test_payment_is_tracked_and_an_unpaid_invoice_becomes_an_overdue_incident_once(moments):
    api = Api()
    ticket = open_ticket(api, BOB, QUESTION)
    assert log(api, LENA, ticket["id"], 60).status == 201
    prepared = api("POST", "/invoices", user=MARIA, body={"organisation_id": "acme", "period": "2026-10"})
    assert prepared.status == 201 and prepared.json["amount"] == "1530.00"  # 17 h of the demo + 1 h at 85.00
    path = "/invoices/acme-2026-10"

    for user in (LENA, ALICE, BOB):
        assert api("POST", f"{path}/status", user=user, body={"status": "sent"}).status == 403
    assert api("POST", f"{path}/status", user=MARIA, body={"status": "overdue"}).status == 422
    assert api("POST", f"{path}/status", user=MARIA, body={"status": "paid"}).status == 409  # not sent yet
    sent = api("POST", f"{path}/status", user=MARIA, body={"status": "sent"})
    assert sent.status == 200 and sent.json["status"] == "sent" and sent.json["sent_at"]

    # Sent invoices do not change any more
    assert log(api, DANA, ticket["id"], 30).status == 201
    at(moments, 2026, 10, 30, 9, 0)
    fire()
    assert api("GET", path, user=MARIA).json["amount"] == "1530.00"

    # On the due date it is not overdue yet; the day after it is, with one incident for the manager
    at(moments, 2026, 11, 19, 20, 0)
    assert fire()["overdue"] == []
    at(moments, 2026, 11, 20, 6, 0)
    checked = fire()
    assert checked["overdue"] == ["acme-2026-10"] and "invoice_overdue.acme-2026-10" in checked["incidents"]
    assert api("GET", path, user=ALICE).json["status"] == "overdue"
    assert fire()["overdue"] == []
    overdue = incidents(api, "invoice_overdue", status="open")
    assert len(overdue) == 1 and "1530.00 EUR" in overdue[0]["title"]

    # Paid: the invoice leaves the watch list and the incident is resolved
    paid = api("POST", f"{path}/status", user=MARIA, body={"status": "paid"})
    assert paid.status == 200 and paid.json["status"] == "paid" and paid.json["paid_at"]
    assert incidents(api, "invoice_overdue", status="open") == []
    assert api("POST", f"{path}/status", user=MARIA, body={"status": "sent"}).status == 409


def test_who_may_see_and_change_invoices(moments):
    api = Api()
    prepared = api("POST", "/invoices", user=MARIA, body={"organisation_id": "acme"})
    assert prepared.status == 201 and prepared.json["id"] == "acme-2026-10"
    api("POST", "/invoices", user=MARIA, body={"organisation_id": "globex", "period": "2026-Q4"})

    # The organisation's admin reads their own invoices, nobody else's
    assert api("GET", "/invoices/acme-2026-10", user=ALICE).status == 200
    assert [i["id"] for i in api("GET", "/invoices", user=ALICE).json["items"]] == ["acme-2026-10"]
    assert api("GET", "/invoices/globex-2026-Q4", user=ALICE).status == 404
    assert api("GET", "/invoices/acme-2026-10.csv", user=VERA).status == 404
    assert api("GET", "/invoices?organisation_id=acme", user=VERA).status == 404
    assert api("GET", "/invoices/acme-2026-10", user=BOB).status == 403
    # A customer who is no admin is refused for the role, before any invoice is looked at (403 for every id)
    assert api("GET", "/invoices/acme-2026-10", user=GUS).status == 403
    assert api("GET", "/invoices/globex-2026-Q4", user=GUS).status == 403
    # Agents work tickets, not invoices
    assert api("GET", "/invoices/acme-2026-10", user=LENA).status == 403
    assert api("GET", "/invoices", user=DANA).status == 403
    # Managers see all
    assert {i["id"] for i in api("GET", "/invoices", user=MARIA).json["items"]} == {"acme-2026-10", "globex-2026-Q4"}
    # Preparing and checking are for managers
    for user in (LENA, ALICE):
        assert api("POST", "/invoices", user=user, body={"organisation_id": "acme"}).status == 403
        assert api("POST", "/billing/check", user=user).status == 403
    assert api("POST", "/billing/check", user=MARIA).status == 200
    bad = api("POST", "/invoices", user=MARIA, body={"organisation_id": "acme", "period": "2026-Q4"})
    assert bad.status == 422 and "2026-11" in bad.json["detail"]
    assert api("POST", "/invoices", user=MARIA, body={"organisation_id": "public"}).status == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/contracts", None),
        ("GET", "/contracts/acme", None),
        ("PUT", "/contracts/acme", {"rate_per_hour": "1", "start_date": "2026-01-01"}),
        ("GET", "/incidents", None),
        ("POST", "/incidents/x/acknowledge", None),
        ("GET", "/invoices", None),
        ("GET", "/invoices/acme-2026-10", None),
        ("POST", "/invoices/acme-2026-10/status", {"status": "paid"}),
        ("POST", "/billing/check", None),
    ],
)
def test_money_endpoints_need_a_token_and_the_role(api_without_aws, method, path, body):
    assert api_without_aws(method, path, body=body).status == 401
    if method != "GET" or path == "/incidents":
        for user in (ALICE, LENA):
            assert api_without_aws(method, path, user=user, body=body).status == 403, (user, path)
