"""The feedback app's models, one module per noun: surveys and their versions; displays,
responses and the one-row-per-answer projection; the results' daily rollup; links,
invitations and fatigue; follow-up rules and follow-ups."""

from kizuna.feedback.models.fatigue import Contact, ContactKind, FatigueCount, FeedbackSettings
from kizuna.feedback.models.followups import FollowUp, FollowUpRule, FollowUpRun, FollowUpStatus
from kizuna.feedback.models.invitations import Invitation, InvitationStatus
from kizuna.feedback.models.links import LinkKind, SurveyLink
from kizuna.feedback.models.responses import (
    Answer,
    AnswerKind,
    Display,
    QuotaCount,
    Response,
    ResponseStatus,
)
from kizuna.feedback.models.results import ResultCount, ResultMeasure
from kizuna.feedback.models.surveys import Survey, SurveyStatus, SurveyVersion

__all__ = [
    "Answer",
    "AnswerKind",
    "Contact",
    "ContactKind",
    "Display",
    "FatigueCount",
    "FeedbackSettings",
    "FollowUp",
    "FollowUpRule",
    "FollowUpRun",
    "FollowUpStatus",
    "Invitation",
    "InvitationStatus",
    "LinkKind",
    "QuotaCount",
    "Response",
    "ResponseStatus",
    "ResultCount",
    "ResultMeasure",
    "Survey",
    "SurveyLink",
    "SurveyStatus",
    "SurveyVersion",
]
