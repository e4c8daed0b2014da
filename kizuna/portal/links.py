"""The link a hosted page is opened with, resolved to its survey (and, for a personal link,
its customer).

Until the links of kizuna.feedback exist, a token is `<workspace slug>.<survey id>`: a
temporary public link of every survey."""

from dataclasses import dataclass
from datetime import datetime

from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Customer
from kizuna.feedback.errors import SurveyNotFound
from kizuna.feedback.models import Survey


@dataclass
class Target:
    token: str
    survey: Survey
    workspace: Workspace
    customer: Customer | None = None
    personal: bool = False


def resolve_target(token: str, moment: datetime) -> Target:
    slug, _, key = token.partition(".")
    workspace = one_or_none(Workspace.objects.filter(slug=slug))
    survey = (
        one_or_none(Survey.objects.for_workspace(workspace).filter(key=key))
        if workspace is not None
        else None
    )
    if workspace is None or survey is None:
        raise SurveyNotFound("No survey at this link.", field="token")
    survey.workspace = workspace
    return Target(token=token, survey=survey, workspace=workspace)


def link_url(target: Target) -> str:
    from django.conf import settings

    return f"{settings.KIZUNA_PUBLIC_URL}/s/{target.token}"
