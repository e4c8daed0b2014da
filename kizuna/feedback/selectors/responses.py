"""Reads of displays and responses. Every query is scoped with `for_workspace`."""

from datetime import datetime
from typing import Any

from kizuna.core.models import Workspace, one_or_none
from kizuna.core.pagination import keyset_page
from kizuna.feedback.errors import SurveyNotFound
from kizuna.feedback.models import Response, Survey


def survey_of(workspace: Workspace, key: str) -> Survey:
    survey = one_or_none(Survey.objects.for_workspace(workspace).filter(key=key))
    if survey is None:
        raise SurveyNotFound(f"No survey {key!r}.", field="survey_id")
    return survey


def list_responses(
    workspace: Workspace,
    survey_key: str,
    *,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    customer_id: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[Any], str | None]:
    """The survey's responses, newest started first, with their display and customer.
    `since` and `until` bound `started_at` (from included, to excluded)."""
    survey = survey_of(workspace, survey_key)
    queryset = (
        Response.objects.for_workspace(workspace)
        .filter(survey=survey)
        .select_related("display", "customer")
    )
    if status is not None:
        queryset = queryset.filter(status=status)
    if since is not None:
        queryset = queryset.filter(started_at__gte=since)
    if until is not None:
        queryset = queryset.filter(started_at__lt=until)
    if customer_id is not None:
        queryset = queryset.filter(customer__external_id=customer_id)
    rows, next_cursor = keyset_page(
        queryset, fields=("started_at", "pk"), descending=True, cursor=cursor, limit=limit
    )
    for row in rows:
        row.survey = survey
    return rows, next_cursor
