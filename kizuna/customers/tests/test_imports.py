"""Customer import and export: CSV and XLSX through the API (uploads imported in the background,
in batches with checkpoints) and the command line, typed attributes, per-row errors, progress,
resuming, idempotent re-imports, round trips, and tenancy."""

import csv
import io
import json
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook, load_workbook

from conftest import ApiClient, check_against_openapi
from kizuna.accounts.services import NewWorkspace
from kizuna.core import dispatcher
from kizuna.core.imports import readers
from kizuna.core.models import OutboxEvent
from kizuna.customers import exports, tasks
from kizuna.customers.imports import columns, jobs
from kizuna.customers.imports import rows as row_import
from kizuna.customers.models import (
    AttributeDefinition,
    Consent,
    ConsentChange,
    Customer,
    CustomerImport,
    CustomerImportFile,
    TimelineEntry,
)
from kizuna.customers.services import bulk_profiles, profiles

pytestmark = pytest.mark.django_db

IMPORT_URL = "/api/v1/customers/import"
EXPORT_URL = "/api/v1/customers/export"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls workbooks
# What Excel in Japan writes when asked for plain "CSV".
SHIFT_JIS_CSV = "external_id,first_name\nc-1,花子\n".encode("shift_jis")
ERROR_KEYS = {"code", "message", "field", "details", "request_id"}


# ------------------------------------------------------------------ helpers


def csv_file(rows: list[list[str]], *, bom: bool = True, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def xlsx_file(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet: Any = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def post_file(
    api: ApiClient, name: str, content: bytes, **extra: Any
) -> tuple[int, dict[str, Any]]:
    """POST the file; the answer's status and body (a queued run, or an error)."""
    response = api.client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)}, **extra)
    assert response.headers.get("X-Request-Id")
    check_against_openapi("POST", IMPORT_URL, response)
    body = json.loads(response.content)
    if response.status_code >= 400:
        assert set(body) == ERROR_KEYS, body
    return response.status_code, body


def report_of(api: ApiClient, import_id: str | int) -> dict[str, Any]:
    response = api.get(f"/customers/imports/{import_id}")
    assert response.status_code == 200, response.data
    report: dict[str, Any] = response.data
    return report


def upload(api: ApiClient, name: str, content: bytes, **extra: Any) -> tuple[int, dict[str, Any]]:
    """POST the file, run the worker's task for the queued run here (in the test's
    transaction, where no commit enqueues it), and return the POST's status with the run's
    report as GET shows it; or the status and body of a refusal."""
    status, body = post_file(api, name, content, **extra)
    if status != 202:
        return status, body
    assert body["status"] == "queued"
    assert tasks.process_customer_import.call(int(body["id"])) == "completed"
    return status, report_of(api, body["id"])


def download(api: ApiClient, query: str = "") -> Any:
    url = EXPORT_URL + query
    response: Any = api.client.get(url)
    assert response.status_code == 200, response.content
    check_against_openapi("GET", url, response)
    response.body = b"".join(response.streaming_content)
    return response


def csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "a BOM, so that Excel reads UTF-8"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_rows(content: bytes) -> list[dict[str, Any]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    sheet: Any = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def footprint(workspace: NewWorkspace) -> dict[str, Any]:
    """Everything an import may write about customers (not the import runs themselves)."""
    ws = workspace.workspace
    return {
        "customers": list(
            Customer.objects.for_workspace(ws)
            .order_by("pk")
            .values_list("external_id", "updated_at", "attributes")
        ),
        "events": OutboxEvent.objects.for_workspace(ws).count(),
        "consent_changes": ConsentChange.objects.for_workspace(ws).count(),
        "timeline": TimelineEntry.objects.for_workspace(ws).count(),
        "definitions": AttributeDefinition.objects.for_workspace(ws).count(),
    }


def errors_of(report: dict[str, Any]) -> set[tuple[int, str | None, str]]:
    return {(e["row"], e["field"], e["code"]) for e in report["errors"]}


HEADER = [
    "external_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "birthdate",
    "locale",
    "timezone",
    "attributes.vip",
    "attributes.visits",
    "attributes.score",
    "attributes.joined",
    "attributes.city",
    "attributes.zip",
    "consents.email_marketing",
    "consents.sms_marketing",
]
ROWS = [
    [
        "c-1",
        "Hanako@Example.com",
        "+819012345678",
        "花子",
        "山田",
        "1990-04-01",
        "ja",
        "Asia/Tokyo",
        "true",
        "3",
        "4.5",
        "2024-01-05",
        "Tokyo",
        "007",
        "granted",
        "denied",
    ],
    [
        "c-2",
        "minjun@example.kr",
        "",
        "민준",
        "김",
        "",
        "ko-KR",
        "Asia/Seoul",
        "FALSE",
        "10",
        "",
        "",
        "Seoul",
        "",
        "pending",
        "",
    ],
]


@pytest.fixture
def rich_customers(api: ApiClient) -> None:
    """Customers made through the JSON API, with every kind of value an export must carry."""
    first = {
        "email": "yamada@example.jp",
        "phone": "+819012345678",
        "first_name": "太郎",
        "last_name": "山田",
        "birthdate": "1985-05-05",
        "locale": "ja",
        "timezone": "Asia/Tokyo",
        "attributes": {
            "vip": True,
            "visits": 3,
            "ratio": 0.25,
            "joined": "2024-01-05",
            "zip": "007",
            "note": '=HYPERLINK("http://x")',
            "quoted": "'=already",
        },
        "consents": {"email_marketing": {"status": "granted"}},
    }
    second = {
        "email": "kim@example.kr",
        "first_name": "민준",
        "last_name": "김",
        "locale": "ko-KR",
        "attributes": {"vip": False, "visits": -2, "note": "+1 (555) 010-0000"},
        "consents": {"sms_marketing": {"status": "denied"}, "surveys": {"status": "pending"}},
    }
    assert api.put("/customers/jp-1", first).status_code == 201
    assert api.put("/customers/kr-1", second).status_code == 201
    assert api.put("/customers/bare-1", {}).status_code == 201


# ------------------------------------------------------------------ import


def test_csv_import_creates_customers_with_typed_attributes(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    status, report = upload(api, "customers.csv", csv_file([HEADER, *ROWS]))

    assert status == 202, report
    assert report["status"] == "completed"
    assert report["format"] == "csv"
    assert report["source"] == "api"
    assert report["columns"] == HEADER
    assert report["total_rows"] == report["processed_rows"] == 2
    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report["errors"] == []
    assert report["finished_at"] is not None

    one = api.get("/customers/c-1").data
    assert one["email"] == "hanako@example.com"
    assert (one["first_name"], one["last_name"]) == ("花子", "山田")
    assert one["birthdate"] == "1990-04-01"
    assert (one["locale"], one["timezone"]) == ("ja", "Asia/Tokyo")
    assert one["attributes"] == {
        "vip": True,
        "visits": 3,
        "score": 4.5,
        "joined": "2024-01-05",
        "city": "Tokyo",
        "zip": "007",
    }
    assert one["attributes"]["vip"] is True
    assert type(one["attributes"]["visits"]) is int
    assert {k: v["status"] for k, v in one["consents"].items()} == {
        "email_marketing": "granted",
        "sms_marketing": "denied",
    }
    two = api.get("/customers/c-2").data
    assert two["attributes"] == {"vip": False, "visits": 10, "city": "Seoul"}
    assert two["phone"] is None and two["birthdate"] is None
    assert {k: v["status"] for k, v in two["consents"].items()} == {"email_marketing": "pending"}

    types = dict(
        AttributeDefinition.objects.for_workspace(workspace.workspace).values_list("key", "type")
    )
    assert types == {
        "vip": "boolean",
        "visits": "number",
        "score": "number",
        "joined": "date",
        "city": "string",
        "zip": "string",
    }
    created = OutboxEvent.objects.for_workspace(workspace.workspace).filter(type="customer.created")
    assert sorted(e.payload["source"] for e in created) == ["import", "import"]
    assert set(
        ConsentChange.objects.for_workspace(workspace.workspace).values_list("source", flat=True)
    ) == {"import"}

    stored = api.get(f"/customers/imports/{report['id']}")
    assert stored.status_code == 200
    assert stored.data == report


def test_existing_attribute_types_decide_how_cells_are_read(api: ApiClient) -> None:
    seed = {"attributes": {"code": "A1", "score": 1, "since": "2020-01-01", "member": False}}
    assert api.put("/customers/seed", seed).status_code == 201
    rows = [
        ["external_id", "attributes.code", "attributes.score", "attributes.member"],
        ["c-1", "123", "5", "true"],
        ["c-2", "x", "abc", "yes"],
        ["c-3", "2024-02-01", "", ""],
        ["c-4", "", "0.5", "FALSE"],
    ]
    status, report = upload(api, "typed.csv", csv_file(rows))

    assert status == 202
    assert report["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    assert errors_of(report) == {
        (3, "attributes.score", "attribute_type_mismatch"),
        (3, "attributes.member", "attribute_type_mismatch"),
    }
    assert api.get("/customers/c-1").data["attributes"] == {
        "code": "123",
        "score": 5,
        "member": True,
    }
    assert api.get("/customers/c-3").data["attributes"] == {"code": "2024-02-01"}
    assert api.get("/customers/c-4").data["attributes"] == {"score": 0.5, "member": False}
    assert api.get("/customers/c-2").status_code == 404


def test_a_type_set_by_an_earlier_row_applies_to_later_rows(api: ApiClient) -> None:
    rows = [["external_id", "attributes.tier"], ["c-1", "3"], ["c-2", "gold"], ["c-3", "4"]]
    status, report = upload(api, "tiers.csv", csv_file(rows))

    assert status == 202
    assert report["counts"]["created"] == 2
    assert errors_of(report) == {(3, "attributes.tier", "attribute_type_mismatch")}
    assert api.get("/customers/c-3").data["attributes"] == {"tier": 4}


def test_xlsx_import_keeps_the_types_of_typed_cells(api: ApiClient) -> None:
    rows: list[list[Any]] = [
        [
            "external_id",
            "email",
            "first_name",
            "last_name",
            "birthdate",
            "attributes.vip",
            "attributes.visits",
            "attributes.ratio",
            "attributes.joined",
            "attributes.city",
            "attributes.flag",
            "consents.email_marketing",
        ],
        [
            "x-1",
            "sato@example.jp",
            "太郎",
            "佐藤",
            datetime(1985, 5, 5),
            True,
            42,
            2.5,
            datetime(2024, 3, 1),
            "大阪",
            "true",
            "Granted",
        ],
        [1001, None, "서연", "이", None, False, 7, None, None, None, None, None],
    ]
    status, report = upload(api, "customers.xlsx", xlsx_file(rows))

    assert status == 202, report
    assert report["format"] == "xlsx"
    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    one = api.get("/customers/x-1").data
    assert one["birthdate"] == "1985-05-05"
    assert (one["first_name"], one["last_name"]) == ("太郎", "佐藤")
    assert one["attributes"] == {
        "vip": True,
        "visits": 42,
        "ratio": 2.5,
        "joined": "2024-03-01",
        "city": "大阪",
        "flag": True,
    }
    assert type(one["attributes"]["visits"]) is int
    assert one["consents"]["email_marketing"]["status"] == "granted"
    numeric_id = api.get("/customers/1001").data
    assert (numeric_id["first_name"], numeric_id["last_name"]) == ("서연", "이")
    assert numeric_id["attributes"] == {"vip": False, "visits": 7}


def test_bad_rows_are_rejected_with_reasons_and_good_rows_kept(api: ApiClient) -> None:
    rows = [
        ["external_id", "email", "phone", "birthdate", "consents.email_marketing"],
        ["ok-1", "ok1@example.com", "", "", "granted"],  # row 2
        ["bad-email", "not-an-email", "", "", ""],  # row 3
        ["bad-phone", "", "12345", "", ""],  # row 4
        ["", "nobody@example.com", "", "", ""],  # row 5
        ["bad-date", "", "", "1990-02-30", ""],  # row 6
        ["bad-consent", "", "", "", "maybe"],  # row 7
        ["", "", "", "", ""],  # row 8: blank, skipped
        ["ok-1", "again@example.com", "", "", ""],  # row 9
        ["ok-2", "", "+821012345678", "2000-12-31", "denied"],  # row 10
        ["has space", "", "", "", ""],  # row 11
        ["extra", "", "", "", "", "oops"],  # row 12
        ["future", "", "", "2999-01-01", ""],  # row 13
        ["two-bad", "nope", "", "01/02/1990", ""],  # row 14
    ]
    status, report = upload(api, "mixed.csv", csv_file(rows))

    assert status == 202, report
    assert report["total_rows"] == 12
    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 10}
    assert errors_of(report) == {
        (3, "email", "invalid_email"),
        (4, "phone", "invalid_phone"),
        (5, "external_id", "required"),
        (6, "birthdate", "invalid_date"),
        (7, "consents.email_marketing", "invalid_consent_status"),
        (9, "external_id", "duplicate_external_id"),
        (11, "external_id", "invalid_external_id"),
        (12, None, "value_without_column"),
        (13, "birthdate", "invalid_birthdate"),
        (14, "birthdate", "invalid_date"),
    }
    by_row = {e["row"]: e for e in report["errors"]}
    assert by_row[3]["external_id"] == "bad-email"
    assert by_row[5]["external_id"] is None
    assert "row 2" in by_row[9]["message"]
    assert "Column F" in by_row[12]["message"]
    assert all(e["message"] for e in report["errors"])

    assert api.get("/customers/ok-1").data["email"] == "ok1@example.com"
    assert api.get("/customers/ok-2").data["consents"]["email_marketing"]["status"] == "denied"
    for rejected in ("bad-email", "bad-phone", "bad-date", "bad-consent", "extra", "future"):
        assert api.get(f"/customers/{rejected}").status_code == 404
    assert api.get(f"/customers/imports/{report['id']}").data["errors"] == report["errors"]


def test_cells_no_customer_field_can_hold_are_rejected(api: ApiClient) -> None:
    rows: list[list[Any]] = [
        ["external_id", "first_name", "birthdate", "attributes.seen"],
        ["ok", "Aiko", datetime(2001, 2, 3), datetime(2024, 5, 6)],
        ["error-cell", "#N/A", None, None],
        ["long-name", "x" * 101, None, None],
        ["timed", None, datetime(2001, 2, 3, 10, 30), None],
        ["x" * 129, None, None, None],
    ]
    status, report = upload(api, "customers.xlsx", xlsx_file(rows))
    nul_status, nul_report = upload(
        api, "customers.csv", csv_file([["external_id", "last_name"], ["nul", "a\x00b"]])
    )

    assert status == nul_status == 202
    assert report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 4}
    assert errors_of(report) == {
        (3, "first_name", "invalid_value"),
        (4, "first_name", "too_long"),
        (5, "birthdate", "invalid_date"),
        (6, "external_id", "too_long"),
    }
    assert errors_of(nul_report) == {(2, "last_name", "invalid_character")}
    assert api.get("/customers/ok").data["attributes"] == {"seen": "2024-05-06"}


def test_reimporting_the_same_file_changes_nothing(api: ApiClient, workspace: NewWorkspace) -> None:
    content = csv_file([HEADER, *ROWS])
    status, first = upload(api, "customers.csv", content)
    assert status == 202
    assert first["counts"]["created"] == 2
    before = footprint(workspace)

    status, second = upload(api, "customers.csv", content)

    assert status == 202
    assert second["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert second["id"] != first["id"]
    assert footprint(workspace) == before


def test_a_changed_file_updates_only_what_changed(api: ApiClient, workspace: NewWorkspace) -> None:
    upload(api, "customers.csv", csv_file([HEADER, *ROWS]))
    events = OutboxEvent.objects.for_workspace(workspace.workspace).count()
    changed_rows = [list(ROWS[0]), list(ROWS[1])]
    changed_rows[0][HEADER.index("attributes.visits")] = "4"
    changed_rows[0][HEADER.index("first_name")] = ""  # empty: left as it is

    status, report = upload(api, "customers.csv", csv_file([HEADER, *changed_rows]))

    assert status == 202
    assert report["counts"] == {"created": 0, "updated": 1, "unchanged": 1, "rejected": 0}
    one = api.get("/customers/c-1").data
    assert one["attributes"]["visits"] == 4
    assert one["first_name"] == "花子"
    updated = OutboxEvent.objects.for_workspace(workspace.workspace).order_by("-occurred_at")
    assert updated.count() == events + 1
    assert updated[0].type == "customer.updated"
    assert updated[0].payload["changed"] == ["attributes"]


@pytest.mark.parametrize(
    ("header", "code", "field"),
    [
        (["external_id", "emial"], "unknown_column", "emial"),
        (["external_id", "consents.fax"], "unknown_column", "consents.fax"),
        (["external_id", "attributes.my city"], "invalid_attribute_name", "attributes.my city"),
        (["external_id", "email", "EMAIL"], "duplicate_column", "EMAIL"),
        (["email", "first_name"], "missing_column", "external_id"),
    ],
)
def test_a_file_with_a_bad_column_is_refused_whole(
    api: ApiClient, workspace: NewWorkspace, header: list[str], code: str, field: str
) -> None:
    content = csv_file([header, ["c-1", "a@example.com", "x"][: len(header)]])
    status, body = upload(api, "customers.csv", content)

    assert status == 422
    assert (body["code"], body["field"]) == (code, field)
    assert field in body["message"]
    assert body["details"][0]["code"] == code
    assert not Customer.objects.for_workspace(workspace.workspace).exists()
    assert not CustomerImport.objects.for_workspace(workspace.workspace).exists()


def test_an_unknown_column_names_every_problem_and_suggests_the_right_name(
    api: ApiClient,
) -> None:
    content = csv_file([["external_id", "emial", "attribute.city", "nickname"], ["c-1"] * 4])
    status, body = upload(api, "customers.csv", content)

    assert status == 422
    assert body["code"] == "unknown_column"
    assert "Did you mean 'email'?" in body["message"]
    assert [(d["field"], d["code"]) for d in body["details"]] == [
        ("emial", "unknown_column"),
        ("attribute.city", "unknown_column"),
        ("nickname", "unknown_column"),
    ]
    assert "attributes.city" in body["details"][1]["message"]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("customers.pdf", b"%PDF-1.7 ...", "unsupported_file_format"),
        ("customers", b"external_id\nc-1\n", "unsupported_file_format"),
        ("customers.xls", OLE_MAGIC + b"\0" * 64, "unsupported_file_format"),
        ("customers.xlsx", b"external_id\nc-1\n", "unsupported_file_format"),
        ("customers.xlsx", b"PK\x03\x04 not really a workbook", "unsupported_file_format"),
        ("customers.csv", b"PK\x03\x04" + b"\0" * 64, "unsupported_file_format"),
        ("customers.csv", SHIFT_JIS_CSV, "invalid_encoding"),
        ("customers.csv", b"", "empty_file"),
        ("customers.csv", b"\xef\xbb\xbf", "empty_file"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused(
    api: ApiClient, workspace: NewWorkspace, name: str, content: bytes, code: str
) -> None:
    status, body = upload(api, name, content)

    assert status == 422
    assert (body["code"], body["field"]) == (code, "file")
    assert not Customer.objects.for_workspace(workspace.workspace).exists()


def test_a_file_in_another_encoding_is_refused_with_the_line_at_fault(api: ApiClient) -> None:
    content = b"external_id,first_name\nc-1,Hanako\n" + "c-2,花子\n".encode("shift_jis")
    status, body = upload(api, "customers.csv", content)

    assert status == 422
    assert body["code"] == "invalid_encoding"
    assert "(line 3)" in body["message"]
    assert "CSV UTF-8" in body["message"]


def test_a_file_without_a_header_row_is_refused(api: ApiClient) -> None:
    status, body = upload(api, "customers.xlsx", xlsx_file([[None, None], ["c-1", "x"]]))

    assert status == 422
    assert (body["code"], body["field"]) == ("missing_header", "file")


def test_the_upload_needs_a_file_field(api: ApiClient) -> None:
    response = api.client.post(IMPORT_URL, {"other": "x"})
    check_against_openapi("POST", IMPORT_URL, response)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("required", "file")

    response = api.post("/customers/import", {"file": "external_id\nc-1\n"})
    assert response.status_code == 422
    assert response.data["field"] == "file"


def test_uploads_are_capped_in_bytes_and_rows(
    api: ApiClient, workspace: NewWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [["external_id"], ["c-1"], ["c-2"], ["c-3"]]

    monkeypatch.setattr(readers, "MAX_ROWS", 2)
    status, body = upload(api, "customers.csv", csv_file(rows))
    assert status == 422
    assert (body["code"], body["field"]) == ("too_many_rows", "file")

    monkeypatch.setattr(readers, "MAX_UPLOAD_BYTES", 10)
    status, body = upload(api, "customers.csv", csv_file(rows))
    assert status == 413
    assert (body["code"], body["field"]) == ("file_too_large", "file")

    # A declared length beyond the cap is refused before the body is read.
    monkeypatch.setattr(readers, "MULTIPART_OVERHEAD_BYTES", 0)
    status, body = upload(api, "customers.csv", csv_file(rows))
    assert status == 413
    assert body["code"] == "file_too_large"

    assert not Customer.objects.for_workspace(workspace.workspace).exists()
    assert not CustomerImport.objects.for_workspace(workspace.workspace).exists()


def test_headers_are_matched_whatever_their_case(api: ApiClient) -> None:
    rows = [
        ["External_ID", " Email ", "Attributes.Tier", "Consents.Email_Marketing"],
        ["c-1", "a@example.com", "gold", "GRANTED"],
        ["c-2", "", "", "sometimes"],
    ]
    status, report = upload(api, "customers.csv", csv_file(rows))

    assert status == 202, report
    assert report["columns"] == [
        "External_ID",
        "Email",
        "Attributes.Tier",
        "Consents.Email_Marketing",
    ]
    assert errors_of(report) == {(3, "consents.email_marketing", "invalid_consent_status")}
    customer = api.get("/customers/c-1").data
    assert customer["email"] == "a@example.com"
    assert customer["attributes"] == {"Tier": "gold"}  # attribute names keep their case
    assert customer["consents"]["email_marketing"]["status"] == "granted"


def test_semicolon_separated_csv_and_formula_prefixes_are_understood(api: ApiClient) -> None:
    rows = [["external_id", "first_name", "attributes.note"], ["c-1", "'=Taro", "'+SUM(A1)"]]
    status, report = upload(api, "customers.csv", csv_file(rows, delimiter=";", bom=False))

    assert status == 202, report
    customer = api.get("/customers/c-1").data
    assert customer["first_name"] == "=Taro"
    assert customer["attributes"] == {"note": "+SUM(A1)"}


@pytest.mark.django_db(transaction=True)
def test_an_import_can_be_retried_with_an_idempotency_key(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    content = csv_file([HEADER, *ROWS])
    first = api.client.post(
        IMPORT_URL,
        {"file": SimpleUploadedFile("customers.csv", content)},
        headers={"Idempotency-Key": "import-1"},
    )
    again = api.client.post(
        IMPORT_URL,
        {"file": SimpleUploadedFile("customers.csv", content)},
        headers={"Idempotency-Key": "import-1"},
    )

    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["status"] == "queued"
    run = CustomerImport.objects.for_workspace(workspace.workspace).get()
    assert DBTaskResult.objects.filter(args_kwargs__args=[run.pk]).count() == 1


def test_import_reports_belong_to_their_workspace(api: ApiClient, other_api: ApiClient) -> None:
    status, report = upload(api, "customers.csv", csv_file([HEADER, *ROWS]))
    assert status == 202

    assert other_api.get(f"/customers/imports/{report['id']}").status_code == 404
    missing = api.get("/customers/imports/999999999")
    assert (missing.status_code, missing.data["code"]) == (404, "import_not_found")
    assert api.get("/customers/imports/not-a-number").status_code == 404


# ------------------------------------------------------------------ imports in the background

MIXED = [
    ["external_id", "email", "attributes.tier"],
    ["c-0", "c0@example.com", "1"],  # row 2
    ["c-1", "c1@example.com", "2"],  # row 3
    ["c-2", "not-an-email", ""],  # row 4: rejected
    ["", "", ""],  # row 5: blank, skipped
    ["c-3", "", "gold"],  # row 6: rejected, tier holds numbers since row 2
    ["c-4", "", "5"],  # row 7
    ["c-1", "again@example.com", ""],  # row 8: rejected, c-1 is on row 3
    ["c-5", "", ""],  # row 9
]
MIXED_ERRORS = {
    (4, "email", "invalid_email"),
    (6, "attributes.tier", "attribute_type_mismatch"),
    (8, "external_id", "duplicate_external_id"),
}
MIXED_CREATED = ["c-0", "c-1", "c-4", "c-5"]


def created_events(workspace: NewWorkspace) -> list[str]:
    return sorted(
        e.payload["customer_id"]
        for e in OutboxEvent.objects.for_workspace(workspace.workspace).filter(
            type="customer.created"
        )
    )


def customer_ids(workspace: NewWorkspace) -> list[str]:
    return sorted(
        Customer.objects.for_workspace(workspace.workspace).values_list("external_id", flat=True)
    )


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_queued_and_imported_by_the_worker(
    api: ApiClient, other_api: ApiClient, workspace: NewWorkspace
) -> None:
    status, queued = post_file(api, "mixed.csv", csv_file(MIXED))

    assert status == 202, queued
    assert queued["status"] == "queued"
    assert (queued["total_rows"], queued["processed_rows"], queued["percent"]) == (7, 0, 0)
    assert queued["counts"] == {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    assert queued["errors"] == [] and queued["failure"] is None
    assert queued["finished_at"] is None
    assert queued["columns"] == MIXED[0]
    assert report_of(api, queued["id"]) == queued
    assert other_api.get(f"/customers/imports/{queued['id']}").status_code == 404
    run = CustomerImport.objects.for_workspace(workspace.workspace).get()
    assert CustomerImportFile.objects.get(run=run).content == csv_file(MIXED)
    assert customer_ids(workspace) == []  # nothing is imported before a worker runs
    task = DBTaskResult.objects.get(args_kwargs__args=[run.pk])
    assert task.status == "READY"

    run_worker()

    report = report_of(api, queued["id"])
    assert report["status"] == "completed"
    assert (report["total_rows"], report["processed_rows"], report["percent"]) == (7, 7, 100)
    assert report["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 3}
    assert errors_of(report) == MIXED_ERRORS
    assert report["failure"] is None
    assert report["finished_at"] is not None
    assert customer_ids(workspace) == MIXED_CREATED
    assert created_events(workspace) == MIXED_CREATED
    assert not CustomerImportFile.objects.filter(run=run).exists()  # the file is freed
    task.refresh_from_db()
    assert (task.status, task.return_value) == ("SUCCESSFUL", "completed")
    # The outbox events of the imported customers wait in the outbox for the dispatcher.
    assert dispatcher.drain().dispatched == len(MIXED_CREATED)
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert other_api.get(f"/customers/imports/{queued['id']}").status_code == 404

    # A refused file leaves neither a run nor a task.
    status, body = post_file(api, "customers.csv", SHIFT_JIS_CSV)
    assert (status, body["code"]) == (422, "invalid_encoding")
    assert CustomerImport.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="process_customer_import").count() == 1


def test_progress_moves_batch_by_batch(api: ApiClient, workspace: NewWorkspace) -> None:
    status, queued = post_file(api, "mixed.csv", csv_file(MIXED))
    assert status == 202
    import_id = int(queued["id"])
    seen = []

    for _ in range(3):
        jobs.process_import_batch(import_id, batch_size=2)
        report = report_of(api, import_id)
        seen.append((report["status"], report["processed_rows"], report["percent"]))
        assert sum(report["counts"].values()) == report["processed_rows"]

    assert seen == [("running", 2, 28), ("running", 4, 57), ("running", 6, 85)]
    assert report["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 3}
    assert customer_ids(workspace) == ["c-0", "c-1", "c-4"]

    jobs.process_import_batch(import_id, batch_size=2)

    report = report_of(api, import_id)
    assert (report["status"], report["processed_rows"], report["percent"]) == ("completed", 7, 100)
    assert report["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 3}
    assert errors_of(report) == MIXED_ERRORS
    assert not CustomerImportFile.objects.filter(run_id=import_id).exists()


def test_a_run_that_stopped_resumes_after_its_last_checkpoint(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    """The worker died after the first batch: running the task again imports the rest."""
    status, queued = post_file(api, "mixed.csv", csv_file(MIXED))
    assert status == 202
    import_id = int(queued["id"])
    jobs.process_import_batch(import_id, batch_size=3)
    assert report_of(api, import_id)["processed_rows"] == 3

    assert tasks.process_customer_import.call(import_id) == "completed"

    report = report_of(api, import_id)
    assert report["processed_rows"] == 7
    assert report["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 3}
    # The duplicate on row 8 is found although row 3 was imported before the stop.
    assert errors_of(report) == MIXED_ERRORS
    assert customer_ids(workspace) == MIXED_CREATED
    assert created_events(workspace) == MIXED_CREATED


@pytest.mark.django_db(transaction=True)
def test_a_crash_inside_a_batch_rolls_that_batch_back_and_the_retry_is_exact(
    api: ApiClient, workspace: NewWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, queued = post_file(api, "mixed.csv", csv_file(MIXED))
    assert status == 202
    import_id = int(queued["id"])
    jobs.process_import_batch(import_id, batch_size=2)  # rows 2 and 3 are committed
    monkeypatch.setattr(jobs, "BATCH_SIZE", 3)
    upsert = profiles.upsert_customer

    def crash_on_c4(workspace: Any, external_id: str, data: Any, source: str = "api") -> Any:
        if external_id == "c-4":
            raise RuntimeError("the database went away")
        return upsert(workspace, external_id, data, source)

    monkeypatch.setattr(row_import, "BULK", False)  # rows one by one, to fail one
    monkeypatch.setattr(row_import, "upsert_customer", crash_on_c4)
    run_worker()  # the next batch (rows 4, 6, 7) stops at row 7

    task = DBTaskResult.objects.get(args_kwargs__args=[import_id])
    assert task.status == "FAILED"
    report = report_of(api, import_id)
    assert report["status"] == "failed"
    assert report["failure"]["code"] == "import_interrupted"
    assert "after 2 of 7 rows" in report["failure"]["message"]
    assert report["processed_rows"] == 2
    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report["errors"] == []  # row 4's rejection was rolled back with its batch
    assert customer_ids(workspace) == ["c-0", "c-1"]
    assert CustomerImportFile.objects.filter(run_id=import_id).exists()  # kept to resume

    monkeypatch.setattr(row_import, "upsert_customer", upsert)
    tasks.process_customer_import.enqueue(import_id)
    run_worker()

    report = report_of(api, import_id)
    assert (report["status"], report["failure"]) == ("completed", None)
    assert report["processed_rows"] == 7
    assert report["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 3}
    assert errors_of(report) == MIXED_ERRORS
    assert len(report["errors"]) == 3
    assert customer_ids(workspace) == MIXED_CREATED
    assert created_events(workspace) == MIXED_CREATED  # no event twice, none from the rollback
    assert not CustomerImportFile.objects.filter(run_id=import_id).exists()


def test_running_a_completed_import_again_does_nothing(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    status, report = upload(api, "mixed.csv", csv_file(MIXED))
    assert status == 202
    before = footprint(workspace)

    assert tasks.process_customer_import.call(int(report["id"])) == "completed"
    jobs.process_import_batch(int(report["id"]))

    assert report_of(api, report["id"]) == report
    assert footprint(workspace) == before


def test_a_job_behind_the_stored_checkpoint_writes_nothing(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    """Two workers took the same run: the one that is behind stops without writing."""
    status, queued = post_file(api, "mixed.csv", csv_file(MIXED))
    assert status == 202
    run = CustomerImport.objects.get(pk=queued["id"])
    content = bytes(CustomerImportFile.objects.get(run=run).content)
    ahead = jobs.ImportJob(CustomerImport.objects.get(pk=run.pk), io.BytesIO(content))
    behind = jobs.ImportJob(CustomerImport.objects.get(pk=run.pk), io.BytesIO(content))

    assert ahead.process_batch(2) is True
    assert behind.process_batch(2) is False
    ahead.close()
    behind.close()

    assert behind.superseded and not ahead.superseded
    report = report_of(api, run.pk)
    assert report["processed_rows"] == 2
    assert report["counts"]["created"] == 2
    assert customer_ids(workspace) == ["c-0", "c-1"]
    assert created_events(workspace) == ["c-0", "c-1"]


def test_a_stored_file_that_cannot_be_read_fails_the_run_with_a_message(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    status, queued = post_file(api, "customers.csv", csv_file([HEADER, *ROWS]))
    assert status == 202
    CustomerImportFile.objects.filter(run_id=queued["id"]).update(content=SHIFT_JIS_CSV)

    assert tasks.process_customer_import.call(int(queued["id"])) == "failed"

    report = report_of(api, queued["id"])
    assert report["status"] == "failed"
    assert report["failure"]["code"] == "invalid_encoding"
    assert "CSV UTF-8" in report["failure"]["message"]
    assert report["finished_at"] is not None
    assert customer_ids(workspace) == []
    assert not CustomerImportFile.objects.filter(run_id=queued["id"]).exists()
    # Nothing is left to try: running it again changes nothing.
    assert tasks.process_customer_import.call(int(queued["id"])) == "failed"
    assert report_of(api, queued["id"]) == report

    status, lost = post_file(api, "customers.csv", csv_file([HEADER, *ROWS]))
    CustomerImportFile.objects.filter(run_id=lost["id"]).delete()
    assert tasks.process_customer_import.call(int(lost["id"])) == "failed"
    assert report_of(api, lost["id"])["failure"]["code"] == "import_file_missing"
    assert tasks.process_customer_import.call(999_999_999) is None


# ------------------------------------------------------------------ export


def test_csv_export_has_the_import_columns(api: ApiClient, rich_customers: None) -> None:
    response = download(api)  # csv by default

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-shop-')
    assert response["Content-Disposition"].endswith('.csv"')
    rows = {row["external_id"]: row for row in csv_rows(response.body)}
    assert list(rows) == ["jp-1", "kr-1", "bare-1"]
    header = list(next(iter(rows.values())))
    assert header[:8] == list(columns.PROFILE_COLUMNS)
    assert header[8:15] == [
        "attributes.joined",
        "attributes.note",
        "attributes.quoted",
        "attributes.ratio",
        "attributes.vip",
        "attributes.visits",
        "attributes.zip",
    ]
    assert header[15:] == [
        "consents.email_marketing",
        "consents.sms_marketing",
        "consents.push_marketing",
        "consents.whatsapp_marketing",
        "consents.postal_marketing",
        "consents.surveys",
    ]
    jp = rows["jp-1"]
    assert (jp["first_name"], jp["last_name"], jp["birthdate"]) == ("太郎", "山田", "1985-05-05")
    assert jp["phone"] == "+819012345678"
    assert jp["attributes.vip"] == "true"
    assert jp["attributes.visits"] == "3"
    assert jp["attributes.ratio"] == "0.25"
    assert jp["attributes.zip"] == "007"
    assert jp["attributes.note"] == '\'=HYPERLINK("http://x")'  # not run as a formula
    assert jp["consents.email_marketing"] == "granted"
    assert jp["consents.sms_marketing"] == ""
    kr = rows["kr-1"]
    assert (kr["first_name"], kr["last_name"]) == ("민준", "김")
    assert kr["attributes.visits"] == "-2"
    assert kr["attributes.note"] == "+1 (555) 010-0000"
    assert kr["consents.surveys"] == "pending"
    assert set(rows["bare-1"].values()) == {"bare-1", ""}


def test_xlsx_export_writes_typed_cells(api: ApiClient, rich_customers: None) -> None:
    response = download(api, "?format=xlsx")

    assert response["Content-Type"] == readers.CONTENT_TYPES[readers.FileFormat.XLSX]
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert response.body.startswith(b"PK\x03\x04")
    rows = {row["external_id"]: row for row in xlsx_rows(response.body)}
    assert list(rows) == ["jp-1", "kr-1", "bare-1"]
    jp = rows["jp-1"]
    assert (jp["first_name"], jp["last_name"]) == ("太郎", "山田")
    assert jp["birthdate"] == datetime(1985, 5, 5)
    assert jp["attributes.vip"] is True
    assert jp["attributes.visits"] == 3
    assert jp["attributes.ratio"] == 0.25
    assert jp["attributes.joined"] == datetime(2024, 1, 5)
    assert jp["attributes.zip"] == "007"
    assert jp["attributes.note"] == '=HYPERLINK("http://x")'  # text, not a formula
    assert jp["consents.email_marketing"] == "granted"
    assert rows["kr-1"]["attributes.vip"] is False
    assert rows["bare-1"]["email"] is None


FORMULA_LIKE = {
    "equals": "=1+1",
    "at": "@SUM(A1)",
    "plus-formula": "+A1",
    "minus-formula": "-A1*2",
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
    "line-feed": "\n=1+1",
    "space": " =1+1",
    "ideographic-space": "\u3000=1+1",
    "fullwidth-equals": "＝1+1",
    "fullwidth-plus": "＋A1",
    "fullwidth-minus": "－A1",
    "fullwidth-at": "＠SUM(A1)",
    "already-guarded": "'=1+1",
}
NOT_FORMULAS = ["+81 90 1234 5678", "-2.5", "1-2", "a=b", "ok ", "Osaka＝"]


@pytest.mark.parametrize("value", FORMULA_LIKE.values(), ids=FORMULA_LIKE.keys())
def test_csv_export_guards_every_cell_a_spreadsheet_would_run(
    api: ApiClient, workspace: NewWorkspace, value: str
) -> None:
    assert api.put("/customers/c-1", {"attributes": {"note": value}}).status_code == 201
    exported = download(api).body
    assert csv_rows(exported)[0]["attributes.note"] == "'" + value
    before = footprint(workspace)

    status, report = upload(api, "customers.csv", exported)

    assert status == 202, report
    assert report["counts"]["unchanged"] == 1, report
    assert footprint(workspace) == before
    assert api.get("/customers/c-1").data["attributes"]["note"] == value


@pytest.mark.parametrize("value", NOT_FORMULAS)
def test_csv_export_leaves_other_text_as_it_is(api: ApiClient, value: str) -> None:
    assert api.put("/customers/c-1", {"attributes": {"note": value}}).status_code == 201
    assert csv_rows(download(api).body)[0]["attributes.note"] == value


def test_export_refuses_an_unknown_format(api: ApiClient) -> None:
    response = api.get("/customers/export?format=pdf")
    assert response.status_code == 422
    assert response.data["field"] == "format"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exported_file_imports_back_unchanged(
    api: ApiClient, workspace: NewWorkspace, rich_customers: None, file_format: str
) -> None:
    exported = download(api, f"?format={file_format}").body
    before = footprint(workspace)

    status, report = upload(api, f"customers.{file_format}", exported)

    assert status == 202, report
    assert report["counts"] == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert footprint(workspace) == before


def test_exports_never_show_another_workspaces_customers(
    api: ApiClient, other_api: ApiClient, rich_customers: None
) -> None:
    other = {"email": "secret@other.example", "attributes": {"secret_score": 99}}
    assert other_api.put("/customers/other-1", other).status_code == 201

    csv_body = download(api).body
    xlsx_body = download(api, "?format=xlsx").body

    for rows in (csv_rows(csv_body), xlsx_rows(xlsx_body)):
        assert {row["external_id"] for row in rows} == {"jp-1", "kr-1", "bare-1"}
        assert "attributes.secret_score" not in rows[0]
    assert b"secret" not in csv_body
    other_rows = csv_rows(download(other_api).body)
    assert [row["external_id"] for row in other_rows] == ["other-1"]


def test_an_empty_workspace_exports_a_template(api: ApiClient) -> None:
    content = download(api).body
    header = content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:8] == list(columns.PROFILE_COLUMNS)
    assert csv_rows(content) == []
    assert xlsx_rows(download(api, "?format=xlsx").body) == []


def test_export_reads_customers_in_chunks(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(7):
        assert api.put(f"/customers/c-{i}", {"first_name": f"N{i}"}).status_code == 201
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 3)

    response: Any = api.client.get(EXPORT_URL)
    chunks = list(response.streaming_content)

    assert len(chunks) == 3  # header and rows 1-3, rows 4-6, row 7
    rows = csv_rows(b"".join(chunks))
    assert [row["external_id"] for row in rows] == [f"c-{i}" for i in range(7)]


def test_japanese_and_korean_names_survive_import_and_export(api: ApiClient) -> None:
    names = [
        ["external_id", "first_name", "last_name", "attributes.city"],
        ["ja-1", "花子", "髙橋", "東京都"],
        ["ko-1", "지우", "박", "서울특별시"],
        ["ja-2", "ｱｲｺ", "𠮷田", "札幌"],
    ]
    status, report = upload(api, "names.csv", csv_file(names))
    assert status == 202
    assert report["counts"]["created"] == 3

    expected = {row[0]: row[1:] for row in names[1:]}
    for external_id, (first, last, city) in expected.items():
        got = api.get(f"/customers/{external_id}").data
        assert (got["first_name"], got["last_name"], got["attributes"]["city"]) == (
            first,
            last,
            city,
        )
    for rows in (csv_rows(download(api).body), xlsx_rows(download(api, "?format=xlsx").body)):
        got_names = {
            r["external_id"]: [r["first_name"], r["last_name"], r["attributes.city"]] for r in rows
        }
        assert got_names == expected


# ------------------------------------------------------------------ command line


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_command_line_import_prints_progress_counts_and_errors(
    workspace: NewWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)  # the same batches as a worker's
    path = tmp_path / "customers.csv"
    rows = [["external_id", "email"]] + [[f"c-{i}", f"c{i}@example.com"] for i in range(4)]
    rows.insert(3, ["c-bad", "not-an-email"])
    path.write_bytes(csv_file(rows))
    out = io.StringIO()

    call_command(
        "import_customers", str(path), workspace=workspace.workspace.slug, every=2, stdout=out
    )

    lines = out.getvalue().splitlines()
    run = CustomerImport.objects.for_workspace(workspace.workspace).get()
    assert lines[0] == (
        f"Importing customers.csv into {workspace.workspace.slug}: 5 rows (import {run.pk})."
    )
    assert lines[1:4] == ["2/5 rows (40%)", "4/5 rows (80%)", "5/5 rows (100%)"]
    assert lines[4] == (
        f"Import {run.pk} completed: 4 created, 0 updated, 0 unchanged, 1 rejected."
    )
    assert lines[5] == "Rejected rows:"
    assert lines[6].startswith("  row 4 (c-bad): email: invalid_email: ")
    assert run.source == "command"
    assert (run.processed_rows, run.total_rows) == (5, 5)
    assert Customer.objects.for_workspace(workspace.workspace).count() == 4
    assert not CustomerImportFile.objects.exists()  # read from the disk, never stored


def test_command_line_import_draws_a_bar_on_a_terminal(
    workspace: NewWorkspace, tmp_path: Path
) -> None:
    path = tmp_path / "customers.xlsx"
    path.write_bytes(xlsx_file([["external_id"], ["a"], ["b"], ["c"], ["d"]]))
    out = FakeTerminal()

    call_command("import_customers", str(path), workspace=workspace.workspace.slug, stdout=out)

    text = out.getvalue()
    assert "\r[" in text
    assert "100% 4/4 rows" in text
    assert "4 created, 0 updated, 0 unchanged, 0 rejected." in text


def test_command_line_import_refuses_a_bad_file(workspace: NewWorkspace, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_file([["external_id", "emial", "phnoe"], ["c-1", "x", "y"]]))

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_customers", str(path), workspace=workspace.workspace.slug, stdout=io.StringIO()
        )
    assert "unknown_column" in str(refused.value)
    assert "phnoe" in str(refused.value)

    with pytest.raises(CommandError, match="No workspace"):
        call_command("import_customers", str(path), workspace="nope", stdout=io.StringIO())
    assert not Customer.objects.for_workspace(workspace.workspace).exists()


def test_command_line_resumes_an_upload_whose_worker_stopped(
    api: ApiClient, workspace: NewWorkspace, other_workspace: NewWorkspace
) -> None:
    status, queued = post_file(api, "mixed.csv", csv_file(MIXED))
    assert status == 202
    jobs.process_import_batch(int(queued["id"]), batch_size=2)
    out = io.StringIO()

    with pytest.raises(CommandError, match="import_not_found"):
        call_command(
            "import_customers",
            workspace=other_workspace.workspace.slug,
            resume=int(queued["id"]),
            stdout=out,
        )
    call_command(
        "import_customers",
        workspace=workspace.workspace.slug,
        resume=int(queued["id"]),
        every=2,
        stdout=out,
    )

    lines = out.getvalue().splitlines()
    assert lines[:5] == [
        f"Resuming import {queued['id']} (mixed.csv) at 2/7 rows.",
        "2/7 rows (28%)",
        "4/7 rows (57%)",
        "6/7 rows (85%)",
        "7/7 rows (100%)",
    ]
    assert lines[5] == (
        f"Import {queued['id']} completed: 4 created, 0 updated, 0 unchanged, 3 rejected."
    )
    assert report_of(api, queued["id"])["counts"]["created"] == 4
    assert customer_ids(workspace) == MIXED_CREATED


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_command_line_export_then_import_round_trips(
    workspace: NewWorkspace, rich_customers: None, tmp_path: Path, file_format: str
) -> None:
    target = tmp_path / f"export.{file_format}"
    out = io.StringIO()

    call_command(
        "export_customers", workspace=workspace.workspace.slug, output=str(target), stdout=out
    )

    assert out.getvalue().strip() == f"Exported 3 customers to {target} ({file_format})."
    content = target.read_bytes()
    rows = csv_rows(content) if file_format == "csv" else xlsx_rows(content)
    assert [row["external_id"] for row in rows] == ["jp-1", "kr-1", "bare-1"]
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no partial file left

    before = footprint(workspace)
    out = io.StringIO()
    call_command("import_customers", str(target), workspace=workspace.workspace.slug, stdout=out)
    assert "0 created, 0 updated, 3 unchanged, 0 rejected." in out.getvalue()
    assert footprint(workspace) == before


def test_command_line_export_format_flag_wins_over_the_extension(
    workspace: NewWorkspace, rich_customers: None, tmp_path: Path
) -> None:
    target = tmp_path / "customers.data"
    call_command(
        "export_customers",
        workspace=workspace.workspace.slug,
        format="xlsx",
        output=str(target),
        stdout=io.StringIO(),
    )
    assert target.read_bytes().startswith(b"PK\x03\x04")
    assert date(1985, 5, 5) == xlsx_rows(target.read_bytes())[0]["birthdate"].date()


def test_the_sweep_resumes_only_runs_that_stopped_moving(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    """A lost task (never run) and a killed worker (stopped after a batch) are both finished by
    `resume_imports`; a run that moved recently is left to its worker."""
    from datetime import timedelta
    from io import StringIO

    from kizuna.core.clock import now

    lost = int(post_file(api, "mixed.csv", csv_file(MIXED))[1]["id"])
    killed = int(post_file(api, "mixed.csv", csv_file(MIXED))[1]["id"])
    busy = int(post_file(api, "mixed.csv", csv_file(MIXED))[1]["id"])
    jobs.process_import_batch(killed, batch_size=3)
    jobs.process_import_batch(busy, batch_size=3)
    long_ago = now() - timedelta(minutes=11)
    CustomerImport.objects.filter(pk__in=[lost, killed]).update(checkpoint_at=long_ago)

    out = StringIO()
    call_command("resume_imports", "--idle-minutes", "10", stdout=out)

    assert out.getvalue().splitlines() == [
        f"import {lost}: completed",
        f"import {killed}: completed",
        "resumed 2 stalled import(s)",
    ]
    for import_id in (lost, killed):
        report = report_of(api, import_id)
        assert report["processed_rows"] == 7
        assert report["counts"]["created"] + report["counts"]["unchanged"] == 4
    assert report_of(api, busy)["status"] == "running"
    assert report_of(api, busy)["processed_rows"] == 3
    assert customer_ids(workspace) == MIXED_CREATED


def test_the_sweep_goes_on_past_an_import_that_fails_and_exits_non_zero(
    api: ApiClient, workspace: NewWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta
    from io import StringIO

    from kizuna.core.clock import now

    def stalled(rows: list[list[str]], minutes_ago: int) -> int:
        import_id = int(post_file(api, "stalled.csv", csv_file(rows))[1]["id"])
        checkpoint = now() - timedelta(minutes=minutes_ago)
        CustomerImport.objects.filter(pk=import_id).update(checkpoint_at=checkpoint)
        return import_id

    # The sweep takes the oldest first: the failing import comes before the two others.
    broken = stalled([["external_id"], ["a-1"], ["boom"], ["a-2"]], minutes_ago=30)
    first = stalled([["external_id"], ["b-1"], ["b-2"]], minutes_ago=20)
    second = stalled([["external_id"], ["c-1"]], minutes_ago=15)
    upsert = profiles.upsert_customer

    def crash_on_boom(workspace: Any, external_id: str, data: Any, source: str = "api") -> Any:
        if external_id == "boom":
            raise RuntimeError("the database went away")
        return upsert(workspace, external_id, data, source)

    monkeypatch.setattr(row_import, "BULK", False)  # rows one by one, to fail one
    monkeypatch.setattr(row_import, "upsert_customer", crash_on_boom)
    out = StringIO()

    with pytest.raises(CommandError, match=rf"1 stalled import\(s\) failed: {broken}$"):
        call_command("resume_imports", "--idle-minutes", "10", stdout=out)

    assert out.getvalue().splitlines() == [
        f"import {broken}: error the database went away",
        f"import {first}: completed",
        f"import {second}: completed",
        "resumed 2 stalled import(s)",
    ]
    failed = report_of(api, broken)
    assert (failed["status"], failed["failure"]["code"]) == ("failed", "import_interrupted")
    assert CustomerImportFile.objects.filter(run_id=broken).exists()  # kept to resume
    assert customer_ids(workspace) == ["b-1", "b-2", "c-1"]
    for import_id in (first, second):
        assert report_of(api, import_id)["status"] == "completed"


def test_the_sweep_resumes_an_interrupted_import_a_few_times_then_leaves_it_to_an_operator(
    api: ApiClient, workspace: NewWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta
    from io import StringIO

    from kizuna.core.clock import now

    import_id = int(
        post_file(api, "flaky.csv", csv_file([["external_id"], ["a-1"], ["boom"]]))[1]["id"]
    )
    upsert = profiles.upsert_customer

    def crash_on_boom(workspace: Any, external_id: str, data: Any, source: str = "api") -> Any:
        if external_id == "boom":
            raise RuntimeError("the database went away")
        return upsert(workspace, external_id, data, source)

    def sweep() -> list[str]:
        CustomerImport.objects.filter(pk=import_id).update(
            checkpoint_at=now() - timedelta(minutes=11)
        )
        out = StringIO()
        with suppress(CommandError):
            call_command("resume_imports", "--idle-minutes", "10", stdout=out)
        return out.getvalue().splitlines()

    monkeypatch.setattr(row_import, "BULK", False)  # rows one by one, to fail one
    monkeypatch.setattr(row_import, "upsert_customer", crash_on_boom)
    with pytest.raises(RuntimeError):
        tasks.process_customer_import.call(import_id)
    run = CustomerImport.objects.get(pk=import_id)
    assert (run.status, run.failure_code, run.interruptions) == ("failed", "import_interrupted", 1)

    assert sweep()[0] == f"import {import_id}: error the database went away"
    assert sweep()[0] == f"import {import_id}: error the database went away"
    assert CustomerImport.objects.get(pk=import_id).interruptions == jobs.MAX_AUTO_RESUMES
    assert sweep() == ["resumed 0 stalled import(s)"], "past the cap, an operator decides"

    monkeypatch.setattr(row_import, "upsert_customer", upsert)
    out = StringIO()
    call_command(
        "import_customers",
        "--resume",
        str(import_id),
        "--workspace",
        workspace.workspace.slug,
        stdout=out,
    )
    report = report_of(api, import_id)
    assert (report["status"], report["processed_rows"]) == ("completed", 2)
    assert customer_ids(workspace) == ["a-1", "boom"]


# ------------------------------------------------------------------ the bulk path


def written_rows(workspace: NewWorkspace) -> dict[str, Any]:
    """Every row an import writes about customers, without keys and times of writing."""
    ws = workspace.workspace
    return {
        "customers": sorted(
            Customer.objects.for_workspace(ws).values_list(
                "external_id",
                "email",
                "phone",
                "first_name",
                "last_name",
                "birthdate",
                "locale",
                "timezone",
                "attributes",
                "erased_at",
            ),
            key=str,
        ),
        "definitions": sorted(
            AttributeDefinition.objects.for_workspace(ws).values_list("key", "type")
        ),
        "consents": sorted(
            Consent.objects.for_workspace(ws).values_list(
                "customer__external_id", "channel", "status"
            )
        ),
        "consent_changes": sorted(
            ConsentChange.objects.for_workspace(ws).values_list(
                "customer__external_id", "channel", "status", "previous_status", "source"
            )
        ),
        "timeline": sorted(
            (e.customer.external_id, e.kind, e.object_id, json.dumps(e.summary, sort_keys=True))
            for e in TimelineEntry.objects.for_workspace(ws).select_related("customer")
        ),
        "outbox": [
            (e.type, json.dumps(e.payload, sort_keys=True))
            for e in OutboxEvent.objects.for_workspace(ws).order_by("occurred_at", "type")
        ],
    }


RICH = [
    [
        "external_id",
        "email",
        "first_name",
        "birthdate",
        "attributes.code",
        "attributes.vip",
        "consents.email_marketing",
        "consents.surveys",
    ],
    ["b-1", "one@example.com", "One", "1990-04-01", "007", "true", "granted", ""],
    ["b-2", "not-an-email", "Two", "", "", "", "", ""],
    ["b-3", "", "Three", "", "123", "", "denied", "granted"],  # 123 is read as code's type
    ["old-1", "", "Renamed", "", "", "false", "denied", ""],  # an update, a consent change
    ["old-2", "", "", "", "", "", "granted", ""],  # nothing new: unchanged
    ["gone", "", "Back", "", "", "", "", ""],  # erased: a new customer under the id
    ["b-4", "", "", "", "", "maybe", "", ""],  # vip holds booleans
    ["b-1", "", "Again", "", "", "", "", ""],  # a duplicate
    ["export", "", "", "", "", "", "", ""],  # a reserved id
]


def _seed_for_rich(api: ApiClient) -> None:
    assert (
        api.put(
            "/customers/old-1",
            {"first_name": "Old", "consents": {"email_marketing": {"status": "granted"}}},
        ).status_code
        == 201
    )
    assert (
        api.put(
            "/customers/old-2", {"consents": {"email_marketing": {"status": "granted"}}}
        ).status_code
        == 201
    )
    assert api.put("/customers/gone", {"first_name": "Gone"}).status_code == 201
    assert api.post("/customers/gone/erase").status_code == 200


@pytest.mark.parametrize("batch_size", [3, 500])
def test_the_bulk_path_writes_what_rows_one_by_one_write(
    api: ApiClient,
    other_api: ApiClient,
    workspace: NewWorkspace,
    other_workspace: NewWorkspace,
    monkeypatch: pytest.MonkeyPatch,
    batch_size: int,
) -> None:
    monkeypatch.setattr(jobs, "BATCH_SIZE", batch_size)
    reports = []
    for client, bulk in ((api, True), (other_api, False)):
        _seed_for_rich(client)
        monkeypatch.setattr(row_import, "BULK", bulk)
        status, report = upload(client, "rich.csv", csv_file(RICH))
        assert status == 202
        reports.append({k: report[k] for k in ("counts", "errors", "processed_rows")})
    assert reports[0] == reports[1]
    assert reports[0]["counts"] == {"created": 3, "updated": 1, "unchanged": 1, "rejected": 4}
    bulk_rows, single_rows = written_rows(workspace), written_rows(other_workspace)
    # The erased customer's row, its erasure and their events hold generated ids: compare
    # everything else.
    for rows in (bulk_rows, single_rows):
        for key, values in rows.items():
            rows[key] = [v for v in values if "erase" not in str(v)]
    for key, rows in bulk_rows.items():
        assert rows == single_rows[key], (key, set(rows) ^ set(single_rows[key]))
    assert ("code", "string") in bulk_rows["definitions"]


def test_a_batch_that_meets_a_conflict_runs_again_row_by_row(
    api: ApiClient, workspace: NewWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def conflict(self: Any) -> None:
        Customer.objects.create(workspace=workspace.workspace, external_id="t-0")
        raise bulk_profiles.Conflict("a customer of the batch was created meanwhile")

    monkeypatch.setattr(bulk_profiles.BulkUpsert, "write", conflict)
    rows = [["external_id", "attributes.tier"], ["t-1", "gold"], ["t-2", "7"], ["t-2", "8"]]
    status, report = upload(api, "tiers.csv", csv_file(rows))
    assert status == 202
    assert report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(4, "duplicate_external_id")]
    assert customer_ids(workspace) == ["t-1", "t-2"], "the savepoint took the bulk writes back"
    assert api.get("/customers/t-2").data["attributes"] == {"tier": "7"}
