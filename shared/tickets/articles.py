"""Knowledge-base articles a ticket cites, as each role sees them (R29)."""

from __future__ import annotations

from typing import Any

from shared.platform import config
from shared.tickets.readers import ENGLISH_READER, Reader


def visible_ticket_articles(cited: list[dict[str, Any]] | None, *, staff: bool) -> list[dict[str, Any]]:
    """What the ticket view shows: customers see only the customer articles the resolution cited."""
    return [dict(a) for a in cited or [] if staff or a.get("audience") == "customers"]


def article_url(slug: str) -> str:
    """The article's page in the portal."""
    return config.get(config.SITE_URL).rstrip("/") + f"/app/kb/{slug}"


def customer_article_lines(cited: list[dict[str, Any]] | None, reader: Reader = ENGLISH_READER) -> str:
    """For the customer's resolution e-mail: the customer articles the resolution cites, under a heading in the
    reader's language."""
    shown = visible_ticket_articles(cited, staff=False)
    if not shown:
        return ""
    lines = "\n".join(f"- {a['title']}: {article_url(a['slug'])}" for a in shown)
    return f"\n\n{reader.say('resolved.articles')}\n{lines}"
