"""Errors of the checkout (docs/checkout.md): each a status and a stable code."""

from typing import Any

from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class RedemptionNotFound(NotFound):
    code = "redemption_not_found"


class RedemptionFailed(ValidationFailed):
    """All or nothing, and not all applied: the verdict of each redeemable is in `details`."""

    code = "redemption_failed"


class NotReserved(Conflict):
    """Confirming a redemption that is not (or no longer) reserved."""

    code = "redemption_not_reserved"


class Unavailable(ValidationFailed):
    """A kind can no longer give what a line needs (its code one of `redeemables.REASONS`)."""

    def __init__(self, reason: str, message: str, **kwargs: Any) -> None:
        super().__init__(message, code=reason, **kwargs)
