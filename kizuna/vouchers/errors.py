"""Errors of the vouchers app: each a status and a stable code (docs/vouchers.md)."""

from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class CampaignNotFound(NotFound):
    code = "voucher_campaign_not_found"


class CampaignExists(Conflict):
    code = "voucher_campaign_exists"


class VoucherNotFound(NotFound):
    """A server key's lookup of a code the workspace does not have."""

    code = "voucher_not_found"


class NotValid(NotFound):
    """A publishable key's lookup of a code it may not use, whatever the reason (unknown,
    expired, not started, used up, someone else's): one answer, so that nothing can be
    learnt from it."""

    code = "not_valid"

    def __init__(self) -> None:
        super().__init__("This code is not valid.", field="code")


class GenerationNotFound(NotFound):
    code = "code_generation_not_found"


class CodeSpaceTooSmall(ValidationFailed):
    code = "code_space_too_small"


class GiftCardNotFound(NotFound):
    code = "gift_card_not_found"


class GiftCardExists(Conflict):
    code = "gift_card_exists"


class GiftCardExpired(ValidationFailed):
    code = "gift_card_expired"


class InsufficientBalance(ValidationFailed):
    code = "insufficient_balance"


class CurrencyMismatch(ValidationFailed):
    code = "currency_mismatch"


class VoucherUsedUp(ValidationFailed):
    code = "voucher_used_up"


class CustomerLimitReached(ValidationFailed):
    code = "customer_limit_reached"
