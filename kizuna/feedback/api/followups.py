"""HTTP handlers of follow-up rules and follow-ups: parse, call one service or selector,
present. Both routers are mounted by kizuna.api with server-key auth: `follow_up_rules_router`
at /v1/surveys (a survey's rules, and one response: the link of a follow-up's email),
`follow_ups_router` at /v1/follow-ups."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.http import actor_of, workspace_of
from kizuna.core.schemas import ObjectPathId, Page, PageParams, page, with_errors
from kizuna.feedback.schemas import followups as schemas
from kizuna.feedback.schemas.responses import ResponseOut
from kizuna.feedback.selectors import followups as selectors
from kizuna.feedback.services import followup_rules, followups

follow_up_rules_router = Router(tags=["follow-ups"])
follow_ups_router = Router(tags=["follow-ups"])


def _body(payload: Any) -> dict[str, Any]:
    return dict(payload.model_dump(exclude_unset=True))


@follow_up_rules_router.post(
    "/{survey_id}/follow-up-rules",
    response=with_errors({201: schemas.FollowUpRuleOut}),
    summary="Create a follow-up rule of a survey",
)
def create_rule(
    request: HttpRequest, survey_id: ObjectPathId, payload: schemas.FollowUpRuleIn
) -> Any:
    rule = followup_rules.create_rule(
        workspace_of(request), survey_id, _body(payload), actor_of(request)
    )
    return Status(201, rule)


@follow_up_rules_router.get(
    "/{survey_id}/follow-up-rules",
    response=with_errors({200: Page[schemas.FollowUpRuleOut]}),
    summary="List a survey's follow-up rules, by id",
)
def list_rules(
    request: HttpRequest, survey_id: ObjectPathId, page_params: Query[PageParams]
) -> Any:
    return page(
        *selectors.list_rules(
            workspace_of(request), survey_id, cursor=page_params.cursor, limit=page_params.limit
        )
    )


@follow_up_rules_router.get(
    "/{survey_id}/follow-up-rules/{rule_id}",
    response=with_errors({200: schemas.FollowUpRuleOut}),
    summary="Get a follow-up rule",
)
def get_rule(request: HttpRequest, survey_id: ObjectPathId, rule_id: ObjectPathId) -> Any:
    return selectors.get_rule(workspace_of(request), survey_id, rule_id)


@follow_up_rules_router.patch(
    "/{survey_id}/follow-up-rules/{rule_id}",
    response=with_errors({200: schemas.FollowUpRuleOut}),
    summary="Change a follow-up rule (it applies to responses completed from then on)",
)
def update_rule(
    request: HttpRequest,
    survey_id: ObjectPathId,
    rule_id: ObjectPathId,
    payload: schemas.FollowUpRulePatchIn,
) -> Any:
    return followup_rules.update_rule(
        workspace_of(request), survey_id, rule_id, _body(payload), actor_of(request)
    )


@follow_up_rules_router.delete(
    "/{survey_id}/follow-up-rules/{rule_id}",
    response=with_errors({204: None}),
    summary="Delete a follow-up rule (the follow-ups it created stay)",
)
def delete_rule(request: HttpRequest, survey_id: ObjectPathId, rule_id: ObjectPathId) -> Any:
    followup_rules.delete_rule(workspace_of(request), survey_id, rule_id, actor_of(request))
    return Status(204, None)


@follow_up_rules_router.get(
    "/{survey_id}/responses/{response_id}",
    response=with_errors({200: ResponseOut}),
    summary="Get one response of a survey",
)
def get_response(request: HttpRequest, survey_id: ObjectPathId, response_id: str) -> Any:
    return selectors.get_response(workspace_of(request), survey_id, response_id)


@follow_ups_router.get(
    "",
    response=with_errors({200: Page[schemas.FollowUpOut]}),
    summary="List follow-ups: overdue first, then by due time",
)
def list_follow_ups(
    request: HttpRequest,
    page_params: Query[PageParams],
    filters: Query[schemas.FollowUpListParams],
) -> Any:
    return page(
        *selectors.list_follow_ups(
            workspace_of(request),
            status=filters.status,
            survey_id=filters.survey_id,
            assignee=filters.assignee,
            customer_id=filters.customer_id,
            overdue=filters.overdue,
            cursor=page_params.cursor,
            limit=page_params.limit,
        )
    )


@follow_ups_router.get(
    "/{follow_up_id}", response=with_errors({200: schemas.FollowUpOut}), summary="Get a follow-up"
)
def get_follow_up(request: HttpRequest, follow_up_id: str) -> Any:
    return selectors.get_follow_up(workspace_of(request), follow_up_id)


@follow_ups_router.patch(
    "/{follow_up_id}",
    response=with_errors({200: schemas.FollowUpOut}),
    summary="Change a follow-up: status, assignee, due time, or add a note",
)
def update_follow_up(
    request: HttpRequest, follow_up_id: str, payload: schemas.FollowUpPatchIn
) -> Any:
    return followups.update_follow_up(
        workspace_of(request), follow_up_id, _body(payload), actor_of(request)
    )
