"""Languages: the one served (request, customer's locale, survey default; `pt-BR` -> `pt`),
texts falling back to the default, and the built-in texts in English, Japanese and Korean."""

import re
from typing import Any

import pytest

from kizuna.feedback.logic import evaluate
from kizuna.feedback.logic.builtin_texts import TEXTS, message, ui_language
from kizuna.feedback.logic.languages import is_tag, negotiate, pick
from kizuna.feedback.tests.support import t

LANGUAGES = ["en", "ja", "ko", "pt", "zh-Hant"]


@pytest.mark.parametrize(
    ("candidates", "served"),
    [
        (["ja"], "ja"),
        (["JA"], "ja"),
        (["ja-JP"], "ja"),
        (["pt-BR"], "pt"),
        (["pt_BR"], "pt"),
        (["zh-Hant-TW"], "zh-Hant"),
        (["zh"], "zh-Hant"),  # a bare language matches the survey's tag of that language
        (["zh-Hans"], "zh-Hant"),
        (["fr"], "en"),
        (["fr", "ko-KR"], "ko"),  # the request, then the customer's locale
        ([None, "ko"], "ko"),
        (["", None], "en"),
        ([], "en"),
    ],
)
def test_negotiation(candidates: list[str | None], served: str) -> None:
    assert negotiate(candidates, LANGUAGES, "en") == served


def test_the_survey_spelling_is_served() -> None:
    assert negotiate(["pt-br"], ["en", "pt-BR"], "en") == "pt-BR"
    assert negotiate(["pt"], ["en", "pt-BR"], "en") == "pt-BR"
    assert negotiate(["pt-PT"], ["en", "pt-BR"], "en") == "pt-BR"


def test_a_text_falls_back_to_its_default() -> None:
    text = {"default": "Hello", "ja": "こんにちは"}
    assert pick(text, "ja", "en") == "こんにちは"
    assert pick(text, "ko", "en") == "Hello"
    assert pick(text, "en", "en") == "Hello"
    # The default language reads `default`, even where a text names it as well.
    assert pick({"default": "Hi", "en": "Hello"}, "en", "en") == "Hi"
    assert pick(None, "en", "en") == ""


@pytest.mark.parametrize("tag", ["en", "pt-BR", "zh-Hant-TW", "ja-JP-u-ca-japanese"])
def test_tags(tag: str) -> None:
    assert is_tag(tag)


@pytest.mark.parametrize("tag", ["", "e", "en_", "en-", "日本語", "en US", "-en", "x" * 36])
def test_not_tags(tag: str) -> None:
    assert not is_tag(tag)


def test_built_in_texts_exist_in_every_shipped_language() -> None:
    assert set(TEXTS) == {"en", "ja", "ko"}
    for language in ("ja", "ko"):
        assert set(TEXTS[language]) == set(TEXTS["en"]), language
        for key, text in TEXTS[language].items():
            assert text.strip() and text != TEXTS["en"][key], (language, key)
            # The same placeholders as the English text.
            assert sorted(re.findall(r"{\w+}", text)) == sorted(
                re.findall(r"{\w+}", TEXTS["en"][key])
            ), (language, key)


def test_built_in_text_language() -> None:
    assert ui_language("ja") == "ja" and ui_language("ko-KR") == "ko"
    assert ui_language("pt-BR") == "en" and ui_language("EN") == "en"
    assert message("out_of_range", "ko", min=1, max=5) == "1에서 5 사이의 값을 입력해 주세요."
    assert message("too_long", "ja", max=10) == "10文字以内で入力してください。"
    assert message("required", "pt") == "Please answer this question."


DEFINITION: dict[str, Any] = {
    "welcome": {"title": t("Welcome", ja="ようこそ", ko="환영합니다")},
    "pages": [
        {
            "id": "p1",
            "title": t("About you", ko="당신에 대해"),
            "elements": [
                {
                    "id": "nps",
                    "type": "nps",
                    "title": t("Recommend?", ja="おすすめ?", ko="추천?"),
                    "required": True,
                    "min_label": t("Never", ja="全く"),
                },
                {
                    "id": "pick",
                    "type": "single_choice",
                    "title": t("Pick"),
                    "choices": [{"id": "a", "text": t("Apple", ko="사과")}],
                    "other": True,
                },
            ],
        }
    ],
    "endings": [{"id": "done", "title": t("Done", ja="完了")}],
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "title": "Recommend?",
                "label": "Never",
                "choices": {"a": "Apple", "other": "Other"},
                "page": "About you",
                "ending": "Done",
                "welcome": "Welcome",
                "next": "Next",
                "start": "Start",
                "message": "Please answer this question.",
            },
        ),
        (
            "ja",
            {
                "title": "おすすめ?",
                "label": "全く",
                "choices": {"a": "Apple", "other": "その他"},
                "page": "About you",
                "ending": "完了",
                "welcome": "ようこそ",
                "next": "次へ",
                "start": "開始",
                "message": "この質問にお答えください。",
            },
        ),
        (
            "ko",
            {
                "title": "추천?",
                "label": "Never",
                "choices": {"a": "사과", "other": "기타"},
                "page": "당신에 대해",
                "ending": "Done",
                "welcome": "환영합니다",
                "next": "다음",
                "start": "시작",
                "message": "이 질문에 답해 주세요.",
            },
        ),
    ],
)
def test_an_evaluation_in_each_shipped_language(language: str, expected: dict[str, Any]) -> None:
    result = evaluate(DEFINITION, {}, languages=["en", "ja", "ko"], language=language)
    assert result.language == language and result.ui_language == language
    texts = result.texts["nps"]
    assert texts.title == expected["title"]
    assert texts.extra["min_label"] == expected["label"]
    assert result.texts["pick"].choices == expected["choices"]
    assert result.pages["p1"] == {"title": expected["page"]}
    assert result.endings["done"] == {"title": expected["ending"]}
    assert result.welcome is not None and result.welcome["title"] == expected["welcome"]
    assert result.welcome["button_text"] == expected["start"]
    assert result.ui["next"] == expected["next"]
    assert result.messages == {"nps": [expected["message"]]}
    assert "{n}" in result.ui["progress"] and "{total}" in result.ui["progress"]


def test_a_language_without_built_in_texts_gets_english_ones() -> None:
    result = evaluate(DEFINITION, {}, languages=["en", "pt-BR"], language="pt")
    assert result.language == "pt-BR" and result.ui_language == "en"
    assert result.texts["nps"].title == "Recommend?"
    assert result.ui["submit"] == "Submit"
