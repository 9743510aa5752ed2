"""HTTP routes of the knowledge base (R29): list and search, write, edit, and read an article's versions."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.callers import caller
from functions.api.http import created, json_response, query, query_limit
from functions.api.router import SIGNED_IN, STAFF, ApiRouter
from shared.kb import articles as kb
from shared.platform.errors import Unprocessable

router = ApiRouter(bodies="functions.api.kb_bodies")

_ARTICLE_QUERY = (
    ("q", {"type": "string", "description": "Words to search for; results ranked by relevance"}),
    ("service", {"type": "string", "description": "Only articles about this service"}),
    ("tag", {"type": "string"}),
    ("audience", {"enum": list(kb.AUDIENCES), "description": "Staff: only customer or only staff articles"}),
    (
        "status",
        {"enum": list(kb.STATUSES), "description": "Staff: drafts, published or archived (default: not archived)"},
    ),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
    ("cursor", {"type": "string", "description": "next_cursor of the previous page"}),
)


@router.declare(
    "GET",
    "/kb/articles",
    "Knowledge base: list or search the articles you may read (?q= ranks by relevance)",
    "knowledge base",
    query=_ARTICLE_QUERY,
    roles=SIGNED_IN,
)
def list_articles() -> dict[str, Any]:
    who = caller()
    q = query("q", max_length=200)
    limit = query_limit()
    offset = int(query("cursor", "0", pattern=r"\d{1,6}") or 0)
    return kb.list_view(
        who,
        q=q,
        limit=limit,
        offset=offset,
        service=query("service", max_length=64),
        tag=query("tag", max_length=40),
        audience=query("audience", pattern="|".join(kb.AUDIENCES)),
        status=query("status", pattern="|".join(kb.STATUSES)),
    )


@router.declare(
    "POST",
    "/kb/articles",
    "Knowledge base: write a new article (agents, managers)",
    "knowledge base",
    body="KbArticle",
    status=201,
    roles=STAFF,
)
def create_article() -> Response:
    who = caller()
    who.require_staff()
    body = router.body("KbArticle")
    article = kb.create_article(
        who,
        title=body.title,
        body=body.body,
        audience=body.audience,
        service=body.service,
        tags=body.tags,
        slug=body.slug,
        status=body.status,
        note=body.note,
    )
    return created(kb.article_view(article, staff=True), False)


@router.declare(
    "GET",
    "/kb/articles/{article_id}",
    "Knowledge base: one article by id or slug, with its Markdown and safe HTML",
    "knowledge base",
    roles=SIGNED_IN,
)
def get_article(article_id: str) -> dict[str, Any]:
    who = caller()
    return kb.article_view(kb.get_article(who, article_id), staff=who.is_staff)


@router.declare(
    "PATCH",
    "/kb/articles/{article_id}",
    "Knowledge base: edit an article; every edit is a new version (agents, managers)",
    "knowledge base",
    body="KbArticleUpdate",
    roles=STAFF,
)
def update_article(article_id: str) -> dict[str, Any]:
    who = caller()
    who.require_staff()
    body = router.body("KbArticleUpdate")
    changes = body.model_dump(exclude_unset=True, exclude={"note", "expected_version"})
    for name in ("title", "body", "audience", "tags", "slug", "status"):
        if name in changes and changes[name] is None:
            raise Unprocessable(
                f"{name} cannot be null; leave it out to keep it.", errors=[{"field": name, "message": "null"}]
            )
    if changes.get("service") == "":
        changes["service"] = None
    article = kb.update_article(
        who, article_id, changes=changes, note=body.note, expected_version=body.expected_version
    )
    return kb.article_view(article, staff=True)


@router.declare(
    "GET",
    "/kb/articles/{article_id}/versions",
    "Knowledge base: an article's versions, oldest first: who changed it, when and why",
    "knowledge base",
    roles=SIGNED_IN,
)
def article_versions(article_id: str) -> dict[str, Any]:
    who = caller()
    article, found = kb.versions(who, article_id)
    return {
        "article": kb.article_summary(article),
        "items": [kb.version_view(v, staff=who.is_staff) for v in found],
    }


@router.declare(
    "GET",
    "/kb/articles/{article_id}/versions/{version}",
    "Knowledge base: one version of an article as it was saved",
    "knowledge base",
    roles=SIGNED_IN,
)
def article_version(article_id: str, version: str) -> Response:
    who = caller()
    if not version.isdigit() or not 1 <= int(version) <= 99999:
        raise Unprocessable(
            "The version is a whole number from 1.", errors=[{"field": "version", "message": "a number >= 1"}]
        )
    item = kb.version(who, article_id, int(version))
    return json_response(200, kb.version_view(item, staff=who.is_staff, full=True))
