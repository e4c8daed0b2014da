"""HTTP handlers of the vouchers API: parse, call one service or selector, present. Mounted
by kizuna.api: campaigns and gift cards with server-key auth, voucher lookups with any key."""

from kizuna.vouchers.api.campaigns import campaigns_router
from kizuna.vouchers.api.gift_cards import gift_cards_router
from kizuna.vouchers.api.lookups import vouchers_router

__all__ = ["campaigns_router", "gift_cards_router", "vouchers_router"]
