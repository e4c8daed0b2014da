"""An uploaded workbook checked in bounded time and memory, without reading its cells.

A request must answer quickly whatever the file, so the upload's check does not parse the
cells of an XLSX file (openpyxl takes seconds for a large one, and reads as many rows as the
file says it has: a row numbered 10^12, or twenty million empty rows in a 180 KB zip). It reads
the zip's directory, every sheet's declared size and the header row, and counts the first
sheet's rows with byte searches as the sheet is inflated, chunk by chunk, stopping at the first
limit broken. The worker parses the cells afterwards (`readers.XlsxTable`)."""

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, cast
from xml.etree import ElementTree

from openpyxl.cell.text import Text
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.xml.constants import SHEET_MAIN_NS

from kizuna.core.imports.readers import (
    MAX_SHEET_COLUMNS,
    ImportLimits,
    SheetError,
    file_error,
    too_many_columns,
    too_many_rows,
)

INFLATE_CHUNK = 1024 * 1024
# A row of the sheet larger than this inflated is refused: 702 columns of long text fit.
MAX_ROW_BYTES = 16 * 1024 * 1024
HEADER_PIECE = 16 * 1024
_MAIN = f"{{{SHEET_MAIN_NS}}}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_WORKSHEET_TYPE = "/worksheet"
_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_WORKBOOK_TYPES = (
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    f"{_SPREADSHEET}.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    f"{_SPREADSHEET}.sheet.main+xml",
)
_SHARED_STRINGS_TYPE = f"{_SPREADSHEET}.sharedStrings+xml"

# Byte patterns over the inflated sheet (elements may carry any namespace prefix).
_ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s/>])")
_ROW_NUMBER = re.compile(rb"[^>]*?\sr\s*=\s*[\"']([0-9]+)[\"']")
_CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s/>])")
# A cell whose reference has three letters or more: column AAA (703) or beyond.
_FAR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br\s*=\s*[\"'][A-Za-z]{3}")
# A value or inline text with something in it: the row is not blank (a shared string that is
# itself blank is counted too; the worker's count, made as it imports, is exact).
_SOMETHING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|t)(?:\s[^>]*)?>\s*[^<\s]")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\sref\s*=\s*[\"']([^\"']*)")
_SHEET_DATA_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData\s*>")
_SHARED_STRING_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si(?=[\s/>])")


@dataclass(frozen=True)
class ScannedWorkbook:
    header: list[object]
    # Rows after the header with a value in them (see _SOMETHING).
    data_rows: int


def _unreadable() -> Exception:
    return file_error(
        "The file cannot be read as an XLSX workbook.", code="unsupported_file_format"
    )


def scan_workbook(stream: IO[bytes], limits: ImportLimits) -> ScannedWorkbook:
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable() from exc
    with archive:
        _check_parts(archive, limits)
        try:
            parts = _parts(archive)
        except (KeyError, StopIteration, ElementTree.ParseError, ValueError) as exc:
            raise _unreadable() from exc
        sheets = parts.sheets
        if not sheets:
            raise file_error("The workbook has no worksheet.", code="empty_file")
        try:
            if limits.max_rows is not None:
                for part in sheets:
                    _check_declared_size(archive, part, limits.max_rows)
            if limits.max_shared_strings is not None and parts.shared_strings:
                _check_shared_strings(archive, parts.shared_strings, limits.max_shared_strings)
            header_cells = _header(archive, sheets[0])
            header = _resolve_shared_strings(archive, parts.shared_strings, header_cells)
            data_rows = _count_rows(archive, sheets[0], limits.max_rows)
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, EOFError) as exc:
            # A part that is missing, damaged (a CRC error) or not XML.
            raise file_error(
                "A part of the workbook cannot be read.", code="malformed_file"
            ) from exc
    return ScannedWorkbook(header=header, data_rows=data_rows)


def _check_parts(archive: zipfile.ZipFile, limits: ImportLimits) -> None:
    """The zip's own directory: sizes as declared (inflating never yields more than declared:
    the zip module stops there and checks the CRC)."""
    if limits.max_uncompressed_bytes is None:
        return
    parts = archive.infolist()
    if len(parts) > limits.max_parts:
        raise file_error(
            f"The workbook has {len(parts):,} parts; at most {limits.max_parts:,} are read.",
            code="malformed_file",
        )
    total = sum(part.file_size for part in parts)
    if total > limits.max_uncompressed_bytes:
        raise file_error(
            f"The workbook holds {total // (1024 * 1024):,} MB once uncompressed; at most "
            f"{limits.max_uncompressed_bytes // (1024 * 1024)} MB can be imported. Split it "
            "into smaller files.",
            code="workbook_too_large",
        )


# The small parts read whole (the package's and the workbook's lists of parts).
MAX_INDEX_PART_BYTES = 16 * 1024 * 1024


def _read_xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    if archive.getinfo(name).file_size > MAX_INDEX_PART_BYTES:
        raise ValueError(f"{name} is too large")
    # Expat (2.4 and later) refuses entity expansion bombs; no external entity is resolved.
    return ElementTree.fromstring(archive.read(name))  # noqa: S314


@dataclass(frozen=True)
class _Parts:
    sheets: list[str]  # in the workbook's order: the first is imported
    shared_strings: str | None


def _parts(archive: zipfile.ZipFile) -> _Parts:
    """The worksheets' and the shared-string table's part names, found as openpyxl finds
    them: the workbook and the table by their content types, the sheets by the workbook's
    relationships."""
    types = _read_xml(archive, "[Content_Types].xml")
    overrides = {
        override.get("ContentType", ""): override.get("PartName", "").lstrip("/")
        for override in types.iter(f"{_CONTENT_TYPES}Override")
    }
    workbook = next((overrides[t] for t in _WORKBOOK_TYPES if t in overrides), None)
    if workbook is None:
        defaults = {d.get("ContentType") for d in types.iter(f"{_CONTENT_TYPES}Default")}
        if not defaults & set(_WORKBOOK_TYPES):
            raise ValueError("no workbook part")
        workbook = "xl/workbook.xml"
    folder, name = posixpath.split(workbook)
    rels = list(
        _read_xml(archive, posixpath.join(folder, "_rels", name + ".rels")).iter(
            f"{_PKG_REL}Relationship"
        )
    )

    def path(target: str) -> str:
        joined = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        return posixpath.normpath(joined)

    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in rels
        if rel.get("Type", "").endswith(_WORKSHEET_TYPE)
    }
    sheets = []
    for sheet in _read_xml(archive, workbook).iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"))
        if target:
            sheets.append(path(target))
    return _Parts(sheets, overrides.get(_SHARED_STRINGS_TYPE))


def _elements(parser: Any) -> Iterator[tuple[str, ElementTree.Element]]:
    for event, element in parser.read_events():
        if isinstance(element, ElementTree.Element):
            yield event, element


def _text(element: ElementTree.Element) -> str:
    """A shared or inline string's text as openpyxl reads it (runs joined, phonetics left)."""
    text: Any = Text.from_tree(cast(Any, element))
    return str(text.content) if text is not None else ""


def _inflate(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with archive.open(name) as part:
        while chunk := part.read(INFLATE_CHUNK):
            yield chunk


def _check_declared_size(archive: zipfile.ZipFile, name: str, max_rows: int) -> None:
    """The size a sheet declares (`<dimension ref="A1:XFD1048576"/>`, before its rows)."""
    head = b""
    for chunk in _inflate(archive, name):
        head += chunk
        if _ROW_START.search(head) or len(head) >= INFLATE_CHUNK:
            break
    match = _DIMENSION.search(head)
    if match is None:
        return
    try:
        _, _, max_col, max_row = range_boundaries(match.group(1).decode("ascii").upper())
    except (ValueError, TypeError, UnicodeDecodeError):
        return  # openpyxl ignores a size it cannot read, and so does the worker
    if max_row is not None and max_row - 1 > max_rows:
        raise too_many_rows(max_rows, declared=max_row - 1)
    if max_col is not None and max_col > MAX_SHEET_COLUMNS:
        raise too_many_columns()


def _header(archive: zipfile.ZipFile, name: str) -> list[Any]:
    """The cells of row 1, parsed as openpyxl parses them; shared strings left as indexes."""
    parser: Any = ElementTree.XMLPullParser(events=("end",))
    read = 0
    for chunk in _inflate(archive, name):
        # Fed in small pieces: the parser builds every element of what it is fed.
        for offset in range(0, len(chunk), HEADER_PIECE):
            parser.feed(chunk[offset : offset + HEADER_PIECE])
            for _, element in _elements(parser):
                if element.tag != f"{_MAIN}row":
                    continue
                number = element.get("r")
                if number is not None and int(float(number)) != 1:
                    return []  # row 1 is missing: the header is blank
                return _header_cells(element)
        read += len(chunk)
        if read > MAX_ROW_BYTES:
            raise ValueError("no row 1 near the start of the sheet")
    return []


@dataclass(frozen=True)
class _SharedString:
    index: int


def _header_cells(row: ElementTree.Element) -> list[Any]:
    cells: list[Any] = []
    for element in row.iter(f"{_MAIN}c"):
        reference = element.get("r")
        column = len(cells) + 1
        if reference:
            column = column_index_from_string(reference.rstrip("0123456789"))
        if column > MAX_SHEET_COLUMNS:
            raise too_many_columns()
        cells.extend([None] * (column - len(cells)))
        kind = element.get("t", "n")
        if kind == "inlineStr":
            inline = element.find(f"{_MAIN}is")
            value: Any = _text(inline) if inline is not None else None
        else:
            text = element.findtext(f"{_MAIN}v") or None
            value = text
            if text is not None and kind == "s":
                value = _SharedString(int(text))
            elif text is not None and kind == "n":
                value = float(text) if any(c in text for c in ".Ee") else int(text)
            elif text is not None and kind == "b":
                value = text == "1"
            elif text is not None and kind == "e":
                value = SheetError(text)
        cells[column - 1] = value
    return cells


def _resolve_shared_strings(
    archive: zipfile.ZipFile, name: str | None, cells: list[Any]
) -> list[object]:
    """The header's shared strings, read from the table until the last one needed."""
    wanted = {cell.index for cell in cells if isinstance(cell, _SharedString)}
    if not wanted:
        return cells
    if name is None:
        raise ValueError("no shared strings")
    found: dict[int, str] = {}
    index = 0
    root: ElementTree.Element | None = None
    parser: Any = ElementTree.XMLPullParser(events=("start", "end"))
    for chunk in _inflate(archive, name):
        for offset in range(0, len(chunk), HEADER_PIECE):
            parser.feed(chunk[offset : offset + HEADER_PIECE])
            for event, element in _elements(parser):
                if root is None:
                    root = element
                if event != "end" or element.tag != f"{_MAIN}si":
                    continue
                if index in wanted:
                    found[index] = _text(element).replace("x005F_", "")
                root.clear()  # keep nothing of the entries read
                index += 1
                if len(found) == len(wanted):
                    return [found[c.index] if isinstance(c, _SharedString) else c for c in cells]
    raise ValueError("a shared string of the header is missing")


def _count_rows(archive: zipfile.ZipFile, name: str, max_rows: int | None) -> int:
    """Rows after the header with something in them; a row numbered past the limit (blank
    rows count: the worker reads every one) or one wider than MAX_SHEET_COLUMNS is refused
    as soon as it is seen."""
    position = 0
    data_rows = 0
    carry = b""

    def row(fragment: bytes) -> None:
        nonlocal position, data_rows
        number = _ROW_NUMBER.match(fragment, 4)
        position = int(number.group(1)) if number else position + 1
        if max_rows is not None and position - 1 > max_rows:
            raise too_many_rows(max_rows)
        if _FAR_CELL.search(fragment) or len(_CELL_START.findall(fragment)) > MAX_SHEET_COLUMNS:
            raise too_many_columns()
        if position > 1 and _SOMETHING.search(fragment):
            data_rows += 1

    for chunk in _inflate(archive, name):
        buffer = carry + chunk
        previous = None
        for match in _ROW_START.finditer(buffer):
            if previous is not None:
                row(buffer[previous : match.start()])
            previous = match.start()
        if previous is None:
            carry = buffer[-64:]  # before the rows: keep what may be the start of a tag
            continue
        carry = buffer[previous:]
        if _SHEET_DATA_END.search(carry) is not None:
            break
        if len(carry) > MAX_ROW_BYTES:
            raise too_many_columns()
    if _ROW_START.match(carry):
        end = _SHEET_DATA_END.search(carry)
        row(carry[: end.start()] if end else carry)
    return data_rows


def _check_shared_strings(archive: zipfile.ZipFile, name: str, max_entries: int) -> None:
    """Entries of the shared-string table, which the worker holds in memory whole, counted
    with byte searches (a tag is never cut: each chunk is read up to its last '<')."""
    count = 0
    carry = b""
    for chunk in _inflate(archive, name):
        buffer = carry + chunk
        cut = buffer.rfind(b"<")
        body, carry = (buffer[:cut], buffer[cut:]) if cut >= 0 else (buffer, b"")
        count += _count_shared_strings(body)
        if count > max_entries:
            break
    count += _count_shared_strings(carry)
    if count > max_entries:
        raise file_error(
            f"The workbook has more than {max_entries:,} distinct texts; split it into smaller "
            "files.",
            code="workbook_too_large",
        )


def _count_shared_strings(data: bytes) -> int:
    count = data.count(b"<si>") + data.count(b"<si ") + data.count(b"<si/>")
    if b":si" in data:  # a namespace prefix: rare enough for a slower search
        count += sum(
            1
            for match in _SHARED_STRING_START.finditer(data)
            if data[match.start() + 1] != ord("s")
        )
    return count
