"""The rule for ids that clients choose (customers, orders, refunds, events): one definition,
used by the models, the API schemas, the services and the file imports."""

import re

from kizuna.core.errors import ValidationFailed

EXTERNAL_ID_MAX_LENGTH = 128
# Used with fullmatch: '$' alone would let a trailing newline through, and '\d' any script's
# digits. Usable as one segment of a URL path.
EXTERNAL_ID = re.compile(r"[^\s/?#%\\]{1,128}")
EXTERNAL_ID_RULE = "1 to 128 characters without spaces, '/', '?', '#', '%' or '\\'"


def check_external_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not EXTERNAL_ID.fullmatch(value):
        raise ValidationFailed(
            f"Ids are {EXTERNAL_ID_RULE}.", code="invalid_external_id", field=field
        )
    return value
