"""The feedback app's models, one module per noun: surveys and their versions; displays,
responses and the one-row-per-answer projection."""

from kizuna.feedback.models.responses import (
    Answer,
    AnswerKind,
    Display,
    QuotaCount,
    Response,
    ResponseStatus,
)
from kizuna.feedback.models.surveys import Survey, SurveyStatus, SurveyVersion

__all__ = [
    "Answer",
    "AnswerKind",
    "Display",
    "QuotaCount",
    "Response",
    "ResponseStatus",
    "Survey",
    "SurveyStatus",
    "SurveyVersion",
]

# Survey results: the daily rollup (kizuna/feedback/results/rollup.py).
from kizuna.feedback.models.results import ResultCount, ResultMeasure

__all__ += ["ResultCount", "ResultMeasure"]

# Survey distribution: links (kizuna/feedback/services/links.py).
from kizuna.feedback.models.links import LinkKind, SurveyLink  # noqa: E402

__all__ += ["LinkKind", "SurveyLink"]

# Survey distribution: invitations and fatigue (services/invitations.py, services/fatigue.py).
from kizuna.feedback.models.fatigue import (  # noqa: E402
    Contact,
    ContactKind,
    FatigueCount,
    FeedbackSettings,
)
from kizuna.feedback.models.invitations import Invitation, InvitationStatus  # noqa: E402

__all__ += [
    "Contact",
    "ContactKind",
    "FatigueCount",
    "FeedbackSettings",
    "Invitation",
    "InvitationStatus",
]
