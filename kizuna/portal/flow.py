"""The respondent's way through a hosted survey, one question per step: the evaluation of
the answers so far (kizuna.feedback's evaluator decides what is shown, required, valid and
where the path ends) and the saves through kizuna.feedback's services (displays once per
visit, the response on every step, finished at the end)."""

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from kizuna.core.models import one_or_none
from kizuna.feedback.logic import Evaluation
from kizuna.feedback.models import Response, ResponseStatus
from kizuna.feedback.services import displays, responses
from kizuna.feedback.services.answers import elements_of
from kizuna.feedback.services.evaluation import evaluate_version
from kizuna.portal.links import Target
from kizuna.portal.state import VisitState

FINAL = (ResponseStatus.COMPLETED, ResponseStatus.SCREENED_OUT)
WELCOME = "welcome"


@dataclass
class Visit:
    target: Target
    state: VisitState
    language: str
    browser_token: str
    answers: dict[str, Any] = field(default_factory=dict)
    time_ms: dict[str, int] = field(default_factory=dict)
    response: Response | None = None

    @property
    def finished(self) -> bool:
        return self.response is not None and self.response.status in FINAL

    @property
    def elements(self) -> dict[str, dict[str, Any]]:
        return {str(e["id"]): e for e in elements_of(self.target.survey.definition)}


def stored_response(target: Target, submission_id: str) -> Response | None:
    return one_or_none(
        Response.objects.for_workspace(target.workspace).filter(
            survey=target.survey, submission_id=submission_id
        )
    )


def hidden_from(target: Target, request: HttpRequest) -> dict[str, str]:
    """Hidden fields the survey declares, given in the link's query string (?source=qr)."""
    declared = target.survey.definition.get("hidden_fields") or []
    return {name: request.GET[name][:1000] for name in declared if name in request.GET}


def record_display(visit: Visit, channel: str) -> None:
    customer = visit.target.customer
    data: dict[str, Any] = {
        "channel": channel,
        "customer_id": customer.external_id if customer else None,
    }
    if not visit.target.personal:
        data["browser_token"] = visit.browser_token  # a contact of this browser (fatigue)
    display = displays.record_display(visit.target.workspace, visit.target.survey.key, data)
    visit.state.d = display.key


def evaluate(visit: Visit, answers: dict[str, Any]) -> Evaluation:
    return evaluate_version(
        visit.target.survey,
        {key: value for key, value in answers.items() if value is not None},
        language=visit.language,
        hidden=visit.state.h,
        customer=visit.target.customer,
    )


def current_element(visit: Visit, evaluation: Evaluation) -> str | None:
    """The element the respondent is on: where the visit stopped, if it is still on the
    path; else the first one of the path without an answer; else the last one."""
    path = evaluation.visible_elements
    if not path:
        return None
    if visit.state.at in path:
        return visit.state.at
    return next((e for e in path if e not in evaluation.data), path[-1])


def neighbour(evaluation: Evaluation, element_id: str, step: int) -> str | None:
    path = evaluation.visible_elements
    if element_id not in path:
        return None
    index = path.index(element_id) + step
    return path[index] if 0 <= index < len(path) else None


def save(visit: Visit, data: dict[str, Any], *, finished: bool, user_agent: str) -> None:
    """Save the answers that count (the evaluation's `data`): partial on every step, final
    at the end. Errors of the service (closed survey, full quota, ...) are raised."""
    target = visit.target
    body: dict[str, Any] = {
        "submission_id": visit.state.sid,
        "language": visit.language,
        "answers": data,
        "finished": finished,
        "time_ms": visit.time_ms,
        "hidden": visit.state.h,
        "meta": {"channel": "link"},
    }
    if visit.state.d:
        body["display_id"] = visit.state.d
    if target.customer is not None:
        body["customer_id"] = target.customer.external_id
    body["link_token"] = target.token
    if not target.personal:
        body["browser_token"] = visit.browser_token
    saved = responses.save_response(
        target.workspace, target.survey.key, body, user_agent=user_agent
    )
    visit.response = saved.response
    visit.answers = dict(data)
