"""The rows of a bulk import file: its header checked against the import kind's columns,
and each row turned into the body that the single endpoint takes (ADR 0023)."""

import json
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import IO, Any

from openpyxl.utils import get_column_letter

from kizuna.core.imports.kinds import ImportKind, Problem
from kizuna.core.imports.readers import (
    BadLine,
    FileFormat,
    ImportLimits,
    JsonlTable,
    SheetError,
    check_file_format,
    file_error,
    is_blank,
    is_blank_row,
    open_table,
    too_large,
)
from kizuna.core.imports.workbooks import scan_workbook
from kizuna.core.text import UNSTORABLE

FORMATS = (FileFormat.CSV, FileFormat.XLSX, FileFormat.JSONL)


def command_of(kind: ImportKind) -> str:
    return f"manage.py import_file {kind.name}"


@dataclass(frozen=True)
class Refused:
    """A row that cannot become a body (bad JSON, a spreadsheet error...): why."""

    problem: Problem


Row = dict[str, Any] | Refused


@dataclass(frozen=True)
class Header:
    """The columns of a CSV or XLSX file: position -> body field."""

    columns: dict[int, str]


def check_header(kind: ImportKind, cells: list[object]) -> Header:
    columns: dict[int, str] = {}
    problems: list[Problem] = []
    for position, value in enumerate(cells):
        name = "" if value is None else str(value).strip()
        if not name:
            continue
        letter = get_column_letter(position + 1)
        if name not in kind.columns:
            problems.append(
                {
                    "field": name,
                    "code": "unknown_column",
                    "message": f"Column {letter} ({name!r}) is unknown; the columns are the "
                    f"fields of the body: {', '.join(sorted(kind.columns))}.",
                }
            )
        elif name in columns.values():
            problems.append(
                {
                    "field": name,
                    "code": "duplicate_column",
                    "message": f"Column {letter} ({name!r}) repeats another column.",
                }
            )
        else:
            columns[position] = name
    if kind.id_field not in columns.values():
        problems.insert(
            0,
            {
                "field": kind.id_field,
                "code": "missing_column",
                "message": f"The file has no {kind.id_field} column; every row needs one.",
            },
        )
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more problems in details)" if len(problems) > 1 else ""
        raise file_error(first["message"] + more, first["code"], first["field"], problems)
    return Header(columns)


def _cell_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


def _unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def _refuse(field: str | None, code: str, message: str) -> Refused:
    return Refused({"field": field, "code": code, "message": message})


def row_body(kind: ImportKind, header: Header | None, cells: list[object]) -> Row:
    """The body of one row as the single endpoint takes it, or the problem that stops it."""
    unstorable = _refuse(
        None,
        "invalid_character",
        "The row holds a character no text can store (NUL or a lone surrogate).",
    )
    if header is None:  # JSON lines: the line's object is the body
        value = cells[0]
        if isinstance(value, BadLine):
            return _refuse(None, "invalid_json", str(value))
        body: dict[str, Any] = value  # type: ignore[assignment]
        if cells[1] and _unstorable(body):
            return unstorable
        return body
    body = {}
    for position, value in enumerate(cells):
        name = header.columns.get(position)
        if name is None:
            if not is_blank(value):
                letter = get_column_letter(position + 1)
                message = f"Column {letter} has no header, but this row has a value."
                return _refuse(None, "value_without_column", message)
            continue
        if is_blank(value):
            continue
        if isinstance(value, SheetError):
            return _refuse(name, "invalid_value", f"The cell holds the error {value}.")
        text = _cell_text(value)
        if UNSTORABLE.search(text):
            return unstorable
        if name in kind.json_columns:
            try:
                body[name] = json.loads(text)
            except ValueError as exc:
                return _refuse(name, "invalid_json", f"The cell is not JSON: {exc}.")
            if "\\u" in text and _unstorable(body[name]):
                return unstorable
        else:
            body[name] = text
    return body


@dataclass(frozen=True)
class CheckedFile:
    file_format: FileFormat
    total_rows: int


def records(
    kind: ImportKind, file_format: FileFormat, stream: IO[bytes]
) -> Generator[tuple[int, Row]]:
    """Every non-blank data row of the file as (row number, body or problem)."""
    table = open_table(file_format, stream)
    try:
        with closing(table.records()) as records:
            header = None
            if file_format is not FileFormat.JSONL:
                first = next(records, None)
                if first is None:
                    raise file_error("The file is empty.", code="empty_file")
                header = check_header(kind, list(first[1]))
            for number, cells in records:
                if header is not None and is_blank_row(cells):
                    continue
                yield number, row_body(kind, header, list(cells))
    finally:
        table.close()


def _row_numbers(kind: ImportKind, file_format: FileFormat, stream: IO[bytes]) -> Iterator[int]:
    """The numbers of the non-blank data rows, the header checked, the rows not parsed into
    bodies (JSON lines are only decoded: a line that is not JSON is that row's problem)."""
    if file_format is FileFormat.JSONL:
        yield from JsonlTable(stream).numbers()
        return
    table = open_table(file_format, stream)
    try:
        with closing(table.records()) as rows:
            first = next(rows, None)
            if first is None:
                raise file_error("The file is empty.", code="empty_file")
            check_header(kind, list(first[1]))
            for number, cells in rows:
                if not is_blank_row(cells):
                    yield number
    finally:
        table.close()


def check_file(
    kind: ImportKind, stream: IO[bytes], *, filename: str, size: int, limits: ImportLimits
) -> CheckedFile:
    """Everything that refuses a whole file, in one read: size, format, encoding, header
    and number of rows. Nothing is written."""
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise too_large(limits.max_bytes, command_of(kind))
    stream.seek(0)
    head = stream.read(8)
    file_format = check_file_format(filename, head, FORMATS)
    if not head:
        raise file_error("The file is empty.", code="empty_file")
    if file_format is FileFormat.XLSX:
        # A workbook's cells are not parsed in the request (workbooks.scan_workbook): its
        # parts, sizes and header are checked and its rows counted by their tags.
        scanned = scan_workbook(stream, limits)
        check_header(kind, list(scanned.header))
        return CheckedFile(file_format, scanned.data_rows)
    total = 0
    for _ in _row_numbers(kind, file_format, stream):
        total += 1
        if limits.max_rows is not None and total > limits.max_rows:
            raise file_error(
                f"A file has at most {limits.max_rows:,} rows of {kind.name}; split it or use "
                f"the command line ({command_of(kind)}).",
                code="too_many_rows",
            )
    if total == 0 and file_format is FileFormat.JSONL:
        raise file_error("The file is empty.", code="empty_file")
    return CheckedFile(file_format, total)
