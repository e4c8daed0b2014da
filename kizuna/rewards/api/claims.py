"""Claims: a customer claims a reward with points (/customers/{customer_id}/rewards/
{reward_id}/claim), their claims, one claim, and a material reward's fulfilment."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kizuna.core.http import actor_of, workspace_of
from kizuna.core.schemas import ObjectPathId, Page, PageParams, PathId, page, with_errors
from kizuna.rewards import selectors
from kizuna.rewards.models import ClaimState
from kizuna.rewards.schemas import catalog as schemas
from kizuna.rewards.services import claims, fulfilment

customer_claims_router = Router(tags=["rewards"])
claims_router = Router(tags=["rewards"])
ClaimId = PathId


class ClaimFilters(PageParams):
    state: ClaimState | None = None


@customer_claims_router.post(
    "/{customer_id}/rewards/{reward_id}/claim",
    response=with_errors({201: schemas.ClaimOut}),
    summary="Claim a reward with points: spent and issued in one transaction",
)
def claim_reward(request: HttpRequest, customer_id: PathId, reward_id: ObjectPathId) -> Any:
    claim = claims.claim_reward(workspace_of(request), customer_id, reward_id, actor_of(request))
    return Status(201, claim)


@customer_claims_router.get(
    "/{customer_id}/claims",
    response=with_errors({200: Page[schemas.ClaimOut]}),
    summary="A customer's claimed rewards, newest first (?state=)",
)
def list_claims(request: HttpRequest, customer_id: PathId, filters: Query[ClaimFilters]) -> Any:
    return page(
        *selectors.list_claims(
            workspace_of(request),
            customer_id,
            state=filters.state,
            cursor=filters.cursor,
            limit=filters.limit,
        )
    )


@claims_router.get(
    "/{claim_id}", response=with_errors({200: schemas.ClaimOut}), summary="Get a claim"
)
def get_claim(request: HttpRequest, claim_id: ClaimId) -> Any:
    return claims.get_claim(workspace_of(request), claim_id)


@claims_router.post(
    "/{claim_id}/fulfilment",
    response=with_errors({200: schemas.ClaimOut}),
    summary="Move a material reward's fulfilment: shipped, delivered or cancelled (points "
    "and stock returned, once)",
)
def change_fulfilment(
    request: HttpRequest, claim_id: ClaimId, payload: schemas.FulfilmentIn
) -> Any:
    body = payload.model_dump(exclude_unset=True)
    return fulfilment.change_fulfilment(workspace_of(request), claim_id, body, actor_of(request))
