"""What the customer portal reads from the API: attachment downloads authorised like the ticket and logged (R12),
notifications from the tickets' logs, and e-mails that link to the ticket's page in the portal."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlparse

from shared.platform import mail
from tests.conftest import ALICE, BOB, GUS, LENA, MARIA, QUESTION, Api
from tests.tickets.test_authorization import MISSING_TICKET_ID, assert_problem, open_ticket
from tests.uploads import file_like, post_upload, upload

PDF = {"file_name": "screen shot.pdf", "size": 2048, "content_type": "application/pdf"}


def _upload(api: Api, user: str, ticket_id: str, path: str = "/tickets") -> str:
    return upload(api, f"{path}/{ticket_id}/attachments", PDF, user=user)


def _write(api: Api, user: str, ticket_id: str, body: str, attachments: list[str], internal: bool = False) -> None:
    reply = api(
        "POST",
        f"/tickets/{ticket_id}/messages",
        user=user,
        body={"body": body, "attachments": attachments, "internal": internal},
    )
    assert reply.status == 201, reply.text


def _staff_history(api: Api, ticket_id: str) -> list[dict[str, Any]]:
    return api("GET", f"/tickets/{ticket_id}", user=MARIA).json["history"]


# --- downloads --------------------------------------------------------------------------------------------------


def test_a_customer_downloads_an_attachment_through_a_short_lived_link_and_the_log_records_it(api):
    ticket = open_ticket(api, BOB)
    attachment = _upload(api, BOB, ticket["id"])
    _write(api, BOB, ticket["id"], "The screenshot", [attachment])

    reply = api("GET", f"/tickets/{ticket['reference']}/attachments/{attachment}", user=BOB)

    assert reply.status == 200, reply.text
    link = reply.json
    assert link["file_name"] == "screen shot.pdf" and link["content_type"] == "application/pdf"
    assert link["expires_in"] == 300
    url = urlparse(link["url"])
    params = parse_qs(url.query)
    assert url.path.endswith(f"/tickets/{ticket['id']}/{attachment}/screen_shot.pdf")
    assert 0 < int(params["Expires"][0]) - time.time() <= 300  # signed, and good for five minutes at most
    assert params["response-content-disposition"] == ['attachment; filename="screen shot.pdf"']
    downloads = [e for e in _staff_history(api, ticket["id"]) if e["type"] == "AttachmentDownloaded"]
    assert [(e["actor"]["sub"], e["data"]["attachment_id"], e["public"]) for e in downloads] == [
        (downloads[0]["actor"]["sub"], attachment, False)
    ]
    assert downloads[0]["summary"] == "Downloaded screen shot.pdf"


def test_the_organisation_admin_downloads_a_colleagues_attachment_another_organisation_gets_not_found(api):
    ticket = open_ticket(api, BOB)
    attachment = _upload(api, BOB, ticket["id"])
    _write(api, BOB, ticket["id"], "The screenshot", [attachment])

    assert api("GET", f"/tickets/{ticket['id']}/attachments/{attachment}", user=ALICE).status == 200
    hidden = assert_problem(api("GET", f"/tickets/{ticket['id']}/attachments/{attachment}", user=GUS), 404)
    missing = assert_problem(api("GET", f"/tickets/{MISSING_TICKET_ID}/attachments/{attachment}", user=GUS), 404)
    assert hidden["title"] == missing["title"]
    assert hidden["detail"] == missing["detail"].replace(MISSING_TICKET_ID, ticket["id"])
    assert api("GET", f"/tickets/{ticket['id']}/attachments/{attachment}").status == 401
    logged = [e["actor"]["role"] for e in _staff_history(api, ticket["id"]) if e["type"] == "AttachmentDownloaded"]
    assert logged == ["customer"]  # Alice's download; the refused ones wrote nothing


def test_an_internal_notes_attachment_is_never_the_customers(api):
    ticket = open_ticket(api, BOB)
    internal = _upload(api, LENA, ticket["id"])
    _write(api, LENA, ticket["id"], "Logs from the server", [internal], internal=True)
    unsent = _upload(api, LENA, ticket["id"])  # uploaded, in no message yet

    for attachment in (internal, unsent, "01HZZZZZZZZZZZZZZZZZZZZZZZ"):
        problem = assert_problem(api("GET", f"/tickets/{ticket['id']}/attachments/{attachment}", user=BOB), 404)
        assert f"No attachment {attachment} in ticket {ticket['reference']}" in problem["detail"]
    assert api("GET", f"/tickets/{ticket['id']}/attachments/{internal}", user=LENA).status == 200


def test_a_web_form_requester_downloads_through_the_follow_link(api):
    created = api(
        "POST",
        "/public/tickets",
        body={**QUESTION, "email": "olga@example.org", "name": "Olga"},
    ).json
    key = parse_qs(urlparse(created["follow_url"]).query)["key"][0]
    attachment = upload(api, f"/tickets/{created['id']}/attachments", {**PDF, "file_name": "answer.pdf"}, user=LENA)
    _write(api, LENA, created["id"], "See the attached answer", [attachment])

    reply = api("GET", f"/public/tickets/{created['id']}/attachments/{attachment}?key={key}")
    assert reply.status == 200, reply.text
    assert reply.json["file_name"] == "answer.pdf"
    assert_problem(api("GET", f"/public/tickets/{created['id']}/attachments/{attachment}?key=wrong"), 404)
    assert_problem(api("GET", f"/public/tickets/{created['id']}/attachments/{attachment}"), 422)
    logged = [e["data"]["channel"] for e in _staff_history(api, created["id"]) if e["type"] == "AttachmentDownloaded"]
    assert logged == ["web_form"]


def test_a_web_form_requester_attaches_a_file_through_the_follow_link(api):
    created = api("POST", "/public/tickets", body={**QUESTION, "email": "olga@example.org", "name": "Olga"}).json
    key = parse_qs(urlparse(created["follow_url"]).query)["key"][0]
    base = f"/public/tickets/{created['id']}"

    # The follow link gets a presigned upload with the API's limits, and the reply carries the file
    slot = api("POST", f"{base}/attachments?key={key}", body=PDF)
    assert slot.status == 201, slot.text
    assert slot.json["upload"]["url"] and slot.json["upload"]["fields"]
    post_upload(slot.json, file_like(PDF["content_type"], PDF["size"]))
    reply = api(
        "POST", f"{base}/messages?key={key}", body={"body": "The error, attached", "attachments": [slot.json["id"]]}
    )
    assert reply.status == 201, reply.text
    seen = api("GET", f"{base}?key={key}").json
    sent = next(m for m in seen["messages"] if m["body"] == "The error, attached")
    assert [a["attachment_id"] for a in sent["attachments"]] == [slot.json["id"]]
    staff = api("GET", f"/tickets/{created['id']}", user=LENA).json
    assert slot.json["id"] in [a["id"] for a in staff["attachments"]]

    # The same limits as signed in; a wrong key is refused before the body is read
    assert_problem(api("POST", f"{base}/attachments?key={key}", body={**PDF, "size": 200 * 1024 * 1024}), 413)
    assert_problem(api("POST", f"{base}/attachments?key={key}", body={**PDF, "content_type": "text/x-sh"}), 415)
    assert_problem(api("POST", f"{base}/attachments?key=wrong", body={"file_name": ""}), 404)
    assert_problem(api("POST", f"{base}/attachments", body=PDF), 422)


# --- notifications -----------------------------------------------------------------------------------------------


def test_notifications_show_what_others_changed_on_my_tickets_since_i_looked(api):
    ticket = open_ticket(api, BOB)
    assert api("POST", "/notifications/seen", user=BOB).status == 200
    assert api("GET", "/notifications", user=BOB).json["items"] == []

    _write(api, LENA, ticket["id"], "Have you tried turning it off and on?", [])
    _write(api, LENA, ticket["id"], "A note for us", [], internal=True)

    news = api("GET", "/notifications", user=BOB).json
    assert [i["reference"] for i in news["items"]] == [ticket["reference"]]
    summaries = [e["summary"] for e in news["items"][0]["events"]]
    assert "Reply from support" in summaries and "Internal note" not in summaries
    assert news["unseen"] == len(summaries)
    # The organisation admin sees the colleague's ticket too; another organisation does not
    assert ticket["reference"] in [i["reference"] for i in api("GET", "/notifications", user=ALICE).json["items"]]
    assert api("GET", "/notifications", user=GUS).json["items"] == []
    # My own reply is no news to me
    seen = api("POST", "/notifications/seen", user=BOB).json["seen_at"]
    _write(api, BOB, ticket["id"], "Yes, still broken.", [])
    assert api("GET", "/notifications", user=BOB).json["items"] == []
    assert api("GET", f"/notifications?since={seen}", user=BOB).json["items"] == []


def test_notifications_refuse_a_bad_since_and_give_staff_their_own_feed(api):
    # Staff get their own feed (tests/tasks/test_staff_notifications.py), never the customers' ticket changes
    staff = api("GET", "/notifications", user=LENA)
    assert staff.status == 200 and set(staff.json) == {"since", "seen_at", "unseen", "items"}
    assert "ISO 8601" in assert_problem(api("GET", "/notifications?since=yesterday", user=LENA), 422)["detail"]
    problem = assert_problem(api("GET", "/notifications?since=yesterday", user=BOB), 422)
    assert "ISO 8601" in problem["detail"]
    assert_problem(api("POST", "/notifications/seen", user=BOB, body={"at": "2026-11-30T12:00:00"}), 422)
    assert api("GET", "/notifications").status == 401


# --- e-mails link to the portal ----------------------------------------------------------------------------------


def test_customer_emails_link_the_tickets_page_in_the_portal(api, monkeypatch):
    monkeypatch.setenv("CASEWAY_SITE_URL", "https://help.example.org/")
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(mail, "send", lambda m: sent.append((m.to, m.subject, m.text)))
    ticket = open_ticket(api, BOB)
    _write(api, LENA, ticket["id"], "Here is the answer.", [])
    assert any(f"https://help.example.org/app/tickets/{ticket['reference']}" in body for _, _, body in sent), sent

    created = api("POST", "/public/tickets", body={**QUESTION, "email": "olga@example.org", "name": "Olga"}).json
    key = parse_qs(urlparse(created["follow_url"]).query)["key"][0]
    sent.clear()
    _write(api, LENA, created["id"], "Here is the answer.", [])
    link = f"https://help.example.org/app/tickets/{created['id']}#key={key}"
    assert [to for to, _, body in sent if link in body] == ["olga@example.org"], sent


def test_old_form_links_redirect_into_the_portal_a_follow_link_with_its_key_in_the_fragment(api):
    reply = api("GET", "/form?ticket=01HZZZZZZZZZZZZZZZZZZZZZZZ&key=a/b%2Bc")
    assert reply.status == 302
    assert reply.headers["Location"] == "http://127.0.0.1:8000/app/tickets/01HZZZZZZZZZZZZZZZZZZZZZZZ#key=a/b%2Bc"
    # the form itself, without a ticket: the web app's form (a service in the query never was preselected)
    for path in ("/form", "/form?service=document-request"):
        reply = api("GET", path)
        assert reply.status == 302 and reply.headers["Location"] == "http://127.0.0.1:8000/app/form", path
