"""Reading uploaded files: their format and size, and the rows of their first table (CSV and
XLSX) or their lines (JSON lines). Shared by every import: customers, orders, events."""

import codecs
import csv
import io
import json
import os
from collections.abc import Generator, Sequence
from contextlib import closing
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kizuna.core.errors import KizunaError, ValidationFailed

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Rows after the header, blank ones included: a reader goes through each of them.
MAX_ROWS = 50_000
# A workbook is a zip: what it holds once inflated, its number of parts, and the entries of
# its shared-string table (which the worker holds in memory) are capped too.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_WORKBOOK_PARTS = 1_000
MAX_SHARED_STRINGS = 2_000_000
# Cells beyond column ZZ are refused (a header names at most MAX_COLUMNS columns): a row
# with one cell far to the right would otherwise be read as thousands of empty cells.
MAX_SHEET_COLUMNS = 702
# Room for the multipart envelope around the file when the request's length is checked.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"


CONTENT_TYPES = {
    FileFormat.CSV: "text/csv; charset=utf-8",
    FileFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileFormat.JSONL: "application/x-ndjson",
}
SPREADSHEETS = (FileFormat.CSV, FileFormat.XLSX)


@dataclass(frozen=True)
class ImportLimits:
    """None means no limit (the command line, run by an operator)."""

    max_bytes: int | None
    max_rows: int | None
    max_uncompressed_bytes: int | None = None
    max_parts: int = MAX_WORKBOOK_PARTS
    max_shared_strings: int | None = None


def upload_limits() -> ImportLimits:
    # Read when called, so that a test can lower a limit with monkeypatch.
    return ImportLimits(
        max_bytes=MAX_UPLOAD_BYTES,
        max_rows=MAX_ROWS,
        max_uncompressed_bytes=MAX_UNCOMPRESSED_BYTES,
        max_parts=MAX_WORKBOOK_PARTS,
        max_shared_strings=MAX_SHARED_STRINGS,
    )


NO_LIMITS = ImportLimits(max_bytes=None, max_rows=None)


# ------------------------------------------------------------------ file-level checks


def file_error(
    message: str, code: str, field: str | None = "file", details: list[dict[str, Any]] | None = None
) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field, details=details)


def too_large(max_bytes: int, command: str = "manage.py import_customers") -> KizunaError:
    return KizunaError(
        f"The file is larger than {max_bytes // (1024 * 1024)} MB; split it into smaller files "
        f"or use the command line ({command}).",
        code="file_too_large",
        field="file",
        status=413,
    )


def too_many_rows(max_rows: int, declared: int | None = None) -> ValidationFailed:
    says = f" (the workbook says it has {declared:,})" if declared is not None else ""
    return file_error(
        f"A file has at most {max_rows:,} rows after the header, blank rows included{says}; "
        "delete the blank rows below the data, split the file, or use the command line "
        "(manage.py import_customers).",
        code="too_many_rows",
    )


def too_many_columns() -> ValidationFailed:
    return file_error(
        f"A row has cells beyond column {get_column_letter(MAX_SHEET_COLUMNS)}; a file has at "
        "most that many columns, however many are empty.",
        code="too_many_columns",
    )


def check_upload_length(
    content_length: str | None,
    max_bytes: int = MAX_UPLOAD_BYTES,
    command: str = "manage.py import_customers",
) -> None:
    """Refuse a request whose declared length cannot fit an allowed file, before its body is
    read."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return
    if length > max_bytes + MULTIPART_OVERHEAD_BYTES:
        raise too_large(max_bytes, command)


def check_file_format(
    filename: str, head: bytes, allowed: tuple[FileFormat, ...] = SPREADSHEETS
) -> FileFormat:
    """The format named by the file's extension, if its first bytes agree."""
    suffix = os.path.splitext(filename)[1].lower()
    if suffix in {".jsonl", ".ndjson"} and FileFormat.JSONL in allowed:
        if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
            raise file_error(
                "The file is named .jsonl but is a spreadsheet workbook.",
                code="unsupported_file_format",
            )
        return FileFormat.JSONL
    if suffix == ".xlsx":
        if not head.startswith(_ZIP_MAGIC):
            raise file_error(
                "The file is named .xlsx but is not an XLSX workbook.",
                code="unsupported_file_format",
            )
        return FileFormat.XLSX
    if suffix == ".csv":
        if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
            raise file_error(
                "The file is named .csv but is a spreadsheet workbook; save it as "
                "'CSV UTF-8' or upload it as .xlsx.",
                code="unsupported_file_format",
            )
        return FileFormat.CSV
    kind = f"'{suffix}' files" if suffix else "Files without an extension"
    names = {
        FileFormat.CSV: "a CSV (UTF-8)",
        FileFormat.XLSX: "an XLSX",
        FileFormat.JSONL: "a JSON lines (.jsonl)",
    }
    choices = [names[f] for f in allowed]
    listed = ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]
    raise file_error(
        f"{kind} cannot be imported; upload {listed} file.", code="unsupported_file_format"
    )


# ------------------------------------------------------------------ reading tables


class SheetError(str):
    """A spreadsheet error value such as #N/A or #REF!."""

    __slots__ = ()


Cells = Sequence[object]


class CsvTable:
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
            raise file_error(
                f"The file is not UTF-8 text (line {self._first_undecodable_line()}). In Excel, "
                "save it as 'CSV UTF-8 (Comma delimited)'; Shift_JIS and other encodings "
                "cannot be read.",
                code="invalid_encoding",
            ) from exc
        except csv.Error as exc:
            raise file_error(
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


class XlsxTable:
    def __init__(self, stream: IO[bytes]) -> None:
        stream.seek(0)
        try:
            self._book = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # zip, XML and workbook errors alike
            raise file_error(
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
                if len(row) > MAX_SHEET_COLUMNS:
                    raise too_many_columns()
                yield (
                    number,
                    [
                        SheetError(cell.value) if cell.data_type == "e" else cell.value
                        for cell in row
                    ],
                )
        except KizunaError:
            raise
        except Exception as exc:  # a damaged part of the workbook
            raise file_error(
                f"Row {number + 1} of the workbook cannot be read.", code="malformed_file"
            ) from exc

    def close(self) -> None:
        self._book.close()


class BadLine(str):
    """A line of a JSON lines file that holds no JSON object: why."""

    __slots__ = ()


class JsonlTable:
    """A JSON lines file: one JSON object a line, blank lines skipped. Each record is
    (line number, [the object, whether the line holds a \\u escape]) or (line number,
    [BadLine(why)])."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def numbers(self) -> Generator[int]:
        """The numbers of the non-blank lines, each checked to be UTF-8 (not parsed)."""
        self._stream.seek(0)
        for number, line in enumerate(self._stream, start=1):
            if self._text(number, line).strip():
                yield number

    @staticmethod
    def _text(number: int, line: bytes) -> str:
        try:
            return line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise file_error(
                f"Line {number} is not UTF-8 text; JSON lines files are UTF-8.",
                code="invalid_encoding",
            ) from exc

    def records(self) -> Generator[tuple[int, Cells]]:
        self._stream.seek(0)
        number = 0
        for number, line in enumerate(self._stream, start=1):
            try:
                text = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise file_error(
                    f"Line {number} is not UTF-8 text; JSON lines files are UTF-8.",
                    code="invalid_encoding",
                ) from exc
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except ValueError as exc:
                yield number, [BadLine(f"Line {number} is not JSON: {exc}.")]
                continue
            if not isinstance(value, dict):
                yield number, [BadLine(f"Line {number} is not a JSON object.")]
                continue
            # Whether the line escapes a character (NUL and lone surrogates can only come
            # in as escapes): the rows without any need no look for unstorable text.
            yield number, [value, b"\\u" in line]

    def close(self) -> None:
        pass


Table = CsvTable | XlsxTable | JsonlTable


def open_table(file_format: FileFormat, stream: IO[bytes]) -> Table:
    if file_format is FileFormat.XLSX:
        return XlsxTable(stream)
    if file_format is FileFormat.JSONL:
        return JsonlTable(stream)
    return CsvTable(stream)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_blank_row(cells: Cells) -> bool:
    return all(is_blank(value) for value in cells)


def count_rows(table: Table, max_rows: int | None) -> int:
    """The rows of customers after the header (blank rows skipped); past `max_rows` rows,
    blank ones included, the file is refused at once."""
    total = 0
    with closing(table.records()) as records:
        for number, cells in records:
            if max_rows is not None and number - 1 > max_rows:
                raise too_many_rows(max_rows)
            if number == 1 or is_blank_row(cells):
                continue
            total += 1
    return total
