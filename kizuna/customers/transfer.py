"""Customer import and export, as CSV (UTF-8) or XLSX.

Import: the first row names the columns; each later row is one customer, upserted through
`services.upsert_customer` (merge semantics, source "import"). An empty cell leaves the field
as it is. A row that breaks a rule is rejected and reported with its number as a spreadsheet
counts rows (the header is row 1), the column at fault, a code and a message; the other rows
are kept. Problems with the file itself (its format, encoding, size, columns or number of
rows) refuse the whole file before anything is written. Each run is stored as a
`CustomerImport`.

An upload (`submit_import`) is checked at once and stored in the database with a queued run,
which a worker imports (`tasks.process_customer_import`). The command line imports in its own
process (`import_customers`). Both go through `ImportJob`: rows are imported in batches, each
batch in one transaction together with the run's checkpoint (processed_rows, counts, errors)
and each row's writes in a savepoint, so a job that stops resumes after its last checkpoint
and the counts stay exact.

Export: the same columns, so an exported file imports back with every row unchanged. The
customers are read in chunks and written as they are read, so memory stays flat."""

import codecs
import csv
import difflib
import io
import logging
import os
import re
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import IO, Any

from django.db import DatabaseError, transaction
from django.db.models import F, Q
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kizuna.core.clock import now
from kizuna.core.errors import KizunaError, NotFound, ValidationFailed
from kizuna.core.models import Workspace
from kizuna.core.text import ISO_DATE, UNSTORABLE
from kizuna.customers import selectors, services
from kizuna.customers.models import (
    AttributeDefinition,
    AttributeType,
    ConsentChannel,
    ConsentStatus,
    Customer,
    CustomerImport,
    CustomerImportFile,
)

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
INTERRUPTED = "import_interrupted"
# Interruptions after which the periodic sweep stops resuming a run by itself.
MAX_AUTO_RESUMES = 3
MAX_ROWS = 50_000
MAX_COLUMNS = 300
# Only so many row errors are stored with a run; the counts stay exact beyond it.
MAX_REPORTED_ERRORS = 1_000
# Room for the multipart envelope around the file when the request's length is checked.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
# Rows imported per transaction: a batch holds its customers' row locks (and, on SQLite, the
# database's write lock) for about a second.
BATCH_SIZE = 200
EXPORT_CHUNK = 1_000
READ_CHUNK = 64 * 1024

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
TEXT_LIMITS = {"external_id": 128, **services.PROFILE_MAX_LENGTHS}

# JSON's number grammar: no leading zeros or '+', so codes such as '007' stay strings.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
# CSV cells a spreadsheet would run as a formula get a leading apostrophe on export, and lose
# it again on import. Signed numbers and phone numbers ('+81 90...') are left alone.
_FORMULA_START = re.compile(r"'*(?:[=@\t\r]|[+-](?![0-9 ().-]*\Z))")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOOLEANS = {"true": True, "false": False}


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


CONTENT_TYPES = {
    FileFormat.CSV: "text/csv; charset=utf-8",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ImportLimits:
    """None means no limit (the command line, run by an operator)."""

    max_bytes: int | None
    max_rows: int | None


def upload_limits() -> ImportLimits:
    return ImportLimits(max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_ROWS)


NO_LIMITS = ImportLimits(max_bytes=None, max_rows=None)


# ------------------------------------------------------------------ file-level checks


def _file_error(
    message: str, code: str, field: str | None = "file", details: list[dict[str, Any]] | None = None
) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field, details=details)


def _too_large(max_bytes: int) -> KizunaError:
    return KizunaError(
        f"The file is larger than {max_bytes // (1024 * 1024)} MB; split it into smaller files "
        "or use the command line (manage.py import_customers).",
        code="file_too_large",
        field="file",
        status=413,
    )


def check_upload_length(content_length: str | None) -> None:
    """Refuse a request whose declared length cannot fit an allowed file, before its body is
    read."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return
    if length > MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES:
        raise _too_large(MAX_UPLOAD_BYTES)


def check_file_format(filename: str, head: bytes) -> FileFormat:
    """The format named by the file's extension, if its first bytes agree."""
    suffix = os.path.splitext(filename)[1].lower()
    if suffix == ".xlsx":
        if not head.startswith(_ZIP_MAGIC):
            raise _file_error(
                "The file is named .xlsx but is not an XLSX workbook.",
                code="unsupported_file_format",
            )
        return FileFormat.XLSX
    if suffix == ".csv":
        if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
            raise _file_error(
                "The file is named .csv but is a spreadsheet workbook; save it as "
                "'CSV UTF-8' or upload it as .xlsx.",
                code="unsupported_file_format",
            )
        return FileFormat.CSV
    kind = f"'{suffix}' files" if suffix else "Files without an extension"
    raise _file_error(
        f"{kind} cannot be imported; upload a CSV (UTF-8) or an XLSX file.",
        code="unsupported_file_format",
    )


# ------------------------------------------------------------------ reading tables


class _SheetError(str):
    """A spreadsheet error value such as #N/A or #REF!."""

    __slots__ = ()


Cells = Sequence[object]


class _CsvTable:
    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        stream.seek(0)
        first_line = stream.readline(READ_CHUNK).decode("utf-8", errors="replace")
        # Comma, unless the header holds none (spreadsheets in some locales use ';' or tabs).
        self._delimiter = next((d for d in (",", ";", "\t") if d in first_line), ",")

    def records(self) -> Generator[tuple[int, Cells]]:
        self._stream.seek(0)
        text = io.TextIOWrapper(self._stream, encoding="utf-8-sig", newline="")
        number = 0
        try:
            for number, record in enumerate(
                csv.reader(text, delimiter=self._delimiter, strict=True), start=1
            ):
                yield number, record
        except UnicodeDecodeError as exc:
            raise _file_error(
                f"The file is not UTF-8 text (line {self._first_undecodable_line()}). In Excel, "
                "save it as 'CSV UTF-8 (Comma delimited)'; Shift_JIS and other encodings "
                "cannot be read.",
                code="invalid_encoding",
            ) from exc
        except csv.Error as exc:
            raise _file_error(
                f"Row {number + 1} cannot be read as CSV: {exc}.", code="malformed_file"
            ) from exc
        finally:
            text.detach()

    def _first_undecodable_line(self) -> int:
        self._stream.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        line = 1
        while chunk := self._stream.read(READ_CHUNK):
            pending = decoder.getstate()[0]  # the start of a character cut by the last chunk
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + (pending + chunk)[: exc.start].count(b"\n")
            line += chunk.count(b"\n")
        return line

    def close(self) -> None:
        pass


class _XlsxTable:
    def __init__(self, stream: IO[bytes]) -> None:
        stream.seek(0)
        try:
            self._book = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # zip, XML and workbook errors alike
            raise _file_error(
                "The file cannot be read as an XLSX workbook.", code="unsupported_file_format"
            ) from exc

    def records(self) -> Generator[tuple[int, Cells]]:
        if not self._book.worksheets:
            return
        sheet: Any = self._book.worksheets[0]
        sheet.reset_dimensions()  # do not trust the size the file declares
        number = 0
        try:
            for number, row in enumerate(sheet.iter_rows(), start=1):
                yield (
                    number,
                    [
                        _SheetError(cell.value) if cell.data_type == "e" else cell.value
                        for cell in row
                    ],
                )
        except Exception as exc:  # a damaged part of the workbook
            raise _file_error(
                f"Row {number + 1} of the workbook cannot be read.", code="malformed_file"
            ) from exc

    def close(self) -> None:
        self._book.close()


_Table = _CsvTable | _XlsxTable


def _open_table(file_format: FileFormat, stream: IO[bytes]) -> _Table:
    if file_format is FileFormat.XLSX:
        return _XlsxTable(stream)
    return _CsvTable(stream)


# ------------------------------------------------------------------ columns


@dataclass(frozen=True, slots=True)
class _Column:
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


def _header_text(value: object) -> str:
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


def _plan_columns(header: Cells) -> list[_Column]:
    names = [_header_text(value) for value in header]
    if not any(names):
        raise _file_error(
            "Row 1 (of the first worksheet, in a workbook) must name the columns: "
            "external_id, email, ...",
            code="missing_header",
        )
    if sum(1 for name in names if name) > MAX_COLUMNS:
        raise _file_error(f"A file has at most {MAX_COLUMNS} columns.", code="too_many_columns")
    columns: list[_Column] = []
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
            if not services.ATTRIBUTE_KEY.fullmatch(key):
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
        columns.append(_Column(position, name, kind, key))
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
        raise _file_error(first["message"] + more, first["code"], first["field"], problems)
    return columns


# ------------------------------------------------------------------ cells


class _CellProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _unguard(text: str) -> str:
    if text.startswith("'") and _FORMULA_START.match(text[1:]):
        return text[1:]
    return text


def _guard(text: str) -> str:
    return "'" + text if _FORMULA_START.match(text) else text


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _as_text(value: object) -> str:
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


def _as_date(value: object, what: str) -> date:
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise _CellProblem("invalid_date", f"{what} is a date without a time of day.")
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if isinstance(value, str) and ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _CellProblem("invalid_date", f"{text!r} is not a real date.") from None
    raise _CellProblem(
        "invalid_date", f"{what} is a date written YYYY-MM-DD, such as 1990-04-01; got {text!r}."
    )


def _inferred_attribute(value: object) -> object:
    """The typed value of a cell when the attribute has no type yet."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return _as_date(value, "An attribute").isoformat()
    if not isinstance(value, str):
        return _as_text(value)
    text = value.strip()
    if text.lower() in _BOOLEANS:
        return _BOOLEANS[text.lower()]
    if _NUMBER.fullmatch(text):
        return int(text) if _INTEGER.fullmatch(text) else float(text)
    if ISO_DATE.fullmatch(text):
        return _as_date(text, "An attribute").isoformat()
    return value


def _typed_attribute(key: str, value: object, declared: str) -> object:
    """The value of a cell for an attribute that already holds `declared` values."""
    mismatch = _CellProblem(
        "attribute_type_mismatch",
        f"Attribute {key!r} holds {declared} values; got {_as_text(value)[:80]!r}.",
    )
    text = value.strip() if isinstance(value, str) else None
    if declared == AttributeType.STRING:
        return value if isinstance(value, str) else _as_text(value)
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
            return _as_date(value, f"Attribute {key!r}").isoformat()
        raise mismatch
    return _inferred_attribute(value)


def _consent_status(value: object) -> str:
    status = value.strip().lower() if isinstance(value, str) else None
    if status not in ConsentStatus.values:
        raise _CellProblem(
            "invalid_consent_status",
            f"Consent status is granted, denied or pending; got {_as_text(value)[:80]!r}.",
        )
    return status


# ------------------------------------------------------------------ import


@dataclass
class _ParsedRow:
    external_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)


def _is_blank_row(cells: Cells) -> bool:
    return all(_is_blank(value) for value in cells)


def _service_field(name: str | None) -> str | None:
    """The column a service error points at (services name fields as the JSON API does)."""
    if name in {"customer_id", "external_id"}:
        return "external_id"
    if name and name.startswith(CONSENT_PREFIX) and name.endswith(".status"):
        return name.removesuffix(".status")
    return name


class _ImportRun:
    def __init__(
        self,
        workspace: Workspace,
        run: CustomerImport,
        columns: list[_Column],
        file_format: FileFormat,
        progress: Callable[[CustomerImport], None] | None,
        progress_every: int,
    ) -> None:
        self.workspace = workspace
        self.run = run
        self.columns = columns
        self.positions = {column.position for column in columns}
        self.from_csv = file_format is FileFormat.CSV
        self.progress = progress
        self.progress_every = max(1, progress_every)
        self.definitions: dict[str, str] = dict(
            AttributeDefinition.objects.for_workspace(workspace).values_list("key", "type")
        )
        self.first_row_of: dict[str, int] = {}

    # -------------------------------------------------------------- one row

    def parse(self, number: int, cells: Cells) -> _ParsedRow:
        row = _ParsedRow()
        attributes: dict[str, Any] = {}
        consents: dict[str, dict[str, Any]] = {}

        def problem(name: str | None, code: str, message: str) -> None:
            row.problems.append({"field": name, "code": code, "message": message})

        for position, value in enumerate(cells):
            if position not in self.positions and not _is_blank(value):
                problem(
                    None,
                    "value_without_column",
                    f"Column {get_column_letter(position + 1)} has no header, but this row has "
                    f"a value there ({_as_text(value)[:40]!r}).",
                )
        for column in self.columns:
            value = cells[column.position] if column.position < len(cells) else None
            if isinstance(value, str) and self.from_csv:
                value = _unguard(value)
            if _is_blank(value):
                continue
            if isinstance(value, _SheetError):
                problem(column.field, "invalid_value", f"The cell holds the error {value}.")
                continue
            if isinstance(value, str) and UNSTORABLE.search(value):
                problem(
                    column.field,
                    "invalid_character",
                    "The cell holds a character no text can store (NUL or a lone surrogate).",
                )
                continue
            try:
                if column.kind == "profile" and column.key == "birthdate":
                    row.data["birthdate"] = _as_date(value, "birthdate")
                elif column.kind == "profile":
                    text = _as_text(value).strip()
                    limit = TEXT_LIMITS[column.key]
                    if len(text) > limit:
                        raise _CellProblem("too_long", f"At most {limit} characters.")
                    if column.key == "external_id":
                        row.external_id = text
                    else:
                        row.data[column.key] = text
                elif column.kind == "attribute":
                    declared = self.definitions.get(column.key)
                    attributes[column.key] = (
                        _inferred_attribute(value)
                        if declared is None
                        else _typed_attribute(column.key, value, declared)
                    )
                else:
                    consents[column.key] = {"status": _consent_status(value)}
            except _CellProblem as exc:
                problem(column.field, exc.code, exc.message)
        if attributes:
            row.data["attributes"] = attributes
        if consents:
            row.data["consents"] = consents
        if not row.external_id:
            if not any(p["field"] == "external_id" for p in row.problems):
                problem("external_id", "required", "Every row needs the customer's external_id.")
        elif not services.EXTERNAL_ID.fullmatch(row.external_id):
            problem(
                "external_id",
                "invalid_external_id",
                "Ids are 1 to 128 characters without spaces, '/', '?', '#', '%' or '\\'.",
            )
        elif row.external_id in self.first_row_of:
            problem(
                "external_id",
                "duplicate_external_id",
                f"external_id {row.external_id!r} is also on row "
                f"{self.first_row_of[row.external_id]}; a customer appears once per file.",
            )
        else:
            self.first_row_of[row.external_id] = number
        return row

    def process(self, number: int, cells: Cells) -> None:
        row = self.parse(number, cells)
        run = self.run
        if row.problems:
            self.reject(number, row.external_id, row.problems)
        else:
            try:
                with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                    _, created, changed = services.upsert_customer(
                        self.workspace, row.external_id, row.data, source="import"
                    )
            except KizunaError as exc:
                self.reject(
                    number,
                    row.external_id,
                    [
                        {
                            "field": _service_field(exc.field),
                            "code": exc.code,
                            "message": exc.message,
                        }
                    ],
                )
            else:
                if created:
                    run.created_count += 1
                elif changed:
                    run.updated_count += 1
                else:
                    run.unchanged_count += 1
                self._learn_definitions(row.data.get("attributes", {}))
        run.processed_rows += 1
        if self.progress is not None and run.processed_rows % self.progress_every == 0:
            self.progress(run)

    def _learn_definitions(self, attributes: dict[str, Any]) -> None:
        """Attributes this row defined: later rows parse their cells to that type."""
        new = [key for key in attributes if key not in self.definitions]
        if new:
            self.definitions.update(
                AttributeDefinition.objects.for_workspace(self.workspace)
                .filter(key__in=new)
                .values_list("key", "type")
            )

    def reject(self, number: int, external_id: str, problems: list[dict[str, Any]]) -> None:
        run = self.run
        run.rejected_count += 1
        for item in problems:
            if len(run.errors) >= MAX_REPORTED_ERRORS:
                run.errors_truncated = True
                break
            run.errors.append({"row": number, "external_id": external_id or None, **item})


_CHECKPOINT_FIELDS = (
    "status",
    "processed_rows",
    "created_count",
    "updated_count",
    "unchanged_count",
    "rejected_count",
    "errors",
    "errors_truncated",
    "finished_at",
    "checkpoint_at",
)
_RESUMABLE = (CustomerImport.Status.QUEUED, CustomerImport.Status.FAILED)


def _count_rows(table: _Table, max_rows: int | None) -> int:
    total = 0
    with closing(table.records()) as records:
        for number, cells in records:
            if number == 1 or _is_blank_row(cells):
                continue
            total += 1
            if max_rows is not None and total > max_rows:
                raise _file_error(
                    f"A file has at most {max_rows:,} rows of customers; split it into smaller "
                    "files or use the command line (manage.py import_customers).",
                    code="too_many_rows",
                )
    return total


@dataclass(frozen=True)
class _CheckedFile:
    file_format: FileFormat
    columns: list[_Column]
    total_rows: int


def _check_file(
    stream: IO[bytes], *, filename: str, size: int, limits: ImportLimits
) -> _CheckedFile:
    """Everything that refuses a whole file, in one read through it: its size, format,
    encoding, header and number of rows. Nothing is written."""
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise _too_large(limits.max_bytes)
    stream.seek(0)
    head = stream.read(8)
    file_format = check_file_format(filename, head)
    if not head:
        raise _file_error("The file is empty.", code="empty_file")
    table = _open_table(file_format, stream)
    try:
        with closing(table.records()) as records:
            first = next(records, None)
        if first is None:
            raise _file_error("The file is empty.", code="empty_file")
        columns = _plan_columns(first[1])
        total = _count_rows(table, limits.max_rows)
    finally:
        table.close()
    return _CheckedFile(file_format, columns, total)


def _new_run(
    workspace: Workspace,
    checked: _CheckedFile,
    *,
    filename: str,
    size: int,
    source: str,
    status: str,
) -> CustomerImport:
    return CustomerImport.objects.create(
        workspace=workspace,
        filename=filename[-255:],
        file_format=checked.file_format,
        file_size=size,
        source=source,
        columns=[column.name for column in checked.columns],
        total_rows=checked.total_rows,
        status=status,
    )


class ImportJob:
    """The rows of a run's file, imported from where the run's checkpoint says it stopped.

    `process_batch` imports the next rows in one transaction together with the checkpoint.
    Opening a job reads the file's header again and the rows before the checkpoint, without
    writing, so that a customer repeated across a checkpoint is still reported as a
    duplicate. Problems with the file raise `ValidationFailed`; close the job when done."""

    def __init__(
        self,
        run: CustomerImport,
        stream: IO[bytes],
        *,
        progress: Callable[[CustomerImport], None] | None = None,
        progress_every: int = 1_000,
    ) -> None:
        self.run = run
        # Set when another process moved the run on (or completed it) since this job read it.
        self.superseded = False
        file_format = FileFormat(run.file_format)
        self._table = _open_table(file_format, stream)
        self._records = self._table.records()
        try:
            first = next(self._records, None)
            if first is None:
                raise _file_error("The file is empty.", code="empty_file")
            self._importer = _ImportRun(
                run.workspace,
                run,
                _plan_columns(first[1]),
                file_format,
                progress,
                progress_every,
            )
            self._rows = self._data_rows()
            for _ in range(run.processed_rows):
                done = next(self._rows, None)
                if done is None:
                    raise _file_error(
                        "The file has fewer rows than the import has processed already.",
                        code="malformed_file",
                    )
                self._importer.parse(*done)
            self._next = next(self._rows, None)
        except BaseException:
            self.close()
            raise

    def _data_rows(self) -> Iterator[tuple[int, Cells]]:
        for number, cells in self._records:
            if not _is_blank_row(cells):
                yield number, cells

    def close(self) -> None:
        self._records.close()
        self._table.close()

    def _locked_state(self) -> tuple[str, int] | None:
        state: tuple[str, int] | None = (
            CustomerImport.objects.select_for_update()
            .filter(pk=self.run.pk)
            .values_list("status", "processed_rows")
            .first()
        )
        return state

    def start(self) -> None:
        """Mark the run running: a queued run starts, a failed one resumes."""
        run = self.run
        with transaction.atomic():
            state = self._locked_state()
            if state is None or state[0] not in _RESUMABLE:
                return
            if state[0] == CustomerImport.Status.QUEUED:
                run.started_at = now()
            run.status = CustomerImport.Status.RUNNING
            run.failure_code = run.failure_message = ""
            run.finished_at = None
            run.checkpoint_at = now()
            run.save(
                update_fields=[
                    "status",
                    "started_at",
                    "failure_code",
                    "failure_message",
                    "finished_at",
                    "checkpoint_at",
                ]
            )

    def process_batch(self, batch_size: int) -> bool:
        """Import up to `batch_size` rows and commit them with the run's checkpoint; when the
        file ends, the run completes and its stored file is deleted in the same transaction.
        Returns whether rows remain. If the run's stored checkpoint is not this job's (another
        process moved it on, or completed it), nothing is written and `superseded` is set."""
        run = self.run
        with transaction.atomic():
            state = self._locked_state()
            if (
                state is None
                or state[0] == CustomerImport.Status.COMPLETED
                or state[1] != run.processed_rows
            ):
                self.superseded = True
                return False
            run.status = CustomerImport.Status.RUNNING
            for _ in range(max(1, batch_size)):
                if self._next is None:
                    break
                self._importer.process(*self._next)
                self._next = next(self._rows, None)
            if self._next is None:
                run.status = CustomerImport.Status.COMPLETED
                run.finished_at = now()
                CustomerImportFile.objects.filter(run_id=run.pk).delete()
            run.checkpoint_at = now()
            run.save(update_fields=_CHECKPOINT_FIELDS)
        return self._next is not None


def _drive(
    job: ImportJob,
    *,
    batch_size: int | None,
    max_batches: int | None,
    progress: Callable[[CustomerImport], None] | None,
    progress_every: int,
) -> CustomerImport:
    run = job.run
    job.start()
    if progress is not None:
        progress(run)
    size = batch_size or BATCH_SIZE
    batches = 0
    more = True
    while more and (max_batches is None or batches < max_batches):
        more = job.process_batch(size)
        batches += 1
    if job.superseded:
        run.refresh_from_db()
    elif (
        progress is not None
        and run.status == CustomerImport.Status.COMPLETED
        and run.processed_rows % max(1, progress_every) != 0
    ):
        progress(run)
    return run


def _record_failure(
    run: CustomerImport, code: str, message: str, *, keep_file: bool = False
) -> None:
    """Mark the run failed; its counts stay those of its last checkpoint. The stored file is
    deleted unless the run can resume."""
    try:
        with transaction.atomic():
            CustomerImport.objects.filter(pk=run.pk).exclude(
                status=CustomerImport.Status.COMPLETED
            ).update(
                status=CustomerImport.Status.FAILED,
                failure_code=code,
                failure_message=message,
                finished_at=now(),
                checkpoint_at=now(),
                interruptions=F("interruptions") + (1 if code == INTERRUPTED else 0),
            )
            if not keep_file:
                CustomerImportFile.objects.filter(run_id=run.pk).delete()
        run.refresh_from_db()
    except DatabaseError:
        logger.exception("Could not record the failure of customer import %s", run.pk)


def _record_interruption(run: CustomerImport, *, resumable: bool) -> None:
    """An error that is not the file's stopped the run: the batch it was in was rolled back;
    the rows before it are kept."""
    logger.exception("Customer import %s stopped", run.pk)
    try:
        done = (
            CustomerImport.objects.filter(pk=run.pk)
            .values_list("processed_rows", flat=True)
            .first()
        )
    except DatabaseError:
        done = None
    where = f" after {done:,} of {run.total_rows:,} rows" if done is not None else ""
    if resumable:
        then = (
            "; the rows before are kept, and the import resumes from there when it runs again "
            f"(manage.py import_customers --resume {run.pk} --workspace {run.workspace.slug})."
        )
    else:
        then = "; the rows before are kept. Import the file again to finish: rows already "
        then += "imported are reported unchanged."
    _record_failure(
        run,
        INTERRUPTED,
        f"The import stopped{where} because of an internal error{then}",
        keep_file=True,
    )


def submit_import(
    workspace: Workspace, stream: IO[bytes], *, filename: str, size: int
) -> CustomerImport:
    """Check an uploaded file and store it with a queued run, whose rows a worker imports
    (`tasks.process_customer_import`, enqueued once the caller's transaction commits).

    Problems with the file raise (422, or 413 when it is too large) before anything is
    written."""
    checked = _check_file(stream, filename=filename, size=size, limits=upload_limits())
    stream.seek(0)
    content = stream.read()
    with transaction.atomic():
        run = _new_run(
            workspace,
            checked,
            filename=filename,
            size=size,
            source=CustomerImport.Source.API,
            status=CustomerImport.Status.QUEUED,
        )
        CustomerImportFile.objects.create(workspace=workspace, run=run, content=content)
        import_id = run.pk
        transaction.on_commit(lambda: _enqueue_import(import_id))
    return run


def _enqueue_import(import_id: int) -> None:
    from kizuna.customers.tasks import process_customer_import

    try:
        process_customer_import.enqueue(import_id)
    except Exception:
        # The run stays queued with its file; `manage.py import_customers --resume` runs it.
        logger.exception("Could not enqueue customer import %s", import_id)


def process_import(
    import_id: int,
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    progress: Callable[[CustomerImport], None] | None = None,
    progress_every: int = 1_000,
) -> CustomerImport | None:
    """Import the rows of a stored upload from the run's last checkpoint: what the worker
    runs, safe to run again. Returns the run, or None if there is none.

    A completed run is left as it is, and so is a failed run whose file is gone. A problem
    with the file fails the run with the problem's code and message and deletes the file.
    Any other error fails the run as `import_interrupted`, keeps the file so that running
    the import again resumes it, and is raised again. `max_batches` stops early (the run
    stays running), `batch_size` defaults to BATCH_SIZE."""
    run = CustomerImport.objects.select_related("workspace").filter(pk=import_id).first()
    if run is None or run.status == CustomerImport.Status.COMPLETED:
        return run
    content = (
        CustomerImportFile.objects.filter(run_id=run.pk).values_list("content", flat=True).first()
    )
    if content is None:
        if run.status != CustomerImport.Status.FAILED:
            _record_failure(
                run,
                "import_file_missing",
                "The uploaded file is no longer stored; upload it again.",
            )
        return run
    try:
        job = ImportJob(
            run, io.BytesIO(bytes(content)), progress=progress, progress_every=progress_every
        )
        try:
            return _drive(
                job,
                batch_size=batch_size,
                max_batches=max_batches,
                progress=progress,
                progress_every=progress_every,
            )
        finally:
            job.close()
    except KizunaError as exc:
        _record_failure(run, exc.code, exc.message)
        return run
    except Exception:
        _record_interruption(run, resumable=True)
        raise


def stalled_import_ids(idle: timedelta) -> list[int]:
    """Uploads that have not moved for `idle`: queued or running ones (their task was lost or
    their worker died) and ones an internal error interrupted, up to MAX_AUTO_RESUMES
    interruptions (beyond that an operator looks at the error and resumes it by hand).
    Running them again resumes them from their last checkpoint."""
    moving = Q(status__in=[CustomerImport.Status.QUEUED, CustomerImport.Status.RUNNING])
    interrupted = Q(
        status=CustomerImport.Status.FAILED,
        failure_code=INTERRUPTED,
        interruptions__lt=MAX_AUTO_RESUMES,
    )
    return list(
        CustomerImport.objects.filter(
            moving | interrupted,
            checkpoint_at__lt=now() - idle,
            upload__isnull=False,
        )
        .order_by("checkpoint_at")
        .values_list("pk", flat=True)
    )


def process_import_batch(import_id: int, *, batch_size: int | None = None) -> CustomerImport | None:
    """Import one batch of a stored upload (the run completes if it was the last)."""
    return process_import(import_id, batch_size=batch_size, max_batches=1)


def import_customers(
    workspace: Workspace,
    stream: IO[bytes],
    *,
    filename: str,
    size: int,
    source: str = CustomerImport.Source.COMMAND,
    limits: ImportLimits | None = None,
    progress: Callable[[CustomerImport], None] | None = None,
    progress_every: int = 1_000,
    batch_size: int | None = None,
) -> CustomerImport:
    """Import a CSV or XLSX file in this process, in the same batches as a worker, and
    return the completed run with its report (the command line; nothing is stored but the
    run).

    Problems with the file raise (422, or 413 when it is too large) before anything is
    written. `progress` is called with the run once the rows are counted, then every
    `progress_every` rows, and once at the end."""
    checked = _check_file(stream, filename=filename, size=size, limits=limits or upload_limits())
    run = _new_run(
        workspace,
        checked,
        filename=filename,
        size=size,
        source=source,
        status=CustomerImport.Status.RUNNING,
    )
    try:
        job = ImportJob(run, stream, progress=progress, progress_every=progress_every)
        try:
            return _drive(
                job,
                batch_size=batch_size,
                max_batches=None,
                progress=progress,
                progress_every=progress_every,
            )
        finally:
            job.close()
    except KizunaError as exc:
        _record_failure(run, exc.code, exc.message)
        raise
    except Exception:
        _record_interruption(run, resumable=False)
        raise


def get_import(workspace: Workspace, import_id: str) -> CustomerImport:
    run = None
    if import_id.isascii() and import_id.isdigit() and len(import_id) <= 18:
        run = CustomerImport.objects.for_workspace(workspace).filter(pk=int(import_id)).first()
    if run is None:
        raise NotFound(f"No import {import_id!r}.", code="import_not_found", field="import_id")
    return run


# ------------------------------------------------------------------ export


@dataclass
class CustomerExport:
    """A file being produced: iterate `chunks` for its bytes; `rows` counts the customers
    written so far."""

    file_format: FileFormat
    filename: str
    content_type: str
    rows: int = 0
    chunks: Iterator[bytes] = field(default_factory=lambda: iter(()))


@dataclass(frozen=True)
class _Layout:
    attribute_keys: list[str]
    attribute_types: dict[str, str]

    @property
    def header(self) -> list[str]:
        return [
            *PROFILE_COLUMNS,
            *(ATTRIBUTE_PREFIX + key for key in self.attribute_keys),
            *(CONSENT_PREFIX + channel for channel in ConsentChannel.values),
        ]

    def values(self, customer: Customer) -> list[object]:
        consents = {consent.channel: consent.status for consent in customer.consents.all()}
        return [
            customer.external_id,
            customer.email,
            customer.phone,
            customer.first_name,
            customer.last_name,
            customer.birthdate,
            customer.locale,
            customer.timezone,
            *(customer.attributes.get(key) for key in self.attribute_keys),
            *(consents.get(channel) for channel in ConsentChannel.values),
        ]


def _layout(workspace: Workspace) -> _Layout:
    definitions = selectors.attribute_definitions(workspace)
    return _Layout(
        attribute_keys=[d.key for d in definitions],
        attribute_types={d.key: d.type for d in definitions},
    )


def _customer_batches(workspace: Workspace) -> Iterator[list[Customer]]:
    """Every customer of the workspace (except the erased ones, ADR 0012), EXPORT_CHUNK at a
    time (keyset on the id)."""
    last = 0
    while True:
        batch = list(
            selectors.listed_customers(workspace).filter(pk__gt=last).order_by("pk")[:EXPORT_CHUNK]
        )
        if not batch:
            return
        yield batch
        if len(batch) < EXPORT_CHUNK:
            return
        last = batch[-1].pk


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _guard(value)
    return _as_text(value)


def _csv_chunks(workspace: Workspace, layout: _Layout, export: CustomerExport) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so that Excel reads the file as UTF-8 (names in any script)
    writer.writerow(layout.header)
    for batch in _customer_batches(workspace):
        for customer in batch:
            writer.writerow([_csv_text(value) for value in layout.values(customer)])
            export.rows += 1
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def _xlsx_cell(sheet: Any, value: object) -> object:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # text stays text, even when it starts with '='
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=datetime.combine(value, time(0)))
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def _xlsx_values(layout: _Layout, customer: Customer) -> list[object]:
    values = layout.values(customer)
    offset = len(PROFILE_COLUMNS)
    for i, key in enumerate(layout.attribute_keys):
        value = values[offset + i]
        if layout.attribute_types[key] == AttributeType.DATE and isinstance(value, str):
            with suppress(ValueError):  # otherwise written as text
                values[offset + i] = date.fromisoformat(value)
    return values


def _xlsx_chunks(workspace: Workspace, layout: _Layout, export: CustomerExport) -> Iterator[bytes]:
    book = Workbook(write_only=True)
    sheet: Any = book.create_sheet("customers")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in layout.header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for batch in _customer_batches(workspace):
        for customer in batch:
            sheet.append([_xlsx_cell(sheet, v) for v in _xlsx_values(layout, customer)])
            export.rows += 1
    # The sheet's rows went to a temporary file as they were written; the workbook (a zip)
    # is assembled in another and sent in pieces.
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while chunk := out.read(READ_CHUNK):
            yield chunk


def export_customers(workspace: Workspace, file_format: str = FileFormat.CSV) -> CustomerExport:
    """All the workspace's customers (not the erased ones), with the columns an import
    takes. The file is produced while `chunks` is iterated."""
    kind = FileFormat(file_format)
    layout = _layout(workspace)
    export = CustomerExport(
        file_format=kind,
        filename=f"customers-{workspace.slug}-{now():%Y%m%d}.{kind}",
        content_type=CONTENT_TYPES[kind],
    )
    make = _xlsx_chunks if kind is FileFormat.XLSX else _csv_chunks
    export.chunks = make(workspace, layout, export)
    return export
