"""HTTP routes anyone may call without an account (R1): the service catalog the web form offers, opening a ticket
from it, and following that ticket with the key of its follow link. The web form and the ticket's page are the web
app's (/app/form, /app/tickets/<id>); the form's old address, /form, redirects there. The customer's actions through
the follow link (reply, close, rate, approve) share their handlers with the signed-in routes
(functions.api.tickets, functions.api.catalog).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response

from functions.api import pages
from functions.api.callers import FOLLOW_KEY_QUERY, follow_key, follow_view
from functions.api.http import created, idempotency_key, json_response, query, source_ip
from functions.api.router import ApiRouter
from shared.directory.items import list_services
from shared.platform import config
from shared.platform.errors import NotFound, Unprocessable
from shared.tickets import access, confirmations, follow, idempotency, intake
from shared.tickets.items import get_ticket
from shared.tickets.views import ticket_summary

logger = logging.getLogger(__name__)
router = ApiRouter(bodies="functions.api.public_bodies")


@router.declare(
    "GET",
    "/form",
    "The web form's old address: a redirect to the web app's form (/app/form), or, with ?ticket=&key= (an old "
    "follow link), to the ticket's page",
    "intake",
    public=True,
    content_type="text/plain",
    status=302,
)
def form() -> Response:
    site = config.get(config.SITE_URL).rstrip("/")
    ticket, key = query("ticket", max_length=100), query("key", max_length=200)
    if ticket and key:  # an old follow link: the ticket's page in the portal, the key moved into the fragment
        return _moved("The ticket's page", site + f"/app/tickets/{quote(ticket, safe='')}#key={quote(key)}")
    return _moved("The web form", site + "/app/form")


def _moved(what: str, location: str) -> Response:
    return Response(
        302,
        "text/plain; charset=utf-8",
        f"{what} moved to {location}",
        headers={"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@router.declare(
    "GET",
    "/assets/{name}",
    "A file the API's documentation page (/docs) loads: docs.js and Swagger UI's script and style",
    "meta",
    public=True,
    content_type="text/javascript",
)
def page_asset(name: str) -> Response:
    found = pages.asset(name)
    if found is None:
        raise NotFound(f"No asset {name}; /docs loads docs.js and Swagger UI's files (the web form is at /app/form).")
    content_type, text = found
    return Response(200, content_type, text, headers={"Cache-Control": "public, max-age=3600"})


@router.declare(
    "GET", "/services", "The service catalog: what customers can ask for, with intake questions", "intake", public=True
)
def services() -> dict[str, Any]:
    return {
        "items": [
            {
                "key": s.key,
                "title": s.title,
                "description": s.description,
                "route": s.route,
                "intake_fields": s.intake_fields,
            }
            for s in list_services()
            if s.customer_visible
        ]
    }


@router.declare(
    "POST",
    "/public/tickets",
    "Open a ticket from the web form (anonymous, rate limited; after a few an hour, with a solved proof of work). "
    "From an address new to the desk: 201 with the ticket and its follow link. From an address the desk knows or "
    "in a domain an organisation claims: 202, the request held until the address's owner follows the link e-mailed "
    "to it (POST /public/confirmations)",
    "intake",
    public=True,
    body="PublicTicket",
    status=201,
    idempotent=True,
)
def create_public_ticket() -> Response:
    body = router.body("PublicTicket")
    body.require_description()
    if not body.submit:
        raise Unprocessable(
            "The web form submits tickets; drafts need an account.",
            errors=[{"field": "submit", "message": "must be true"}],
        )
    idem = idempotency.Idempotency.of(f"webform:{body.email}", idempotency_key(), body.model_dump(exclude={"proof"}))
    # A retry is answered before the rate limit counts it and before any contact is created.
    if record := idempotency.replayed_record(idem):
        if record.resource.startswith("held:"):
            return _held(body.email, True)
        ticket = get_ticket(record.resource.split(":", 1)[1])
        key = follow.key_of(ticket)
        return created({**ticket_summary(ticket), "follow_url": _follow_url(ticket.ticket_id, key)}, True)
    proof = (body.proof.challenge, body.proof.solution) if body.proof else None
    access.check_web_form_rate(body.email, source_ip(), proof)
    sender = access.web_form_sender(body.email, body.name)
    if sender.caller is None:
        if sender.deactivated:  # answered like any held request: the form tells nobody who was deactivated
            person_id = sender.deactivated_sub  # an id, never the address
            logger.info("web-form request for deactivated person %s: not held, nothing sent", person_id)
        else:
            confirmations.hold(
                body.email,
                body.name,
                service_key=body.service,
                subject=body.subject,
                description=body.description,
                fields=body.fields,
                language=body.language,
                channel="web_form",
                idem=idem,
            )
        return _held(body.email, False)
    ticket, key, replayed = intake.create_ticket(
        sender.caller,
        service_key=body.service,
        subject=body.subject,
        description=body.description,
        fields=body.fields,
        submit=True,
        channel="web_form",
        idem=idem,
        with_follow_key=True,
        language=body.language,
        unproven_sender=True,
    )
    return created({**ticket_summary(ticket), "follow_url": _follow_url(ticket.ticket_id, key)}, replayed)


def _held(email: str, replayed: bool) -> Response:
    """202: the request waits for its address's owner; nothing about any ticket, and no follow link."""
    view = {
        "status": "unconfirmed",
        "email": email,
        "detail": f"We sent a confirmation link to {email}. The request is opened when the link is followed "
        f"(within {confirmations.CONFIRM_HOURS} hours); until then nothing happens with it.",
    }
    return json_response(202, view, {"Idempotent-Replayed": "true"} if replayed else {})


def _follow_url(ticket_id: str, key: str | None) -> str | None:
    """The follow link (JSON); the same id and key open the ticket's page in the portal at /app/tickets/<id>#key=..."""
    return f"/public/tickets/{ticket_id}?key={key}" if key else None


@router.declare(
    "POST",
    "/public/confirmations",
    "Confirm a web-form request held for its address (the token of the e-mailed link, once, within a day): the "
    "ticket opens as the address's owner and the answer carries its follow link",
    "intake",
    public=True,
    body="Confirmation",
    status=201,
)
def confirm_public_ticket() -> Response:
    body = router.body("Confirmation")
    ticket, key = confirmations.confirm(body.token)
    return created({**ticket_summary(ticket), "follow_url": _follow_url(ticket.ticket_id, key)}, False)


@router.declare(
    "GET",
    "/public/tickets/{ticket_id}",
    "Follow a web-form ticket with the key from its follow link",
    "intake",
    public=True,
    query=FOLLOW_KEY_QUERY,
)
def follow_public_ticket(ticket_id: str) -> dict[str, Any]:
    return follow_view(ticket_id, follow_key())
