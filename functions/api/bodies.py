"""The base of every request body (pydantic): unknown fields are refused, strings are stripped.

The *_bodies modules beside each router build on it. None of them is on the API's cold-start import path:
building pydantic models is most of a cold start's import time, and only requests with a body need them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
