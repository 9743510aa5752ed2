"""Schedules: one definition for the cloud and the local stack; R21 auto-close of silent resolved tickets."""

from datetime import UTC, datetime, timedelta

import pytest

from infra.local import emulation as aws_emulation
from shared.platform import clock
from shared.platform.schedules import SCHEDULES, by_name, rate_seconds
from tests.conftest import BOB, LENA, QUESTION


@pytest.fixture
def frozen_clock():
    moments = [datetime(2026, 11, 23, 9, 0, tzinfo=UTC)]
    clock.set_clock(lambda: moments[0])
    yield moments
    clock.set_clock(None)


def _resolve(api, ticket_id):
    reply = api(
        "POST",
        f"/tickets/{ticket_id}/resolve",
        user=LENA,
        body={"resolution": "Report template fixed", "preventive_measure": "Template has a regression test"},
    )
    assert reply.status == 200, reply.text
    return reply.json


def test_rate_expressions_are_read_as_eventbridge_scheduler_writes_them():
    assert rate_seconds("rate(15 minutes)") == 900
    assert rate_seconds("rate(1 hour)") == 3600
    assert rate_seconds("rate(2 days)") == 172800
    for bad in ("rate(1 hours)", "rate(0 minutes)", "cron(0 7 * * ? *)", "every hour"):
        with pytest.raises(ValueError):
            rate_seconds(bad)
    assert all(s.function and s.timezone for s in SCHEDULES)
    with pytest.raises(KeyError):
        by_name("nope")


def test_resolved_ticket_shows_when_it_will_close_and_closes_after_three_silent_days(api, frozen_clock):
    # Given a resolved ticket
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    resolved = _resolve(api, ticket["id"])
    expected = "2026-11-26T09:00:00.000Z"
    assert resolved["next_step_at"] == expected  # R10: the customer sees the date of the next step

    # When the schedule fires a second before the three days are over, nothing closes
    frozen_clock[0] += timedelta(days=3, seconds=-1)
    assert aws_emulation.fire_schedule("close-silent-resolved") == {"closed": []}

    # Then once they are over, the ticket closes, says why, and the customer is told
    frozen_clock[0] += timedelta(seconds=2)
    assert aws_emulation.fire_schedule("close-silent-resolved") == {"closed": [ticket["id"]]}
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert seen["status"] == "closed" and seen["ball_side"] is None and seen["next_step_at"] is None
    closing = [e for e in seen["history"] if e["type"] == "TicketClosed"]
    assert closing and "no reply within 3 days" in closing[0]["summary"]
    assert closing[0]["actor"]["role"] == "system"
    mails = [m for m in aws_emulation.sent_emails() if m["to"] == [BOB]]
    assert mails[-1]["subject"].startswith(f"[{ticket['reference']}] Closed")
    assert "no reply within 3 days" in mails[-1]["body"]


def test_a_customer_reply_stops_the_auto_close(api, frozen_clock):
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    _resolve(api, ticket["id"])
    frozen_clock[0] += timedelta(days=1)
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "Still broken for me."})
    assert reply.json["ticket"]["status"] == "in_progress" and reply.json["ticket"]["next_step_at"] is None
    frozen_clock[0] += timedelta(days=5)
    assert aws_emulation.fire_schedule("close-silent-resolved") == {"closed": []}
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["status"] == "in_progress"
