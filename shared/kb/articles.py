"""The knowledge base (R29): articles for customers and for staff, versioned, searchable, linked from
resolutions; the route of a resolution can ask for an article to be written.

Who reads what:
- customers read published customer articles; an agreement tied to a support plan only if their
  organisation is on that plan. Anything else is 404 to them (not 403: a staff article's existence
  is not revealed).
- staff (agents, managers) read everything and write; the desk itself (seeding) writes as `system`.

Markdown is rendered once when written (markdown-it-py with raw HTML off and an
allow-list of tags and http/https/mailto links), so reading costs nothing and nothing executable is
ever stored in body_html.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from shared.directory import items as directory
from shared.directory import plans
from shared.kb import search as kb_search
from shared.kb.items import (
    ARTICLE_SK,
    KB_PK,
    Article,
    ArticleCard,
    ArticleSlug,
    ArticleVersion,
    card_sk,
    slug_pk,
    version_sk,
    versions_pk,
)
from shared.platform import bus, clock, store
from shared.platform.domain import Role
from shared.platform.errors import Conflict, NotFound, Unprocessable
from shared.platform.identity import Caller
from shared.tasks.work import create_task
from shared.tickets import items as ticket_items
from shared.tickets.items import Ticket

logger = logging.getLogger(__name__)


AUDIENCES = ("customers", "staff")


STATUSES = ("draft", "published", "archived")


SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


TAG = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,39}$")


MAX_SLUG = 80


KB_TASK_TYPE = "kb_article"


SUMMARY_LENGTH = 300


ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "kbd",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)


ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


URL_SCHEMES = frozenset({"http", "https", "mailto"})


def render_markdown(text: str) -> str:
    """Markdown -> safe HTML, by construction: raw HTML in the source is escaped (shown as text, never
    interpreted), links and images keep only http(s)/mailto or relative targets (others stay text), and
    every tag the renderer can emit is in ALLOWED_TAGS with only ALLOWED_ATTRIBUTES. The tests hold the
    output against an independent sanitiser (nh3) with the same allow-list; the Lambda ships none."""
    return _markdown().render(text)


def _safe_target(url: str) -> bool:
    scheme = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return scheme is None or scheme.group(1).lower() in URL_SCHEMES


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "xhtmlOut": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = _safe_target

    def link_open(renderer: Any, tokens: list[Any], index: int, options: Any, env: Any) -> str:
        tokens[index].attrSet("rel", "noopener noreferrer nofollow")
        return renderer.renderToken(tokens, index, options, env)

    def cell_open(renderer: Any, tokens: list[Any], index: int, options: Any, env: Any) -> str:
        tokens[index].attrs.pop("style", None)  # column alignment: no style attributes at all
        return renderer.renderToken(tokens, index, options, env)

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("th_open", cell_open)
    md.add_render_rule("td_open", cell_open)
    return md


def plain_text(body_html: str) -> str:
    """The text of HTML this module rendered (search snippets)."""
    return html.unescape(re.sub(r"<[^>]+>", "", body_html))


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", kb_search.fold(text)).strip("-")
    return slug[:MAX_SLUG].rstrip("-") or "article"


def plan_of_organisation(org_id: str | None) -> str:
    """The support plan of a customer organisation (its id), as the clocks read it."""
    return plans.terms_of_organisation(org_id)[0]


class _Reader:
    """The caller with what their reading depends on, looked up at most once per request."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self._plan: str | None = None

    @property
    def plan(self) -> str:
        if self._plan is None:
            self._plan = plan_of_organisation(self.caller.org_id)
        return self._plan

    def can_read(self, article: Article | ArticleCard) -> bool:
        if self.caller.is_staff:
            return True
        if article.audience != "customers" or article.status != "published":
            return False
        return article.plan is None or article.plan == self.plan


def _not_found(key: str) -> NotFound:
    return NotFound(f"No knowledge base article {key}.")


def _article(key: str) -> Article | None:
    """By id, else by slug (current or earlier)."""
    key = key.strip()
    if not key or len(key) > 200:
        return None
    try:
        return Article.get(versions_pk(key), ARTICLE_SK)
    except DoesNotExist:
        pass
    if not SLUG.match(key):
        return None
    try:
        link = ArticleSlug.get(slug_pk(key), "SLUG")
    except DoesNotExist:
        return None
    try:
        return Article.get(versions_pk(link.article_id), ARTICLE_SK)
    except DoesNotExist:
        return None


def find_article(key: str) -> Article | None:
    """An article by id or slug, whoever asks (for the desk's own code, not for callers)."""
    return _article(key)


def get_article(caller: Caller, key: str) -> Article:
    article = _article(key)
    if article is None or not _Reader(caller).can_read(article):
        raise _not_found(key)
    return article


def all_cards() -> list[ArticleCard]:
    """The whole knowledge base's cards: one partition, read with one paged Query (no Scan)."""
    return [c for c in ArticleCard.query(KB_PK, ArticleCard.sk.startswith("ARTICLE#")) if isinstance(c, ArticleCard)]


def search(
    caller: Caller,
    *,
    q: str | None = None,
    service: str | None = None,
    tag: str | None = None,
    audience: str | None = None,
    status: str | None = None,
) -> list[tuple[ArticleCard, kb_search.Hit | None]]:
    """The articles the caller may read that pass the filters; ranked by relevance when q is given,
    else in title order. Staff see drafts too, archived ones only when they ask for status=archived."""
    reader = _Reader(caller)
    wanted_tag = tag.strip().lower() if tag else None
    found = []
    for article in all_cards():
        if not reader.can_read(article):
            continue
        if status and article.status != status:
            continue
        if not status and article.status == "archived":
            continue
        if audience and article.audience != audience:
            continue
        if service and article.service != service:
            continue
        if wanted_tag and wanted_tag not in article.tags:
            continue
        found.append(article)
    if not q or not kb_search.terms(q):
        return [(a, None) for a in sorted(found, key=lambda a: (a.title.lower(), a.article_id))]
    by_key = {a.article_id: a for a in found}
    documents = [kb_search.Document(a.article_id, a.title, a.terms) for a in found]
    return [(by_key[h.key], h) for h in kb_search.rank(q, documents)]


def _check_service(service: str | None) -> None:
    if service is not None and directory.get_service(service) is None:
        raise Unprocessable(
            f"There is no service {service!r} in the catalog; use a key from GET /services or leave it out.",
            errors=[{"field": "service", "message": "unknown service"}],
        )


def normalise_tags(tags: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for position, raw in enumerate(tags):
        tag = " ".join(raw.strip().lower().split())
        if not TAG.match(tag):
            raise Unprocessable(
                "Tags are 1-40 characters: letters, digits, spaces, '-' and '_'.",
                errors=[{"field": f"tags.{position}", "message": "invalid tag"}],
            )
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def _version_item(article: Article, caller: Caller, note: str | None, now: str) -> ArticleVersion:
    return ArticleVersion(
        versions_pk(article.article_id),
        version_sk(int(article.version)),
        article_id=article.article_id,
        version=article.version,
        slug=article.slug,
        audience=article.audience,
        status=article.status,
        service=article.service,
        plan=article.plan,
        tags=list(article.tags),
        title=article.title,
        body=article.body,
        note=note,
        author_sub=caller.sub,
        author_role=caller.role.value,
        author_email=caller.email or None,
        at=now,
    )


def fingerprint(title: str, body: str, tags: list[str]) -> str:
    """Of an article's content: lets the seeding see that a generated article is up to date from its card."""
    return hashlib.sha256(repr((title, body, sorted(tags))).encode()).hexdigest()[:16]


def _card(article: Article) -> ArticleCard:
    text = " ".join(plain_text(article.body_html).split())
    return ArticleCard(
        KB_PK,
        card_sk(article.article_id),
        article_id=article.article_id,
        slug=article.slug,
        audience=article.audience,
        status=article.status,
        service=article.service,
        plan=article.plan,
        tags=list(article.tags),
        title=article.title,
        version=article.version,
        updated_at=article.updated_at,
        summary=text[:SUMMARY_LENGTH],
        fingerprint=fingerprint(article.title, article.body, list(article.tags)),
        terms=kb_search.index_fields(article.title, text, article.tags),
    )


def _slug_conflict(slug: str) -> Conflict:
    return Conflict(
        f"The slug {slug!r} is already used by another article; choose another slug.",
        errors=[{"field": "slug", "message": "already used"}],
    )


def _new_article(
    caller: Caller,
    *,
    article_id: str,
    title: str,
    body: str,
    audience: str,
    service: str | None = None,
    tags: Iterable[str] = (),
    slug: str | None = None,
    status: str = "published",
    note: str | None = None,
    plan: str | None = None,
    mandatory: bool = False,
    generated: str | None = None,
) -> list[tuple[Any, Any]]:
    """The items of a new article (article, card, version 1, slug link), each with its write condition."""
    slug = slug or slugify(title)
    now = clock.now_iso()
    article = Article(
        versions_pk(article_id),
        ARTICLE_SK,
        article_id=article_id,
        slug=slug,
        audience=audience,
        status=status,
        service=service,
        plan=plan,
        tags=normalise_tags(tags),
        title=title,
        body=body,
        body_html=render_markdown(body),
        mandatory=mandatory,
        generated=generated,
        version=1,
        created_at=now,
        created_by=caller.sub,
        updated_at=now,
        updated_by=caller.sub,
        updated_by_email=caller.email or None,
    )
    return [
        (article, Article.pk.does_not_exist()),
        (_card(article), None),
        (_version_item(article, caller, note or "Created", now), ArticleVersion.pk.does_not_exist()),
        (ArticleSlug(slug_pk(slug), "SLUG", article_id=article_id), ArticleSlug.pk.does_not_exist()),
    ]


def create_article(caller: Caller, **fields: Any) -> Article:
    """A new article and its version 1, in one transaction. Staff only. Fields: see _new_article."""
    caller.require_staff()
    _check_service(fields.get("service"))
    writes = _new_article(caller, article_id=store.new_id(), **fields)
    article = writes[0][0]
    try:
        store.transact(writes)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in store.conflict_reasons(error):
            raise _slug_conflict(article.slug) from None
        raise
    _publish(article, created=True)
    return article


def seed_articles(specs: list[tuple[Caller, dict[str, Any]]], present: set[str] | None = None) -> list[str]:
    """The desk's own articles (mandatory, demo) whose slugs are not in the knowledge base yet, written
        together: one Query to see what exists and one transaction per 25 articles, so seeding a fresh desk
        (every test seeds one) costs a few requests. Ids derive from the slug, so two runs at once write
        the same items; if one loses the race, its articles are created one by one. `present`: the slugs
    already there, if the caller has just read them. Returns the slugs created."""
    present = {card.slug for card in all_cards()} if present is None else present
    pending = [(caller, spec) for caller, spec in specs if spec["slug"] not in present]
    created: list[str] = []
    for start in range(0, len(pending), 25):
        chunk = pending[start : start + 25]
        writes = [w for caller, spec in chunk for w in _new_article(caller, article_id=f"kb-{spec['slug']}", **spec)]
        try:
            store.transact(writes)
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in store.conflict_reasons(error):
                raise
            for caller, spec in chunk:
                if _article(spec["slug"]) is None:
                    with contextlib.suppress(Conflict):
                        create_article(caller, **spec)
                        created.append(spec["slug"])
            continue
        for article in (w[0] for w in writes if isinstance(w[0], Article)):
            _publish(article, created=True)
            created.append(article.slug)
    return created


def update_article(
    caller: Caller,
    key: str,
    *,
    changes: dict[str, Any],
    note: str | None = None,
    expected_version: int | None = None,
    regenerate: bool = False,
) -> Article:
    """A new version with `changes` applied (keys: title, body, audience, service, tags, slug, status).
    Nothing changed -> the article as it is, no new version. A stale expected_version -> 409."""
    caller.require_staff()
    article = _article(key)
    if article is None:
        raise _not_found(key)
    if article.generated and not regenerate:
        raise Conflict(
            f"Article {article.slug} is generated from {article.generated} and is not edited by hand: change "
            "the support plan (shared/sla.py) and run the knowledge base seeding again.",
            generated=article.generated,
        )
    if expected_version is not None and expected_version != article.version:
        raise Conflict(
            f"Article {article.slug} is at version {article.version}, not {expected_version}: someone saved it "
            "meanwhile. Reload it, apply your change again and send the new expected_version.",
            current_version=int(article.version),
        )
    if "service" in changes:
        _check_service(changes["service"])
    if "tags" in changes:
        changes["tags"] = normalise_tags(changes["tags"])
    if article.mandatory and (
        changes.get("status", "published") != "published"
        or changes.get("audience", article.audience) != article.audience
    ):
        raise Conflict(
            f"Article {article.slug} is mandatory (R29): it stays published for its audience. Edit its text instead.",
            errors=[{"field": "status" if "status" in changes else "audience", "message": "mandatory article"}],
        )
    changed = {k: v for k, v in changes.items() if getattr(article, k) != v}
    if not changed:
        return article
    old_version, old_slug = int(article.version), article.slug
    for name, value in changed.items():
        setattr(article, name, value)
    if "body" in changed:
        article.body_html = render_markdown(article.body)
    now = clock.now_iso()
    article.version = old_version + 1
    article.updated_at = now
    article.updated_by = caller.sub
    article.updated_by_email = caller.email or None
    writes: list[tuple[Any, Any]] = [
        (article, Article.version == old_version),
        (_card(article), None),
        (_version_item(article, caller, note, now), ArticleVersion.pk.does_not_exist()),
    ]
    if article.slug != old_slug:
        link = ArticleSlug(slug_pk(article.slug), "SLUG", article_id=article.article_id)
        writes.append((link, ArticleSlug.pk.does_not_exist() | (ArticleSlug.article_id == article.article_id)))
    try:
        store.transact(writes)
    except TransactWriteError as error:
        reasons = store.conflict_reasons(error)
        if len(reasons) > 3 and reasons[3] == "ConditionalCheckFailed":
            raise _slug_conflict(article.slug) from None
        if "ConditionalCheckFailed" in reasons:
            raise Conflict(
                f"Article {old_slug} was saved by someone else meanwhile; reload it and apply your change again.",
                current_version=old_version + 1,
            ) from None
        raise
    _publish(article, created=False)
    return article


def _publish(article: Article, *, created: bool) -> None:
    bus.publish(
        "KbArticleSaved",
        {
            "article_id": article.article_id,
            "slug": article.slug,
            "version": int(article.version),
            "audience": article.audience,
            "status": article.status,
            "service": article.service,
            "created": created,
            "at": article.updated_at,
        },
    )


def versions(caller: Caller, key: str) -> tuple[Article, list[ArticleVersion]]:
    """Oldest first. Customers see only the versions that were published to customers."""
    article = get_article(caller, key)
    found = [
        v
        for v in ArticleVersion.query(versions_pk(article.article_id), ArticleVersion.sk.startswith("VERSION#"))
        if isinstance(v, ArticleVersion)
    ]
    if not caller.is_staff:
        found = [v for v in found if v.status == "published" and v.audience == "customers"]
    return article, found


def version(caller: Caller, key: str, number: int) -> ArticleVersion:
    article, found = versions(caller, key)
    match = next((v for v in found if int(v.version) == number), None)
    if match is None:
        raise NotFound(f"Article {article.slug} has no version {number} you can read (it is at {article.version}).")
    return match


def article_summary(
    article: Article | ArticleCard, hit: kb_search.Hit | None = None, snippet: str | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": article.article_id,
        "slug": article.slug,
        "title": article.title,
        "audience": article.audience,
        "status": article.status,
        "service": article.service,
        "plan": article.plan,
        "tags": list(article.tags),
        "version": int(article.version),
        "updated_at": article.updated_at,
    }
    if isinstance(article, ArticleCard):
        view["summary"] = article.summary
    if hit is not None:
        view["score"] = round(hit.score, 4)
        view["snippet"] = snippet
    return view


def list_view(caller: Caller, *, q: str | None, limit: int, offset: int, **filters: str | None) -> dict[str, Any]:
    """One page of search(): cards, and for a search the text around the first match of each (the
    page's articles are read with one BatchGetItem)."""
    found = search(caller, q=q, **filters)
    page = found[offset : offset + limit]
    snippets: dict[str, str] = {}
    if q and page:
        keys = [(versions_pk(card.article_id), ARTICLE_SK) for card, _ in page]
        for article in Article.batch_get(keys):
            snippets[article.article_id] = kb_search.snippet(plain_text(article.body_html), q)
    return {
        "items": [article_summary(card, hit, snippets.get(card.article_id)) for card, hit in page],
        "total": len(found),
        "next_cursor": str(offset + limit) if offset + limit < len(found) else None,
    }


def article_view(article: Article, *, staff: bool) -> dict[str, Any]:
    view = {
        **article_summary(article),
        "body": article.body,
        "body_html": article.body_html,
        "mandatory": bool(article.mandatory),
        "generated": article.generated,
        "created_at": article.created_at,
    }
    if staff:
        view["updated_by"] = {"sub": article.updated_by, "email": article.updated_by_email}
    return view


def version_view(item: ArticleVersion, *, staff: bool, full: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "version": int(item.version),
        "at": item.at,
        "author": {"sub": item.author_sub, "role": item.author_role, "email": item.author_email}
        if staff
        else {"role": item.author_role},
        "note": item.note,
        "title": item.title,
        "status": item.status,
        "audience": item.audience,
    }
    if full:
        view.update(slug=item.slug, service=item.service, tags=list(item.tags), body=item.body)
    return view


def resolution_articles(caller: Caller, ticket_id: str, keys: list[str]) -> list[dict[str, Any]]:
    """The articles a resolution cites, checked: each exists and is published, and a plan's agreement
    only on a ticket of an organisation on that plan. Returned as the snapshot the ticket keeps."""
    if not keys:
        return []
    caller.require_staff()
    ticket = ticket_items.get_ticket(ticket_items.resolve_ticket_id(ticket_id) or ticket_id)
    plan = plan_of_organisation(ticket.organisation_id) if ticket else None
    snapshots: list[dict[str, Any]] = []
    problems = []
    for position, key in enumerate(keys):
        article = _article(key)
        field = f"articles.{position}"
        if article is None:
            problems.append({"field": field, "message": f"no knowledge base article {key}"})
        elif article.status != "published":
            problems.append(
                {"field": field, "message": f"article {article.slug} is {article.status}; publish it first"}
            )
        elif article.plan is not None and plan is not None and article.plan != plan:
            problems.append(
                {
                    "field": field,
                    "message": f"article {article.slug} is the {article.plan} plan's; this customer is on {plan}",
                }
            )
        elif all(s["id"] != article.article_id for s in snapshots):
            snapshots.append(
                {"id": article.article_id, "slug": article.slug, "title": article.title, "audience": article.audience}
            )
    if problems:
        raise Unprocessable("Some cited articles cannot be used; see errors.", errors=problems)
    return snapshots


def kb_task_group(caller: Caller, ticket: Ticket) -> str:
    """Where the "write or update an article" task goes: the resolver's own group (the people who
    just solved it know the answer); for a manager, the owner's group; else L1."""
    for sub in (caller.sub if caller.role == Role.AGENT else None, ticket.owner):
        user = directory.get_user(sub) if sub else None
        if user is None or user.role != Role.AGENT.value:
            continue
        groups = list(user.groups or [])
        if user.line and user.line in groups:
            return user.line
        if groups or user.line:
            return groups[0] if groups else user.line
    return "L1"


def request_article_task(
    caller: Caller, ticket: Ticket, *, note: str | None, cited: list[dict[str, Any]] | None = None
) -> Any:
    """R29: the answer of this resolution belongs in the knowledge base: a task (no route waits on it)
    to write a new article or update the cited ones. It outlives the ticket: closing leaves it open."""

    what = f"update {', '.join(a['slug'] for a in cited)}" if cited else "write or update an article"
    title = f"Knowledge base: {what} ({note or ticket.subject})"
    if len(title) > 200:
        title = title[:197] + "..."
    return create_task(
        ticket_id=ticket.ticket_id,
        step_key=f"kb-article:{ticket.resolved_at}",
        task_type=KB_TASK_TYPE,
        title=title,
        group=kb_task_group(caller, ticket),
        task_token=None,
    )
