"""Demo data of one feature for the local stack and the tests' seeded desk; called by infra.demo.seed()
after the organisations, users and services exist."""

from __future__ import annotations


def seed() -> None:
    """Nothing yet."""
