"""Uploads cannot stall the server: a file that declares or holds more rows, columns or bytes
than an import takes is refused in bounded time and memory, before its rows are read.

The files are the ones that stalled a server: an XLSX of 2 KB whose last row is numbered
10^12, a 180 KB zip of twenty million empty rows, and a CSV of four million blank lines."""

import io
import json
import time
import tracemalloc
import zipfile
from collections.abc import Iterable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import ApiClient, check_against_openapi
from kizuna.core.imports import readers
from kizuna.customers.models import CustomerImport
from kizuna.customers.tasks import process_customer_import

pytestmark = pytest.mark.django_db

IMPORT_URL = "/api/v1/customers/import"

_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="customers" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>external_id</t></is></c></row>'


_SHARED_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_SHARED_STRINGS_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def workbook(
    rows: Iterable[bytes],
    dimension: str = "A1",
    shared: list[str] | None = None,
    header: bytes = HEADER_ROW,
) -> bytes:
    """A minimal XLSX file whose first sheet holds the header row, then `rows` (raw XML);
    with a shared-string table (as Excel writes text) when `shared` is given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        rels, types = _WORKBOOK_RELS, _TYPES
        if shared is not None:
            types = types.replace("</Types>", _SHARED_STRINGS_TYPE)
            rels = rels.replace("</Relationships>", _SHARED_STRINGS_REL)
            entries = "".join(f"<si><t>{text}</t></si>" for text in shared)
            archive.writestr(
                "xl/sharedStrings.xml",
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f"{entries}</sst>",
            )
        archive.writestr("xl/_rels/workbook.xml.rels", rels)
        archive.writestr("[Content_Types].xml", types)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<dimension ref="' + dimension.encode() + b'"/><sheetData>' + header
            )
            for part in rows:
                sheet.write(part)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def far_row_workbook() -> bytes:
    """2 KB: one customer on row 2 and one on row 1,000,000,000,000 (and says so)."""
    return workbook(
        [
            b'<row r="2"><c r="A2" t="inlineStr"><is><t>c-1</t></is></c></row>',
            b'<row r="1000000000000"><c r="A1000000000000" t="inlineStr"><is><t>c-2</t>'
            b"</is></c></row>",
        ],
        dimension="A1:A1000000000000",
    )


def empty_rows_workbook(rows: int = 20_000_000) -> bytes:
    """About 180 KB: twenty million empty rows (120 MB once inflated), declaring one cell."""
    block = b"<row/>" * 100_000
    return workbook(block for _ in range(rows // 100_000))


def blank_lines_csv(lines: int = 4_000_000) -> bytes:
    return b"external_id\n" + b"\n" * lines


BOMBS = {
    "xlsx-row-1e12": ("bomb.xlsx", far_row_workbook),
    "xlsx-20m-empty-rows": ("bomb.xlsx", empty_rows_workbook),
    "csv-4m-blank-lines": ("bomb.csv", blank_lines_csv),
}


def post(api: ApiClient, name: str, content: bytes) -> Any:
    response = api.client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})
    check_against_openapi("POST", IMPORT_URL, response)
    return response


@pytest.mark.parametrize(("name", "build"), BOMBS.values(), ids=BOMBS.keys())
def test_a_file_that_would_stall_the_server_is_refused_within_a_second(
    api: ApiClient, name: str, build: Any
) -> None:
    content = build()
    started = time.monotonic()
    response = post(api, name, content)
    elapsed = time.monotonic() - started

    assert response.status_code == 422, response.content[:300]
    assert json.loads(response.content)["code"] == "too_many_rows"
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert not CustomerImport.objects.exists()


@pytest.mark.parametrize(("name", "build"), BOMBS.values(), ids=BOMBS.keys())
def test_refusing_it_takes_memory_for_the_upload_only(
    api: ApiClient, name: str, build: Any
) -> None:
    """The peak of what Python allocates while the request runs: the uploaded bytes (read
    by the multipart parser, then by the check) and little else. Reading the rows took
    gigabytes (1.7 GB for the empty rows)."""
    content = build()
    tracemalloc.start()
    try:
        response = post(api, name, content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 422
    assert peak < 3 * len(content) + 8 * 1024 * 1024, f"{peak / 2**20:.1f} MB"


def test_a_workbook_too_large_once_inflated_is_refused(api: ApiClient) -> None:
    content = empty_rows_workbook(rows=40_000_000)  # 240 MB inflated, about 350 KB zipped
    response = post(api, "bomb.xlsx", content)

    assert response.status_code == 422
    body = json.loads(response.content)
    assert (body["code"], body["field"]) == ("workbook_too_large", "file")
    assert "200 MB" in body["message"]


def test_a_sheet_declaring_more_rows_than_the_limit_is_refused_unread(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "MAX_ROWS", 10)
    rows = [b'<row r="2"><c r="A2" t="inlineStr"><is><t>c-1</t></is></c></row>']
    response = post(api, "declared.xlsx", workbook(rows, dimension="A1:C12"))

    body = json.loads(response.content)
    assert (response.status_code, body["code"]) == (422, "too_many_rows")
    assert "says it has 11" in body["message"]
    assert post(api, "declared.xlsx", workbook(rows, dimension="A1:C11")).status_code == 202


def test_blank_rows_count_toward_the_row_limit(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "MAX_ROWS", 3)
    ok = b"external_id\nc-1\n\n\n"
    over = b"external_id\nc-1\n\n\n\n"
    assert post(api, "ok.csv", ok).status_code == 202
    response = post(api, "over.csv", over)
    assert (response.status_code, json.loads(response.content)["code"]) == (422, "too_many_rows")

    rows = [b'<row r="2"><c r="A2" t="inlineStr"><is><t>c-1</t></is></c></row>', b'<row r="5"/>']
    assert post(api, "blank.xlsx", workbook(rows)).status_code == 422


@pytest.mark.parametrize(
    "row",
    [
        b'<row r="2"><c r="ZZZ2" t="inlineStr"><is><t>far</t></is></c></row>',
        b'<row r="2"><c r="XFD2"><v>1</v></c></row>',
        b'<row r="2">' + b"<c/>" * 703 + b"</row>",
    ],
    ids=["column-ZZZ", "column-XFD", "703-cells"],
)
def test_a_row_wider_than_the_column_limit_is_refused(api: ApiClient, row: bytes) -> None:
    response = post(api, "wide.xlsx", workbook([row]))
    body = json.loads(response.content)
    assert (response.status_code, body["code"]) == (422, "too_many_columns")
    assert "ZZ" in body["message"]


def shared_string_workbook(customers: int) -> bytes:
    """As Excel writes it: the header and the ids in the shared-string table."""
    header = b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    rows = [
        f'<row r="{n + 2}"><c r="A{n + 2}" t="s"><v>{n + 2}</v></c></row>'.encode()
        for n in range(customers)
    ]
    texts = ["external_id", "first_name", *(f"c-{n}" for n in range(customers))]
    return workbook(rows, shared=texts, header=header)


def test_a_header_in_the_shared_string_table_is_read(api: ApiClient) -> None:
    response = post(api, "strings.xlsx", shared_string_workbook(3))
    queued = json.loads(response.content)
    assert response.status_code == 202, queued
    assert (queued["columns"], queued["total_rows"]) == (["external_id", "first_name"], 3)
    assert process_customer_import.call(int(queued["id"])) == "completed"
    assert api.get("/customers/c-2").status_code == 200


def test_a_shared_string_table_beyond_the_limit_is_refused(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "MAX_SHARED_STRINGS", 30)
    assert post(api, "strings.xlsx", shared_string_workbook(28)).status_code == 202

    response = post(api, "strings.xlsx", shared_string_workbook(29))

    body = json.loads(response.content)
    assert (response.status_code, body["code"]) == (422, "workbook_too_large")


def test_a_workbook_counts_its_rows_without_parsing_them_and_the_worker_makes_it_exact(
    api: ApiClient,
) -> None:
    rows = [
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>c-1</t></is></c></row>',
        b'<row r="3" spans="1:3" s="2" customFormat="1"/>',  # a formatted, empty row
        b'<row r="4"><c r="A4" s="1"/></row>',  # a styled, empty cell
        b'<row r="5"><c r="A5" t="inlineStr"><is><t>c-2</t></is></c></row>',
        b'<row r="6"><c r="A6" t="inlineStr"><is><t>   </t></is></c></row>',  # blank text
    ]
    response = post(api, "rows.xlsx", workbook(rows, dimension="A1:A6"))
    queued = json.loads(response.content)
    assert response.status_code == 202, queued
    assert queued["total_rows"] == 2

    assert process_customer_import.call(int(queued["id"])) == "completed"
    report = api.get(f"/customers/imports/{queued['id']}").data
    assert (report["total_rows"], report["processed_rows"], report["counts"]["created"]) == (
        2,
        2,
        2,
    )
