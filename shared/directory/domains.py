"""Who may be matched to an organisation by their address: the e-mail domains an organisation may claim, and the
catch-all organisation of senders without one (`public`), which nobody joins.

An organisation's domain makes every sender at it that organisation's contact, so a domain anyone can get an address
at (a free-mail provider: free_mail_domains.txt, shipped as data) is never claimable; and the catch-all holds
strangers' tickets, so it has no members, admins, machine clients or domains of its own."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from shared.directory.items import PUBLIC_ORGANISATION
from shared.platform.errors import Unprocessable

FREE_MAIL_FILE = Path(__file__).with_name("free_mail_domains.txt")


@cache
def free_mail_domains() -> frozenset[str]:
    lines = (line.strip().lower() for line in FREE_MAIL_FILE.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_free_mail(domain: str) -> bool:
    """A free-mail provider's domain or a subdomain of one (`gmail.com`, `post.seznam.cz`)."""
    labels = domain.strip().lower().rstrip(".").split(".")
    return any(".".join(labels[i:]) in free_mail_domains() for i in range(len(labels) - 1))


def check_claimable(org_id: str, domains: list[str]) -> None:
    """422 naming the domains an organisation may not claim: any for the catch-all, free-mail ones for anyone."""
    if org_id == PUBLIC_ORGANISATION and domains:
        raise Unprocessable(
            f"The '{PUBLIC_ORGANISATION}' organisation holds the tickets of senders without an organisation; it "
            "claims no e-mail domains.",
            errors=[{"field": "email_domains", "message": f"must be empty for '{PUBLIC_ORGANISATION}'"}],
        )
    free = sorted(d for d in domains if is_free_mail(d))
    if free:
        raise Unprocessable(
            "Anyone can get an address at a free e-mail provider, so no organisation can claim its domain: "
            + ", ".join(free)
            + ". Add the organisation's people by invitation instead.",
            errors=[{"field": "email_domains", "message": f"free-mail domains: {free}"}],
        )


def refuse_public(org_id: str | None, what: str) -> None:
    """422 when someone would join the catch-all organisation (`what`: an invitation, a machine client's mapping)."""
    if org_id == PUBLIC_ORGANISATION:
        raise Unprocessable(
            f"The '{PUBLIC_ORGANISATION}' organisation holds the tickets of senders without an organisation; {what} "
            "cannot name it. Create the customer's own organisation first (PUT /organisations/{organisation_id}).",
            errors=[{"field": "organisation_id", "message": f"'{PUBLIC_ORGANISATION}' has no members"}],
        )
