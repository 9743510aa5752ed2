"""Domain errors. Each maps to one HTTP status and becomes an RFC 9457 problem in the API."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequest(DomainError):
    status = 400
    title = "Bad request"


class Unauthorized(DomainError):
    status = 401
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class Gone(DomainError):
    status = 410
    title = "Gone"


class Unprocessable(DomainError):
    status = 422
    title = "Unprocessable request"


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service unavailable"
