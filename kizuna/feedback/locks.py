"""Row locks of the feedback app: one helper per model, taken before deciding."""

from kizuna.core.models import Workspace, one_or_none
from kizuna.feedback.errors import SurveyNotFound
from kizuna.feedback.models import Response, Survey


def lock_survey(workspace: Workspace, key: str) -> Survey:
    """The survey, locked until the end of the transaction: changes and status transitions
    of one survey run one after the other, each on what the last one left."""
    survey = one_or_none(
        Survey.objects.for_workspace(workspace).select_for_update().filter(key=key)
    )
    if survey is None:
        raise SurveyNotFound(f"No survey {key!r}.", field="survey_id")
    return survey


def lock_response(survey: Survey, submission_id: str) -> Response | None:
    """The survey's response of this submission, locked until the end of the transaction
    (saves of one submission run one after the other), or None when there is none yet."""
    return one_or_none(
        Response.objects.for_workspace(survey.workspace_id)
        .select_for_update(of=("self",))
        .select_related("customer", "display")
        .filter(survey=survey, submission_id=submission_id)
    )
