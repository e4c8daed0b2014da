"""The columns a file's header names, and the typed values of its cells."""

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from openpyxl.utils import get_column_letter

from kizuna.core.ids import EXTERNAL_ID_MAX_LENGTH
from kizuna.core.imports.readers import Cells, file_error
from kizuna.core.text import ISO_DATE
from kizuna.customers.models import (
    PROFILE_MAX_LENGTHS,
    AttributeType,
    ConsentChannel,
    ConsentStatus,
)
from kizuna.customers.services.attributes import ATTRIBUTE_KEY

MAX_COLUMNS = 300
PROFILE_COLUMNS = (
    "external_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "birthdate",
    "locale",
    "timezone",
)
ATTRIBUTE_PREFIX = "attributes."
CONSENT_PREFIX = "consents."
# The longest value each text column holds (the API's limits).
TEXT_LIMITS = {"external_id": EXTERNAL_ID_MAX_LENGTH, **PROFILE_MAX_LENGTHS}

# JSON's number grammar: no leading zeros or '+', so codes such as '007' stay strings.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
# CSV cells a spreadsheet would run as a formula get a leading apostrophe on export, and lose
# it again on import: cells starting with = @, with whitespace or a line break (spreadsheets
# skip it and read what follows), or with the fullwidth ＝ ＋ － ＠ that Japanese input methods
# type (spreadsheets read them as = + - @). Signed numbers and phone numbers ('+81 90...')
# are left alone.
_FORMULA_START = re.compile(r"'*(?:[=@\s\uff1d\uff0b\uff0d\uff20]|[+-](?![0-9 ().-]*\Z))")
_BOOLEANS = {"true": True, "false": False}


# ------------------------------------------------------------------ columns


@dataclass(frozen=True, slots=True)
class Column:
    position: int  # 0-based
    name: str  # the header as written, trimmed
    kind: str  # "profile", "attribute" or "consent"
    key: str  # the profile field, attribute key or consent channel

    @property
    def field(self) -> str:
        """The name errors use, whatever the header's case: email, attributes.vip..."""
        if self.kind == "attribute":
            return ATTRIBUTE_PREFIX + self.key
        if self.kind == "consent":
            return CONSENT_PREFIX + self.key
        return self.key


def header_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _suggestion(name: str) -> str:
    lower = name.lower()
    prefix, dot, _ = lower.partition(".")
    if dot:
        close = difflib.get_close_matches(prefix, ["attributes", "consents"], n=1, cutoff=0.6)
        if close:
            return f"{close[0]}.{name.partition('.')[2]}"
    known = [*PROFILE_COLUMNS, *(CONSENT_PREFIX + c for c in ConsentChannel.values)]
    close = difflib.get_close_matches(lower, known, n=1, cutoff=0.6)
    return close[0] if close else ""


def plan_columns(header: Cells) -> list[Column]:
    names = [header_text(value) for value in header]
    if not any(names):
        raise file_error(
            "Row 1 (of the first worksheet, in a workbook) must name the columns: "
            "external_id, email, ...",
            code="missing_header",
        )
    if sum(1 for name in names if name) > MAX_COLUMNS:
        raise file_error(f"A file has at most {MAX_COLUMNS} columns.", code="too_many_columns")
    columns: list[Column] = []
    problems: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], str] = {}

    def problem(name: str, code: str, message: str) -> None:
        problems.append({"field": name, "code": code, "message": message})

    for position, name in enumerate(names):
        if not name:
            continue
        letter = get_column_letter(position + 1)
        lower = name.lower()
        if lower in PROFILE_COLUMNS:
            kind, key = "profile", lower
        elif lower.startswith(ATTRIBUTE_PREFIX):
            kind, key = "attribute", name[len(ATTRIBUTE_PREFIX) :]
            if not ATTRIBUTE_KEY.fullmatch(key):
                problem(
                    name,
                    "invalid_attribute_name",
                    f"Column {letter} ({name!r}): attribute names start with a letter and use "
                    "letters, digits and '_' (at most 64).",
                )
                continue
        elif lower.startswith(CONSENT_PREFIX) and lower[len(CONSENT_PREFIX) :] in (
            ConsentChannel.values
        ):
            kind, key = "consent", lower[len(CONSENT_PREFIX) :]
        else:
            hint = _suggestion(name)
            if lower.startswith(CONSENT_PREFIX):
                hint_text = f" Consent channels are {', '.join(ConsentChannel.values)}."
            elif hint:
                hint_text = f" Did you mean {hint!r}?"
            else:
                hint_text = (
                    f" Columns are {', '.join(PROFILE_COLUMNS)}, attributes.<name> and "
                    "consents.<channel>."
                )
            problem(name, "unknown_column", f"Column {letter} ({name!r}) is unknown.{hint_text}")
            continue
        if (kind, key) in seen:
            problem(
                name,
                "duplicate_column",
                f"Column {letter} ({name!r}) repeats column {seen[(kind, key)]}.",
            )
            continue
        seen[(kind, key)] = letter
        columns.append(Column(position, name, kind, key))
    if ("profile", "external_id") not in seen:
        problems.insert(
            0,
            {
                "field": "external_id",
                "code": "missing_column",
                "message": "The file has no external_id column; every row needs the "
                "customer's external_id.",
            },
        )
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more problems in details)" if len(problems) > 1 else ""
        raise file_error(first["message"] + more, first["code"], first["field"], problems)
    return columns


# ------------------------------------------------------------------ cells


class CellProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def unguard(text: str) -> str:
    if text.startswith("'") and _FORMULA_START.match(text[1:]):
        return text[1:]
    return text


def guard(text: str) -> str:
    return "'" + text if _FORMULA_START.match(text) else text


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def as_text(value: object) -> str:
    """A cell as text, for the columns that hold text (XLSX cells may be typed)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def as_date(value: object, what: str) -> date:
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise CellProblem("invalid_date", f"{what} is a date without a time of day.")
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if isinstance(value, str) and ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CellProblem("invalid_date", f"{text!r} is not a real date.") from None
    raise CellProblem(
        "invalid_date", f"{what} is a date written YYYY-MM-DD, such as 1990-04-01; got {text!r}."
    )


def inferred_attribute(value: object) -> object:
    """The typed value of a cell when the attribute has no type yet."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return as_date(value, "An attribute").isoformat()
    if not isinstance(value, str):
        return as_text(value)
    text = value.strip()
    if text.lower() in _BOOLEANS:
        return _BOOLEANS[text.lower()]
    if _NUMBER.fullmatch(text):
        return int(text) if _INTEGER.fullmatch(text) else float(text)
    if ISO_DATE.fullmatch(text):
        return as_date(text, "An attribute").isoformat()
    return value


def typed_attribute(key: str, value: object, declared: str) -> object:
    """The value of a cell for an attribute that already holds `declared` values."""
    mismatch = CellProblem(
        "attribute_type_mismatch",
        f"Attribute {key!r} holds {declared} values; got {as_text(value)[:80]!r}.",
    )
    text = value.strip() if isinstance(value, str) else None
    if declared == AttributeType.STRING:
        return value if isinstance(value, str) else as_text(value)
    if declared == AttributeType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _BOOLEANS:
            return _BOOLEANS[text.lower()]
        raise mismatch
    if declared == AttributeType.NUMBER:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if text is not None and _NUMBER.fullmatch(text):
            return int(text) if _INTEGER.fullmatch(text) else float(text)
        raise mismatch
    if declared == AttributeType.DATE:
        if isinstance(value, datetime | date) or (text is not None and ISO_DATE.fullmatch(text)):
            return as_date(value, f"Attribute {key!r}").isoformat()
        raise mismatch
    return inferred_attribute(value)


def consent_status(value: object) -> str:
    status = value.strip().lower() if isinstance(value, str) else None
    if status not in ConsentStatus.values:
        raise CellProblem(
            "invalid_consent_status",
            f"Consent status is granted, denied or pending; got {as_text(value)[:80]!r}.",
        )
    return status
