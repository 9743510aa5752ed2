"""The fault injector as a fixture (tests/faults/injector.py), on the seeded demo desk."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.faults.injector import Injector


@pytest.fixture
def injector(desk, monkeypatch: pytest.MonkeyPatch) -> Iterator[Injector]:
    # The failures are meant: their error logs (with tracebacks) would bury the matrix.
    for name in ("caseway-api", "caseway-routes", "shared", "moto"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", True)
    with Injector().installed() as found:
        yield found
