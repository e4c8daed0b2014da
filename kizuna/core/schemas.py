"""Shapes every app's API shares: the error body and the page parameters."""

from typing import Any

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    code: str = Field(description="Machine-readable, stable: branch on this.")
    message: str = Field(description="A sentence for people.")
    field: str | None = Field(description="The input at fault, e.g. items[0].quantity.")
    details: list[dict[str, Any]]
    request_id: str


ERROR_STATUSES = frozenset({400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500})


def with_errors(ok: dict[int, Any]) -> dict[Any, Any]:
    """The success schemas of an operation plus the error body for every error status."""
    return {**ok, ERROR_STATUSES: ErrorOut}


class PageParams(Schema):
    limit: int | None = Field(default=None, description="1 to 500; 50 when absent.")
    cursor: str | None = Field(default=None, max_length=1000)
