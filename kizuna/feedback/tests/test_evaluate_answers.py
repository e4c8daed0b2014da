"""The evaluator's check of each answer, every element type (docs/survey-logic.md, Errors),
and `check_submission`, which the responses service runs on a submitted response."""

from typing import Any

import pytest

from kizuna.feedback.logic import Fault, check_submission, evaluate
from kizuna.feedback.logic.answers import answered
from kizuna.feedback.tests.support import full_definition, t


def one(element: dict[str, Any]) -> dict[str, Any]:
    return {"pages": [{"id": "p", "elements": [element]}]}


def errors(element: dict[str, Any], value: Any, **answers: Any) -> list[str]:
    """The codes an answer gets (an empty list when it counts, and it is then in `data`)."""
    result = evaluate(one(element), {element["id"]: value, **answers})
    codes = result.errors.get(element["id"], [])
    assert (element["id"] in result.data) == (not codes and answered(value))
    return codes


def el(kind: str, **extra: Any) -> dict[str, Any]:
    return {"id": "q", "type": kind, "title": t("Q"), **extra}


CHOICES = [{"id": "a", "text": t("A")}, {"id": "b", "text": t("B")}, {"id": "c", "text": t("C")}]


@pytest.mark.parametrize(("kind", "low", "high"), [("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)])
def test_scales(kind: str, low: int, high: int) -> None:
    assert errors(el(kind), low) == [] and errors(el(kind), high) == []
    assert errors(el(kind), low - 1) == ["out_of_range"]
    assert errors(el(kind), high + 1) == ["out_of_range"]
    for wrong in ("5", 5.5, True, [5], {"v": 5}):
        assert errors(el(kind), wrong) == ["invalid_type"], wrong


def test_rating_ranges_over_its_points() -> None:
    rating = el("rating", points=4)
    assert errors(rating, 1) == [] and errors(rating, 4) == []
    assert errors(rating, 0) == ["out_of_range"] and errors(rating, 5) == ["out_of_range"]
    assert errors(rating, "4") == ["invalid_type"]
    result = evaluate(one(rating), {"q": 9})
    assert result.messages == {"q": ["Please give a value from 1 to 4."]}
    assert result.error_details == {
        "q": [
            {"code": "out_of_range", "message_key": "out_of_range", "params": {"min": 1, "max": 4}}
        ]
    }


@pytest.mark.parametrize("kind", ["single_choice", "dropdown"])
def test_one_choice(kind: str) -> None:
    element = el(kind, choices=CHOICES, other=True)
    assert errors(element, "a") == []
    assert errors(element, "z") == ["invalid_choice"]
    assert errors(element, 1) == ["invalid_type"] and errors(element, ["a"]) == ["invalid_type"]
    assert errors(element, "other") == ["other_text_required"]
    assert errors(element, "other", **{"q#other": "  "}) == ["other_text_required"]
    assert errors(element, "other", **{"q#other": "x" * 10_001}) == ["too_long"]
    assert errors(element, "other", **{"q#other": "mine"}) == []
    without_other = el(kind, choices=CHOICES)
    assert errors(without_other, "other") == ["invalid_choice"]
    result = evaluate(one(without_other), {"q": "a", "q#other": "text"})
    assert result.errors == {"q#other": ["unknown_element"]}
    # The text of an "other" not chosen is left out of data.
    result = evaluate(one(element), {"q": "a", "q#other": "text"})
    assert result.errors == {} and result.data == {"q": "a"}


def test_multiple_choice() -> None:
    element = el("multiple_choice", choices=CHOICES, other=True, min=2, max=3)
    assert errors(element, ["a", "b"]) == []
    assert errors(element, ["a"]) == ["out_of_range"]
    assert errors(element, ["a", "b", "c", "other"], **{"q#other": "x"}) == ["out_of_range"]
    assert errors(element, ["a", "a"]) == ["invalid_choice"]
    assert errors(element, ["a", "z"]) == ["invalid_choice"]
    assert errors(element, "a") == ["invalid_type"] and errors(element, ["a", 1]) == [
        "invalid_type"
    ]
    assert errors(element, ["a", "other"]) == ["other_text_required"]
    assert errors(element, []) == []  # no answer


def test_ranking() -> None:
    element = el("ranking", choices=CHOICES)
    assert errors(element, ["c", "a", "b"]) == []
    assert errors(element, ["c"]) == []  # a partial ranking
    assert errors(element, ["c", "c"]) == ["invalid_choice"]
    assert errors(element, ["z"]) == ["invalid_choice"]
    assert errors(element, "c") == ["invalid_type"]


def test_matrix() -> None:
    element = el(
        "matrix",
        rows=[{"id": "r1", "text": t("R1")}, {"id": "r2", "text": t("R2")}],
        choices=[{"id": "bad", "text": t("Bad")}, {"id": "good", "text": t("Good")}],
    )
    assert errors(element, {"r1": "good"}) == []
    assert errors(element, {"r3": "good"}) == ["invalid_choice"]
    assert errors(element, {"r1": "meh"}) == ["invalid_choice"]
    assert errors(element, {"r1": 1}) == ["invalid_type"] and errors(element, ["r1"]) == [
        "invalid_type"
    ]


def test_text_lengths_and_formats() -> None:
    plain = el("text")
    assert errors(plain, "x" * 10_000) == [] and errors(plain, "x" * 10_001) == ["too_long"]
    assert errors(plain, 12) == ["invalid_type"]
    bounded = el("text", validation={"min_length": 3, "max_length": 5})
    assert errors(bounded, "ab") == ["too_short"] and errors(bounded, "abcdef") == ["too_long"]
    assert errors(bounded, "abc") == []
    result = evaluate(one(bounded), {"q": "ab"}, language="ja", languages=["en", "ja"])
    assert result.messages == {"q": ["3文字以上で入力してください。"]}
    email = el("text", validation={"format": "email"})
    assert errors(email, "aiko@example.jp") == []
    for wrong in ("aiko", "aiko@", "@example.jp", "a b@example.jp", "aiko@example"):
        assert errors(email, wrong) == ["invalid_format"], wrong
    url = el("text", validation={"format": "url"})
    assert errors(url, "https://example.com/x") == []
    assert errors(url, "example.com") == ["invalid_format"]
    assert errors(url, "ftp://example.com") == ["invalid_format"]
    result = evaluate(one(url), {"q": "nope"})
    assert result.messages["q"] == ["Please enter a web address starting with http:// or https://."]


def test_numbers_in_text() -> None:
    age = el("text", validation={"format": "number", "min": 0, "max": 130})
    assert (
        errors(age, "42") == []
        and errors(age, 42) == []
        and errors(age, "-0.5") == ["out_of_range"]
    )
    assert errors(age, "131") == ["out_of_range"] and errors(age, 130.5) == ["out_of_range"]
    assert errors(age, "forty") == ["invalid_format"] and errors(age, "1e3") == ["invalid_format"]
    assert errors(age, True) == ["invalid_type"]
    # Conditions and variables read a number typed as text as a number.
    definition = {
        "variables": [{"id": "next", "expression": "{answers.q} + 1"}],
        "pages": [
            {
                "id": "p",
                "elements": [
                    age,
                    {
                        "id": "senior",
                        "type": "boolean",
                        "title": t("Senior?"),
                        "visible_if": {"field": "answers.q", "op": "gte", "value": 65},
                    },
                ],
            }
        ],
    }
    result = evaluate(definition, {"q": "70"})
    assert result.visible_elements == ["q", "senior"] and result.variables == {"next": 71}
    assert result.data == {"q": "70"}  # as given


def test_dates() -> None:
    element = el("date", validation={"min": "2020-01-01", "max": "2030-12-31"})
    assert errors(element, "2024-02-29") == []
    assert errors(element, "2019-12-31") == ["out_of_range"]
    assert errors(element, "2031-01-01") == ["out_of_range"]
    assert errors(element, "2023-02-29") == ["invalid_format"]
    assert errors(element, "29/02/2024") == ["invalid_format"]
    assert errors(element, 20240229) == ["invalid_type"]


def test_booleans_consents_and_statements() -> None:
    assert errors(el("boolean"), False) == [] and errors(el("boolean"), "yes") == ["invalid_type"]
    consent = el("consent", label=t("I agree"), required=True)
    assert errors(consent, True) == []
    assert errors(consent, False) == ["required"]  # a required consent must be given
    assert errors(el("consent", label=t("I agree")), False) == []
    assert errors(el("consent", label=t("I agree")), 1) == ["invalid_type"]
    assert errors(el("statement"), "read") == ["invalid_type"]


def test_answers_to_unknown_elements() -> None:
    result = evaluate(one(el("nps")), {"q": 5, "nope": 1, "Q": 2})
    assert result.errors == {"nope": ["unknown_element"], "Q": ["unknown_element"]}
    assert result.data == {"q": 5} and result.valid is False


# ------------------------------------------------------------------ check_submission


def submission(answers: dict[str, Any], *, finished: bool, **options: Any) -> list[Fault]:
    definition = full_definition()
    evaluation = evaluate(definition, answers, **options)
    return check_submission(definition, evaluation, answers, finished=finished)


def test_a_complete_valid_submission_has_no_fault() -> None:
    answers = {"nps": 9, "visited": "2024-05-01", "ok": True}
    assert submission(answers, finished=True) == []


def test_faults_name_the_element_code_and_message() -> None:
    answers = {
        "nps": 7,
        "nope": 1,  # unknown
        "Why not?": "hidden",  # nps 7: not shown
        "email": "a@example.com",  # enable_if does not hold
        "csat": 9,  # out of range
        "city": "tokyo",  # unknown choice
        "site": "not a url",
        "age": "x" * 10,
        "channel": "other",  # without its text
        "likes#other": "x",  # "other" not chosen: ignored
    }
    faults = submission(answers, finished=False)
    assert [(f.element_id, f.code) for f in faults] == [
        ("nope", "unknown_element"),
        ("Why not?", "not_visible"),
        ("email", "disabled"),
        ("csat", "out_of_range"),
        ("channel", "other_text_required"),
        ("city", "invalid_choice"),
        ("age", "invalid_format"),
        ("site", "invalid_format"),
    ]
    messages = {f.element_id: f.message for f in faults}
    assert messages["csat"] == "Please give a value from 1 to 5."
    assert messages["Why not?"] == "This question is not shown for your answers."
    assert messages["site"] == "Please enter a web address starting with http:// or https://."
    finished = submission(answers, finished=True)
    assert ("ok", "required") in [(f.element_id, f.code) for f in finished]
    assert ("ok", "required") not in [(f.element_id, f.code) for f in faults]


def test_an_answer_on_a_page_off_the_path_is_not_visible() -> None:
    answers = {"nps": 10, "channel": "web", "visited": "2024-01-01", "ok": True}
    faults = submission(answers, finished=True)
    assert faults == [
        Fault("channel", "not_visible", "This question is not shown for your answers.")
    ]


def test_too_long_text_and_messages_in_english_whatever_the_language() -> None:
    answers = {"nps": 3, "Why not?": "x" * 501}
    faults = submission(answers, finished=False, language="ja", languages=["en", "ja"])
    assert faults == [Fault("Why not?", "too_long", "Please write at most 500 characters.")]
