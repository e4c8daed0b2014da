"""Key phrases, catalogue themes, themes of a set of texts and what drives detractors."""

from kizuna.textanalytics.analysis import Analysis, Sentiment, TextIn
from kizuna.textanalytics.themes import drivers, find_themes, key_phrases, text_themes


def test_key_phrases_use_each_languages_tokenizer():
    assert "決済画面" in key_phrases("決済画面でエラーが出ました。", "ja")
    assert "상담원 연결" in key_phrases("상담원 연결이 안 돼요.", "ko")
    assert "parking lot" not in key_phrases("The parking lot was full.", "en")  # "lot" is vague
    assert "parking" in key_phrases("The parking lot was full.", "en")
    assert "card reader" in key_phrases("The card reader was broken.", "en")


def test_text_themes_put_catalogue_themes_first_in_every_language():
    assert text_themes("The delivery was late and the staff were rude.", "en")[:3] == [
        "delivery",
        "wait_time",
        "staff",
    ]
    assert text_themes("配送が遅く、店員の態度も悪かった。", "ja")[:2] == ["delivery", "wait_time"]
    assert text_themes("배송이 늦었고 직원도 불친절했어요.", "ko")[:3] == [
        "delivery",
        "wait_time",
        "staff",
    ]


def _result(ident: str, score: float, themes: list[str]) -> Analysis:
    sentiment: Sentiment = "positive" if score > 0 else "negative"
    return Analysis(id=ident, language="en", sentiment=sentiment, score=score, themes=themes)


def test_find_themes_counts_examples_and_average_sentiment():
    results = [
        _result("1", -0.8, ["delivery", "wait_time"]),
        _result("2", -0.6, ["delivery"]),
        _result("3", 0.9, ["staff", "coffee"]),
        _result("4", 0.7, ["staff", "coffee"]),
        _result("5", 0.5, ["staff", "terrace"]),
    ]
    texts = [TextIn(id=r.id, text="unused") for r in results]
    themes = find_themes(texts, results)
    assert [(t.key, t.count) for t in themes] == [
        ("staff", 3),
        ("delivery", 2),
        ("phrase:coffee", 2),
    ]
    staff = themes[0]
    assert staff.label == "Staff and service"
    assert staff.examples == ["3", "4", "5"]
    assert staff.average_score == 0.7
    assert staff.sentiments == {"positive": 3}
    assert themes[1].average_score == -0.7


def test_similar_phrases_form_one_theme():
    results = [
        _result("1", 0.5, ["parking"]),
        _result("2", 0.5, ["parking"]),
        _result("3", 0.5, ["car park"]),
        _result("4", 0.5, ["car park"]),
    ]
    themes = find_themes([TextIn(id=r.id, text="") for r in results], results)
    assert len(themes) == 1 and themes[0].count == 4
    assert set(themes[0].keywords) == {"parking", "car park"}


def test_drivers_rank_themes_by_how_much_more_detractors_mention_them():
    answers = [
        ("The delivery never arrived and support never replied.", "detractor"),
        ("Delivery was a mess.", "detractor"),
        ("My delivery came damaged.", "detractor"),
        ("Support ignored my emails.", "detractor"),
        ("Prices are too high.", "detractor"),
        ("Great prices.", "promoter"),
        ("Good prices, friendly staff.", "promoter"),
        ("The staff are lovely and prices fair.", "promoter"),
        ("Nice staff.", "passive"),
    ]
    items = [(TextIn(id=str(i), text=t), g) for i, (t, g) in enumerate(answers)]
    ranked = drivers(items, focus="detractor", baseline="promoter")
    keys = [d.key for d in ranked]
    assert keys[:2] == ["delivery", "support"]
    assert "price" not in keys  # promoters mention prices more
    assert "staff" not in keys
    first = ranked[0]
    assert first.focus_count == 3 and first.baseline_count == 0
    assert first.focus_share == 0.6 and first.difference == 0.6
    assert first.lift > ranked[1].lift


def test_find_themes_analyses_texts_itself_when_not_given_results():
    texts = [
        TextIn(id="a", text="The delivery was late."),
        TextIn(id="b", text="配送が遅れました。"),
        TextIn(id="c", text="배송이 늦었어요."),
    ]
    themes = find_themes(texts)
    delivery = next(t for t in themes if t.key == "delivery")
    assert delivery.count == 3
    assert delivery.average_score < 0
    assert set(delivery.keywords) == {"delivery", "配送", "배송"}


def test_a_common_gap_outranks_a_rare_phrase_only_detractors_use():
    results, groups = [], []
    for i in range(20):  # detractors: half mention delivery, two mention parking
        themes = (["delivery"] if i < 10 else []) + (["parking"] if i < 2 else [])
        results.append(_result(f"d{i}", -0.5, themes))
        groups.append("detractor")
    for i in range(20):  # promoters: a quarter mention delivery
        results.append(_result(f"p{i}", 0.5, ["delivery"] if i < 5 else []))
        groups.append("promoter")
    items = [(TextIn(id=r.id, text=""), g) for r, g in zip(results, groups, strict=True)]
    ranked = drivers(items, results=results)
    assert [d.key for d in ranked] == ["delivery", "phrase:parking"]
    assert ranked[0].difference == 0.25 and ranked[1].difference == 0.1
    assert ranked[0].lift < ranked[1].lift  # the ratio alone would put parking first
