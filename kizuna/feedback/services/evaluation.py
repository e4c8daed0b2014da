"""What a respondent sees for a set of answers (`POST /surveys/{survey_id}/evaluate`): load
the survey and the customer, and ask the one evaluator (kizuna.feedback.logic). Pure: reads
only.

- The survey's current version is evaluated, whatever its status (a draft can be previewed;
  the responses service decides whether a response may be taken). An unknown survey is 404
  `survey_not_found`.
- `customer_id` names the customer by external id. An unknown (or erased) one is not an
  error: the widget may know its visitor's id before the integrator has sent the customer,
  so the survey is evaluated as for an anonymous respondent (customer fields missing).
- The language served: the one asked for, else the customer's locale, else the survey's
  default language, each matched against the survey's languages (`pt-BR` -> `pt`).

A survey imported from SurveyJS keeps its SurveyJS source and is evaluated by the SurveyJS
runtime over that source (ADR 0028), which answers in the same `Evaluation`: `evaluate_version`
is the one place that chooses, for the endpoint and for the responses alike."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kizuna.core.clock import now as clock_now
from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Customer
from kizuna.feedback.logic import Evaluation, evaluate
from kizuna.feedback.logic.languages import negotiate
from kizuna.feedback.models import Survey
from kizuna.feedback.selectors.surveys import get_survey
from kizuna.feedback.surveyjs import runtime

SURVEYJS = "surveyjs"


def evaluate_version(
    survey: Survey,
    answers: Mapping[str, Any],
    *,
    definition: dict[str, Any] | None = None,
    source: tuple[str, Any] | None = None,
    language: str | None = None,
    hidden: Mapping[str, Any] | None = None,
    customer: Customer | None = None,
    now: datetime | None = None,
    full_quotas: tuple[str, ...] = (),
    completing: bool = False,
) -> Evaluation:
    """The evaluation of the answers by the survey's logic: its current definition, or the
    version given (`definition`, and `source`: that version's (format, source)). An imported
    SurveyJS survey is evaluated by the SurveyJS runtime; `completing` asks for the data as
    SurveyJS stores it on completion."""
    source_format, source_json = source or (survey.source_format, survey.source)
    if source_format == SURVEYJS and isinstance(source_json, dict):
        served = negotiate(
            [language, customer.locale if customer is not None else None],
            survey.languages,
            survey.default_language,
        )
        return runtime.evaluate(
            source_json,
            answers=dict(answers),
            language=served,
            hidden=dict(hidden or {}),
            now=now or clock_now(),
            completing=completing,
        )
    return evaluate(
        definition if definition is not None else survey.definition,
        answers,
        languages=survey.languages,
        default_language=survey.default_language,
        language=language,
        hidden=hidden,
        customer=customer,
        now=now,
        timezone=survey.timezone,
        workspace=survey.workspace,
        full_quotas=full_quotas,
    )


def find_customer(workspace: Workspace, external_id: str | None) -> Customer | None:
    """The customer known by this external id, or None (unknown, or erased)."""
    if not external_id:
        return None
    customer: Customer | None = one_or_none(
        Customer.objects.for_workspace(workspace).filter(
            external_id=external_id, erased_at__isnull=True
        )
    )
    if customer is not None:
        customer.workspace = workspace  # read by the condition fields, without a query
    return customer


def evaluate_answers(
    workspace: Workspace,
    survey_key: str,
    *,
    answers: Mapping[str, Any],
    language: str | None = None,
    hidden: Mapping[str, Any] | None = None,
    customer_id: str | None = None,
    now: datetime | None = None,
) -> Evaluation:
    survey = get_survey(workspace, survey_key)
    customer = find_customer(workspace, customer_id)
    survey.workspace = workspace
    return evaluate_version(
        survey, answers, language=language, hidden=hidden, customer=customer, now=now
    )
