"""How every Lambda entry point starts: one call at import, in the function's init phase.

In the cloud each function runs in a process of its own that imports only its handler's module, so whatever the
handler needs must be set up by that import: the desk assembled (every item type the table holds, the features
subscribed to the hooks; shared/desk.py), and the function's logger. A handler that skipped it would work in a
process where something else had assembled the desk (the tests, the local stack) and fail in its own, at the first
hook it fires (`RuntimeError: hook ... fired before the desk was assembled`). tests/test_architecture.py checks
that every handler the CDK app names starts here; the rehearsal (infra/rehearsal) runs each in its own process.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger


def start(service: str, *, assemble: bool = True) -> Logger:
    """The function's logger (powertools: the level and format from the function's environment), after the desk is
    assembled. `assemble=False` only for a function that touches no ticket, task or hook (the Telegram webhook: it
    checks a secret, marks an update and hands it on), so its cold start loads none of the desk."""
    if assemble:
        from shared import desk  # only here: a function that needs no desk never imports it

        desk.assemble()
    return Logger(service=service)
