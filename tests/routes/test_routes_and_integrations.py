"""The ticket's route on Step Functions, the integration events bus and customer e-mail."""

import json
import threading

from infra.local import emulation as aws_emulation
from shared.platform import aws, bus, config, workflows
from tests.conftest import BOB, LENA, QUESTION, open_l1_task, wait_for


def test_submitting_starts_one_route_named_after_the_ticket(api):
    # Given a submitted ticket
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    open_l1_task(api, ticket["id"])
    # When the customer's client retries the submit
    again = api("POST", f"/tickets/{ticket['id']}/submit", user=BOB)
    # Then it is accepted and still one execution and one task exist
    assert again.status == 200
    executions = aws.client("stepfunctions").list_executions(stateMachineArn=workflows.route_arn("support"))
    names = [e["name"] for e in executions["executions"]]
    assert names.count(workflows.execution_name(ticket["id"])) == 1
    staff = api("GET", f"/tickets/{ticket['id']}", user=LENA).json
    assert len(staff["tasks"]) == 1
    assert aws_emulation.route_status(ticket["id"]) == "RUNNING"


def test_completing_the_classify_task_moves_the_route_on(api):
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    task = open_l1_task(api, ticket["id"])
    assert task["type"] == "classify"
    assert api("POST", f"/tasks/{task['id']}/take", user=LENA).status == 200
    done = api("POST", f"/tasks/{task['id']}/complete", user=LENA, body={"outcome": "question"})
    assert done.status == 200, done.text
    assert done.json["task"]["status"] == "done"
    # the classify task has left the queue (sparse index) and the answer task has come
    answer = wait_for(
        lambda: next(
            (t for t in api("GET", "/tasks?group=L1", user=LENA).json["items"] if t["type"] == "answer"), None
        ),
        what="the answer task",
    )
    queue = api("GET", "/tasks?group=L1", user=LENA).json["items"]
    assert [t["id"] for t in queue] == [answer["id"]]


def test_a_classify_task_needs_a_classification_as_its_outcome(api):
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    task = open_l1_task(api, ticket["id"])
    api("POST", f"/tasks/{task['id']}/take", user=LENA)
    refused = api("POST", f"/tasks/{task['id']}/complete", user=LENA, body={"outcome": "answered"})
    assert refused.status == 422
    assert "question, bug, critical_bug, improvement" in refused.json["detail"]


def test_resolving_the_ticket_closes_its_open_tasks_and_releases_the_route(api):
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    task = open_l1_task(api, ticket["id"])
    resolved = api(
        "POST",
        f"/tickets/{ticket['id']}/resolve",
        user=LENA,
        body={"resolution": "Answered by phone", "preventive_measure": "FAQ entry written"},
    )
    assert resolved.status == 200, resolved.text
    assert [t["status"] for t in resolved.json["tasks"]] == ["done"]
    assert resolved.json["tasks"][0]["id"] == task["id"]
    # the route goes on to wait for the customer (auto-close after silent working days, R21)
    wait_for(
        lambda: "AwaitCustomer" in aws_emulation.route_states(ticket["id"]), what="the route to wait for the customer"
    )
    assert "Fault" not in aws_emulation.route_states(ticket["id"])


def test_every_ticket_change_is_published_on_the_bus(api):
    # Given an integration listening on the ticket-events bus through a queue
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName="integration")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = aws.client("events")
    events.put_rule(
        Name="all-ticket-events",
        EventBusName=config.get(config.EVENT_BUS_NAME),
        EventPattern=json.dumps({"source": [bus.EVENT_SOURCE]}),
    )
    events.put_targets(
        Rule="all-ticket-events",
        EventBusName=config.get(config.EVENT_BUS_NAME),
        Targets=[{"Id": "q", "Arn": queue_arn}],
    )
    # When a ticket is opened and answered
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Try again please."})
    # Then the bus carried each change with the documented detail
    seen = []
    for _ in range(10):
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            break
        seen += [json.loads(m["Body"]) for m in batch]
    kinds = [e["detail-type"] for e in seen]
    for expected in ("TicketCreated", "TicketSubmitted", "MessageAdded", "StatusChanged"):
        assert expected in kinds, kinds
    status_changed = next(e for e in seen if e["detail-type"] == "StatusChanged")
    assert status_changed["detail"]["reference"] == ticket["reference"]
    assert status_changed["detail"]["before"] == "new"
    assert status_changed["detail"]["status"] == "waiting_for_customer"


def test_the_customer_is_emailed_on_receipt_answer_and_resolution(api):
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Fixed on our side."})
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Internal: was cache", "internal": True})
    api(
        "POST",
        f"/tickets/{ticket['id']}/resolve",
        user=LENA,
        body={"resolution": "Cache flushed", "preventive_measure": "Cache TTL lowered"},
    )
    mails = [m for m in aws_emulation.sent_emails() if m["to"] == [BOB]]
    subjects = [m["subject"] for m in mails]
    assert subjects == [
        f"[{ticket['reference']}] Request received: {QUESTION['subject']}",
        f"[{ticket['reference']}] New reply: {QUESTION['subject']}",
        f"[{ticket['reference']}] Resolved: {QUESTION['subject']}",
    ]
    assert all("Internal: was cache" not in m["body"] for m in mails)


def test_concurrent_messages_are_never_lost(api, monkeypatch):
    # Each emulated DynamoDB request is atomic (infra.aws_emulation.make_dynamodb_requests_atomic), as in
    # DynamoDB. The race under test is between requests: read the ticket, change it, write it back with its version.
    # Given a ticket, when several people write into it at the same moment
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    results = []

    def write(i: int) -> None:
        who = BOB if i % 2 else LENA
        results.append(api("POST", f"/tickets/{ticket['id']}/messages", user=who, body={"body": f"message {i}"}))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every write was accepted (retried on version conflicts) and every message is in the ticket
    assert sorted(r.status for r in results) == [201] * 6, [r.text for r in results if r.status != 201]
    messages = api("GET", f"/tickets/{ticket['id']}", user=LENA).json["messages"]
    bodies = {m["body"] for m in messages if m["author"]["role"] != "system"}
    assert bodies == {f"message {i}" for i in range(6)}


def test_a_created_ticket_is_counted_for_the_dashboard(api, monkeypatch, capsys):
    # Given the function runs with a metrics namespace, as in the cloud
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Caseway/test")
    capsys.readouterr()
    # When a ticket is created
    assert api("POST", "/tickets", user=BOB, body=QUESTION).status == 201
    # Then one TicketsCreated count is emitted in the embedded metric format
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    counted = [line for line in lines if "TicketsCreated" in line]
    assert len(counted) == 1
    assert counted[0]["TicketsCreated"] in (1, [1])
    assert counted[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Caseway/test"
