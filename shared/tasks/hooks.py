"""What the task context tells the features built on it (subscribed in shared/desk.py)."""

from __future__ import annotations

from shared.platform.hooks import Hook

# (ticket, manual task, error, cause): a route step failed and a person got a manual task for it (R6; R24 incident)
route_fault = Hook("route_fault")
