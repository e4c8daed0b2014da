"""The rule for ids that clients choose (customers, orders, refunds, events): one definition,
used by the models, the API schemas, the services and the file imports.

An id is compared as Unicode text, so two ids that look the same must be the same string:
every way in normalizes it to NFC first (`normalize_id`), and the rule refuses what cannot
be seen or would change a URL's meaning: whitespace, control and format characters
(zero-width spaces and joiners, bidirectional controls, the byte order mark), other
characters that render as nothing (variation selectors, Hangul fillers, tags), `/ ? # % \\`,
and the path segments `.` and `..`."""

import re
import secrets
import unicodedata
from functools import cache

from kizuna.core.errors import ValidationFailed

EXTERNAL_ID_MAX_LENGTH = 128
# The part of the rule a regular expression states (used with fullmatch: '$' alone would let
# a trailing newline through, and '\d' any script's digits). Usable as one segment of a URL.
EXTERNAL_ID = re.compile(r"(?!\.\.?\Z)[^\s/?#%\\]{1,128}")
EXTERNAL_ID_RULE = (
    "1 to 128 characters, in Unicode NFC form, without spaces, control or invisible "
    "characters, '/', '?', '#', '%' or '\\', and not '.' or '..'"
)

# Categories of characters that are never seen: control (Cc), format (Cf: zero-width
# characters, bidirectional controls, the BOM, soft hyphen), surrogates (Cs), separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
# Default-ignorable characters outside those categories (Unicode's DerivedCoreProperties),
# noncharacters, and blanks that render as nothing.
_INVISIBLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
    "\ufdd0-\ufdef\ufff0-\ufff8\ufffe\uffff\U000e0000-\U000e0fff]"
)


def normalize_id(value: str) -> str:
    """The NFC form of an id: what every way in (body, path, query, file) compares and stores."""
    return unicodedata.normalize("NFC", value)


def _has_invisible(value: str) -> bool:
    return bool(_INVISIBLE.search(value)) or any(
        unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in value
    )


def is_external_id(value: object) -> bool:
    """Whether `value` is an id as stored: the rule holds and it is in NFC form already
    (ways in call `normalize_id` first)."""
    return (
        isinstance(value, str)
        and EXTERNAL_ID.fullmatch(value) is not None
        and not _has_invisible(value)
        and unicodedata.is_normalized("NFC", value)
    )


def check_external_id(value: object, field: str) -> str:
    if not is_external_id(value):
        raise ValidationFailed(
            f"Ids are {EXTERNAL_ID_RULE}.", code="invalid_external_id", field=field
        )
    assert isinstance(value, str)
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


# The rule as a JSON Schema (ECMA-262) pattern for the OpenAPI document, so that generated
# clients refuse what the server refuses: `external_id_pattern()` written out (a test checks
# that the two agree, so a new Unicode version cannot part them).
EXTERNAL_ID_PATTERN = (
    r"^(?!\.\.?$)[^\u0000-\u0020\u0023\u0025\u002f\u003f\u005c\u007f-\u00a0\u00ad\u034f"
    r"\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u115f-\u1160\u1680\u17b4-\u17b5"
    r"\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u2800\u3000\u3164"
    r"\ufdd0-\ufdef\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\ufffe-\uffff]+$"
)


@cache
def external_id_pattern() -> str:
    """The rule over the Basic Multilingual Plane as a pattern, in escapes that Python's and
    ECMA's expressions read alike; the few invisible characters beyond it (tags, musical
    formatting) are refused by the server only. Lengths are the schema's minLength and
    maxLength (ECMA counts UTF-16 units)."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        char = chr(code)
        # Surrogates are let through: ECMA sees an astral character as two of them.
        surrogate = 0xD800 <= code <= 0xDFFF
        if not surrogate and (not EXTERNAL_ID.fullmatch("a" + char) or _has_invisible(char)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    parts = "".join(
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges
    )
    return f"^(?!\\.\\.?$)[^{parts}]+$"
