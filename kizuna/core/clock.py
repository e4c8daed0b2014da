"""The one source of 'now'. Always aware UTC."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
