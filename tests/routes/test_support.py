"""The support route end to end (R7): the real ASL on moto's interpreter, route steps in-process, and a
virtual clock so that days of SLA timers pass in milliseconds and fire at the exact computed instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from infra.local import emulation as aws_emulation
from tests.conftest import BOB, DANA, LENA, QUESTION, finish_task, route_task, wait_for


def _z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_question_answered_resolved_and_closed_after_three_silent_working_days(desk):
    api, vc = desk
    # Given a question submitted on Monday at 09:00
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")

    # Then the customer is told when we will respond (unclassified: 4 working hours, R7, R10)
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert seen["messages"][0]["body"] == (
        "We have received your request and will respond by Monday 23 November 2026, 13:00 (Europe/Prague)."
    )
    assert seen["next_step_at"] == "2026-11-23T12:00:00.000Z"
    # and the classify task waits with its timeout at the internal target (1h20m, R18)
    assert classify["due_at"] == "2026-11-23T09:20:00.000Z"
    vc.wait_for_pending(1)
    assert vc.pending()[0].due == datetime(2026, 11, 23, 9, 20, tzinfo=UTC)

    # When L1 classifies it as a question at 09:30 (before the warning)
    assert vc.advance(timedelta(minutes=30)) == []
    finish_task(api, LENA, classify, "question")
    answer = route_task(api, "L1", LENA, ticket["id"], "answer")

    # Then the milestone is public (R9) and the resolution deadline is shown: 16 working hours from Monday 09:00
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert [e["summary"] for e in seen["history"] if e["type"] == "TicketClassified"] == ["Classified as question"]
    assert seen["messages"][-1]["body"] == (
        "Classified as question: we will resolve it by Tuesday 24 November 2026, 17:00 (Europe/Prague)."
    )
    assert seen["next_step_at"] == "2026-11-24T16:00:00.000Z"
    assert answer["due_at"] == "2026-11-23T13:20:00.000Z"  # the internal target: 5h20m

    # When L1 answers and resolves
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Use the new export button."})
    resolved = api(
        "POST",
        f"/tickets/{ticket['id']}/resolve",
        user=LENA,
        body={"resolution": "Explained the new export", "preventive_measure": "FAQ article on exports"},
    )
    assert resolved.status == 200

    # Then the route waits for the customer and closes the ticket after 3 silent working days (R21)
    wait_for(
        lambda: "AwaitCustomer" in aws_emulation.route_states(ticket["id"]), what="the route to wait for the customer"
    )
    vc.wait_for_pending(1)
    closing = vc.fire_next()
    # resolved on Monday 09:30 Prague: closed on the third working day after, Thursday 09:30
    assert closing.due == datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    wait_for(lambda: aws_emulation.route_status(ticket["id"]) == "SUCCEEDED", what="the route to finish")
    final = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert final["status"] == "closed" and final["closed_at"] == "2026-11-26T08:30:00.000Z"
    closed = [e for e in final["history"] if e["type"] == "TicketClosed"]
    assert [e["summary"] for e in closed] == ["Closed by Caseway: no reply within 3 working days"]
    assert aws_emulation.route_states(ticket["id"]).count("Fault") == 0


def test_a_pause_moves_the_next_step_and_the_customers_message_lands_in_the_owners_feed(desk):
    api, vc = desk
    # Given a question classified by Lena on Monday at 09:30 (resolution due Tuesday 17:00 Prague)
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    vc.advance(timedelta(minutes=30))
    finish_task(api, LENA, route_task(api, "L1", LENA, ticket["id"], "classify"), "question")
    route_task(api, "L1", LENA, ticket["id"], "answer")
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["next_step_at"] == "2026-11-24T16:00:00.000Z"

    # When Lena asks the customer something at 11:00 (the ball goes to the customer: the clock pauses)
    vc.advance_to(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which browser do you use?"})
    # Then the customer sees the automatic close as the next step: three working days later, Thursday 11:00
    waiting = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert waiting["status"] == "waiting_for_customer"
    assert waiting["next_step_at"] == "2026-11-26T10:00:00.000Z"

    # When the customer answers on Tuesday at 11:00
    vc.advance_to(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "Firefox 140."})
    # Then the resolution promise moved by the paused working time (Mon 11-17 + Tue 9-11 = 8h): Wednesday 17:00
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert seen["status"] == "in_progress"
    assert seen["next_step_at"] == "2026-11-25T16:00:00.000Z"
    # and the owner's feed has an "answer the customer" task due in two working hours (R11)
    reply = route_task(api, "L1", LENA, ticket["id"], "reply")
    assert reply["title"] == "Answer the customer's message"
    assert reply["due_at"] == "2026-11-24T12:00:00.000Z"
    assert reply["priority"] == 700
    assert reply["assignee"] == "agent-lena" and reply["status"] == "taken"  # the owner's feed
    # a second message while it is open adds no second task
    api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "Also on Chrome."})
    staff = api("GET", f"/tickets/{ticket['id']}", user=LENA).json
    assert [t["type"] for t in staff["tasks"]].count("reply") == 1


def test_a_silent_customer_is_reminded_then_the_ticket_closes_while_the_answer_step_waits(desk):
    api, vc = desk
    # Given a question classified on Monday 09:00 and Lena asking the customer something at once
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    finish_task(api, LENA, route_task(api, "L1", LENA, ticket["id"], "classify"), "question")
    route_task(api, "L1", LENA, ticket["id"], "answer")
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which browser do you use?"})

    # When the customer stays silent, the route's timers fire in order:
    # the reminder after 16 working hours (Mon 09:00 + 16h = Tue 17:00 Prague = 16:00Z),
    # then the automatic close three working days after the ball went over (Thu 09:00 Prague = 08:00Z)
    fired = vc.advance_to(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    dues = [t.due for t in fired]
    assert datetime(2026, 11, 24, 16, 0, tzinfo=UTC) in dues
    assert datetime(2026, 11, 26, 8, 0, tzinfo=UTC) in dues
    wait_for(lambda: aws_emulation.route_status(ticket["id"]) == "SUCCEEDED", what="the route to end")

    # Then the customer got the reminder, then the ticket closed, and the answer task was closed with it
    seen = api("GET", f"/tickets/{ticket['id']}", user=LENA).json
    assert seen["status"] == "closed" and seen["closed_at"] == "2026-11-26T08:00:00.000Z"
    summaries = [e["summary"] for e in seen["history"]]
    assert summaries.index("Reminder sent: we are waiting for your answer") < summaries.index(
        "Closed by Caseway: no reply within 3 working days"
    )
    assert all(t["status"] == "done" for t in seen["tasks"])
    subjects = [m["subject"].split("] ")[1] for m in aws_emulation.sent_emails() if m["to"] == [BOB]]
    assert subjects[-2:] == [f"Waiting for your answer: {QUESTION['subject']}", f"Closed: {QUESTION['subject']}"]
    assert "Fault" not in aws_emulation.route_states(ticket["id"])


def test_the_owner_sees_their_open_tickets_with_whose_side_the_ball_is_on_and_since_when(desk):
    api, vc = desk
    # Given Lena took two tickets up: one she asked the customer about, one handed to L2
    first = api("POST", "/tickets", user=BOB, body=QUESTION).json
    second = api("POST", "/tickets", user=BOB, body={**QUESTION, "subject": "Totals are wrong"}).json
    finish_task(api, LENA, route_task(api, "L1", LENA, first["id"], "classify"), "question")
    finish_task(api, LENA, route_task(api, "L1", LENA, second["id"], "classify"), "bug", "reproduced")
    vc.advance(timedelta(hours=1))
    api("POST", f"/tickets/{first['id']}/messages", user=LENA, body={"body": "Which browser?"})
    fix = route_task(api, "L2", DANA, second["id"], "fix")
    finish_task(api, DANA, fix, "fixed", "Fixed in 4.2.1")  # L2 takes and finishes: the ticket's owner stays Lena (R14)

    # When Lena lists what she owns
    owned = api("GET", "/tickets?scope=owned", user=LENA).json["items"]
    # Then both are there, with whose side the ball is on and since when
    by_id = {t["id"]: t for t in owned}
    assert set(by_id) == {first["id"], second["id"]}
    assert by_id[first["id"]]["ball_side"] == "customer"
    assert by_id[first["id"]]["ball_since"] == "2026-11-23T09:00:00.000Z"
    assert by_id[second["id"]]["ball_side"] == "us" and by_id[second["id"]]["owner"] == "agent-lena"
    # Dana owns nothing; customers cannot ask
    assert api("GET", "/tickets?scope=owned", user=DANA).json["items"] == []
    assert api("GET", "/tickets?scope=owned", user=BOB).status == 403


def test_a_customer_message_during_l2_work_becomes_an_answer_task_and_l2_goes_on(desk):
    api, vc = desk
    # Given a bug Lena classified and handed to L2
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    finish_task(api, LENA, route_task(api, "L1", LENA, ticket["id"], "classify"), "bug", "reproduced with a 2 MB file")
    fix = route_task(api, "L2", DANA, ticket["id"], "fix")
    assert "reproduced with a 2 MB file" in fix["title"] and fix["priority"] == 500
    # When the customer writes while L2 works (R11)
    vc.advance(timedelta(hours=1))
    api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "It also fails with small files."})
    # Then the owner's line gets an answer task due in two working hours, and the L2 task is untouched
    reply = route_task(api, "L1", LENA, ticket["id"], "reply")
    assert reply["due_at"] == "2026-11-23T11:00:00.000Z"
    still = route_task(api, "L2", DANA, ticket["id"], "fix")
    assert still["id"] == fix["id"] and still["status"] == "open"
    assert "Fix" in aws_emulation.route_states(ticket["id"]) and "Fault" not in aws_emulation.route_states(ticket["id"])
