"""HTTP handlers of invitations, fatigue and the workspace's survey settings (server key),
and of eligibility (any key): parse, call one service, present. Mounted by kizuna.api."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.clock import now
from kizuna.core.http import workspace_of
from kizuna.core.schemas import ObjectPathId, with_errors
from kizuna.feedback.schemas import distribution as schemas
from kizuna.feedback.services import eligibility, fatigue, invitations
from kizuna.feedback.services.displays import get_survey

invitations_router = Router(tags=["survey distribution"])
settings_router = Router(tags=["survey distribution"])
eligibility_router = Router(tags=["survey distribution"])


@invitations_router.post(
    "/{survey_id}/invitations",
    response=with_errors({202: schemas.InvitationsOut}),
    summary="Invite customers by email (sent in the background), with one reminder",
)
def invite(request: HttpRequest, survey_id: ObjectPathId, payload: schemas.InvitationsIn) -> Any:
    queued = invitations.queue_invitations(
        workspace_of(request), survey_id, payload.model_dump(exclude_unset=True)
    )
    return Status(
        202,
        {
            "id": queued.batch,
            "queued": queued.queued,
            "throttled": queued.throttled,
            "no_email": queued.no_email,
            "no_consent": queued.no_consent,
        },
    )


@invitations_router.get(
    "/{survey_id}/fatigue",
    response=with_errors({200: schemas.FatigueOut}),
    summary="Displays and invitations the fatigue rules dropped, per day",
)
def get_fatigue(
    request: HttpRequest, survey_id: ObjectPathId, params: Query[schemas.FatigueParams]
) -> Any:
    workspace = workspace_of(request)
    survey = get_survey(workspace, survey_id)
    return schemas.fatigue_body(fatigue.dropped(workspace, survey, params.since, params.until))


@settings_router.get(
    "", response=with_errors({200: schemas.SurveySettingsOut}), summary="Survey settings"
)
def get_settings(request: HttpRequest) -> Any:
    return fatigue.get_settings(workspace_of(request))


@settings_router.patch(
    "", response=with_errors({200: schemas.SurveySettingsOut}), summary="Change survey settings"
)
def update_settings(request: HttpRequest, payload: schemas.SurveySettingsPatchIn) -> Any:
    data = payload.model_dump(exclude_unset=True)
    return fatigue.update_settings(workspace_of(request), data, now())


@eligibility_router.post(
    "/{survey_id}/eligibility",
    response=with_errors({200: schemas.EligibilityOut}),
    summary="Whether to show the survey now to this visitor (any key; changes nothing)",
)
def check_eligibility(
    request: HttpRequest, survey_id: ObjectPathId, payload: schemas.EligibilityIn
) -> Any:
    verdict = eligibility.eligibility(
        workspace_of(request), survey_id, payload.model_dump(exclude_unset=True)
    )
    return {"show": verdict.show, "reason": verdict.reason, "language": verdict.language}
