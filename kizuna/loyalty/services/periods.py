"""Calendar periods in a program's time zone: where a day, week (from Monday), month, quarter
or year starts, for rule limits, fixed expiry, streaks and tier qualification."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def period_start(period: str, moment: datetime, tz: str) -> datetime | None:
    """The start of the period holding `moment` (None for all_time), as an aware time."""
    if period == "all_time":
        return None
    local = moment.astimezone(ZoneInfo(tz)).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        local -= timedelta(days=local.weekday())
    elif period == "month":
        local = local.replace(day=1)
    elif period == "quarter":
        local = local.replace(month=(local.month - 1) // 3 * 3 + 1, day=1)
    elif period == "year":
        local = local.replace(month=1, day=1)
    elif period != "day":
        raise ValueError(f"Unknown period {period!r}.")
    return local


def period_key(period: str, moment: datetime, tz: str) -> str:
    """A name for the period holding `moment`: 2026-05-01, 2026-W18, 2026-05, 2026-Q2, 2026."""
    start = period_start(period, moment, tz)
    if start is None:
        return "all"
    if period == "day":
        return start.date().isoformat()
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{start:%Y-%m}"
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def previous_start(period: str, start: datetime) -> datetime:
    """The start of the period before the one starting at `start` (local time)."""
    if period == "day":
        return start - timedelta(days=1)
    if period == "week":
        return start - timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    month = start.month - 1 - months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1)


def next_start(period: str, start: datetime) -> datetime:
    """The start of the period after the one starting at `start` (local time)."""
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1)
