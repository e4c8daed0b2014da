from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class OrderNotFound(NotFound):
    code = "order_not_found"


class InvalidStatusTransition(ValidationFailed):
    code = "invalid_status_transition"


class TotalsMismatch(ValidationFailed):
    code = "totals_mismatch"


class RefundExceedsOrder(ValidationFailed):
    code = "refund_exceeds_order"


class RefundConflict(Conflict):
    code = "refund_conflict"
