"""The export: CSV and XLSX files read back, one row per response with labels in the
language asked for; the `kizuna` format is the definition."""

import csv
import io
import json
from datetime import datetime
from typing import Any

from openpyxl import load_workbook

from conftest import ApiClient
from kizuna.feedback.models import Answer
from kizuna.feedback.services import enrichment
from kizuna.feedback.tests.response_support import answer, every_answer, published
from kizuna.feedback.tests.support import assert_error, full_definition, minimal_definition, nps, t

EXPORT = "/surveys/relationship/export"
HEADER = [
    "response_id",
    "submission_id",
    "customer_id",
    "status",
    "ending",
    "language",
    "channel",
    "device",
    "version",
    "started_at",
    "completed_at",
    "nps",
    "csat",
    "ces",
    "stars",
    "Why not?",
    "Why not?.sentiment",
    "channel",
    "channel#other",
    "channel#other.sentiment",
    "likes",
    "likes#other",
    "likes#other.sentiment",
    "city",
    "order",
    "grid[staff]",
    "grid[store]",
    "email",
    "age",
    "site",
    "visited",
    "again",
    "ok",
    "hidden.source",
    "hidden.store",
]


def _content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response: Any) -> list[list[str]]:
    text = _content(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _two_responses(api: ApiClient) -> tuple[dict[str, Any], dict[str, Any]]:
    published(api)
    assert api.put("/customers/cust-1", {"email": "a@example.com"}).status_code in (200, 201)
    full = api.post(
        "/surveys/relationship/responses",
        answer(
            "full",
            answers=every_answer(),
            finished=True,
            customer_id="cust-1",
            hidden={"store": "=cmd"},
            meta={"channel": "email", "device": "mobile"},
        ),
    ).data
    short = api.post(
        "/surveys/relationship/responses",
        answer("short", language="ja", answers={"nps": 7, "channel": "shop", "likes": ["tea"]}),
    ).data
    assert short["status"] == "in_progress", short
    return full, short


def test_csv_has_a_row_per_response_with_labels(api: ApiClient) -> None:
    full, short = _two_responses(api)
    assert enrichment.enrich_waiting() == 3  # "Why not?" and the two other texts
    sentiment = {
        (element, choice): value
        for element, choice, value in Answer.objects.filter(response__key=full["id"])
        .exclude(sentiment="")
        .values_list("element_id", "choice", "sentiment")
    }
    exported = api.get(f"{EXPORT}?format=csv")
    assert exported.status_code == 200
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="relationship-responses-' in exported["Content-Disposition"]
    rows = _csv(exported)
    assert rows[0] == HEADER
    assert rows[1] == [
        full["id"],
        "full",
        "cust-1",
        "completed",
        "thanks",
        "en",
        "email",
        "mobile",
        "1",
        full["started_at"],
        full["completed_at"],
        "3",
        "4",
        "2",
        "5",
        "Slow delivery",
        sentiment[("Why not?", "")],
        "Elsewhere",
        "At a friend's",
        sentiment[("channel", "other")],
        "Tea; Other",
        "Cakes",
        sentiment[("likes", "other")],
        "Seoul",
        "Speed; Price",
        "Good",
        "Bad",
        "a@example.com",
        "42.5",
        "https://example.com/x",
        "2026-05-01",
        "No",
        "true",
        "",
        "'=cmd",  # a formula is written as text
    ]
    assert rows[2][:4] == [short["id"], "short", "", "in_progress"]
    assert rows[2][11] == "7"
    assert rows[2][HEADER.index("channel", 12)] == "Shop"
    assert len(rows) == 3


def test_labels_in_the_language_asked_for(api: ApiClient) -> None:
    _two_responses(api)
    rows = _csv(api.get(f"{EXPORT}?format=csv&language=ja"))
    assert rows[2][HEADER.index("channel", 12)] == "店舗"
    assert_error(api.get(f"{EXPORT}?format=csv&language=fr"), 422, "invalid_language", "language")


def test_xlsx_holds_the_same_rows_typed(api: ApiClient) -> None:
    full, short = _two_responses(api)
    exported = api.get(f"{EXPORT}?format=xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(_content(exported)), read_only=True)["responses"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    first = dict(zip(HEADER[:11], rows[1][:11], strict=True))
    assert (first["response_id"], first["customer_id"], first["status"], first["version"]) == (
        full["id"],
        "cust-1",
        "completed",
        1,
    )
    answers = rows[1][11:]
    assert answers == [
        3,
        4,
        2,
        5,
        "Slow delivery",
        None,  # not analysed yet
        "Elsewhere",
        "At a friend's",
        None,
        "Tea; Other",
        "Cakes",
        None,
        "Seoul",
        "Speed; Price",
        "Good",
        "Bad",
        "a@example.com",
        42.5,
        "https://example.com/x",
        datetime(2026, 5, 1),
        "No",
        "true",
        None,
        "=cmd",  # a text cell, not a formula
    ]
    assert rows[2][:2] == [short["id"], "short"]
    assert len(rows) == 3


def test_elements_of_earlier_versions_follow_the_current_ones(api: ApiClient) -> None:
    published(
        api,
        definition=minimal_definition(nps(), {"id": "gone", "type": "csat", "title": t("Gone")}),
    )
    api.post("/surveys/relationship/responses", answer("old", answers={"nps": 1, "gone": 2}))
    changed = minimal_definition({"id": "new", "type": "ces", "title": t("New")}, nps())
    assert api.patch("/surveys/relationship", {"definition": changed}).status_code == 200
    rows = _csv(api.get(f"{EXPORT}?format=csv"))
    assert rows[0][11:] == ["new", "nps", "gone"]
    assert rows[1][11:] == ["", "1", "2"]


def test_the_kizuna_format_is_the_definition(api: ApiClient) -> None:
    published(api)
    exported = api.get(f"{EXPORT}?format=kizuna")
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/json"
    assert json.loads(exported.content) == full_definition()
    assert 'filename="relationship-v1.json"' in exported["Content-Disposition"]


def test_an_unknown_format_is_422(api: ApiClient) -> None:
    published(api)
    assert_error(api.get(f"{EXPORT}?format=pdf"), 422, "invalid_choice", "format")
    assert_error(api.get("/surveys/nope/export?format=csv"), 404, "survey_not_found", "survey_id")
