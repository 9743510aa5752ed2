from tests.conftest import BOB, LENA, QUESTION, open_l1_task


def test_customer_ticket_is_answered_and_resolved_through_its_task(api):
    # Given a customer opens a ticket through the API
    created = api("POST", "/tickets", user=BOB, body=QUESTION)
    assert created.status == 201, created.text
    ticket = created.json
    assert ticket["reference"].startswith("CW-")
    assert ticket["status"] == "new" and ticket["ball_side"] == "us"

    # When the route has created the L1 task and an agent takes it
    task = open_l1_task(api, ticket["id"])
    taken = api("POST", f"/tasks/{task['id']}/take", user=LENA)
    assert taken.status == 200, taken.text
    assert taken.json["ticket"]["owner"] == "agent-lena"
    assert taken.json["ticket"]["status"] == "in_progress"

    # And answers, and resolves with a preventive measure
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Fixed the export."})
    assert reply.status == 201, reply.text
    assert reply.json["ticket"]["status"] == "waiting_for_customer"
    resolved = api(
        "POST",
        f"/tickets/{ticket['id']}/resolve",
        user=LENA,
        body={"resolution": "Export template repaired", "preventive_measure": "Template covered by a test"},
    )
    assert resolved.status == 200, resolved.text

    # Then the customer sees it resolved, with every public step in its history
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert seen["status"] == "resolved"
    types = [e["type"] for e in seen["history"]]
    assert types[0] == "TicketSubmitted"
    assert "MessageAdded" in types and "TicketResolved" in types
    assert "tasks" not in seen
