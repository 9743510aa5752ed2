"""The knowledge base (R29) through the API: who reads what, writing and versions, safe Markdown,
search ranking, the mandatory articles, and resolutions that cite articles or ask for one."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from infra.local import emulation as aws_emulation
from shared.clocks import plans as clock_plans
from shared.kb import articles as kb
from shared.kb import mandatory
from shared.kb.agreements import human_duration
from shared.platform import bus
from shared.sla import plans
from tests.conftest import ALICE, BOB, DANA, GUS, LENA, MARIA, QUESTION, VERA, wait_for

CUSTOMERS = (ALICE, BOB, VERA, GUS)
STAFF = (LENA, DANA, MARIA)


def _slugs(reply: Any) -> list[str]:
    assert reply.status == 200, reply.text
    return [a["slug"] for a in reply.json["items"]]


def _write(api: Any, user: str = LENA, **fields: Any) -> dict[str, Any]:
    body = {"title": "Resetting a password", "body": "Use *Forgot password*.", "audience": "customers", **fields}
    reply = api("POST", "/kb/articles", user=user, body=body)
    assert reply.status == 201, reply.text
    return reply.json


def _ticket(api: Any, user: str = BOB) -> dict[str, Any]:
    reply = api("POST", "/tickets", user=user, body=QUESTION)
    assert reply.status == 201, reply.text
    return reply.json


def _resolve(api: Any, ticket_id: str, user: str = LENA, **extra: Any) -> Any:
    body = {"resolution": "Export template repaired", "preventive_measure": "Template regression test", **extra}
    return api("POST", f"/tickets/{ticket_id}/resolve", user=user, body=body)


# --- who reads what ------------------------------------------------------------------------------


@pytest.mark.parametrize("user", CUSTOMERS)
def test_customers_list_customer_articles_only(api, user):
    # When a customer of either organisation lists the knowledge base
    slugs = _slugs(api("GET", "/kb/articles?limit=100", user=user))

    # Then they see the customer articles, among them how to work with support, and no staff article
    assert "how-to-work-with-support" in slugs
    assert "export-report-to-csv" in slugs
    assert "how-to-work-with-customers" not in slugs
    assert "issuing-licence-keys" not in slugs
    assert "internal-targets" not in slugs


@pytest.mark.parametrize("user", CUSTOMERS)
def test_a_customer_asking_for_a_staff_article_gets_404_by_slug_and_by_id(api, user):
    # Given a staff article's id (as staff see it)
    article = api("GET", "/kb/articles/how-to-work-with-customers", user=LENA).json

    # When a customer asks for it by slug, by id, or for its versions
    for path in (
        "/kb/articles/how-to-work-with-customers",
        f"/kb/articles/{article['id']}",
        f"/kb/articles/{article['id']}/versions",
        f"/kb/articles/{article['id']}/versions/1",
    ):
        reply = api("GET", path, user=user)
        # Then it is 404, as for an article that does not exist: its existence is not revealed
        assert reply.status == 404, path
        assert reply.content_type == "application/problem+json"
    assert api("GET", "/kb/articles/no-such-article", user=user).json["title"] == reply.json["title"]


@pytest.mark.parametrize(
    ("user", "own", "other"),
    [(ALICE, "default", "vip"), (BOB, "default", "vip"), (VERA, "vip", "default"), (GUS, "vip", "default")],
)
def test_customers_read_the_agreement_of_their_own_plan_only(api, user, own, other):
    # When a customer of Acme (standard plan) or Globex (VIP) reads the agreements
    slugs = _slugs(api("GET", "/kb/articles?tag=agreement", user=user))

    # Then they see their plan's agreement, and the other plan's does not exist for them
    assert slugs == [f"service-agreement-{own}"]
    assert api("GET", f"/kb/articles/service-agreement-{own}", user=user).status == 200
    assert api("GET", f"/kb/articles/service-agreement-{other}", user=user).status == 404


@pytest.mark.parametrize("user", STAFF)
def test_staff_read_both_audiences_and_can_filter(api, user):
    # When an agent of either line or a manager lists everything
    everything = _slugs(api("GET", "/kb/articles?limit=100", user=user))

    # Then customer and staff articles, both agreements included
    for slug in ("how-to-work-with-support", "how-to-work-with-customers", "issuing-licence-keys"):
        assert slug in everything
    assert {"service-agreement-default", "service-agreement-vip"} <= set(everything)

    # And the audience filter narrows to one audience
    staff_only = api("GET", "/kb/articles?audience=staff&limit=100", user=user).json["items"]
    assert staff_only and {a["audience"] for a in staff_only} == {"staff"}
    assert api("GET", "/kb/articles/how-to-work-with-customers", user=user).status == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/kb/articles", None),
        ("GET", "/kb/articles/how-to-work-with-support", None),
        ("GET", "/kb/articles/how-to-work-with-support/versions", None),
        ("POST", "/kb/articles", {"title": "Anonymous", "body": "x", "audience": "customers"}),
        ("PATCH", "/kb/articles/how-to-work-with-support", {"title": "Hijacked"}),
    ],
)
def test_anonymous_callers_get_401(api_without_aws, method, path, body):
    reply = api_without_aws(method, path, body=body)
    assert reply.status == 401
    assert reply.content_type == "application/problem+json"


@pytest.mark.parametrize("user", CUSTOMERS)
def test_customers_cannot_write_articles(api, user):
    # When a customer tries to write or edit an article (a customer one or a staff one)
    created = api("POST", "/kb/articles", user=user, body={"title": "Mine", "body": "x", "audience": "customers"})
    edited = api("PATCH", "/kb/articles/export-report-to-csv", user=user, body={"title": "Changed by a customer"})
    staff_edit = api("PATCH", "/kb/articles/issuing-licence-keys", user=user, body={"title": "Changed"})

    # Then all are refused, and nothing changed
    assert (created.status, edited.status, staff_edit.status) == (403, 403, 403)
    assert api("GET", "/kb/articles/export-report-to-csv", user=user).json["title"] == "Exporting a report to CSV"
    assert "mine" not in _slugs(api("GET", "/kb/articles?limit=100", user=LENA))


@pytest.mark.parametrize("author", [LENA, MARIA])
def test_agents_and_managers_write_articles(api, author):
    article = _write(api, author, title="Printing an invoice", tags=["Invoices", "print"], service="document-request")
    assert article["slug"] == "printing-an-invoice"
    assert article["tags"] == ["invoices", "print"]
    assert article["version"] == 1
    assert api("GET", "/kb/articles/printing-an-invoice", user=BOB).json["id"] == article["id"]


def test_draft_and_archived_articles_are_hidden_from_customers(api):
    # Given a draft and an article archived after publishing
    draft = _write(api, title="Upcoming feature", status="draft")
    archived = _write(api, title="Old export screen")
    assert api("PATCH", f"/kb/articles/{archived['id']}", user=LENA, body={"status": "archived"}).status == 200

    # Then customers find neither; staff see the draft and find the archived one only when they ask for it
    for article in (draft, archived):
        assert api("GET", f"/kb/articles/{article['id']}", user=BOB).status == 404
    staff_default = _slugs(api("GET", "/kb/articles?limit=100", user=LENA))
    assert "upcoming-feature" in staff_default
    assert "old-export-screen" not in staff_default
    assert _slugs(api("GET", "/kb/articles?status=archived", user=LENA)) == ["old-export-screen"]
    assert _slugs(api("GET", "/kb/articles?status=archived", user=BOB)) == []


# --- versions ------------------------------------------------------------------------------------


def test_every_edit_is_a_new_version_with_who_when_and_why(api):
    # Given an article written by Lena
    article = _write(api, LENA, body="First text.")

    # When Maria edits it twice and repeats an edit that changes nothing
    first = api("PATCH", f"/kb/articles/{article['id']}", user=MARIA, body={"body": "Second text.", "note": "Clearer"})
    second = api("PATCH", f"/kb/articles/{article['slug']}", user=MARIA, body={"title": "Resetting your password"})
    same = api("PATCH", f"/kb/articles/{article['id']}", user=MARIA, body={"title": "Resetting your password"})

    # Then each real edit made a version; the no-op did not
    assert (first.json["version"], second.json["version"], same.json["version"]) == (2, 3, 3)
    versions = api("GET", f"/kb/articles/{article['id']}/versions", user=LENA).json["items"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["author"]["email"] for v in versions] == [LENA, MARIA, MARIA]
    assert versions[1]["note"] == "Clearer"
    assert all(v["at"] for v in versions)

    # And an old version reads as it was saved
    old = api("GET", f"/kb/articles/{article['id']}/versions/1", user=LENA).json
    assert (old["body"], old["title"]) == ("First text.", "Resetting a password")
    assert api("GET", f"/kb/articles/{article['id']}", user=BOB).json["body"] == "Second text."


def test_customers_see_published_versions_without_staff_identities(api):
    article = _write(api, LENA, status="draft", body="Work in progress.")
    api("PATCH", f"/kb/articles/{article['id']}", user=LENA, body={"status": "published", "body": "Done."})

    versions = api("GET", f"/kb/articles/{article['id']}/versions", user=BOB).json["items"]

    assert [v["version"] for v in versions] == [2]
    assert versions[0]["author"] == {"role": "agent"}
    assert api("GET", f"/kb/articles/{article['id']}/versions/1", user=BOB).status == 404


def test_a_stale_expected_version_is_409_and_nothing_is_lost(api):
    article = _write(api)
    assert api("PATCH", f"/kb/articles/{article['id']}", user=LENA, body={"body": "Lena's text"}).status == 200

    # When Dana saves an edit based on version 1
    stale = api("PATCH", f"/kb/articles/{article['id']}", user=DANA, body={"body": "Dana's", "expected_version": 1})

    # Then 409 says the current version, and Lena's edit stays
    assert stale.status == 409
    assert stale.json["current_version"] == 2
    assert api("GET", f"/kb/articles/{article['id']}", user=LENA).json["body"] == "Lena's text"


def test_slugs_are_unique_and_an_earlier_slug_keeps_working(api):
    article = _write(api, title="Resetting a password")
    duplicate = api(
        "POST", "/kb/articles", user=LENA, body={"title": "Resetting a password", "body": "x", "audience": "staff"}
    )
    assert duplicate.status == 409
    assert duplicate.json["errors"][0]["field"] == "slug"

    # When the slug changes, links to the old slug still reach the article
    renamed = api("PATCH", f"/kb/articles/{article['id']}", user=LENA, body={"slug": "password-reset"})
    assert renamed.json["slug"] == "password-reset"
    assert api("GET", "/kb/articles/resetting-a-password", user=BOB).json["id"] == article["id"]
    taken = api("PATCH", f"/kb/articles/{article['id']}", user=LENA, body={"slug": "export-report-to-csv"})
    assert taken.status == 409


# --- Markdown ------------------------------------------------------------------------------------

HOSTILE = """# Export

**Bold** and a [safe link](https://example.com/help).

<script>alert('x')</script>
<img src="x" onerror="alert(1)">
<a href="#" onclick="steal()">click</a>
[bad](javascript:alert(1)) [worse](JaVaScRiPt:alert(2)) [data](data:text/html;base64,PHNjcmlwdD4=)
<javascript:alert(3)>
![pixel](javascript:alert(4))

| a | b |
|---|---|
| 1 | 2 |
"""


class _Elements(HTMLParser):
    """Every element and attribute of a piece of HTML, as a browser would parse them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def _assert_inert(html: str) -> None:
    for tag, attrs in _Elements(html).found:
        assert tag not in ("script", "iframe", "svg", "object", "embed", "style"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style", tag
            if name in ("href", "src"):
                assert value.split(":", 1)[0].lower() in ("http", "https", "mailto") or ":" not in value, value


def test_markdown_is_rendered_to_safe_html(api):
    article = _write(api, body=HOSTILE)

    html = api("GET", f"/kb/articles/{article['id']}", user=BOB).json["body_html"]

    # Markdown works: headings, emphasis, safe links (opened without referrer), tables
    elements = _Elements(html).found
    tags = [tag for tag, _ in elements]
    assert {"h1", "strong", "table", "td"} <= set(tags)
    links = [attrs for tag, attrs in elements if tag == "a"]
    assert links == [{"href": "https://example.com/help", "rel": "noopener noreferrer nofollow"}]
    # Nothing active survives: no script, no event handler, no javascript:/data: target
    _assert_inert(html)
    assert "img" not in tags
    # raw HTML is shown as text, not interpreted
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "<svg onload=alert(1)>",
        '<iframe src="https://evil.example"></iframe>',
        "[x](vbscript:msgbox(1))",
        "[x](java\tscript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "![img](https://example.com/a.png)",
    ],
)
def test_render_markdown_never_emits_active_content(source):
    html = kb.render_markdown(source)
    _assert_inert(html)
    assert kb.render_markdown("[x](https://example.com)").count('rel="noopener noreferrer nofollow"') == 1


@pytest.mark.parametrize(
    "source",
    [
        HOSTILE,
        "| left | right |\n|:--|--:|\n| 1 | 2 |\n",
        "![ok](https://example.com/a.png) ![bad](data:text/html;base64,AAA) [rel](/kb/x) [m](mailto:a@b.example)",
        '[x](JaVaScRiPt:alert(1)) <a href="javascript:x">z</a> <img src=x onerror=alert(1)>',
        "```\n<b>code</b>\n```\n\n> quote ~~gone~~\n\n1. one\n\n- a\n\n---\n`x<y`",
    ],
)
def test_an_independent_sanitiser_finds_nothing_to_remove(source):
    # The Lambda ships no sanitiser: the renderer is safe by construction. nh3 (ammonia), given the same
    # allow-list, must leave its output exactly as it is (up to how a quote in text is escaped).
    import nh3

    html = kb.render_markdown(source)
    cleaned = nh3.clean(
        html,
        tags=set(kb.ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in kb.ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(kb.URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )
    assert html.replace("&quot;", '"') == cleaned


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"body": "x", "audience": "customers"}, {"title"}),
        ({"title": "Fine title", "body": "x", "audience": "partners"}, {"audience"}),
        ({"title": "Fine title", "body": "", "audience": "staff"}, {"body"}),
        ({"title": "Fine title", "body": "x", "audience": "staff", "slug": "Not A Slug"}, {"slug"}),
        ({"title": "Fine title", "body": "x", "audience": "staff", "tags": ["ok", "<b>"]}, {"tags.1"}),
        ({"title": "Fine title", "body": "x", "audience": "staff", "service": "no-such-service"}, {"service"}),
        ({"title": "Fine title", "body": "x", "audience": "staff", "status": "archived"}, {"status"}),
        ({"title": "Fine title", "body": "x", "audience": "staff", "author": "me"}, {"author"}),
    ],
)
def test_bad_articles_are_422_naming_the_fields(api, body, fields):
    reply = api("POST", "/kb/articles", user=LENA, body=body)
    assert reply.status == 422, reply.text
    assert {e["field"] for e in reply.json["errors"]} == fields


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/kb/articles?audience=partners", "audience"),
        ("/kb/articles?limit=0", "limit"),
        ("/kb/articles?cursor=abc", "cursor"),
        ("/kb/articles?q=" + "x" * 201, "q"),
        ("/kb/articles/how-to-work-with-support/versions/zero", "version"),
    ],
)
def test_bad_queries_are_422_naming_the_parameter(api_without_aws, path, field):
    reply = api_without_aws("GET", path, user=LENA)
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == field


def test_patch_with_null_title_is_422(api_without_aws):
    reply = api_without_aws("PATCH", "/kb/articles/export-report-to-csv", user=LENA, body={"title": None})
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == "title"


# --- search --------------------------------------------------------------------------------------


def test_a_title_match_ranks_above_a_body_match(api):
    # Given one article about invoices in its title and one that mentions invoices in passing
    in_body = _write(
        api,
        title="Monthly statements",
        body="Statements list payments. An invoice copy is a separate request; statements arrive monthly.",
    )
    in_title = _write(api, title="Invoice copies", body="Ask for a copy with the document request service.")

    # When a customer searches for "invoices" (plural: the stemmer matches the singular)
    items = api("GET", "/kb/articles?q=invoices", user=BOB).json["items"]

    # Then both are found, the title match first, each with a score and a snippet
    ids = [a["id"] for a in items]
    assert ids[:2] == [in_title["id"], in_body["id"]]
    assert items[0]["score"] > items[1]["score"] > 0
    assert "invoice" in items[1]["snippet"].lower()


def test_search_respects_the_audience(api):
    # "licence" is in a customer article and in a staff article
    customer = _slugs(api("GET", "/kb/articles?q=licence", user=BOB))
    staff = _slugs(api("GET", "/kb/articles?q=licence", user=LENA))

    assert "licence-key-seat-changes" in customer
    assert "issuing-licence-keys" not in customer
    assert {"licence-key-seat-changes", "issuing-licence-keys"} <= set(staff)


def test_search_filters_by_service_and_tag_and_pages(api):
    by_service = _slugs(api("GET", "/kb/articles?service=licence-key", user=LENA))
    assert set(by_service) == {"licence-key-seat-changes", "issuing-licence-keys"}
    assert _slugs(api("GET", "/kb/articles?tag=export", user=BOB)) == ["export-report-to-csv"]

    first = api("GET", "/kb/articles?limit=2", user=LENA).json
    second = api("GET", f"/kb/articles?limit=2&cursor={first['next_cursor']}", user=LENA).json
    assert len(first["items"]) == 2 and first["total"] > 2
    assert not {a["id"] for a in first["items"]} & {a["id"] for a in second["items"]}


def test_search_with_no_match_is_an_empty_list(api):
    reply = api("GET", "/kb/articles?q=zeppelin", user=BOB)
    assert reply.status == 200
    assert reply.json["items"] == [] and reply.json["total"] == 0


# --- mandatory articles (R29) --------------------------------------------------------------------


def test_agreements_are_generated_from_the_plans(api):
    for plan in (plans.DEFAULT_PLAN, plans.VIP_PLAN):
        user = ALICE if plan.name == "default" else VERA
        body = api("GET", f"/kb/articles/service-agreement-{plan.name}", user=user).json["body"]
        critical = plan.targets_for("*", "critical_bug")
        assert (
            f"| {human_duration(critical.reaction.promise)} | {human_duration(critical.resolution.promise)} |" in body
        )
        assert f"after {plan.auto_close_after_days} working days" in body
        assert "Europe/Prague" in body
        # the internal targets (R18) are not promised to customers
        assert "internal" not in body.lower()
    staff = api("GET", "/kb/articles/internal-targets", user=LENA).json["body"]
    assert human_duration(plans.DEFAULT_PLAN.targets_for("*", "critical_bug").reaction.internal) in staff


def test_seeding_again_changes_nothing_and_a_plan_change_makes_a_new_agreement_version(api):
    # Given the seeded desk, seeding again creates and updates nothing
    again = mandatory.seed_mandatory()
    assert again["created"] == [] and again["updated"] == []

    # When a manager moves the default plan's reminder to 8 working hours (a new version of the stored plan)
    changed = dataclasses.replace(plans.DEFAULT_PLAN, reminder_after=timedelta(hours=8))
    body = clock_plans.plan_body_of(changed, "office", "Standard")
    assert api("PUT", "/sla/plans/default", user=MARIA, body=body).json["version"] == 2
    # (the route worker regenerated the agreements at once; seeding again, in an invocation of its own that reads
    # the plans as they are now, finds nothing left to do)
    clock_plans.new_invocation()
    assert mandatory.seed_mandatory()["updated"] == []

    # Then the default agreement has a new version saying so, and nothing else changed
    others = ("service-agreement-vip", "internal-targets", "how-to-work-with-support", "how-to-work-with-customers")
    assert {slug: api("GET", f"/kb/articles/{slug}", user=MARIA).json["version"] for slug in others} == dict.fromkeys(
        others, 1
    )
    article = api("GET", "/kb/articles/service-agreement-default", user=ALICE).json
    assert article["version"] == 2
    assert "within 8 h of working" in " ".join(article["body"].split())
    versions = api("GET", "/kb/articles/service-agreement-default/versions", user=MARIA).json["items"]
    assert versions[-1]["author"]["role"] == "system"


def test_generated_and_mandatory_articles_are_protected(api):
    generated = api("PATCH", "/kb/articles/service-agreement-vip", user=MARIA, body={"body": "We promise nothing."})
    assert generated.status == 409
    assert "plan" in generated.json["detail"]

    archived = api("PATCH", "/kb/articles/how-to-work-with-support", user=MARIA, body={"status": "archived"})
    assert archived.status == 409
    moved = api("PATCH", "/kb/articles/how-to-work-with-support", user=MARIA, body={"audience": "staff"})
    assert moved.status == 409

    # but their text can be improved
    edited = api("PATCH", "/kb/articles/how-to-work-with-support", user=MARIA, body={"body": "# Better text"})
    assert edited.status == 200 and edited.json["version"] == 2


def test_the_housekeeping_action_seeds_a_fresh_deployment(emulated_aws):
    from functions import housekeeping

    first = housekeeping.handler({"action": "seed_knowledge_base"}, None)
    second = housekeeping.handler({"action": "seed_knowledge_base"}, None)

    assert "how-to-work-with-support" in first["created"]
    assert "service-agreement-vip" in first["created"]
    assert second["created"] == [] and second["updated"] == []


# --- resolutions ---------------------------------------------------------------------------------


def test_a_resolution_cites_articles_and_the_customer_sees_only_customer_ones(api):
    # Given Bob's ticket
    ticket = _ticket(api)

    # When Lena resolves it citing a customer article (by slug) and a staff article (by id)
    staff_article = api("GET", "/kb/articles/escalating-a-bug-to-l2", user=LENA).json
    reply = _resolve(api, ticket["id"], articles=["export-report-to-csv", staff_article["id"]])
    assert reply.status == 200, reply.text

    # Then staff see both on the ticket, Bob only the customer one
    assert [a["slug"] for a in reply.json["articles"]] == ["export-report-to-csv", "escalating-a-bug-to-l2"]
    seen = api("GET", f"/tickets/{ticket['id']}", user=BOB).json
    assert [a["slug"] for a in seen["articles"]] == ["export-report-to-csv"]
    assert "escalating" not in str(seen)

    # And the resolution e-mail links the customer article only
    mail = wait_for(
        lambda: [m for m in aws_emulation.sent_emails() if m["to"] == [BOB] and "Resolved" in (m["subject"] or "")],
        what="the resolution e-mail",
    )[0]
    assert "/app/kb/export-report-to-csv" in mail["body"]  # the article's page in the portal
    assert "escalating" not in mail["body"]


def test_citing_missing_draft_or_another_plans_articles_is_422_and_nothing_resolves(api):
    ticket = _ticket(api)
    draft = _write(api, title="Half written", status="draft")

    reply = _resolve(
        api, ticket["id"], articles=["export-report-to-csv", "no-such-article", draft["id"], "service-agreement-vip"]
    )

    assert reply.status == 422
    assert [e["field"] for e in reply.json["errors"]] == ["articles.1", "articles.2", "articles.3"]
    assert api("GET", f"/tickets/{ticket['id']}", user=LENA).json["status"] != "resolved"


def test_a_customer_cannot_resolve_even_citing_articles(api):
    ticket = _ticket(api)
    reply = _resolve(api, ticket["id"], user=BOB, articles=["export-report-to-csv"])
    assert reply.status == 403


def _tasks(api: Any, group: str, user: str, ticket_id: str) -> list[dict[str, Any]]:
    items = api("GET", f"/tasks?group={group}", user=user).json["items"]
    return [t for t in items if t["ticket_id"] == ticket_id and t["type"] == kb.KB_TASK_TYPE]


def test_kb_task_goes_to_the_resolvers_group_and_outlives_the_ticket(api):
    # Given Bob's ticket resolved by Dana (L2) who says the answer belongs in the knowledge base
    ticket = _ticket(api)
    reply = _resolve(api, ticket["id"], user=DANA, kb_note="CSV export fails on templates with formulas")
    assert reply.status == 200, reply.text

    # Then a knowledge base task waits in L2's queue, with the note in its title; no route waits on it
    [task] = _tasks(api, "L2", DANA, ticket["id"])
    assert "CSV export fails on templates with formulas" in task["title"]
    assert task["status"] == "open"
    assert _tasks(api, "L1", LENA, ticket["id"]) == []

    # And Bob does not see the task
    assert "tasks" not in api("GET", f"/tickets/{ticket['id']}", user=BOB).json

    # When Bob closes the ticket, the task stays open, and Dana can still do it
    assert api("POST", f"/tickets/{ticket['id']}/close", user=BOB).status == 200
    [still] = _tasks(api, "L2", DANA, ticket["id"])
    assert still["status"] == "open"
    assert api("POST", f"/tasks/{task['id']}/take", user=DANA).status == 200
    done = api("POST", f"/tasks/{task['id']}/complete", user=DANA, body={"outcome": "article written"})
    assert done.status == 200 and done.json["task"]["status"] == "done"


def test_kb_task_names_the_cited_articles_to_update(api):
    ticket = _ticket(api)
    reply = _resolve(api, ticket["id"], articles=["export-report-to-csv"], kb_task=True)
    assert reply.status == 200, reply.text

    [task] = _tasks(api, "L1", LENA, ticket["id"])
    assert "update export-report-to-csv" in task["title"]


def test_without_kb_task_no_task_is_created(api):
    ticket = _ticket(api)
    assert _resolve(api, ticket["id"], articles=["export-report-to-csv"]).status == 200
    assert _tasks(api, "L1", LENA, ticket["id"]) == []
    staff_view = api("GET", f"/tickets/{ticket['id']}", user=LENA).json
    assert all(t["type"] != kb.KB_TASK_TYPE for t in staff_view["tasks"])


def test_a_managers_kb_task_goes_to_the_owners_group(api):
    # Given Bob's ticket owned by Dana (L2): her public reply made her the owner (R14)
    ticket = _ticket(api)
    reply = api("POST", f"/tickets/{ticket['id']}/messages", user=DANA, body={"body": "Looking into it."})
    assert reply.status == 201, reply.text
    assert api("GET", f"/tickets/{ticket['id']}", user=LENA).json["owner"] == "agent-dev"

    # When Maria (manager, no support line) resolves it asking for an article
    assert _resolve(api, ticket["id"], user=MARIA, kb_task=True).status == 200

    # Then the task goes to the owner's group, L2, not to L1
    [kb_task] = _tasks(api, "L2", DANA, ticket["id"])
    assert kb_task["title"].startswith("Knowledge base: write or update an article")
    assert _tasks(api, "L1", LENA, ticket["id"]) == []


def test_saving_an_article_is_published_on_the_bus(api, monkeypatch):
    pass

    published: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(bus, "publish", lambda kind, detail: published.append((kind, detail)))

    article = _write(api, audience="staff")
    api("PATCH", f"/kb/articles/{article['id']}", user=LENA, body={"status": "draft"})

    saved = [d for kind, d in published if kind == "KbArticleSaved"]
    assert [(d["article_id"], d["version"], d["created"], d["status"]) for d in saved] == [
        (article["id"], 1, True, "published"),
        (article["id"], 2, False, "draft"),
    ]
    assert "KbArticleSaved" in bus.EVENT_TYPES
