"""Demo data of the knowledge base for the local stack and the tests' seeded desk: a few ordinary articles (the
mandatory ones of R29 are the default desk's, shared/setup)."""

from __future__ import annotations

from shared.kb.articles import seed_articles
from shared.platform.domain import Role
from shared.platform.identity import Caller

DEMO_ARTICLES: list[dict] = [
    {
        "slug": "export-report-to-csv",
        "title": "Exporting a report to CSV",
        "audience": "customers",
        "service": "functionality-question",
        "tags": ["export", "reports"],
        "body": "Open the report, choose **Export**, then *CSV*. Large reports (over 100 000 rows) are "
        "e-mailed to you as a link instead of downloaded.\n\nIf the export ends with an error page, "
        "reload the report first: the export uses the filters you see.",
    },
    {
        "slug": "licence-key-seat-changes",
        "title": "Changing the number of seats of a licence",
        "audience": "customers",
        "service": "licence-key",
        "tags": ["licence"],
        "body": "Ask for a new licence key with the new number of seats. The old key keeps working for "
        "30 days, so you can switch without a stop.",
    },
    {
        "slug": "issuing-licence-keys",
        "title": "Issuing licence keys",
        "audience": "staff",
        "service": "licence-key",
        "tags": ["licence", "internal-rules"],
        "body": "Check the contract's seat count before issuing. Keys for more seats than contracted need "
        "the account manager's approval (out of scope work is agreed first).",
    },
    {
        "slug": "escalating-a-bug-to-l2",
        "title": "Escalating a bug to L2",
        "audience": "staff",
        "tags": ["internal-rules", "bug"],
        "body": "Reproduce it first. Write the steps, the expected and the actual result, and what the "
        "customer already tried into the classification note: L2 starts from your notes.",
    },
]


def seed() -> None:
    """The demo articles, written together (a fresh desk: a few requests)."""
    author = Caller(sub="agent-lena", email="lena.l1@caseway.example", role=Role.AGENT)
    seed_articles([(author, {**spec, "note": "Demo article"}) for spec in DEMO_ARTICLES])
