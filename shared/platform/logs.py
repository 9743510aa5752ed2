"""Fields for a log line's `extra`, safe at every level.

The standard `logging.LogRecord` keeps some names for itself (`created`, `name`, `msg`, `args`, `module`, ...): an
`extra` that repeats one raises `KeyError: "Attempt to overwrite 'created' in LogRecord"` when the line is emitted.
At WARNING (the tests' level) an `info()` line never builds its record, so the fault shows only where the desk logs
at INFO or DEBUG: the local stack and the cloud. Every `extra` built from names the code does not choose itself (the
keys of a result) goes through `fields`; tests/test_architecture.py checks the literal ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

RESERVED: frozenset[str] = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` as a log line's extra: a name LogRecord keeps gets a trailing underscore ("created" becomes
    "created_"), so the line is written whatever the level."""
    return {(f"{key}_" if key in RESERVED else key): value for key, value in values.items()}
