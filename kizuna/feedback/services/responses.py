"""Responses: saved by the client's `submission_id`, so that retries and partial saves update
one row (docs/survey-responses.md, ADR 0026).

    first save of a submission      201, the response created
    later saves                     200, the same response; the answers sent replace the
                                    answers stored (a client sends all its answers each time)
    finished: true                  the response is final (completed, or screened_out)
    a save after that               an identical body replays 200; any other is 409
                                    response_finished

In one transaction a save checks the survey (active, else 409), the answers against the
version answered (422 naming `answers.<element_id>`, nothing changed), the browser's earlier
responses (409 already_responded), the quotas (409 quota_full, or screened out), then writes
the response, its answer projection, and, when it becomes final, the customer's timeline
entry and the `response.completed` event."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from kizuna.core import events
from kizuna.core.clock import now
from kizuna.core.models import Workspace, one_or_none
from kizuna.core.upsert import insert_once
from kizuna.customers.models import Customer
from kizuna.customers.services import timeline
from kizuna.feedback import events as survey_events
from kizuna.feedback.errors import (
    AlreadyResponded,
    DisplayNotFound,
    InvalidAnswer,
    QuotaFull,
    ResponseFinished,
    SurveyVersionNotFound,
)
from kizuna.feedback.locks import lock_response
from kizuna.feedback.logic import Evaluation, Fault, check_submission
from kizuna.feedback.models import Display, Response, ResponseStatus, Survey, SurveyVersion
from kizuna.feedback.services import enrichment, followups, links, quotas
from kizuna.feedback.services.answers import elements_of, write_answers
from kizuna.feedback.services.displays import (
    check_answerable,
    customer_by_external_id,
    get_survey,
    new_key,
)
from kizuna.feedback.services.evaluation import SURVEYJS, evaluate_version
from kizuna.feedback.services.submissions import (
    check_browser_token,
    check_hidden,
    check_language,
    check_meta,
    check_time_ms,
    device_of,
)

TIMELINE_KIND = "survey_response"
SCORE_TYPES = ("nps", "csat", "ces", "rating")
MAX_TIMELINE_SCORES = 5
FINAL = (ResponseStatus.COMPLETED, ResponseStatus.SCREENED_OUT)

timeline.register_kind(
    TIMELINE_KIND,
    "A survey response became final (summary: survey_id, response_id, status, ending, "
    "scores: [{element_id, type, value}]).",
)


@dataclass
class Saved:
    response: Response
    created: bool
    replayed: bool = False


@dataclass
class _Outcome:
    status: str = ResponseStatus.IN_PROGRESS
    ending: str = ""
    quota: str = ""


def fingerprint(data: dict[str, Any]) -> str:
    """The body's digest: an identical retry of a finished response replays."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _row(survey: Survey, submission_id: str, moment: datetime) -> tuple[Response, bool]:
    """The submission's response, locked; inserted (and so created) when it is the first."""
    response = lock_response(survey, submission_id)
    if response is not None:
        return response, False
    fresh = Response(
        workspace_id=survey.workspace_id,
        key=new_key("response"),
        survey=survey,
        version=survey.version,
        submission_id=submission_id,
        language=survey.default_language,
        started_at=moment,
        updated_at=moment,
    )
    row, created = insert_once(fresh, survey=survey, submission_id=submission_id)
    if created:
        return row, True
    # A concurrent first save of the same submission inserted it and has committed.
    locked = lock_response(survey, submission_id)
    assert locked is not None
    return locked, False


def _display(survey: Survey, key: str | None) -> Display | None:
    if key is None:
        return None
    display = one_or_none(
        Display.objects.for_workspace(survey.workspace_id)
        .select_related("customer")
        .filter(survey=survey, key=key)
    )
    if display is None:
        raise DisplayNotFound(f"No display {key!r} of this survey.", field="display_id")
    return display


def _definition(survey: Survey, version: int) -> tuple[dict[str, Any], tuple[str, Any]]:
    """The definition of the version answered, and its (source format, source)."""
    if version == survey.version:
        return dict(survey.definition), (survey.source_format, survey.source)
    row = one_or_none(
        SurveyVersion.objects.for_workspace(survey.workspace_id)
        .filter(survey=survey, number=version)
        .values_list("definition", "source_format", "source")
    )
    if row is None:  # pragma: no cover (versions are never deleted)
        raise SurveyVersionNotFound(f"Survey {survey.key!r} has no version {version}.")
    return dict(row[0]), (row[1], row[2])


def _check_browser(survey: Survey, token: str, response: Response) -> None:
    if not token:
        return
    answered = (
        Response.objects.for_workspace(survey.workspace_id)
        .filter(survey=survey, browser_token=token, status__in=FINAL)
        .exclude(pk=response.pk)
    )
    if answered.exists():
        raise AlreadyResponded(
            "This browser has answered this survey already.", field="browser_token"
        )


def _evaluated(
    survey: Survey,
    definition: dict[str, Any],
    source: tuple[str, Any],
    answers: dict[str, Any],
    *,
    language: str,
    hidden: dict[str, str],
    customer: Customer | None,
    finished: bool,
    moment: datetime,
) -> Evaluation:
    """The logic's view of the answers; 422 on the first fault (unknown, hidden or disabled
    element, wrong value, a required answer missing from a finished response), every fault in
    `details`."""
    evaluation = evaluate_version(
        survey,
        answers,
        definition=definition,
        source=source,
        language=language,
        hidden=hidden,
        customer=customer,
        now=moment,
        completing=finished,
    )
    if source[0] == SURVEYJS:
        faults = surveyjs_faults(evaluation, finished=finished)
    else:
        faults = check_submission(definition, evaluation, answers, finished=finished)
    if faults:
        first = faults[0]
        raise InvalidAnswer(
            f"answers.{first.element_id}: {first.message}",
            code=first.code,
            field=f"answers.{first.element_id}",
            details=[
                {"field": f"answers.{f.element_id}", "code": f.code, "message": f.message}
                for f in faults
            ],
        )
    return evaluation


def surveyjs_faults(evaluation: Evaluation, *, finished: bool) -> list[Fault]:
    """What SurveyJS would refuse in an imported survey's answers: the errors of its visible,
    enabled questions (a missing required answer only when the response is finished), and
    answers to questions the survey does not have. Answers to hidden questions are not
    faults there: SurveyJS keeps them until completion and then clears them."""
    faults = []
    for element_id, codes in evaluation.errors.items():
        for code in codes:
            if code == "required" and not finished:
                continue
            faults.append(Fault(element_id, code, f"SurveyJS refuses this answer ({code})."))
    return faults


def _outcome(survey: Survey, evaluation: Evaluation, *, finished: bool) -> _Outcome:
    """Where the save leaves the response: in progress, completed, or screened out; taking
    its places in the quotas it matches when it completes (409 when a full one ends it)."""
    if evaluation.screened_out:
        return _Outcome(ResponseStatus.SCREENED_OUT, evaluation.ending or "")
    matched = quotas.quotas_of(survey.definition, evaluation.quotas_matched)
    full = quotas.take_places(survey, matched) if finished else quotas.first_full(survey, matched)
    if full is not None:
        if full.action == "end":
            raise QuotaFull(
                f"Quota {full.id!r} of this survey is full; the response ends.",
                field="answers",
                details=[{"quota": full.id, "ending": full.ending}],
            )
        return _Outcome(ResponseStatus.SCREENED_OUT, full.ending or "", full.id)
    if finished:
        return _Outcome(ResponseStatus.COMPLETED, evaluation.ending or "")
    return _Outcome()


def _scores(definition: dict[str, Any], answers: dict[str, Any]) -> list[dict[str, Any]]:
    scores = [
        {"element_id": element["id"], "type": element["type"], "value": answers[element["id"]]}
        for element in elements_of(definition)
        if element["type"] in SCORE_TYPES and element["id"] in answers
    ]
    return scores[:MAX_TIMELINE_SCORES]


def _finalized(response: Response, definition: dict[str, Any], moment: datetime) -> None:
    """What a response that became final writes beside itself: the event, and the entry on
    the timeline of its customer (one entry per response: a final response changes no more)."""
    customer = response.customer
    events.emit(
        response.workspace,
        survey_events.ResponseCompleted(
            survey_id=response.survey.key,
            response_id=response.key,
            submission_id=response.submission_id,
            version=response.version,
            status=response.status,
            ending=response.ending or None,
            quota=response.quota or None,
            customer_id=customer.external_id if customer is not None else None,
            completed_at=moment.isoformat(),
        ),
    )
    if customer is not None:
        summary = {
            "survey_id": response.survey.key,
            "response_id": response.key,
            "status": response.status,
            "ending": response.ending or None,
            "scores": _scores(definition, response.answers),
        }
        timeline.add_entry(customer, TIMELINE_KIND, response.key, moment, summary)
    # Closing the loop: nps.detractor, and the survey's follow-up rules, once per response.
    followups.response_completed(response, definition, moment)


def _store(response: Response, token: str) -> None:
    """Save the row; a concurrent completion from the same browser (the unique constraint
    `response_browser_once`) is 409 already_responded."""
    if not (token and response.status in FINAL):
        response.save()
        return
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError as exc:
        raise AlreadyResponded(
            "This browser has answered this survey already.", field="browser_token"
        ) from exc


def save_response(
    workspace: Workspace, survey_key: str, data: dict[str, Any], *, user_agent: str = ""
) -> Saved:
    """Create or update the response of `data["submission_id"]` (see the module's doc)."""
    moment = now()
    digest = fingerprint(data)
    finished = bool(data.get("finished", False))
    meta = check_meta(data.get("meta") or {})
    token = check_browser_token(data.get("browser_token"))
    language = check_language(data.get("language"))
    with transaction.atomic(savepoint=False):
        survey = get_survey(workspace, survey_key)
        survey.workspace = workspace
        response, created = _row(survey, data["submission_id"], moment)
        response.workspace, response.survey = workspace, survey
        if response.status in FINAL:
            if response.fingerprint == digest:
                return Saved(response, created=False, replayed=True)
            raise ResponseFinished(
                "This response is finished; it changes no more.", field="submission_id"
            )
        check_answerable(survey, moment)
        display = _display(survey, data.get("display_id"))
        if created and display is not None:
            response.version = display.version
        definition, source = _definition(survey, response.version)
        time_ms = check_time_ms(definition, data.get("time_ms") or {})
        hidden = check_hidden(definition, data.get("hidden") or {})
        customer = customer_by_external_id(workspace, data.get("customer_id"))
        link = None
        if data.get("link_token"):
            link = links.check_link(survey, data["link_token"], response, customer, moment)
            customer = customer or link.customer
        if customer is None:
            customer = display.customer if display is not None else response.customer
        if customer is not None:
            customer.workspace = workspace
        answers = {k: v for k, v in (data.get("answers") or {}).items() if v is not None}
        evaluation = _evaluated(
            survey,
            definition,
            source,
            answers,
            language=language,
            hidden=hidden,
            customer=customer,
            finished=finished,
            moment=moment,
        )
        token = token or response.browser_token
        _check_browser(survey, token, response)
        outcome = _outcome(survey, evaluation, finished=finished)

        response.display = display or response.display
        response.customer = customer
        response.language = evaluation.language
        if response.display is not None:
            response.channel = response.display.channel
        else:
            response.channel = meta.get("channel", response.channel)
        response.device = device_of(meta, user_agent) or response.device
        response.answers = answers
        response.data = evaluation.data
        response.hidden = hidden
        response.time_ms = time_ms
        response.meta = meta
        response.browser_token = token
        response.status, response.ending, response.quota = (
            outcome.status,
            outcome.ending,
            outcome.quota,
        )
        response.fingerprint = digest
        response.updated_at = moment
        final = outcome.status in FINAL
        response.completed_at = moment if final else None
        _store(response, token)
        rows = write_answers(
            response,
            definition,
            # Only a completed response's answers count in results; a screened-out one's
            # are kept, not counted.
            finished=response.status == ResponseStatus.COMPLETED,
            moment=moment,
            created=created,
            values=evaluation.data if source[0] == SURVEYJS else None,
        )
        if any(row.text for row in rows if row.kind in enrichment.TEXT_KINDS):
            enrichment.enqueue_after_commit(response.pk)
        if final:
            if link is not None:
                links.use_link(link, response, moment)
            _finalized(response, definition, moment)
    return Saved(response, created=created)
