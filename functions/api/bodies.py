"""The base of every request body (pydantic): unknown fields are refused, strings are stripped.

The *_bodies modules beside each router build on it. The API imports them all at init (functions/api/app.py
load_routers), with Lambda's full CPU burst: every write validates a body, so a first write would otherwise pay
for pydantic and the models.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
