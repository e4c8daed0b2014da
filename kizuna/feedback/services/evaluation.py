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
  default language, each matched against the survey's languages (`pt-BR` -> `pt`)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kizuna.core.models import Workspace, one_or_none
from kizuna.customers.models import Customer
from kizuna.feedback.logic import Evaluation, evaluate_survey
from kizuna.feedback.selectors.surveys import get_survey


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
    return evaluate_survey(
        survey,
        answers,
        language=language,
        hidden=hidden,
        customer=customer,
        now=now,
        workspace=workspace,
    )
