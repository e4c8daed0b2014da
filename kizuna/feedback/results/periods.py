"""The time range of a results query and its periods, in the survey's time zone.

`from` and `to` are dates (YYYY-MM-DD, whole days in the survey's time zone, `to`
included) or datetimes (ISO 8601; with no offset, in the survey's time zone; `to`
excluded). Without `to` the range ends with today; without `from` it is the 30 days up to
`to`. The previous range, for comparisons, is as long and ends where the range starts."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.dateparse import parse_date, parse_datetime

from kizuna.core.errors import ValidationFailed
from kizuna.feedback.results.queries import TRUNC, Span

INTERVALS = tuple(TRUNC)
DEFAULT_DAYS = 30
MAX_PERIODS = 1000


def survey_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _moment(value: str, name: str, tz: ZoneInfo) -> datetime:
    """A bound: the start of a date's day (the end, for `to`), or a datetime."""
    text = value.strip()
    # A '+' left unescaped in a query string arrives as a space: "...T10:00:00 09:00".
    if "T" in text and " " in text:
        text = text.replace(" ", "+")
    try:
        day = parse_date(text) if len(text) == 10 else None
        moment = None if day is not None else parse_datetime(text)
    except ValueError:
        day = moment = None
    if day is not None:
        return _local_midnight(day + timedelta(days=1) if name == "to" else day, tz)
    if moment is None:
        raise ValidationFailed(
            f"{name} is a date (YYYY-MM-DD) or an ISO 8601 datetime.",
            code="invalid_datetime",
            field=name,
        )
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def _is_midnight(moment: datetime, tz: ZoneInfo) -> bool:
    local = moment.astimezone(tz)
    return local.time() == time() and _local_midnight(local.date(), tz) == moment


def period_start(moment: datetime, interval: str, tz: ZoneInfo) -> date:
    day = moment.astimezone(tz).date()
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def next_period(start: date, interval: str) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def parse_span(
    start: str | None, end: str | None, interval: str | None, tz: ZoneInfo, now: datetime
) -> Span:
    interval = interval or "day"
    if interval not in INTERVALS:
        raise ValidationFailed(
            f"interval is one of {', '.join(INTERVALS)}.", code="invalid_choice", field="interval"
        )
    upper = (
        _moment(end, "to", tz)
        if end
        else _local_midnight(now.astimezone(tz).date() + timedelta(days=1), tz)
    )
    lower = _moment(start, "from", tz) if start else upper - timedelta(days=DEFAULT_DAYS)
    if upper <= lower:
        raise ValidationFailed("to must come after from.", code="invalid_range", field="to")
    if _is_midnight(lower, tz) and _is_midnight(upper, tz):
        # Whole days: the previous range is as many days, midnight to midnight (a day
        # with a daylight-saving change is still one day).
        days = (upper.astimezone(tz).date() - lower.astimezone(tz).date()).days
        previous = _local_midnight(lower.astimezone(tz).date() - timedelta(days=days), tz)
        span = Span(lower, upper, previous, interval, tz, whole_days=True)
    else:
        span = Span(lower, upper, lower - (upper - lower), interval, tz)
    if _count_periods(span) > MAX_PERIODS:
        raise ValidationFailed(
            f"At most {MAX_PERIODS} periods: choose a longer interval or a shorter range.",
            code="too_many_periods",
            field="interval",
        )
    return span


def _count_periods(span: Span) -> int:
    first = period_start(span.start, span.interval, span.tz)
    last = period_start(span.end - timedelta(microseconds=1), span.interval, span.tz)
    if span.interval == "day":
        return (last - first).days + 1
    if span.interval == "week":
        return (last - first).days // 7 + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


def periods(span: Span) -> list[date]:
    """The local start date of every period the range touches (the first and the last may
    be partial: only their part inside the range counts)."""
    if _count_periods(span) > MAX_PERIODS:  # pragma: no cover (parse_span refuses it)
        raise ValueError("too many periods")
    current = period_start(span.start, span.interval, span.tz)
    last = period_start(span.end - timedelta(microseconds=1), span.interval, span.tz)
    starts = []
    while current <= last:
        starts.append(current)
        current = next_period(current, span.interval)
    return starts
