from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class CustomerExists(Conflict):
    code = "customer_exists"


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


class AttributeTypeMismatch(ValidationFailed):
    code = "attribute_type_mismatch"


class ErasedCustomer(Conflict):
    """A write to a customer whose personal data was erased (its row keeps the books only)."""

    code = "customer_erased"
