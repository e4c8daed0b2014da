from kizuna.core.errors import Conflict, NotFound, ValidationFailed


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class CustomerExists(Conflict):
    code = "customer_exists"


class AttributeTypeMismatch(ValidationFailed):
    code = "attribute_type_mismatch"


class ErasedCustomer(Conflict):
    """A write to a customer whose personal data was erased (its row keeps the books only)."""

    code = "customer_erased"
