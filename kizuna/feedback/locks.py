"""Row locks of the feedback app: one helper per model, taken before deciding."""

from kizuna.core.models import Workspace, one_or_none
from kizuna.feedback.errors import SurveyNotFound
from kizuna.feedback.models import Survey


def lock_survey(workspace: Workspace, key: str) -> Survey:
    """The survey, locked until the end of the transaction: changes and status transitions
    of one survey run one after the other, each on what the last one left."""
    survey = one_or_none(
        Survey.objects.for_workspace(workspace).select_for_update().filter(key=key)
    )
    if survey is None:
        raise SurveyNotFound(f"No survey {key!r}.", field="survey_id")
    return survey
