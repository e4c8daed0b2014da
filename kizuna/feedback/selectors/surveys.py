"""Reads of the feedback app. Every query is scoped with `for_workspace`."""

from datetime import datetime
from typing import Any

from django.db.models import Q

from kizuna.core.clock import now
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.pagination import keyset_page
from kizuna.feedback.errors import SurveyNotFound, SurveyVersionNotFound
from kizuna.feedback.models import Survey, SurveyStatus, SurveyVersion


def status_filter(status: str, moment: datetime) -> Q:
    """The surveys whose effective status (Survey.effective_status) is `status` at `moment`."""
    running = Q(status__in=(SurveyStatus.SCHEDULED, SurveyStatus.ACTIVE))
    not_ended = Q(ends_at__isnull=True) | Q(ends_at__gt=moment)
    if status == SurveyStatus.DRAFT:
        return Q(status=SurveyStatus.DRAFT)
    if status == SurveyStatus.CLOSED:
        return Q(status=SurveyStatus.CLOSED) | (
            Q(status__in=(SurveyStatus.SCHEDULED, SurveyStatus.ACTIVE, SurveyStatus.PAUSED))
            & Q(ends_at__lte=moment)
        )
    if status == SurveyStatus.PAUSED:
        return Q(status=SurveyStatus.PAUSED) & not_ended
    if status == SurveyStatus.SCHEDULED:
        return running & Q(starts_at__gt=moment) & not_ended
    return running & (Q(starts_at__isnull=True) | Q(starts_at__lte=moment)) & not_ended


def get_survey(workspace: Workspace, key: str, *, version: int | None = None) -> Survey:
    """The survey with its current definition; with `version`, as that version defined it
    (`version` and `definition` are that version's; `latest_version` is the current one)."""
    survey = one_or_none(Survey.objects.for_workspace(workspace).filter(key=key))
    if survey is None:
        raise SurveyNotFound(f"No survey {key!r}.", field="survey_id")
    survey.latest_version = survey.version  # type: ignore[attr-defined]
    if version is not None and version != survey.version:
        row = one_or_none(
            SurveyVersion.objects.for_workspace(workspace)
            .filter(survey=survey, number=version)
            .only("definition")
        )
        if row is None:
            raise SurveyVersionNotFound(
                f"Survey {key!r} has no version {version}.", field="version"
            )
        survey.version, survey.definition = version, row.definition
    return survey


def list_surveys(
    workspace: Workspace, *, status: str | None, cursor: str | None, limit: int | None
) -> tuple[list[Any], str | None]:
    queryset = Survey.objects.for_workspace(workspace)
    if status is not None:
        queryset = queryset.filter(status_filter(status, now()))
    return keyset_page(queryset, fields=("key",), descending=False, cursor=cursor, limit=limit)


def list_versions(
    workspace: Workspace, key: str, *, cursor: str | None, limit: int | None
) -> tuple[list[Any], str | None]:
    """The survey's versions, newest first (with their definitions)."""
    survey = one_or_none(Survey.objects.for_workspace(workspace).filter(key=key).only("pk"))
    if survey is None:
        raise SurveyNotFound(f"No survey {key!r}.", field="survey_id")
    versions = SurveyVersion.objects.for_workspace(workspace).filter(survey=survey)
    return keyset_page(versions, fields=("number",), descending=True, cursor=cursor, limit=limit)
