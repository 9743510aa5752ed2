"""Hooks: how a lower context tells the features built on it that something happened, without importing them.

A context declares its hook points (e.g. shared/tickets/hooks.py); the composition root (shared/desk.py)
subscribes the features to them once per process. A hook fired before the desk is assembled raises, so a
process that forgot to assemble it fails loudly instead of silently skipping figures or contracts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_assembled = False


class Hook:
    """One hook point: listeners run in the order they were subscribed, in the caller's process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[..., Any]] = []

    def subscribe(self, listener: Callable[..., Any]) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        if not _assembled:
            raise RuntimeError(f"hook {self.name} fired before the desk was assembled: import shared.desk first")
        for listener in self._listeners:
            listener(*args, **kwargs)


class Counts(Hook):
    """A hook point whose listeners return the counter updates (shared.platform.store.Count) that belong to the
    caller's own write: the caller writes them in that write's transaction. A write that is itself conditional
    (it happens once, whatever is retried) so counts exactly once, without a mark item per count."""

    def gather(self, *args: Any, **kwargs: Any) -> list[Any]:
        if not _assembled:
            raise RuntimeError(f"hook {self.name} fired before the desk was assembled: import shared.desk first")
        return [update for listener in self._listeners for update in listener(*args, **kwargs)]


def mark_assembled() -> None:
    global _assembled
    _assembled = True
