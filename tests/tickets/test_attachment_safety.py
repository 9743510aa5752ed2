"""Attachments are what they claim to be, and a customer hands themselves only their own files: a file name cleaned of
bidi and control characters whose extension agrees with its type, a presigned POST for exactly the declared size,
the content read back (magic bytes) when a message claims the upload, and uploads nobody claimed left to expire."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from shared.platform import aws, config, files, filetypes
from shared.platform.errors import UnsupportedMediaType
from shared.platform.identity import Caller
from shared.tickets import conversation
from shared.tickets.items import Attachment, load_ticket
from tests.conftest import ALICE, BOB, LENA
from tests.tickets.test_authorization import assert_problem, open_ticket
from tests.uploads import file_like, post_upload, upload

PDF = {"file_name": "invoice.pdf", "size": 2048, "content_type": "application/pdf"}
EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 2048)[:2048]  # an .exe


def _attachment(ticket_id: str, attachment_id: str) -> Attachment:
    _, items = load_ticket(ticket_id)
    return next(i for i in items if isinstance(i, Attachment) and i.attachment_id == attachment_id)


def _customer_messages(api, ticket_id: str, user: str = BOB) -> list[dict]:
    return [
        m for m in api("GET", f"/tickets/{ticket_id}", user=user).json["messages"] if m["author"]["role"] != "system"
    ]


# --- names -------------------------------------------------------------------------------------------------------


def test_a_right_to_left_override_does_not_pass_an_executable_off_as_a_pdf(api):
    ticket = open_ticket(api, BOB)

    reply = api(
        "POST", f"/tickets/{ticket['id']}/attachments", user=BOB, body={**PDF, "file_name": "invoice\u202efdp.exe"}
    )

    problem = assert_problem(reply, 422)
    assert "'invoicefdp.exe' does not end like a PDF document (.pdf)" in problem["detail"]
    assert problem["errors"][0]["field"] == "file_name"
    assert api("GET", f"/tickets/{ticket['id']}", user=BOB).json["attachments"] == []


def test_a_name_is_kept_without_bidi_and_control_characters_and_gets_its_types_extension(api):
    ticket = open_ticket(api, BOB)
    base = f"/tickets/{ticket['id']}/attachments"

    named = api("POST", base, user=BOB, body={**PDF, "file_name": "re\u202bport\u0007\u200b.pdf"})
    bare = api("POST", base, user=BOB, body={"file_name": "scan", "size": 10, "content_type": "image/png"})

    assert named.status == bare.status == 201, (named.text, bare.text)
    shown = {a["id"]: a["file_name"] for a in api("GET", f"/tickets/{ticket['id']}", user=BOB).json["attachments"]}
    assert shown == {named.json["id"]: "report.pdf", bare.json["id"]: "scan.png"}
    # and an old name a download still carries never reaches the Content-Disposition header with its controls
    assert files.content_disposition("invoice\u202efdp.exe") == 'attachment; filename="invoicefdp.exe"'


@pytest.mark.parametrize(
    ("name", "content_type", "kept"),
    [
        ("photo.JPG", "image/jpeg", "photo.JPG"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("export.csv", "text/csv", "export.csv"),
        ("notes", "text/plain", "notes.txt"),
        ("..\\..\\evil.pdf", "application/pdf", "_.._evil.pdf"),
        (
            "smlouva\u2066.docx.exe\u2069",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            None,
        ),
        ("archive.tar.gz", "application/zip", None),
        ("data.json.js", "application/json", None),
    ],
)
def test_the_kept_name_agrees_with_the_type(name, content_type, kept):
    assert filetypes.named_for(name, content_type) == kept


# --- the presigned policy ----------------------------------------------------------------------------------------


def test_the_presigned_post_allows_exactly_the_declared_size(api):
    ticket = open_ticket(api, BOB)

    slot = api("POST", f"/tickets/{ticket['id']}/attachments", user=BOB, body=PDF).json

    policy = json.loads(base64.b64decode(slot["upload"]["fields"]["policy"]))
    assert ["content-length-range", 2048, 2048] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert slot["s3_key"].startswith(files.PENDING_PREFIX)


# --- the content, read back when a message claims the upload ------------------------------------------------------


def test_an_executable_uploaded_as_a_pdf_is_refused_when_claimed_and_nothing_is_written(api):
    ticket = open_ticket(api, BOB)
    before = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    attachment_id = upload(api, f"/tickets/{ticket['id']}/attachments", PDF, user=BOB, data=EXE)

    reply = api(
        "POST",
        f"/tickets/{ticket['id']}/messages",
        user=BOB,
        body={"body": "The invoice", "attachments": [attachment_id]},
    )

    problem = assert_problem(reply, 422)
    assert problem["errors"] == [
        {
            "field": "attachments",
            "message": f"{attachment_id} (invoice.pdf): the content is not a PDF document (application/pdf)",
        }
    ]
    after = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert (after["messages"], after["status"], after["updated_at"]) == (
        before["messages"],
        before["status"],
        before["updated_at"],
    )
    assert _attachment(ticket["id"], attachment_id).s3_key.startswith(files.PENDING_PREFIX)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (None, "the file was not uploaded"),
        (file_like("application/pdf", 4096), "the uploaded file has 4096 bytes, 2048 were announced"),
    ],
)
def test_an_upload_missing_or_of_another_size_is_refused_when_claimed(api, data, said):
    ticket = open_ticket(api, BOB)
    slot = api("POST", f"/tickets/{ticket['id']}/attachments", user=BOB, body=PDF).json
    if data is not None:
        post_upload(slot, data)  # the local S3 does not enforce the policy's length range; the claim does

    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "x", "attachments": [slot["id"]]})

    assert said in assert_problem(reply, 422)["errors"][0]["message"]
    assert _customer_messages(api, ticket["id"]) == []


def test_a_file_uploaded_with_another_content_type_is_refused_when_claimed(api):
    ticket = open_ticket(api, BOB)
    slot = api("POST", f"/tickets/{ticket['id']}/attachments", user=BOB, body=PDF).json
    slot["upload"]["fields"]["Content-Type"] = "text/html"  # what the policy forbids; the local S3 takes it
    post_upload(slot, file_like("application/pdf", 2048))

    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "x", "attachments": [slot["id"]]})

    assert "uploaded as text/html, not application/pdf" in assert_problem(reply, 422)["errors"][0]["message"]


def test_a_claimed_upload_moves_out_of_the_expiring_prefix_and_still_downloads(api):
    ticket = open_ticket(api, BOB)
    content = file_like("application/pdf", 2048)
    attachment_id = upload(api, f"/tickets/{ticket['id']}/attachments", PDF, user=BOB, data=content)
    pending = _attachment(ticket["id"], attachment_id)
    assert pending.s3_key.startswith(files.PENDING_PREFIX) and pending.expires_at is not None
    early = api("GET", f"/tickets/{ticket['id']}/attachments/{attachment_id}", user=BOB).json["url"]

    reply = api(
        "POST", f"/tickets/{ticket['id']}/messages", user=BOB, body={"body": "x", "attachments": [attachment_id]}
    )

    assert reply.status == 201, reply.text
    claimed = _attachment(ticket["id"], attachment_id)
    assert claimed.s3_key == files.CLAIMED_PREFIX + pending.s3_key.removeprefix(files.PENDING_PREFIX)
    assert claimed.expires_at is None
    assert reply.json["message"]["attachments"][0]["s3_key"] == claimed.s3_key
    link = api("GET", f"/tickets/{ticket['id']}/attachments/{attachment_id}", user=BOB).json["url"]
    assert requests.get(link, timeout=10).content == content
    assert requests.get(early, timeout=10).content == content  # a link handed out before the claim still works


# --- whose upload a message may claim ----------------------------------------------------------------------------


def test_a_customer_cannot_attach_an_agents_upload_for_an_internal_note_and_then_download_it(api):
    ticket = open_ticket(api, BOB)
    base = f"/tickets/{ticket['id']}"
    secret = upload(api, f"{base}/attachments", {**PDF, "file_name": "diagnosis.pdf"}, user=LENA)
    unsent = upload(api, f"{base}/attachments", {**PDF, "file_name": "draft.pdf"}, user=LENA)
    note = {"body": "Our logs", "internal": True, "attachments": [secret]}
    assert api("POST", f"{base}/messages", user=LENA, body=note).status == 201

    for attachment_id in (secret, unsent):
        # The attack: the customer names the agent's upload in a message of their own
        reply = api("POST", f"{base}/messages", user=BOB, body={"body": "mine", "attachments": [attachment_id]})

        problem = assert_problem(reply, 422)
        assert problem["errors"] == [
            {"field": "attachments", "message": f"not an upload of yours in this ticket: {attachment_id}"}
        ]
        assert_problem(api("GET", f"{base}/attachments/{attachment_id}", user=BOB), 404)
    assert _customer_messages(api, ticket["id"]) == []


def test_an_organisation_admin_cannot_attach_a_colleagues_upload_either(api):
    ticket = open_ticket(api, BOB)
    base = f"/tickets/{ticket['id']}"
    bobs = upload(api, f"{base}/attachments", PDF, user=BOB)

    reply = api("POST", f"{base}/messages", user=ALICE, body={"body": "x", "attachments": [bobs]})

    assert_problem(reply, 422)
    # while staff hand over any upload of the ticket, and the requester their own
    assert api("POST", f"{base}/messages", user=BOB, body={"body": "mine", "attachments": [bobs]}).status == 201
    assert api("POST", f"{base}/messages", user=LENA, body={"body": "again", "attachments": [bobs]}).status == 201


# --- files the desk receives by e-mail ---------------------------------------------------------------------------


def test_an_e_mailed_file_whose_content_is_not_its_type_is_refused(api):
    ticket, _ = load_ticket(open_ticket(api, BOB)["id"])
    sender = Caller.system()

    with pytest.raises(UnsupportedMediaType, match="not a PDF document"):
        conversation.attach_file(
            ticket, "mail-x-1", sender, file_name="invoice.pdf", content_type="application/pdf", data=EXE
        )
    ref = conversation.attach_file(
        ticket,
        "mail-x-2",
        sender,
        file_name="scan\u202e.pdf",
        content_type="application/pdf",
        data=file_like("application/pdf", 100),
    )
    assert ref["file_name"] == "scan.pdf" and ref["s3_key"].startswith(files.CLAIMED_PREFIX)
    stored = aws.client("s3").head_object(Bucket=config.get(config.ATTACHMENTS_BUCKET), Key=ref["s3_key"])
    assert stored["ContentLength"] == 100


def test_sniffing_knows_each_accepted_type():
    for content_type in filetypes.TYPES:
        if content_type in (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ):
            assert filetypes.sniff(b"PK\x03\x04rest", content_type)
        else:
            assert filetypes.sniff(file_like(content_type, 64), content_type), content_type
        assert not filetypes.sniff(EXE[:64], content_type), content_type
    assert filetypes.sniff("Jméno;Počet\n".encode("cp1250"), "text/csv")  # a Czech Excel export
    assert filetypes.sniff("Имя\n".encode("utf-16"), "text/plain")
    assert not filetypes.sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ", "image/webp")
