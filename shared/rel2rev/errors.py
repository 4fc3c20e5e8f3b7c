"""Domain errors. Handlers and the CLI map these to status codes / exit codes in one place."""

from __future__ import annotations

from typing import Any


class Rel2revError(Exception):
    """Base of every error rel2rev raises on purpose; `status` is the HTTP status it maps to."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def to_body(self) -> dict[str, Any]:
        """The JSON error body: `{"error": {"code", "message", "details"}}`."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class InputError(Rel2revError):
    """The caller sent something malformed; `details` name each offending field path."""

    status = 400
    code = "invalid_input"


class UnprocessableError(InputError):
    """Well-formed but semantically invalid parameters."""

    status = 422
    code = "unprocessable"


class AuthenticationError(Rel2revError):
    """Missing, forged or stale signature or credentials."""

    status = 401
    code = "unauthorized"


class NotFoundError(Rel2revError):
    """Unknown workspace, source or id (or one the caller may not see)."""

    status = 404
    code = "not_found"


class PayloadTooLargeError(Rel2revError):
    """Request body over the accepted size."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(Rel2revError):
    """Content type the endpoint does not accept."""

    status = 415
    code = "unsupported_media_type"


class ConflictError(Rel2revError):
    """A concurrent change won; the caller may retry."""

    status = 409
    code = "conflict"


class InsufficientDataError(Rel2revError):
    """A model cannot be fitted on the data given; the message says why."""

    status = 422
    code = "insufficient_data"


class UnapplicableError(Rel2revError):
    """An accepted event that can never be stored as it is (it would make a record too large):
    quarantined at once instead of retried."""

    status = 422
    code = "unapplicable"
