"""What the directory tells the features built on it (subscribed in shared/desk.py)."""

from __future__ import annotations

from shared.platform.hooks import Hook

# (org_id, name): an organisation was saved
organisation_saved = Hook("organisation_saved")
# (sub, name, role, line, groups): a person was saved
person_saved = Hook("person_saved")
