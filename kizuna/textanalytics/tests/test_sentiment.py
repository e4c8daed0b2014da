"""The analyzers on clear cases: polarity in each language, negation, polite
complaints, emoji, mixed feedback, neutral questions; and language detection."""

import pytest

from kizuna.textanalytics.analysis import TextIn
from kizuna.textanalytics.language import detect_language
from kizuna.textanalytics.sentiment import AccurateAnalyzer, FastAnalyzer, clauses

CASES = [
    # English
    ("en", "Absolutely loved the new menu, the staff were so friendly.", "positive"),
    ("en", "The worst hotel I have ever stayed in. Dirty and noisy.", "negative"),
    ("en", "The food was not good at all.", "negative"),
    ("en", "Never had a problem, always reliable.", "positive"),
    ("en", "Great prices, but the delivery took three weeks.", "mixed"),
    ("en", "What time do you open on Sundays?", "neutral"),
    ("en", "Checkout failed again 😡", "negative"),
    # Japanese
    ("ja", "スタッフの皆さんがとても親切で、素晴らしい時間を過ごせました。", "positive"),
    ("ja", "料理が冷めていて、とても残念でした。", "negative"),
    ("ja", "全然美味しくなかったです。", "negative"),
    (
        "ja",
        "恐れ入りますが、注文した商品がまだ届いておりません。至急ご対応いただけますでしょうか。",
        "negative",
    ),
    ("ja", "味は良かったけど、待ち時間が長すぎました。", "mixed"),
    ("ja", "営業時間を教えてください。", "neutral"),
    ("ja", "最高でした😊", "positive"),
    # Korean
    ("ko", "직원분들이 친절하고 음식도 정말 맛있었어요.", "positive"),
    ("ko", "배송이 너무 늦고 포장도 엉망이었어요.", "negative"),
    ("ko", "전혀 맛있지 않았어요.", "negative"),
    (
        "ko",
        "죄송하지만 주문한 상품이 아직 도착하지 않았습니다. 빠른 확인 부탁드립니다.",
        "negative",
    ),
    ("ko", "맛은 좋았지만 가격이 너무 비싸요.", "mixed"),
    ("ko", "주차장이 있나요?", "neutral"),
    ("ko", "최고예요 👍", "positive"),
]


@pytest.fixture(scope="module")
def results():
    texts = [TextIn(id=str(i), text=text) for i, (_lang, text, _label) in enumerate(CASES)]
    return AccurateAnalyzer().analyze(texts)


@pytest.mark.parametrize("index", range(len(CASES)))
def test_clear_cases(results, index):
    language, text, expected = CASES[index]
    result = results[index]
    assert result.language == language
    assert result.sentiment == expected, (text, result)
    if expected == "positive":
        assert result.score > 0.3
    if expected == "negative":
        assert result.score < -0.3


FAST_CASES = [
    (lang, text, label) for lang, text, label in CASES if label in {"positive", "negative"}
]


@pytest.mark.parametrize(("language", "text", "expected"), FAST_CASES)
def test_the_fast_analyzer_gets_clear_polarity_right(language, text, expected):
    result = FastAnalyzer().analyze([TextIn(id="1", text=text)])[0]
    assert result.language == language
    assert (result.score > 0) == (expected == "positive"), (text, result)


def test_scores_are_within_bounds_and_results_keep_ids():
    texts = [TextIn(id="x", text="ok"), TextIn(id="y", text="😡😡😡")]
    results = AccurateAnalyzer().analyze(texts)
    assert [r.id for r in results] == ["x", "y"]
    assert all(-1 <= r.score <= 1 for r in results)


def test_no_texts_no_results():
    assert AccurateAnalyzer().analyze([]) == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Thanks for the quick delivery!", "en"),
        ("ありがとうございました", "ja"),
        ("東京駅", "ja"),  # Han characters only: Korean feedback is written in Hangul
        ("ラーメン最高", "ja"),
        ("감사합니다", "ko"),
        ("배송 OK", "ko"),
        ("Merci beaucoup", "en"),  # other Latin-script languages are read as English
        ("12345 !!!", "en"),
    ],
)
def test_language_detection(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "language", "count"),
    [
        ("Lovely staff, but the queue was long.", "en", 2),
        ("Great. Really great.", "en", 2),
        ("美味しかったけど、高かったです。", "ja", 2),
        ("商品が届きました。", "ja", 1),
        ("친절했지만 느렸어요.", "ko", 2),
        ("맛있어요", "ko", 1),
    ],
)
def test_clauses_split_where_the_text_turns(text, language, count):
    assert len(clauses(text, language)) == count
