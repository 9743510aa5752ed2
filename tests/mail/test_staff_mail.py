"""Issue 15, staff e-mails: a ticket's owner hears of a customer's reply and of the ticket's SLA warnings and
breaches, managers of incidents; each person turns each kind off (`/people/{sub}/mail-settings`: the person
themselves or a manager)."""

from __future__ import annotations

from infra.local import demo
from infra.local import emulation as aws_emulation
from shared.money import incidents
from shared.routes import support
from shared.tickets import items as ticket_items
from shared.tickets.log import new_event
from tests.conftest import BOB, DANA, LENA, MARIA, QUESTION
from tests.tickets.test_authorization import assert_problem

KINDS = ("customer_reply", "sla_warning", "sla_breach", "incident")


def sub_of(email: str) -> str:
    return demo.user_by_email(email)["sub"]


def mails_to(address: str) -> list[dict]:
    return [m for m in aws_emulation.sent_emails() if m["to"] == [address]]


def settings_path(email: str) -> str:
    return f"/people/{sub_of(email)}/mail-settings"


def turn(api, user: str, whose: str, **kinds: bool):
    return api("PUT", settings_path(whose), user=user, body={"kinds": kinds})


def test_everything_is_on_until_turned_off_and_each_kind_turns_off_alone(api):
    seen = api("GET", settings_path(LENA), user=LENA)
    assert seen.status == 200 and seen.json["kinds"] == dict.fromkeys(KINDS, True)
    changed = turn(api, LENA, LENA, customer_reply=False)
    assert changed.status == 200
    assert changed.json["kinds"] == {**dict.fromkeys(KINDS, True), "customer_reply": False}
    # naming another kind keeps the first as it was; turning it on again works
    assert turn(api, LENA, LENA, sla_warning=False).json["kinds"]["customer_reply"] is False
    again = turn(api, LENA, LENA, customer_reply=True, sla_warning=True)
    assert again.json["kinds"] == dict.fromkeys(KINDS, True)
    assert api("GET", settings_path(LENA), user=LENA).json["kinds"] == dict.fromkeys(KINDS, True)


def test_only_the_person_or_a_manager_changes_them_and_a_bad_body_is_a_problem(api):
    assert turn(api, MARIA, LENA, incident=False).status == 200  # a manager, for anyone
    assert api("GET", settings_path(LENA), user=MARIA).json["kinds"]["incident"] is False
    assert_problem(turn(api, DANA, LENA, incident=True), 403)  # another agent
    assert_problem(api("GET", settings_path(LENA), user=DANA), 403)
    assert_problem(api("GET", settings_path(LENA), user=BOB), 403)  # customers get no staff e-mail
    assert api("GET", settings_path(LENA)).status == 401
    problem = assert_problem(turn(api, LENA, LENA, weekly_digest=False), 422)
    assert problem["errors"][0]["field"].startswith("kinds.weekly_digest")
    assert "customer_reply" in problem["errors"][0]["message"]  # the kinds there are, to choose from
    assert_problem(api("PUT", settings_path(LENA), user=LENA, body={"kinds": {"incident": "maybe"}}), 422)
    assert_problem(api("PUT", "/people/nobody/mail-settings", user=MARIA, body={"kinds": {"incident": False}}), 404)
    # an agent without the right is refused before the body is read
    assert_problem(api("PUT", settings_path(LENA), user=DANA, body={"kinds": {"nonsense": 1}}), 403)


def test_the_owner_hears_of_a_customers_reply_unless_turned_off(api):
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    assert api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Which version?"}).status == 201
    assert api("GET", f"/tickets/{ticket['id']}", user=LENA).json["owner"] == sub_of(LENA)

    before = len(mails_to(LENA))
    api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "Version 4.2 <latest>"})
    (told,) = mails_to(LENA)[before:]
    assert told["subject"] == f"[{ticket['reference']}] Customer replied: {QUESTION['subject']}"
    assert "Version 4.2 <latest>" in told["body"]
    assert f"/app/tickets/{ticket['reference']}" in told["body"]

    assert turn(api, LENA, LENA, customer_reply=False).status == 200
    api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "Any news?"})
    assert mails_to(LENA)[before + 1 :] == []


def test_the_owner_hears_of_warnings_and_breaches_each_of_which_turns_off_alone(api):
    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Looking into it."})
    stored = ticket_items.get_ticket(ticket["id"])
    due = {"clock": "reaction", "due": "2026-11-30T09:10:00.000Z"}

    def raise_(type_: str, summary: str) -> list[dict]:
        before = len(mails_to(LENA))
        support.tell_staff(stored, new_event(stored, None, type_, summary, public=False, **due))
        return mails_to(LENA)[before:]

    assert turn(api, LENA, LENA, sla_warning=False).status == 200
    assert raise_("SlaWarning", "Reaction internal target passed") == []
    (breach,) = raise_("SlaBreached", "Reaction promise breached")
    assert breach["subject"] == f"[{ticket['reference']}] Reaction promise breached"
    assert "it was due Monday 30 November 2026, 10:10 (Europe/Prague)" in breach["body"]

    assert turn(api, LENA, LENA, sla_warning=True, sla_breach=False).status == 200
    (warning,) = raise_("SlaWarning", "Reaction internal target passed")
    assert warning["subject"] == f"[{ticket['reference']}] Reaction internal target passed"
    assert raise_("SlaBreached", "Reaction promise breached again") == []


def test_managers_hear_of_incidents_unless_turned_off(api):
    before = len(mails_to(MARIA))
    incidents.raise_incident("limit_reached", "acme_test_1", "Acme used all requests of the period")
    (told,) = mails_to(MARIA)[before:]
    assert told["subject"] == "Caseway incident: Acme used all requests of the period"
    assert "/incidents" in told["body"]

    assert turn(api, MARIA, MARIA, incident=False).status == 200
    incidents.raise_incident("limit_reached", "acme_test_2", "Acme used all hours of the period")
    assert mails_to(MARIA)[before + 1 :] == []
