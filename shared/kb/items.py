"""Item types of the knowledge base: articles and their versions.

No new global secondary indexes: reuse the generic ones of shared.models (gsi1/gsi2/queue/open/owner)
with key prefixes of their own.

| pattern                                   | how                                                    |
|-------------------------------------------|--------------------------------------------------------|
| every article's card (list, search)       | Query pk=KB (one partition, sk=ARTICLE#<id>)           |
| article by id (with Markdown and HTML)    | GetItem pk=KBART#<id>, sk=ARTICLE                      |
| article by slug (also earlier slugs)      | GetItem pk=KBSLUG#<slug>, sk=SLUG -> article id        |
| an article's versions, oldest first       | Query pk=KBART#<id>, sk begins_with VERSION#           |

The knowledge base needs none of the generic indexes: search ranks the cards of the one KB partition
in memory (shared/kb.py, docs/kb.md). A card is small (no body, its terms already counted), so a
search reads and tokenises little; the full article is read only when opened.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

from shared.platform.table import Entity

KB_PK = "KB"


ARTICLE_SK = "ARTICLE"


def card_sk(article_id: str) -> str:
    return f"ARTICLE#{article_id}"


def slug_pk(slug: str) -> str:
    return f"KBSLUG#{slug}"


def versions_pk(article_id: str) -> str:
    return f"KBART#{article_id}"


def version_sk(version: int) -> str:
    return f"VERSION#{version:05d}"


class Article(Entity, discriminator="kb_article"):
    """The current version of an article (pk=KBART#<id>, sk=ARTICLE); every edit also writes an
    ArticleVersion snapshot next to it and refreshes its ArticleCard."""

    article_id = UnicodeAttribute()
    slug = UnicodeAttribute()
    audience = UnicodeAttribute()  # customers | staff
    status = UnicodeAttribute()  # draft | published | archived
    service = UnicodeAttribute(null=True)  # a catalog key, or none: about support in general
    plan = UnicodeAttribute(null=True)  # a support plan name: shown to customers of that plan only
    tags = JSONAttribute(default=list)
    title = UnicodeAttribute()
    body = UnicodeAttribute()  # Markdown as written
    body_html = UnicodeAttribute()  # rendered and sanitised once, when written
    mandatory = BooleanAttribute(default=False)  # R29: must stay published
    generated = UnicodeAttribute(null=True)  # e.g. "sla-plan:vip": text derived from data, not edited by hand
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    updated_by_email = UnicodeAttribute(null=True)


class ArticleCard(Entity, discriminator="kb_card"):
    """What list and search need of an article, in the KB partition: no body, its terms counted."""

    article_id = UnicodeAttribute()
    slug = UnicodeAttribute()
    audience = UnicodeAttribute()
    status = UnicodeAttribute()
    service = UnicodeAttribute(null=True)
    plan = UnicodeAttribute(null=True)
    tags = JSONAttribute(default=list)
    title = UnicodeAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()
    summary = UnicodeAttribute()  # the start of the text, for result lists
    fingerprint = UnicodeAttribute()  # of title, body and tags (shared.kb.fingerprint)
    terms = JSONAttribute(default=dict)  # {"title"|"tags"|"body": {term: count}} (shared/kb_search.py)


class ArticleVersion(Entity, discriminator="kb_version"):
    """One edit of an article as it was saved: who, when, why, and the whole content."""

    article_id = UnicodeAttribute()
    version = NumberAttribute()
    slug = UnicodeAttribute()
    audience = UnicodeAttribute()
    status = UnicodeAttribute()
    service = UnicodeAttribute(null=True)
    plan = UnicodeAttribute(null=True)
    tags = JSONAttribute(default=list)
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    note = UnicodeAttribute(null=True)  # what changed, in the editor's words
    author_sub = UnicodeAttribute()
    author_role = UnicodeAttribute()
    author_email = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


class ArticleSlug(Entity, discriminator="kb_slug"):
    """Reserves a slug for one article; earlier slugs keep pointing at it, so old links still work."""

    article_id = UnicodeAttribute()
