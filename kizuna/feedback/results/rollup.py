"""The results rollup: daily counts per survey (models/results.py `ResultCount`), kept equal
to what the answer rows say.

The responses service calls `apply_answers(response, removed_rows, added_rows)` inside the
transaction that replaces a response's answer rows, with the rows it deleted (as they were)
and the rows it inserted: the counts move by the difference, with one upsert that adds in the
database (`count = count + excluded.count`), in a fixed key order so that two transactions
never wait on each other's keys in opposite orders. `rebuild(survey)` recomputes a survey's
counts from the answer rows (after a change of the survey's time zone, or to check);
`recount(survey)` returns what they should be, which the tests compare with the table.

What is counted (the same as the plain-SQL path in `queries`): `answer`, the answer rows of
completed responses (`finished`) on the local day of `answered_at`, per element, row, choice
and value; `respondents`, per element, the completed responses with an answer row there;
`start`, the responses with at least one answer row, on the day of `started_at`;
`completion`, the completed responses with at least one answer row, on the day of their
rows' `answered_at` (their completion)."""

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Sum, Value, When
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek

from kizuna.feedback.models import Answer, Display, Response, ResultCount, ResultMeasure, Survey
from kizuna.feedback.results.periods import survey_zone
from kizuna.feedback.results.queries import Funnel, Span, ValueCount

_TRUNC = {"week": TruncWeek, "month": TruncMonth}

Key = tuple[date, str, str, str, str, str]  # day, measure, element_id, row, choice, value
_COLUMNS = ("day", "measure", "element_id", "row", "choice", "value")


def value_text(number: Decimal | int | float | None) -> str:
    """An answer's number as the rollup keys it: '' for none, else its shortest decimal."""
    if number is None:
        return ""
    text = format(Decimal(number).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _day(moment: datetime, survey: Survey) -> date:
    return moment.astimezone(survey_zone(survey.timezone)).date()


def _deltas(
    survey: Survey, response: Response, rows: Sequence[Answer], sign: int, counts: Counter[Key]
) -> None:
    finished = [row for row in rows if row.finished]
    for row in finished:
        day = _day(row.answered_at, survey)
        key = (day, ResultMeasure.ANSWER, row.element_id, row.row, row.choice)
        counts[(*key, value_text(row.number))] += sign
    for day, element_id in {(_day(r.answered_at, survey), r.element_id) for r in finished}:
        counts[(day, ResultMeasure.RESPONDENTS, element_id, "", "", "")] += sign
    if rows:
        counts[(_day(response.started_at, survey), ResultMeasure.START, "", "", "", "")] += sign
    if finished:
        day = _day(finished[0].answered_at, survey)
        counts[(day, ResultMeasure.COMPLETION, "", "", "", "")] += sign


def apply_answers(
    response: Response, removed_rows: Iterable[Answer], added_rows: Iterable[Answer]
) -> None:
    """Move the survey's daily counts from `removed_rows` (the response's answer rows as
    they were before this save, none for a new response) to `added_rows` (as they are now).
    Call it in the transaction that deletes and inserts those rows, after both."""
    survey = response.survey
    counts: Counter[Key] = Counter()
    _deltas(survey, response, list(removed_rows), -1, counts)
    _deltas(survey, response, list(added_rows), +1, counts)
    _add(survey, {key: n for key, n in counts.items() if n})


def _add(survey: Survey, counts: dict[Key, int]) -> None:
    if not counts:
        return
    table = connection.ops.quote_name(ResultCount._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    rows: list[str] = []
    params: list[Any] = []
    for key in sorted(counts):
        rows.append("(%s, %s, " + ", ".join(["%s"] * len(_COLUMNS)) + ", %s)")
        params += [survey.workspace_id, survey.pk, *key, counts[key]]
    sql = (
        f"INSERT INTO {table} (workspace_id, survey_id, {columns}, count) "  # noqa: S608
        f"VALUES {', '.join(rows)} "
        f"ON CONFLICT (survey_id, {columns}) "
        f"DO UPDATE SET count = {table}.count + excluded.count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def recount(survey: Survey) -> dict[Key, int]:
    """The survey's daily counts as the answer rows say they are (grouped in SQL)."""
    tz = survey_zone(survey.timezone)
    answers = Answer.objects.for_workspace(survey.workspace_id).filter(survey=survey)
    finished = answers.filter(finished=True).annotate(day=TruncDate("answered_at", tzinfo=tz))
    counts: dict[Key, int] = {}
    for row in finished.values("day", "element_id", "row", "choice", "number").annotate(
        n=Count("pk")
    ):
        value = value_text(row["number"])
        full: Key = (row["day"], "answer", row["element_id"], row["row"], row["choice"], value)
        counts[full] = counts.get(full, 0) + row["n"]
    per_element = finished.values("day", "element_id").annotate(
        n=Count("response_id", distinct=True)
    )
    for element in per_element:
        counts[(element["day"], "respondents", element["element_id"], "", "", "")] = element["n"]
    for day in finished.values("day").annotate(n=Count("response_id", distinct=True)):
        counts[(day["day"], ResultMeasure.COMPLETION, "", "", "", "")] = day["n"]
    started = (
        Response.objects.for_workspace(survey.workspace_id)
        .filter(survey=survey)
        .filter(Exists(Answer.objects.filter(response_id=OuterRef("pk"))))
        .annotate(day=TruncDate("started_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
    )
    for day in started:
        counts[(day["day"], ResultMeasure.START, "", "", "", "")] = day["n"]
    return counts


def stored(survey: Survey) -> dict[Key, int]:
    """The survey's daily counts as the rollup holds them (zero rows left out)."""
    rows = ResultCount.objects.for_workspace(survey.workspace_id).filter(survey=survey)
    return {
        (
            row["day"],
            row["measure"],
            row["element_id"],
            row["row"],
            row["choice"],
            row["value"],
        ): row["count"]
        for row in rows.exclude(count=0).values(*_COLUMNS, "count")
    }


def rebuild(survey: Survey) -> int:
    """Replace the survey's daily counts with a recount; returns the number of rows. Lock
    the survey's row first where answers may arrive meanwhile."""
    counts = recount(survey)
    with transaction.atomic():
        ResultCount.objects.for_workspace(survey.workspace_id).filter(survey=survey).delete()
        ResultCount.objects.bulk_create(
            (
                ResultCount(
                    workspace_id=survey.workspace_id,
                    survey=survey,
                    count=n,
                    **dict(zip(_COLUMNS, key, strict=True)),
                )
                for key, n in counts.items()
            ),
            batch_size=2000,
        )
    return len(counts)


# ------------------------------------------------------------------ reads (whole days only)


def _days(survey: Survey, span: Span) -> Any:
    assert span.whole_days, "the rollup serves ranges of whole days"
    previous, start, end = (
        _day(span.previous_start, survey),
        _day(span.start, survey),
        _day(span.end, survey),
    )
    return (
        ResultCount.objects.for_workspace(survey.workspace_id)
        .filter(survey=survey, day__gte=previous, day__lt=end)
        .annotate(
            current=Case(
                When(day__gte=start, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            period=F("day") if span.interval == "day" else _TRUNC[span.interval]("day"),
        )
    )


def value_counts(survey: Survey, span: Span, element_ids: Sequence[str]) -> list[ValueCount]:
    """`queries.value_counts` from the daily counts: one query over a few rows a day."""
    if not element_ids:
        return []
    grouped = (
        _days(survey, span)
        .filter(measure=ResultMeasure.ANSWER, element_id__in=element_ids)
        .values("current", "period", "element_id", "row", "choice", "value")
        .annotate(n=Sum("count"))
        .order_by()
    )
    return [
        ValueCount(
            row["period"] if row["current"] else None,
            row["element_id"],
            row["row"],
            row["choice"],
            _number(row["value"]),
            row["n"],
        )
        for row in grouped
        if row["n"]
    ]


def _number(text: str) -> float | None:
    if not text:
        return None
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def respondent_counts(
    survey: Survey, span: Span, element_ids: Sequence[str]
) -> dict[tuple[date | None, str], int]:
    if not element_ids:
        return {}
    grouped = (
        _days(survey, span)
        .filter(measure=ResultMeasure.RESPONDENTS, element_id__in=element_ids)
        .values("current", "period", "element_id")
        .annotate(n=Sum("count"))
        .order_by()
    )
    return {
        (row["period"] if row["current"] else None, row["element_id"]): row["n"] for row in grouped
    }


def funnel(survey: Survey, span: Span) -> Funnel:
    """Starts and completions from the daily counts; displays from their own table."""
    totals = (
        _days(survey, span)
        .filter(current=True, measure__in=(ResultMeasure.START, ResultMeasure.COMPLETION))
        .values("measure")
        .annotate(n=Sum("count"))
        .order_by()
    )
    by_measure = {row["measure"]: row["n"] for row in totals}
    displays = Display.objects.for_workspace(survey.workspace_id).filter(
        survey=survey, created_at__gte=span.start, created_at__lt=span.end
    )
    return Funnel(
        displays.count(),
        by_measure.get(ResultMeasure.START, 0),
        by_measure.get(ResultMeasure.COMPLETION, 0),
    )
