"""Tables written as streams of bytes, CSV (UTF-8) or XLSX, for the exports of every app: the
rows are produced batch by batch and written as they come, so memory stays flat however many
there are.

    chunks = csv_stream(header, batches, text=str)
    chunks = xlsx_stream("responses", header, batches)

`batches` yields lists of rows, each a list of cell values (None for an empty cell). In CSV a
cell is written as `text(value)` (None empty), after a byte order mark so that spreadsheet
programs read any script as UTF-8. In XLSX text stays text (never a formula), dates are
dates, numbers numbers."""

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from kizuna.core.imports.readers import READ_CHUNK

Batches = Iterable[list[list[Any]]]


def csv_stream(header: list[str], batches: Batches, text: Callable[[Any], str]) -> Iterator[bytes]:
    """The CSV file: the header, then one chunk of bytes per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for batch in batches:
        for row in batch:
            writer.writerow(["" if value is None else text(value) for value in row])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # text stays text, even when it starts with '='
        return cell
    if isinstance(value, date) and not isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=datetime.combine(value, time(0)))
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def xlsx_stream(sheet_name: str, header: list[str], batches: Batches) -> Iterator[bytes]:
    """The XLSX workbook of one sheet, its header in bold and frozen. The sheet's rows go to a
    temporary file as they are written; the workbook (a zip) is assembled in another and sent
    in pieces."""
    book = Workbook(write_only=True)
    sheet: Any = book.create_sheet(sheet_name)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for batch in batches:
        for row in batch:
            sheet.append([xlsx_cell(sheet, value) for value in row])
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while chunk := out.read(READ_CHUNK):
            yield chunk
