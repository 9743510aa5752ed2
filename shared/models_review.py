"""Item types of the daily and weekly reviews.

No new global secondary indexes: reuse the generic ones of shared.models (gsi1/gsi2/queue/open/owner)
with key prefixes of their own."""

from __future__ import annotations
