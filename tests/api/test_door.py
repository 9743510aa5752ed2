"""Authorization before validation, generated from the route table: every declared route x every kind of caller.

What a caller gets is derived from the route's declaration (functions.api.router: `public`, `roles`, `resource`):
- anonymous on a non-public route: 401; a role the route does not serve: 403. Both come from the token alone,
  whatever the body or query, and before the API reads any data (the refusals run without AWS);
- a caller the route serves, on a resource it may not see or act on: as the resource says (another
  organisation's ticket 404, another group's task 403, someone else's draft 403, another specialist's figures
  403), never a refusal of the body or query;
- everyone else passes the door: whatever the handler answers then, it is not 401 or 403.

Every request carries a body and a query the route would refuse, so a check that ran after validation shows up
as a 400/422 where the table says 401, 403 or 404.
"""

from __future__ import annotations

from typing import Any

import pytest

from functions.api import app
from functions.api.router import Route
from infra.local import demo
from infra.local.demo import review as demo_review
from shared.platform import clock
from shared.platform.identity import Caller
from shared.review.items import ReviewTask
from shared.review.tasks import review_pk, review_task_id
from tests.api.test_errors import assert_problem
from tests.conftest import ALICE, BOB, DANA, GUS, LENA, MARIA

# The callers of the matrix; DANA works in L2, the demo ticket's task is L1's; GUS is Globex's, the ticket Acme's.
CALLERS: dict[str, str | None] = {
    "anonymous": None,
    "customer": BOB,
    "other organisation's customer": GUS,
    "org admin": ALICE,
    "agent outside the group": DANA,
    "agent": LENA,
    "manager": MARIA,
}
INVALID_BODY = '{"not a field of any request body": true, "rating": 0}'
INVALID_QUERY = "limit=0&cursor=%21%21&date=yesterday&format=pdf&status=bogus&scope=bogus&q=" + "x" * 300

PRIVATE = [r for r in app.ROUTES if not r.public]
PUBLIC = [r for r in app.ROUTES if r.public]
PASSES = None  # the caller passes the door: any answer but 401 and 403


def route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


def signed_in(email: str) -> Caller:
    user = demo.user_by_email(email)
    assert user is not None, email
    return Caller.from_claims(demo.claims_for(user))


def door(route: Route, who: str) -> int | None:
    """The status the route's declaration promises this caller at the door; PASSES when it lets them through."""
    email = CALLERS[who]
    if route.public:
        return PASSES
    if email is None:
        return 401
    if not route.admits(signed_in(email)):
        return 403
    if who == "other organisation's customer" and route.resource in ("ticket", "own_ticket", "organisation"):
        return 404
    if who == "org admin" and route.resource == "own_ticket":  # Alice sees Bob's ticket but did not write it
        return 403
    if who == "agent outside the group" and route.resource in ("task", "person"):
        return 403
    if route.resource == "person" and signed_in(email).role.value == "customer":  # the demo's {sub} is an agent
        return 403
    return PASSES


def refused_at_the_door(route: Route) -> list[str]:
    return [who for who in CALLERS if door(route, who) in (401, 403) and not _needs_data(route, who)]


def _needs_data(route: Route, who: str) -> bool:
    """A refusal for the resource (not the role) reads the resource: it is checked with the demo."""
    email = CALLERS[who]
    return email is not None and route.admits(signed_in(email))


def request(api: Any, route: Route, who: str, ids: dict[str, str]) -> Any:
    path = route.path.format(**ids) + "?" + INVALID_QUERY
    return api(route.method, path, user=CALLERS[who], raw_body=INVALID_BODY)


# --- the table itself ------------------------------------------------------------------------------------------


def test_every_route_says_who_may_call_it():
    undeclared = [route_id(r) for r in PRIVATE if not r.roles]
    assert undeclared == [], "declare roles=... (functions.api.router) or public=True"
    # A path naming a ticket or a task declares it, so a refusal of the body never reaches another's resource.
    for route in PRIVATE:
        if "ticket_id" in route.path_params:
            assert route.resource in ("ticket", "own_ticket"), route_id(route)
        if "task_id" in route.path_params:
            assert route.resource == "task", route_id(route)
    assert {route_id(r) for r in PUBLIC} >= {"GET /health", "GET /docs", "GET /form", "POST /public/tickets"}
    assert all(r.path.startswith("/public/") for r in PUBLIC if "ticket_id" in r.path_params)


# --- refused from the token alone: no data read ----------------------------------------------------------------


@pytest.mark.parametrize("route", PRIVATE, ids=route_id)
def test_callers_without_the_role_are_refused_before_anything_is_read(api_without_aws, route):
    refused = refused_at_the_door(route)
    assert "anonymous" in refused
    fake = {name: "01HZZZZZZZZZZZZZZZZZZZZZZZ" for name in route.path_params}
    for who in refused:
        reply = request(api_without_aws, route, who, fake)
        problem = assert_problem(reply, door(route, who))
        assert "errors" not in problem, f"{who}: {problem}"  # not a validation answer
        if who != "anonymous":  # the refusal says which route is whose, and what the caller is
            assert f"{route.method} {route.path} is for " in problem["detail"] and "signed in as " in problem["detail"]


# --- the callers the route serves, on the demo's resources ---------------------------------------------------


@pytest.fixture
def demo_ids(api: Any) -> dict[str, str]:
    """Real ids for every path parameter: Bob's (Acme) ticket with an open L1 task, an L1 review task."""
    now = clock.now()
    ticket = demo_review.put_ticket(status="new", created_at=now)
    task = demo_review.put_task(ticket, "L1", "Answer the customer's question", now)
    day = now.date().isoformat()
    review_id = review_task_id("daily", day, "L1")
    ReviewTask(
        review_pk("daily", day),
        f"TASK#{review_id}",
        task_id=review_id,
        ticket_id="",
        reference=f"daily review {day}",
        task_type="daily_review",
        title="Daily review",
        group="L1",
        review="daily",
        review_date=day,
        status="open",
        created_at=clock.now_iso(),  # kept out of L1's queue: /tasks/next is about the ticket task
    ).save()
    return {
        "ticket_id": ticket.ticket_id,
        "task_id": task.task_id,
        "review_task_id": review_id,
        "org_id": "acme",
        "organisation_id": "acme",
        "sub": "agent-lena",
        "key": "functionality-question",
        "article_id": "export-report-to-csv",
        "version": "1",
        "group": "L1",
        "incident_id": "inc-none",
        "invoice_id": "inv-none",
        "name": "docs.js",
        "client_id": "client-none",
        "chat_id": "0",  # a Telegram chat nobody linked
        "calendar_id": "office",
        "plan_id": "default",
        "attachment_id": "att-none",
        "reply_id": "reply-none",
        "mail_id": "mail-none",
    }


@pytest.mark.parametrize("route", app.ROUTES, ids=route_id)
def test_callers_the_route_serves_get_past_the_door_or_the_resource_answers(api, demo_ids, route):
    ids = {**demo_ids, "task_id": demo_ids["review_task_id"]} if route.path.startswith("/reviews/") else demo_ids
    seen = {}
    for who in CALLERS:
        if who in refused_at_the_door(route):
            continue  # the test above
        reply = request(api, route, who, ids)
        expected = door(route, who)
        if expected is PASSES:
            assert reply.status not in (401, 403), f"{who}: {reply.status} {reply.text}"
        else:
            problem = assert_problem(reply, expected)
            assert "errors" not in problem, f"{who}: {problem}"
        seen[who] = reply.status
    assert seen, "every route serves somebody"
