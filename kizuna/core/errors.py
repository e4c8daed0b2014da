"""Domain errors. Services raise these; the API layer turns them into the error body
`{code, message, field, details, request_id}` with the status each class names."""

from collections.abc import Iterable, Mapping
from typing import Any


class KizunaError(Exception):
    status = 422
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: list[dict[str, Any]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.details = details or []


class ValidationFailed(KizunaError):
    """Input that is well-formed but breaks a rule (422)."""

    status = 422
    code = "validation_error"


class NotFound(KizunaError):
    """Absent, or belonging to another workspace: the two are indistinguishable (404)."""

    status = 404
    code = "not_found"


class Conflict(KizunaError):
    status = 409
    code = "conflict"


class MalformedRequest(KizunaError):
    status = 400
    code = "malformed_request"


class UnsupportedMediaType(KizunaError):
    status = 415
    code = "unsupported_media_type"


class NotAuthenticated(KizunaError):
    status = 401
    code = "not_authenticated"


class PermissionDenied(KizunaError):
    status = 403
    code = "permission_denied"


def refuse_nulls(data: Mapping[str, Any], names: Iterable[str]) -> None:
    """In a partial update (PATCH), `null` for a field that cannot be empty is refused (422
    `null_value`): leaving the field out keeps it."""
    for name in names:
        if name in data and data[name] is None:
            raise ValidationFailed(
                f"{name} cannot be null; leave it out to keep it.", code="null_value", field=name
            )
