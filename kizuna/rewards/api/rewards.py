"""/rewards: the reward catalog."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.http import actor_of, workspace_of
from kizuna.core.schemas import ObjectPathId, Page, PageParams, page, with_errors
from kizuna.rewards import selectors
from kizuna.rewards.schemas import catalog as schemas
from kizuna.rewards.services import catalog

rewards_router = Router(tags=["rewards"])


class RewardFilters(PageParams):
    program_id: str | None = None
    status: schemas.Status | None = None


@rewards_router.post("", response=with_errors({201: schemas.RewardOut}), summary="Create a reward")
def create_reward(request: HttpRequest, payload: schemas.RewardIn) -> Any:
    body = payload.model_dump(exclude_unset=True)
    return Status(201, catalog.create_reward(workspace_of(request), body, actor_of(request)))


@rewards_router.get(
    "",
    response=with_errors({200: Page[schemas.RewardOut]}),
    summary="List rewards, newest first (?program_id=, ?status=)",
)
def list_rewards(request: HttpRequest, filters: Query[RewardFilters]) -> Any:
    return page(
        *selectors.list_rewards(
            workspace_of(request),
            program_id=filters.program_id,
            status=filters.status,
            cursor=filters.cursor,
            limit=filters.limit,
        )
    )


@rewards_router.get(
    "/{reward_id}", response=with_errors({200: schemas.RewardOut}), summary="Get a reward"
)
def get_reward(request: HttpRequest, reward_id: ObjectPathId) -> Any:
    return catalog.get_reward(workspace_of(request), reward_id)


@rewards_router.patch(
    "/{reward_id}",
    response=with_errors({200: schemas.RewardOut}),
    summary="Change a reward (all but its program and type)",
)
def update_reward(
    request: HttpRequest, reward_id: ObjectPathId, payload: schemas.RewardPatch
) -> Any:
    body = payload.model_dump(exclude_unset=True)
    return catalog.update_reward(workspace_of(request), reward_id, body, actor_of(request))
