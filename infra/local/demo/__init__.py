"""The demo desk of the local stack and the tests, one module per context: directory (services, organisations,
users), catalog (licence limits), routing (support groups), kb (articles), money (contracts near their limits),
review (ticket writers for review scenarios). `seed()` writes all of it into a freshly provisioned table, after the
default desk every deployment gets (shared/setup: catalog, groups, calendars and plans, mandatory articles).
`make run` then works the demo tickets through the API on a virtual clock (tickets.py; `seed(imported=False)`
leaves out the contracts' imported history, so every figure comes from that work).

The demo users are also this package's face to the gateway and the tests: `DEMO_USERS`, `user_by_email`,
`claims_for` (the claims Cognito would put in a user's token)."""

from __future__ import annotations

from infra.local.demo import catalog, directory, kb, money, review, routing
from infra.local.demo.directory import DEMO_ORGANISATIONS, DEMO_USERS, claims_for, user_by_email
from shared import desk
from shared.setup.step import run_setup

__all__ = ["DEMO_ORGANISATIONS", "DEMO_USERS", "claims_for", "seed", "user_by_email"]


def seed(*, imported: bool = True) -> None:
    """The whole demo desk: the directory first, then each context's data, which names its users and organisations.
    `imported=False`: the contracts without the previous helpdesk's history (demo.money)."""
    desk.assemble()  # the demo writes through the logic layer, whose hooks the features listen to
    run_setup()  # the default desk, as a deploy writes it (`make run` and the tests start from the same desk)
    for context in (directory, catalog, routing, kb):
        context.seed()
    money.seed(imported=imported)
    review.seed()
