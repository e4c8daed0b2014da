"""The answer projection: exactly the rows the Answer model's docstring names, per element
type, rewritten on every save."""

from datetime import date
from decimal import Decimal
from typing import Any

from conftest import ApiClient
from kizuna.feedback.models import Answer, Response
from kizuna.feedback.tests.response_support import answer, every_answer, published

PATH = "/surveys/relationship/responses"


def _rows() -> list[tuple[Any, ...]]:
    return list(
        Answer.objects.order_by("pk").values_list(
            "element_id", "kind", "row", "choice", "number", "date", "text", "finished"
        )
    )


def test_one_row_per_answer_typed_by_element_kind(api: ApiClient) -> None:
    published(api)
    assert api.put("/customers/cust-1", {"email": "a@example.com"}).status_code in (200, 201)
    saved = api.post(PATH, answer(answers=every_answer(), customer_id="cust-1", finished=True))
    assert saved.status_code == 201, saved.data
    n = Decimal
    f = True
    assert _rows() == [
        ("nps", "nps", "", "", n(3), None, "", f),
        ("csat", "csat", "", "", n(4), None, "", f),
        ("ces", "ces", "", "", n(2), None, "", f),
        ("stars", "rating", "", "", n(5), None, "", f),
        ("Why not?", "text", "", "", None, None, "Slow delivery", f),
        ("channel", "choice", "", "other", None, None, "At a friend's", f),
        ("likes", "choice", "", "tea", None, None, "", f),
        ("likes", "choice", "", "other", None, None, "Cakes", f),
        ("city", "choice", "", "seoul", None, None, "", f),
        ("order", "ranking", "", "speed", n(1), None, "", f),
        ("order", "ranking", "", "price", n(2), None, "", f),
        ("grid", "matrix", "staff", "good", None, None, "", f),
        ("grid", "matrix", "store", "bad", None, None, "", f),
        ("email", "email", "", "", None, None, "a@example.com", f),
        ("age", "number", "", "", n("42.5"), None, "42.5", f),
        ("site", "url", "", "", None, None, "https://example.com/x", f),
        ("visited", "date", "", "", None, date(2026, 5, 1), "", f),
        ("again", "boolean", "", "", n(0), None, "", f),
        ("ok", "boolean", "", "", n(1), None, "", f),
    ]
    response = Response.objects.get()
    rows = Answer.objects.all()
    assert {row.response_id for row in rows} == {response.pk}
    assert {row.survey_id for row in rows} == {response.survey_id}
    assert {row.customer_id for row in rows} == {response.customer_id}
    assert response.customer_id is not None
    assert {row.answered_at for row in rows} == {response.updated_at}
    assert {row.sentiment for row in rows} == {""}


def test_the_rows_are_rewritten_on_every_save(api: ApiClient) -> None:
    published(api)
    api.post(PATH, answer(answers={"nps": 2, "likes": ["tea", "other"], "likes#other": "Cake"}))
    assert [(r[0], r[3], r[7]) for r in _rows()] == [
        ("nps", "", False),
        ("likes", "tea", False),
        ("likes", "other", False),
    ]
    saved = api.post(PATH, answer(answers={"nps": 7, "likes": ["tea"], "ok": True}, finished=True))
    assert saved.status_code == 200, saved.data
    assert [(r[0], r[3], r[4], r[7]) for r in _rows()] == [
        ("nps", "", Decimal(7), True),
        ("likes", "tea", None, True),
        ("ok", "", Decimal(1), True),
    ]


def test_an_empty_text_writes_no_row(api: ApiClient) -> None:
    published(api)
    api.post(PATH, answer(answers={"nps": 2, "site": ""}))
    assert [r[0] for r in _rows()] == ["nps"]


def test_a_number_sent_as_a_json_number_is_kept_as_text_too(api: ApiClient) -> None:
    published(api)
    api.post(PATH, answer(answers={"age": 30}))
    assert [(r[1], r[4], r[6]) for r in _rows()] == [("number", Decimal(30), "30")]
