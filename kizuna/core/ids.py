"""The rule for ids that clients choose (customers, orders, refunds, events): one definition,
used by the models, the API schemas, the services and the file imports."""

import re
import secrets

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


# The ids of objects that configure the product (programs, rules, tiers, milestones, rewards,
# campaigns, segments, surveys), chosen by the caller or generated (API.md).
OBJECT_ID_MAX_LENGTH = 64
OBJECT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
OBJECT_ID_RULE = "1 to 64 lower-case letters, digits, '_' or '-', starting with a letter or digit"


def check_object_id(value: object, field: str = "id") -> str:
    if not isinstance(value, str) or not OBJECT_ID.fullmatch(value):
        raise ValidationFailed(f"Ids are {OBJECT_ID_RULE}.", code="invalid_id", field=field)
    return value


def new_object_id(prefix: str) -> str:
    """A generated id for an object created without one, e.g. `rule-3f9a1c2b`."""
    return f"{prefix}-{secrets.token_hex(4)}"
