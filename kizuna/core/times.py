"""Times that clients report (when an order, event or consent happened): one rule for all."""

from datetime import datetime, timedelta

from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed

# The earliest year of a birthdate or of a time sent by a client.
MIN_YEAR = 1900
# Clock skew allowed on times sent by clients; anything later is a mistake (often a local time
# sent with the wrong offset) and is refused rather than stored as the future.
FUTURE_TOLERANCE = timedelta(minutes=5)
DATETIME_EXAMPLE = "2026-05-01T10:00:00+09:00"


def check_occurred_at(value: datetime | None, field: str = "occurred_at") -> datetime:
    """When something a client reports happened: now when not given; otherwise an aware
    time from MIN_YEAR on and not in the future (beyond FUTURE_TOLERANCE). In UTC."""
    if value is None:
        return now()
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationFailed(
            f"Times need an offset, such as {DATETIME_EXAMPLE}.",
            code="datetime_without_offset",
            field=field,
        )
    if value.year < MIN_YEAR:
        raise ValidationFailed(
            f"Times are from {MIN_YEAR} on.", code="invalid_datetime", field=field
        )
    if value > now() + FUTURE_TOLERANCE:
        raise ValidationFailed("The time is in the future.", code="occurred_in_future", field=field)
    return value.astimezone(now().tzinfo)
