"""HTTP handlers of the reward catalog, claims and the wallet: parse, call one service or
selector, present. Mounted by kizuna.api with server-key auth."""

from kizuna.rewards.api.claims import claims_router, customer_claims_router
from kizuna.rewards.api.rewards import rewards_router
from kizuna.rewards.api.wallet import wallet_router

__all__ = ["claims_router", "customer_claims_router", "rewards_router", "wallet_router"]
