"""/customers/{customer_id}/wallet: everything the customer holds."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kizuna.core.http import workspace_of
from kizuna.core.schemas import PathId, with_errors
from kizuna.rewards import selectors
from kizuna.rewards.schemas import catalog as schemas

wallet_router = Router(tags=["rewards"])


@wallet_router.get(
    "/{customer_id}/wallet",
    response=with_errors({200: schemas.WalletOut}),
    summary="A customer's wallet: vouchers, gift cards, store credit and claimed rewards",
)
def get_wallet(request: HttpRequest, customer_id: PathId) -> Any:
    return selectors.wallet(workspace_of(request), customer_id)
