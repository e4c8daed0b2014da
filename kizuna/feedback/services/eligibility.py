"""Whether a survey is to be shown now, to this customer or browser (`POST
/surveys/{survey_id}/eligibility`, any key; docs/survey-distribution.md, "Eligibility").
Pure: reads only.

The answer's reasons, first that applies: `not_active` (the survey is not active now),
`not_targeted` (its targeting condition is false for the customer; an anonymous visitor, or a
customer unknown yet, meets no targeting condition, since targeting reads customer fields),
`answered` / `recontact` (the survey's recontact policy), `cooldown` (the workspace's)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kizuna.core import conditions as c
from kizuna.core.clock import now
from kizuna.core.models import Workspace
from kizuna.customers.conditions import customer_facts
from kizuna.customers.models import Customer
from kizuna.feedback.logic.languages import negotiate
from kizuna.feedback.models import Survey, SurveyStatus
from kizuna.feedback.services import fatigue
from kizuna.feedback.services.displays import get_survey
from kizuna.feedback.services.evaluation import find_customer
from kizuna.feedback.services.submissions import check_browser_token, check_channel

SUBJECTS = frozenset({"customer"})


@dataclass(frozen=True)
class Eligibility:
    show: bool
    reason: str | None
    language: str


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def targeted(survey: Survey, customer: Customer | None, moment: datetime) -> bool:
    """The survey's targeting condition for this customer (none: everyone)."""
    if survey.targeting is None:
        return True
    if customer is None:
        return False
    condition = c.parse(
        survey.targeting, workspace=survey.workspace, subjects=SUBJECTS, root="targeting"
    )
    zone = _zone(survey.timezone)
    try:
        return c.evaluate(condition, c.Context(now=moment, tz=zone, **customer_facts(customer)))
    except c.NotEvaluableInMemory:
        # A field read only in SQL (a segment's membership, say): ask the database.
        matching = Customer.objects.for_workspace(survey.workspace_id).filter(
            c.compile_condition(condition, workspace=survey.workspace, now=moment, tz=zone),
            pk=customer.pk,
        )
        return matching.exists()


def eligibility(workspace: Workspace, survey_key: str, data: dict[str, Any]) -> Eligibility:
    check_channel(data.get("channel"), "channel")
    token = check_browser_token(data.get("browser_token"))
    moment = now()
    survey = get_survey(workspace, survey_key)
    survey.workspace = workspace
    customer = find_customer(workspace, data.get("customer_id"))
    language = negotiate(
        [data.get("language"), customer.locale if customer is not None else None],
        survey.languages,
        survey.default_language,
    )

    def no(reason: str) -> Eligibility:
        return Eligibility(False, reason, language)

    if survey.effective_status(moment) != SurveyStatus.ACTIVE:
        return no("not_active")
    if not targeted(survey, customer, moment):
        return no("not_targeted")
    reason = fatigue.refusal(survey, customer.pk if customer else None, token, moment)
    if reason is not None:
        return no(reason)
    return Eligibility(True, None, language)
