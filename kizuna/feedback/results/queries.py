"""The SQL of survey results: sufficient statistics, grouped in the database, never a row per
answer in Python.

Every score the results present is a function of how many answers took each value (an NPS
of its 0..10 counts, a mean and its variance of the counts per value), so one grouped query
over the answer projection returns, per (current or previous span, period, element, row,
choice, value), a count: a few hundred rows for any number of answers, from which
`statistics` computes everything exactly. Periods are cut in the survey's time zone by
Django's Trunc functions with `tzinfo`, which PostgreSQL runs as `AT TIME ZONE` and SQLite
through Django's own date functions: one query text for both databases.

What counts (docs/survey-results.md): answers of completed responses (`Answer.finished`),
placed in time by `answered_at`, which for a completed response is the time it was
completed; completions likewise (the completed responses with an answer row); displays by
their `created_at`; starts by the response's `started_at`; drop-off by the last save of
the unfinished responses. Whole-day ranges without a customer filter are read from the
daily rollup instead (`rollup`), which counts the same things."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from kizuna.core.models import Workspace
from kizuna.feedback.models import Answer, AnswerKind, Display, Response, Survey

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class Span:
    """The range asked for, [start, end), the previous range of the same length
    [previous_start, start), and how to cut periods: `interval` in the time zone `tz`."""

    start: datetime
    end: datetime
    previous_start: datetime
    interval: str
    tz: ZoneInfo
    # Every bound a midnight of the time zone: the daily rollup can answer.
    whole_days: bool = False


@dataclass(frozen=True)
class ValueCount:
    """How many answers took one value: `period` is the local start date of the period
    (of the current span; None for the previous span, which is only totalled)."""

    period: date | None
    element_id: str
    row: str
    choice: str
    value: float | None
    count: int


@dataclass(frozen=True)
class Funnel:
    displays: int
    starts: int
    completions: int


@dataclass(frozen=True)
class Kept:
    """What a filtered query keeps: the customers a segment or a condition selects (a
    subquery of their pks), the responses with an open answer of a sentiment (a subquery of
    theirs), or both."""

    customers: QuerySet[Any] | None = None
    responses: QuerySet[Any] | None = None

    def answers(self, rows: Any) -> Any:
        if self.customers is not None:
            rows = rows.filter(customer_id__in=self.customers)
        if self.responses is not None:
            rows = rows.filter(response_id__in=self.responses)
        return rows

    def of_responses(self, rows: Any) -> Any:
        if self.customers is not None:
            rows = rows.filter(customer_id__in=self.customers)
        if self.responses is not None:
            rows = rows.filter(pk__in=self.responses)
        return rows

    def displays(self, rows: Any) -> Any:
        """Displays of the customers kept; with a sentiment, the displays that led to a
        response kept."""
        if self.customers is not None:
            rows = rows.filter(customer_id__in=self.customers)
        if self.responses is not None:
            rows = rows.filter(responses__in=self.responses).distinct()
        return rows


Customers = Kept | None  # what a filter keeps, or no filter


@dataclass(frozen=True)
class SentimentCount:
    period: date | None
    element_id: str
    sentiment: str  # "" while the answer waits for analysis
    count: int


def analytic_session() -> None:
    """For this transaction only, on PostgreSQL: room to hash a year of unfinished responses
    in memory (the default work_mem of 4 MB spills them to disk), and no JIT compilation,
    which costs more than it saves on queries of a fraction of a second."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")


def _answers(workspace: Workspace, survey: Survey, span: Span, customers: Customers) -> Any:
    rows = Answer.objects.for_workspace(workspace).filter(
        survey=survey,
        finished=True,
        answered_at__gte=span.previous_start,
        answered_at__lt=span.end,
    )
    return customers.answers(rows) if customers is not None else rows


def _periods(span: Span) -> dict[str, Any]:
    return {
        "current": Case(
            When(answered_at__gte=span.start, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        "period": TRUNC[span.interval]("answered_at", tzinfo=span.tz),
    }


def _period_of(row: dict[str, Any]) -> date | None:
    return row["period"].date() if row["current"] else None


def _number(value: Decimal | None) -> float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def value_counts(
    workspace: Workspace,
    survey: Survey,
    span: Span,
    element_ids: Sequence[str],
    customers: Customers,
) -> list[ValueCount]:
    """Answers counted per period, element, row, choice and value, in one query."""
    if not element_ids:
        return []
    grouped = (
        _answers(workspace, survey, span, customers)
        .filter(element_id__in=element_ids)
        .annotate(**_periods(span))
        .values("current", "period", "element_id", "row", "choice", "number")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        ValueCount(
            _period_of(row),
            row["element_id"],
            row["row"],
            row["choice"],
            _number(row["number"]),
            row["n"],
        )
        for row in grouped
    ]


def respondent_counts(
    workspace: Workspace,
    survey: Survey,
    span: Span,
    element_ids: Sequence[str],
    customers: Customers,
) -> dict[tuple[date | None, str], int]:
    """How many responses answered each element per period, for the elements that keep
    several rows per answer (multiple choice, ranking, matrix), in one query."""
    if not element_ids:
        return {}
    grouped = (
        _answers(workspace, survey, span, customers)
        .filter(element_id__in=element_ids)
        .annotate(**_periods(span))
        .values("current", "period", "element_id")
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
    )
    return {(_period_of(row), row["element_id"]): row["n"] for row in grouped}


def sentiment_counts(
    workspace: Workspace,
    survey: Survey,
    span: Span,
    element_ids: Sequence[str],
    customers: Customers,
) -> list[SentimentCount]:
    """Open answers counted per period, element and sentiment (stored by the background
    analysis; "" while an answer waits), in one query."""
    if not element_ids:
        return []
    grouped = (
        _answers(workspace, survey, span, customers)
        .filter(element_id__in=element_ids, kind=AnswerKind.TEXT)
        # An erased customer's text is gone but its sentiment stays counted.
        .exclude(text="", sentiment="")
        .annotate(**_periods(span))
        .values("current", "period", "element_id", "sentiment")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        SentimentCount(_period_of(row), row["element_id"], row["sentiment"], row["n"])
        for row in grouped
    ]


def funnel(workspace: Workspace, survey: Survey, span: Span, customers: Customers) -> Funnel:
    """Displays shown, responses started (with an answer) and completed in the span: a
    completion is a completed response's answer rows, at the time they were saved (its
    completion), so that it agrees with the metrics' counts and with the daily rollup."""
    displays = Display.objects.for_workspace(workspace).filter(
        survey=survey, created_at__gte=span.start, created_at__lt=span.end
    )
    responses = Response.objects.for_workspace(workspace).filter(
        survey=survey, started_at__gte=span.start, started_at__lt=span.end
    )
    answers = Answer.objects.for_workspace(workspace).filter(
        survey=survey, finished=True, answered_at__gte=span.start, answered_at__lt=span.end
    )
    if customers is not None:
        displays = customers.displays(displays)
        responses = customers.of_responses(responses)
        answers = customers.answers(answers)
    starts = responses.filter(Exists(Answer.objects.filter(response_id=OuterRef("pk"))))
    completions = answers.aggregate(n=Count("response_id", distinct=True))["n"]
    return Funnel(displays.count(), starts.count(), completions)


def last_answered(
    workspace: Workspace,
    survey: Survey,
    span: Span,
    order: Sequence[str],
    customers: Customers,
) -> dict[str, int]:
    """For the unfinished responses (in progress or screened out) whose answers were last
    saved in the span, how many stopped at each element: the last one, in `order`, that they
    answered. One query over the partial index of unfinished answer rows, without a join:
    the position of each response's last answer, grouped."""
    if not order:
        return {}
    position = Max(
        Case(
            *(When(element_id=element, then=Value(i)) for i, element in enumerate(order)),
            default=Value(-1),
            output_field=IntegerField(),
        )
    )
    rows = Answer.objects.for_workspace(workspace).filter(
        survey=survey,
        finished=False,
        answered_at__gte=span.start,
        answered_at__lt=span.end,
    )
    if customers is not None:
        rows = customers.answers(rows)
    inner = rows.values("response_id").annotate(last_position=position).order_by()
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        # `sql` is Django's compilation of the queryset above; the values are in `params`.
        outer = "SELECT last_answers.last_position, COUNT(*) FROM ({}) AS last_answers"
        cursor.execute(f"{outer.format(sql)} GROUP BY last_answers.last_position", params)
        stopped = dict(cursor.fetchall())
    return {element: stopped.get(i, 0) for i, element in enumerate(order)}
