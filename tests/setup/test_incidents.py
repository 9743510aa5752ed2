"""R24 reaching people: every incident raised is published to the incidents topic the managers subscribe to, and a
route fault (a step failing into the route's catch and a manual task) is such an incident."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.local import emulation as aws_emulation
from shared.money import incidents
from shared.platform import alerts, aws, config
from shared.routes import support
from shared.tickets.items import Ticket
from tests.conftest import BOB, LENA, MARIA, QUESTION, route_task, wait_for


@pytest.fixture
def inbox(emulated_aws: None) -> Any:
    """An SQS queue subscribed to the incidents topic: what the managers' e-mail subscriptions get, readable."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="managers-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("sns").subscribe(TopicArn=config.get(config.INCIDENTS_TOPIC_ARN), Protocol="sqs", Endpoint=arn)

    def read() -> list[dict[str, Any]]:
        found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        return [json.loads(m["Body"]) for m in found]

    return read


def test_a_failing_route_step_raises_an_incident_published_to_the_managers(desk, inbox, monkeypatch):
    api, _ = desk

    def broken_intake(ticket_id: str) -> dict:
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(support, "intake", broken_intake)
    # Given the support route's intake step fails
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json

    # When the route worker catches it and hands the ticket to a person instead of starting the route
    manual = route_task(api, "L1", LENA, ticket["id"], "manual")
    assert not aws_emulation.route_started(ticket["id"])

    # Then the managers have an R24 incident for it, naming the ticket, the error and the manual task
    listed = api("GET", "/incidents", user=MARIA).json["items"]
    faults = [i for i in listed if i["type"] == "route_fault"]
    assert len(faults) == 1
    incident = faults[0]
    assert incident["ticket_id"] == ticket["id"]
    assert incident["reference"] == ticket["reference"]
    assert incident["status"] == "open"
    assert incident["title"] == f"Route fault on {ticket['reference']}: RuntimeError; handed to L1 by hand"
    assert incident["detail"]["task_id"] == manual["id"]
    assert "ledger unavailable" in incident["detail"]["cause"]

    # and it was published to the incidents topic as it was raised: subject, body with how to act, attributes
    messages = wait_for(inbox, what="the incident on the topic")
    assert len(messages) == 1
    message = messages[0]
    assert message["TopicArn"] == config.get(config.INCIDENTS_TOPIC_ARN)
    assert (
        message["Subject"]
        == f"Caseway incident: Route fault on {ticket['reference']}: RuntimeError; handed to L1 by hand"
    )
    assert f"Ticket: {ticket['reference']}" in message["Message"]
    assert "ledger unavailable" in message["Message"]
    assert f"/incidents/{incident['id']}/acknowledge" in message["Message"]
    assert message["MessageAttributes"]["incident_type"]["Value"] == "route_fault"
    assert message["MessageAttributes"]["incident_id"]["Value"] == incident["id"]


def test_an_incident_is_published_once_though_raised_again(emulated_aws, inbox):
    # Given an SLA breach incident raised twice for the same ticket and clock (the route looked twice)
    ticket = Ticket(
        "TICKET#t-1", "TICKET", ticket_id="t-1", reference="CW-1001", subject="Export fails", organisation_id="acme"
    )
    incidents.sla_incident(ticket, "reaction", "2026-11-23T12:00:00.000Z")
    incidents.sla_incident(ticket, "reaction", "2026-11-23T12:00:00.000Z")

    # Then the managers got one message for it
    messages = inbox()
    assert [m["Subject"] for m in messages] == ["Caseway incident: Reaction promise breached on CW-1001 (Export fails)"]


def test_a_topic_that_cannot_be_reached_does_not_stop_the_incident(emulated_aws, monkeypatch, caplog):
    monkeypatch.setenv(config.INCIDENTS_TOPIC_ARN, "arn:aws:sns:us-east-1:123456789012:no-such-topic")
    ticket = Ticket(
        "TICKET#t-2", "TICKET", ticket_id="t-2", reference="CW-1002", subject="Slow", organisation_id="acme"
    )
    incidents.sla_incident(ticket, "resolution", None)
    # The incident is stored (GET /incidents lists it) and the failed publish is logged
    stored = incidents.get_incident("sla_breach.t-2_resolution")
    assert stored is not None and stored.status == "open"
    assert "could not publish to the incidents topic" in caplog.text


def test_a_subject_is_what_sns_accepts():
    subject = alerts.subject_line("Route fault on CW-1001: Überweisung\nfailed " + "x" * 200)
    assert len(subject) == alerts.SUBJECT_LIMIT
    assert subject.isascii() and "\n" not in subject
    assert subject.startswith("Route fault on CW-1001: ?berweisung failed x")
    assert subject.endswith("...")
