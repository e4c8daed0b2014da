"""Survey results (GET /surveys/{id}/results): the elements of the current definition with
their scores, intervals, breakdowns, comparison with the previous range and series by
period; displays, starts, completions and drop-off. Read only; every query is scoped with
`for_workspace` and grouped in the database (kizuna.feedback.results.queries), a constant
number of queries whatever the number of elements or answers."""

from collections.abc import Iterator, Mapping
from datetime import UTC
from typing import Any

from django.db import transaction

from kizuna.core.clock import now
from kizuna.core.models import Workspace
from kizuna.feedback.results import filters, queries, rollup
from kizuna.feedback.results.metrics import (
    METRIC_TYPES,
    MULTI_ROW,
    Counts,
    collect,
    is_open_text,
    metric,
    sentiment_metric,
)
from kizuna.feedback.results.periods import parse_span, periods, survey_zone
from kizuna.feedback.selectors.surveys import get_survey

ANSWERLESS = frozenset({"statement"})


def _elements(definition: Any) -> Iterator[Mapping[str, Any]]:
    for page in definition.get("pages", []) if isinstance(definition, dict) else []:
        yield from page.get("elements", [])


def survey_results(
    workspace: Workspace,
    key: str,
    *,
    start: str | None = None,
    end: str | None = None,
    interval: str | None = None,
    segment: str | None = None,
    condition: str | None = None,
    sentiment: str | None = None,
) -> dict[str, Any]:
    survey = get_survey(workspace, key)
    span = parse_span(start, end, interval, survey_zone(survey.timezone), now())
    customers = filters.customers(workspace, segment=segment, condition=condition)
    responses = filters.responses_with_sentiment(workspace, survey, sentiment)
    kept = None
    if customers is not None or responses is not None:
        kept = queries.Kept(customers, responses)
    texts = [e for e in _elements(survey.definition) if is_open_text(e)]
    elements = [e for e in _elements(survey.definition) if e.get("type") in METRIC_TYPES]
    answerable = [e["id"] for e in _elements(survey.definition) if e["type"] not in ANSWERLESS]
    element_ids = [e["id"] for e in elements]
    multi = [e["id"] for e in elements if e["type"] in MULTI_ROW]
    with transaction.atomic(savepoint=False):
        queries.analytic_session()
        if kept is None and span.whole_days:
            rows = rollup.value_counts(survey, span, element_ids)
            respondents = rollup.respondent_counts(survey, span, multi)
            funnel = rollup.funnel(survey, span)
        else:
            rows = queries.value_counts(workspace, survey, span, element_ids, kept)
            respondents = queries.respondent_counts(workspace, survey, span, multi, kept)
            funnel = queries.funnel(workspace, survey, span, kept)
        stopped = queries.last_answered(workspace, survey, span, answerable, kept)
        feelings = queries.sentiment_counts(workspace, survey, span, [e["id"] for e in texts], kept)
    counts = collect(rows, respondents)
    starts = periods(span)
    return {
        "survey_id": survey.key,
        "from": span.start.astimezone(UTC),
        "to": span.end.astimezone(UTC),
        "interval": span.interval,
        "timezone": survey.timezone,
        "previous_from": span.previous_start.astimezone(UTC),
        "metrics": [
            *(metric(e, counts.get(e["id"], Counts()), starts) for e in elements),
            *(
                sentiment_metric(e, [r for r in feelings if r.element_id == e["id"]], starts)
                for e in texts
            ),
        ],
        "displays": funnel.displays,
        "starts": funnel.starts,
        "completions": funnel.completions,
        "drop_off": [{"element_id": e, "count": stopped[e]} for e in answerable],
    }
