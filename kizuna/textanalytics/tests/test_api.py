"""POST /text/analyze through the whole API stack."""

import pytest

pytestmark = pytest.mark.django_db

CLEAR = [
    ("en-pos", "The staff were wonderful and my order arrived early. Thank you!", "positive"),
    (
        "en-neg",
        "Terrible service, the app crashed twice and nobody answered my emails.",
        "negative",
    ),
    ("ja-pos", "店員さんがとても親切で、また来たいと思いました。", "positive"),
    ("ja-neg", "商品が壊れて届きました。最悪です。", "negative"),
    ("ko-pos", "배송도 빠르고 품질도 정말 좋아요!", "positive"),
    ("ko-neg", "직원이 너무 불친절해서 다시는 안 갈 거예요.", "negative"),
]


def test_analyze_returns_one_result_per_text_in_order(api):
    body = {"texts": [{"id": i, "text": t} for i, t, _ in CLEAR]}
    response = api.post("/text/analyze", body)
    assert response.status_code == 200, response.data
    results = response.data["results"]
    assert [r["id"] for r in results] == [i for i, _, _ in CLEAR]
    for result, (ident, _text, expected) in zip(results, CLEAR, strict=True):
        assert result["language"] == ident[:2]
        assert result["sentiment"] == expected, result
        assert -1 <= result["score"] <= 1
        assert (result["score"] > 0) == (expected == "positive")
        assert isinstance(result["themes"], list)


def test_given_language_is_used(api):
    response = api.post("/text/analyze", {"texts": [{"id": "a", "text": "OK", "language": "ja"}]})
    assert response.status_code == 200
    assert response.data["results"][0]["language"] == "ja"


def test_themes_name_what_the_text_is_about(api):
    response = api.post(
        "/text/analyze",
        {"texts": [{"id": "a", "text": "The delivery was late and the box was crushed."}]},
    )
    themes = response.data["results"][0]["themes"]
    assert "delivery" in themes and "packaging" in themes


def test_a_hundred_texts_are_accepted(api):
    texts = [{"id": f"t{i}", "text": f"Order {i} arrived on time, thanks."} for i in range(100)]
    response = api.post("/text/analyze", {"texts": texts})
    assert response.status_code == 200
    assert len(response.data["results"]) == 100


@pytest.mark.parametrize(
    ("texts", "code", "field"),
    [
        ([], "no_texts", "texts"),
        ([{"id": f"t{i}", "text": "fine"} for i in range(101)], "too_many_texts", "texts"),
        ([{"id": "a", "text": "fine"}, {"id": "b", "text": ""}], "empty_text", "texts[1].text"),
        ([{"id": "a", "text": "   \n"}], "empty_text", "texts[0].text"),
        ([{"id": "a", "text": "x" * 10_001}], "text_too_long", "texts[0].text"),
        ([{"id": "a", "text": "ok"}, {"id": "a", "text": "ok"}], "duplicate_id", "texts[1].id"),
        ([{"id": "", "text": "ok"}], "invalid_id", "texts[0].id"),
        ([{"id": "a", "text": "ok", "language": "fr"}], "invalid_choice", "texts[0].language"),
        ([{"id": "a", "text": "ok", "mood": "happy"}], "unknown_field", "texts[0].mood"),
        ([{"id": "a"}], "required", "texts[0].text"),
        ([{"id": "a", "text": 5}], "invalid_type", "texts[0].text"),
    ],
)
def test_bad_input_is_422_naming_the_field(api, texts, code, field):
    response = api.post("/text/analyze", {"texts": texts})
    assert response.status_code == 422, response.data
    assert response.data["code"] == code
    assert response.data["field"] == field


def test_text_that_is_not_valid_utf8_is_422_naming_the_field(api):
    # An unpaired surrogate: valid JSON escape, but no UTF-8 encoding exists for it.
    raw = b'{"texts": [{"id": "a", "text": "ok"}, {"id": "b", "text": "bad \\ud800 text"}]}'
    response = api.post("/text/analyze", raw)
    assert response.status_code == 422
    assert response.data["code"] == "invalid_character"
    assert response.data["field"] == "texts[1].text"


def test_a_body_that_is_not_utf8_is_refused(api):
    response = api.post("/text/analyze", b'{"texts": [{"id": "a", "text": "\xff\xfe"}]}')
    assert response.status_code == 400
    assert response.data["code"] == "invalid_utf8"


def test_exactly_ten_thousand_characters_are_accepted(api):
    response = api.post("/text/analyze", {"texts": [{"id": "a", "text": "good " * 2000}]})
    assert response.status_code == 200


def test_publishable_keys_may_not_analyze(browser_api):
    response = browser_api.post("/text/analyze", {"texts": [{"id": "a", "text": "great"}]})
    assert response.status_code == 403
    assert response.data["code"] == "server_key_required"


def test_without_a_key_it_is_401(anonymous_api):
    response = anonymous_api.post("/text/analyze", {"texts": [{"id": "a", "text": "great"}]})
    assert response.status_code == 401


def test_the_configured_analyzer_answers(api, settings):
    settings.KIZUNA_TEXT_ANALYZER = "kizuna.textanalytics.tests.support.FixedAnalyzer"
    response = api.post("/text/analyze", {"texts": [{"id": "a", "text": "anything"}]})
    assert response.status_code == 200
    assert response.data["results"] == [
        {"id": "a", "language": "en", "sentiment": "neutral", "score": 0.0, "themes": ["fixed"]}
    ]


def test_a_retry_with_the_same_idempotency_key_replays_the_answer(api):
    body = {"texts": [{"id": "a", "text": "The staff were lovely."}]}
    first = api.post("/text/analyze", body, **{"Idempotency-Key": "analyze-1"})
    again = api.post("/text/analyze", body, **{"Idempotency-Key": "analyze-1"})
    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true"


def test_analysis_is_the_same_for_every_workspace(api, other_api):
    body = {"texts": [{"id": "a", "text": "配送が遅すぎます。"}]}
    assert api.post("/text/analyze", body).data == other_api.post("/text/analyze", body).data
