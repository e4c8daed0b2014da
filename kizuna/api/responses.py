from typing import Any

from kizuna.api.errors import ErrorOut

ERROR_STATUSES = frozenset({400, 401, 403, 404, 405, 409, 413, 422, 429, 500})


def with_errors(ok: dict[int, Any]) -> dict[Any, Any]:
    """The success schemas of an operation plus the error body for every error status."""
    return {**ok, ERROR_STATUSES: ErrorOut}
