"""Request bodies (pydantic) of one feature; star-imported by functions.api_models, so parse_body and
the OpenAPI document find them by name. Names must be unique across the bodies_* modules."""

from __future__ import annotations
