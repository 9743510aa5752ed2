"""HTTP routes of one feature, registered on functions.api's resolver with its route() decorator.

Imported at the end of functions.api, so everything defined there can be imported here."""

from __future__ import annotations
