"""HTTP routes of the inbound e-mail's quarantine (managers): the e-mails SES judged spam, infected or forged
(shared/channels/quarantine.py), listed, released into the desk, or deleted."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.callers import caller
from functions.api.http import LIST_QUERY, query, query_limit
from functions.api.router import MANAGER, ApiRouter
from shared.channels import quarantine

router = ApiRouter()


@router.declare(
    "GET",
    "/mail/quarantine",
    "E-mails held back by a failed spam, virus, SPF, DKIM or DMARC verdict, newest first (managers)",
    "mail",
    query=LIST_QUERY,
    roles=(MANAGER,),
)
def list_quarantine() -> dict[str, Any]:
    items, next_cursor = quarantine.list_page(caller(), limit=query_limit(), cursor=query("cursor", max_length=2000))
    return {"items": items, "next_cursor": next_cursor}


@router.declare(
    "POST",
    "/mail/quarantine/{mail_id}/release",
    "Let a quarantined e-mail into the desk (threaded or a new ticket, as if its verdicts had passed)",
    "mail",
    roles=(MANAGER,),
)
def release_quarantined(mail_id: str) -> dict[str, Any]:
    return quarantine.release(caller(), mail_id)


@router.declare(
    "DELETE",
    "/mail/quarantine/{mail_id}",
    "Delete a quarantined e-mail and its stored message",
    "mail",
    roles=(MANAGER,),
    status=204,
)
def delete_quarantined(mail_id: str) -> Response:
    quarantine.delete(caller(), mail_id)
    return Response(204, "application/json", "")
