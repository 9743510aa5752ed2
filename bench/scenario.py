"""What the benchmarks act out: the demo users who act, the requests they open, and polling for what
routes do in the background. One place for bench/run.py and bench/route_bench.py."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

BOB = "bob@acme.example"  # Acme customer
LENA = "lena.l1@caseway.example"  # L1 agent
DANA = "dev.l2@caseway.example"  # L2 agent
MARIA = "maria.manager@caseway.example"  # manager and account manager
QUESTION = {
    "service": "functionality-question",
    "subject": "CSV export fails",
    "description": "Exporting the monthly report to CSV ends with an error page.",
    "fields": {"problem": "Export shows an error", "contact": "+420 123 456 789"},
}

LICENCE = {
    "service": "licence-key",
    "subject": "Key for the new laptop",
    "description": "A second seat.",
    "fields": {"licence_product": "Caseway Desktop", "licence_seats": 1},
}
DOCUMENT = {
    "service": "document-request",
    "subject": "Copy of the October invoice",
    "description": "Our accounting lost it.",
    "fields": {"document_type": "invoice"},
}
CHANGE = {
    "service": "change-request",
    "subject": "Export to XLSX",
    "description": "We need the monthly report as XLSX.",
    "fields": {"change_description": "Add an XLSX export next to CSV"},
}


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Routes run on moto's interpreter in background threads: poll until their effect shows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")
