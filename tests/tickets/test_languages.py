"""R38: the desk speaks its customers' language. Jana's organisation (the demo's Czech one, `language: cs`) gets
every automatic message in the ticket and every e-mail in Czech, dates with Czech day and month names in the
organisation's time zone; the ticket's log stays in the desk's English. A web-form sender without an organisation
is written to in the language of the form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from infra.local import emulation as aws_emulation
from tests.conftest import LENA, QUESTION, finish_task, route_task, wait_for
from tests.tickets.test_webform_identity import confirmation_token

JANA = "jana@novak.example"
DOTAZ = {
    **QUESTION,
    "subject": "Export do CSV nefunguje",
    "description": "Export měsíčního přehledu do CSV skončí chybovou stránkou.",
}


def mails_to(address: str, reference: str) -> list[dict]:
    return [m for m in aws_emulation.sent_emails() if m["to"] == [address] and f"[{reference}]" in m["subject"]]


def headlines(address: str, reference: str) -> list[str]:
    return [m["subject"].split("] ", 1)[1].rsplit(": ", 1)[0] for m in mails_to(address, reference)]


def test_a_czech_organisations_customer_is_written_to_in_czech(desk):
    api, vc = desk
    # Given Jana of the Czech organisation asks a question on Monday 23 November at 09:00 Prague
    ticket = api("POST", "/tickets", user=JANA, body=DOTAZ).json
    reference = ticket["reference"]
    classify = route_task(api, "L1", LENA, ticket["id"], "classify")

    # Then the route tells her in Czech when we respond, with Czech day and month names, the zone named
    seen = api("GET", f"/tickets/{ticket['id']}", user=JANA).json
    assert seen["messages"][0]["body"] == (
        "Přijali jsme váš požadavek. Odpovíme nejpozději: pondělí 23. listopadu 2026, 13:00 (Europe/Prague)."
    )
    # and the confirmation e-mail is Czech from the subject to the link
    received = wait_for(lambda: mails_to(JANA, reference), what="Jana's confirmation")[0]
    assert received["subject"] == f"[{reference}] Požadavek přijat: {DOTAZ['subject']}"
    assert received["body"].startswith(
        f"Přijali jsme váš požadavek {reference} a převezme ho specialista. Do požadavku nám můžete kdykoli napsat."
        f"\n\nPožadavek {reference}: {DOTAZ['subject']}\nStav: nový\n"
    )
    assert "\nSledovat a odpovědět: " in received["body"]

    # When L1 classifies it as a question at once, then asks Jana something
    finish_task(api, LENA, classify, "question")
    route_task(api, "L1", LENA, ticket["id"], "answer")
    seen = api("GET", f"/tickets/{ticket['id']}", user=JANA).json
    assert seen["messages"][1]["body"] == (
        "Zařazeno jako dotaz. Vyřešíme nejpozději: úterý 24. listopadu 2026, 17:00 (Europe/Prague)."
    )
    # the log, the desk's own record, stays in English
    assert [e["summary"] for e in seen["history"] if e["type"] == "TicketClassified"] == ["Classified as question"]

    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Který prohlížeč používáte?"})
    reply = wait_for(lambda: [m for m in mails_to(JANA, reference) if "Nová odpověď" in m["subject"]], what="reply")[0]
    assert reply["body"].startswith("Podpora odpověděla:\n\nKterý prohlížeč používáte?\n\n")
    assert "\nStav: čeká na vaši odpověď\n" in reply["body"]
    next_step = re.search(r"^Další krok nejpozději: (.+)$", reply["body"], re.MULTILINE)
    assert next_step and re.fullmatch(r"\w+ \d+\. \w+ 2026, \d+:\d\d \(Europe/Prague\)", next_step.group(1))

    # When Jana stays silent: reminded, then closed after three working days, each told in Czech
    vc.advance_to(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    wait_for(lambda: aws_emulation.route_status(ticket["id"]) == "SUCCEEDED", what="the route to end")
    closed = wait_for(lambda: [m for m in mails_to(JANA, reference) if "Uzavřeno" in m["subject"]], what="closed")
    assert closed[0]["body"].startswith(
        "Váš požadavek je uzavřen: bez odpovědi do 3 pracovních dnů. Děkujeme za spolupráci.\n\n"
        "Jak jsme si vedli? Ohodnoťte nás na stránce požadavku od 1 (špatně) do 5 (výborně) a napište nám proč."
    )
    assert "\nStav: uzavřený\n" in closed[0]["body"]
    assert headlines(JANA, reference) == [
        "Požadavek přijat",
        "Nová odpověď",
        "Čekáme na vaši odpověď",
        "Uzavřeno",
    ]
    waiting = next(m for m in mails_to(JANA, reference) if "Čekáme" in m["subject"])
    assert re.match(
        r"Abychom mohli ve vašem požadavku pokračovat, potřebujeme vaši odpověď\. Bez odpovědi se požadavek uzavře: "
        r"\w+ \d+\. \w+ 2026, \d+:\d\d \(Europe/Prague\)\.\n",
        waiting["body"],
    ), waiting["body"]
    final = api("GET", f"/tickets/{ticket['id']}", user=LENA).json
    assert "Closed by Caseway: no reply within 3 working days" in [e["summary"] for e in final["history"]]


def test_a_web_form_sender_without_an_organisation_is_written_to_in_the_forms_language(api):
    body = {**DOTAZ, "email": "karel@nikde.example", "name": "Karel", "language": "cs-CZ"}
    created = api("POST", "/public/tickets", body=body)
    assert created.status == 201, created.text
    mail = mails_to("karel@nikde.example", created.json["reference"])[0]
    # (an address nobody proved is told of the request by its reference only, never its sender's words)
    assert mail["subject"] == f"[{created.json['reference']}] Požadavek přijat: váš požadavek"

    # a sender whose domain belongs to an organisation is written to in the organisation's language (once the
    # address confirmed the request: the confirmation e-mail is in that language too)
    body = {**DOTAZ, "email": "new.person@acme.example", "language": "cs"}
    assert api("POST", "/public/tickets", body=body).status == 202
    created = api("POST", "/public/confirmations", body={"token": confirmation_token("new.person@acme.example")})
    assert created.status == 201, created.text
    mail = mails_to("new.person@acme.example", created.json["reference"])[0]
    assert mail["subject"] == f"[{created.json['reference']}] Request received: {DOTAZ['subject']}"

    # without a language, or in one the desk has no messages for: English
    for address, language in (("plain@nowhere.example", None), ("finn@nowhere.example", "fi")):
        body = {**DOTAZ, "email": address, "language": language}
        created = api("POST", "/public/tickets", body=body)
        assert created.status == 201, created.text
        subject = mails_to(address, created.json["reference"])[0]["subject"]
        assert subject.split("] ", 1)[1].startswith("Request received: "), subject


def test_a_malformed_form_language_is_refused_with_the_field_named(api):
    from tests.tickets.test_authorization import assert_problem

    body = {**DOTAZ, "email": "karel@nikde.example", "language": "česky!"}
    problem = assert_problem(api("POST", "/public/tickets", body=body), 422)
    assert "language" in {e["field"] for e in problem["errors"]}, problem
