"""Which answers a results query keeps: the customers of a segment, of a condition, or both;
and the responses with an open answer of one sentiment.

Segments belong to the insights app, which sits above feedback: feedback must not import
it. So insights registers, at start-up (its AppConfig.ready), the function that turns a
segment id into a `Q` over customers (or raises the error the id deserves), the way it does
for the customer list. A condition is compiled here, by the core condition language, over
customer fields only."""

import json
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from kizuna.core.clock import now
from kizuna.core.conditions import InvalidCondition, compile_condition, parse
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.feedback.models import Answer, AnswerKind
from kizuna.feedback.results.periods import survey_zone

SegmentFilter = Callable[[Workspace, str], Q]
_SEGMENT_FILTERS: list[SegmentFilter] = []
SUBJECTS = frozenset({"customer"})


def register_segment_filter(segment_filter: SegmentFilter) -> None:
    """Install the function that turns `segment=<id>` into a Q over customers."""
    if _SEGMENT_FILTERS and _SEGMENT_FILTERS[0] is not segment_filter:
        raise RuntimeError("A segment filter for survey results is registered twice.")
    _SEGMENT_FILTERS[:] = [segment_filter]


def _segment_q(workspace: Workspace, key: str) -> Q:
    if not _SEGMENT_FILTERS:
        raise ValidationFailed(
            "Segments are not available.", code="segment_not_found", field="segment"
        )
    return _SEGMENT_FILTERS[0](workspace, key)


def _condition_q(workspace: Workspace, text: str) -> Q:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidCondition("is not JSON.", field="condition") from exc
    condition = parse(
        data, workspace=workspace, subjects=SUBJECTS, root="condition", usage="a results filter"
    )
    zone = survey_zone(getattr(workspace, "timezone", "UTC"))
    return compile_condition(condition, workspace=workspace, now=now(), tz=zone)


def customers(
    workspace: Workspace, *, segment: str | None, condition: str | None
) -> "QuerySet[Any] | None":
    """The pks of the customers kept, as a subquery; None when nothing is filtered."""
    if not segment and not condition:
        return None
    q = Q()
    if segment:
        q &= _segment_q(workspace, segment)
    if condition:
        q &= _condition_q(workspace, condition)
    return Customer.objects.for_workspace(workspace).filter(q).values("pk")


SENTIMENTS = ("positive", "negative", "neutral", "mixed")


def responses_with_sentiment(
    workspace: Workspace, survey: Any, sentiment: str | None
) -> "QuerySet[Any] | None":
    """The pks of the survey's responses with an open answer of this sentiment, as a
    subquery; None when not filtered. An answer not analysed yet has no sentiment."""
    if not sentiment:
        return None
    if sentiment not in SENTIMENTS:
        raise ValidationFailed(
            f"sentiment is one of {', '.join(SENTIMENTS)}.",
            code="invalid_choice",
            field="sentiment",
        )
    return (
        Answer.objects.for_workspace(workspace)
        .filter(survey=survey, kind=AnswerKind.TEXT, sentiment=sentiment)
        .values("response_id")
    )
