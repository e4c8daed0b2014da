# ruff: noqa: E501  (the tables of cases read best one case a line)
"""The definition schema: every element type accepted as documented, and every fault refused
with its code and the JSON path of the fault, changing nothing."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.feedback.tests.support import (
    DELETE,
    assert_error,
    edited,
    full_definition,
    minimal_definition,
    nps,
    stored,
    survey_body,
    t,
)

pytestmark = pytest.mark.django_db

P0 = ["pages", 0]
P1 = ["pages", 1]
E = "definition.pages[0].elements"
F = "definition.pages[1].elements"


def element(kind: str, **settings: Any) -> dict[str, Any]:
    return {"id": "e", "type": kind, "title": t("Title"), **settings}


CHOICES = [{"id": "a", "text": t("A")}, {"id": "b", "text": t("B")}]
VALID_ELEMENTS = [
    element("nps"),
    element("nps", required=True, min_label=t("No"), max_label=t("Yes", ja="はい")),
    element("csat"),
    element("ces", description=t("One to seven")),
    element("rating", points=3),
    element("rating", points=10, display="numbers"),
    element("single_choice", choices=CHOICES[:1]),
    element("single_choice", choices=CHOICES, other=True, randomize=True),
    element("multiple_choice", choices=CHOICES, min=0, max=1),
    element("dropdown", choices=CHOICES, placeholder=t("Pick")),
    element("ranking", choices=CHOICES),
    element("matrix", rows=[{"id": "r", "text": t("Row")}], choices=CHOICES),
    element("text"),
    element("text", validation={"format": "number", "min": -1.5, "max": 10}),
    element("text", validation={"format": "email", "max_length": 200}),
    element("text", validation={"format": "url"}),
    element("date"),
    element("date", validation={"min": "2026-01-01"}),
    element("boolean"),
    element("consent", label=t("I agree")),
    element("statement"),
    element("statement", button={"text": t("Shop")}),
    {"id": "日本語 の id", "type": "nps", "title": t("Ids may be any script")},
]


@pytest.mark.parametrize("value", VALID_ELEMENTS, ids=lambda e: f"{e['type']}-{sorted(e)}")
def test_every_element_type_is_accepted(api: ApiClient, value: dict[str, Any]) -> None:
    response = api.post("/surveys", survey_body(definition=minimal_definition(value)))
    assert response.status_code == 201, response.data
    assert response.data["definition"]["pages"][0]["elements"] == [value]


def test_the_full_definition_is_accepted(api: ApiClient) -> None:
    assert api.post("/surveys", survey_body()).status_code == 201


def one(value: dict[str, Any]) -> dict[str, Any]:
    return minimal_definition(value)


# (name, definition, code, field)
# fmt: off
INVALID: list[tuple[str, Any, str, str]] = [
    # The shape of the whole.
    ("no-pages", {"endings": []}, "required", "definition.pages"),
    ("pages-empty", {"pages": []}, "invalid_definition", "definition.pages"),
    ("unknown-key", {**minimal_definition(), "theme": "dark"}, "invalid_definition", "definition.theme"),
    ("page-no-elements", {"pages": [{"id": "p", "elements": []}]}, "invalid_definition", "definition.pages[0].elements"),
    ("page-unknown-key", {"pages": [{"id": "p", "elements": [nps()], "layout": 1}]}, "invalid_definition", "definition.pages[0].layout"),
    ("element-not-object", one("nps"), "invalid_definition", f"{E}[0]"),  # type: ignore[arg-type]
    ("element-type-unknown", one(element("slider")), "invalid_element_type", f"{E}[0].type"),
    ("element-type-missing", one({"id": "e", "title": t("T")}), "invalid_element_type", f"{E}[0].type"),
    ("element-no-title", one({"id": "e", "type": "nps"}), "required", f"{E}[0].title"),
    ("element-unknown-key", one(element("nps", points=5)), "invalid_definition", f"{E}[0].points"),
    ("required-not-bool", one(element("nps", required="yes")), "invalid_definition", f"{E}[0].required"),
    # Ids.
    ("id-empty", one({**nps(), "id": ""}), "invalid_id", f"{E}[0].id"),
    ("id-number", one({**nps(), "id": 7}), "invalid_id", f"{E}[0].id"),
    ("id-padded", one({**nps(), "id": " q1"}), "invalid_id", f"{E}[0].id"),
    ("id-zero-width", one({**nps(), "id": "q\u200b1"}), "invalid_id", f"{E}[0].id"),
    ("id-too-long", one({**nps(), "id": "q" * 129}), "invalid_id", f"{E}[0].id"),
    ("page-id-duplicate", {"pages": [{"id": "p", "elements": [nps("a")]}, {"id": "p", "elements": [nps("b")]}]}, "duplicate_id", "definition.pages[1].id"),
    ("element-id-duplicate", {"pages": [{"id": "p", "elements": [nps("a")]}, {"id": "q", "elements": [nps("a")]}]}, "duplicate_id", "definition.pages[1].elements[0].id"),
    ("choice-id-duplicate", one(element("dropdown", choices=[CHOICES[0], CHOICES[0]])), "duplicate_id", f"{E}[0].choices[1].id"),
    ("choice-id-other", one(element("single_choice", choices=[{"id": "other", "text": t("O")}], other=True)), "duplicate_id", f"{E}[0].choices[0].id"),
    ("row-id-duplicate", one(element("matrix", rows=[{"id": "r", "text": t("R")}] * 2, choices=CHOICES)), "duplicate_id", f"{E}[0].rows[1].id"),
    ("ending-id-duplicate", {**minimal_definition(), "endings": [{"id": "x", "title": t("X")}] * 2}, "duplicate_id", "definition.endings[1].id"),
    ("ending-id-is-page-id", {**minimal_definition(), "endings": [{"id": "p1", "title": t("X")}]}, "duplicate_id", "definition.endings[0].id"),
    ("hidden-duplicate", {**minimal_definition(), "hidden_fields": ["a", "a"]}, "duplicate_id", "definition.hidden_fields[1]"),
    ("hidden-bad-name", {**minimal_definition(), "hidden_fields": ["a-b"]}, "invalid_id", "definition.hidden_fields[0]"),
    ("quota-id-duplicate", {**minimal_definition(), "quotas": [{"id": "q", "condition": {"all": []}, "limit": 1, "action": "end"}] * 2}, "duplicate_id", "definition.quotas[1].id"),
    # Texts.
    ("title-string", one({**nps(), "title": "Recommend?"}), "invalid_text", f"{E}[0].title"),
    ("title-no-default", one({**nps(), "title": {"ja": "推薦"}}), "invalid_text", f"{E}[0].title.default"),
    ("title-empty", one({**nps(), "title": {"default": " "}}), "invalid_text", f"{E}[0].title.default"),
    ("title-other-language", one({**nps(), "title": {"default": "A", "fr": "B"}}), "invalid_text", f"{E}[0].title.fr"),
    ("title-too-long", one({**nps(), "title": {"default": "A" * 5001}}), "invalid_text", f"{E}[0].title.default"),
    ("label-too-long", one(element("nps", min_label=t("A" * 201))), "invalid_text", f"{E}[0].min_label.default"),
    ("choice-text-missing", one(element("dropdown", choices=[{"id": "a"}])), "required", f"{E}[0].choices[0].text"),
    # Scales and choices.
    ("rating-no-points", one(element("rating")), "required", f"{E}[0].points"),
    ("rating-2-points", one(element("rating", points=2)), "out_of_range", f"{E}[0].points"),
    ("rating-11-points", one(element("rating", points=11)), "out_of_range", f"{E}[0].points"),
    ("rating-display", one(element("rating", points=5, display="hearts")), "invalid_definition", f"{E}[0].display"),
    ("choices-missing", one(element("single_choice")), "required", f"{E}[0].choices"),
    ("choices-empty", one(element("dropdown", choices=[])), "invalid_definition", f"{E}[0].choices"),
    ("ranking-one-choice", one(element("ranking", choices=CHOICES[:1])), "invalid_definition", f"{E}[0].choices"),
    ("other-text-without-other", one(element("single_choice", choices=CHOICES, other_text=t("O"))), "invalid_definition", f"{E}[0].other_text"),
    ("multiple-min-over-max", one(element("multiple_choice", choices=CHOICES, min=2, max=1)), "out_of_range", f"{E}[0].min"),
    ("multiple-max-over-choices", one(element("multiple_choice", choices=CHOICES, max=3)), "out_of_range", f"{E}[0].max"),
    ("matrix-no-rows", one(element("matrix", choices=CHOICES)), "required", f"{E}[0].rows"),
    ("matrix-one-column", one(element("matrix", rows=CHOICES, choices=CHOICES[:1])), "invalid_definition", f"{E}[0].choices"),
    ("matrix-other", one(element("matrix", rows=CHOICES, choices=CHOICES, other=True)), "invalid_definition", f"{E}[0].other"),
    ("ranking-other", one(element("ranking", choices=CHOICES, other=True)), "invalid_definition", f"{E}[0].other"),
    # Text, date and the rest.
    ("text-format", one(element("text", validation={"format": "phone"})), "invalid_definition", f"{E}[0].validation.format"),
    ("text-min-over-max-length", one(element("text", validation={"min_length": 5, "max_length": 4})), "out_of_range", f"{E}[0].validation.min_length"),
    ("text-max-length-huge", one(element("text", validation={"max_length": 10001})), "out_of_range", f"{E}[0].validation.max_length"),
    ("text-min-without-number", one(element("text", validation={"min": 1})), "invalid_definition", f"{E}[0].validation.min"),
    ("text-min-over-max", one(element("text", validation={"format": "number", "min": 5, "max": 1})), "out_of_range", f"{E}[0].validation.min"),
    ("text-min-string", one(element("text", validation={"format": "number", "min": "1"})), "invalid_definition", f"{E}[0].validation.min"),
    ("date-bad", one(element("date", validation={"min": "2026-02-30"})), "invalid_definition", f"{E}[0].validation.min"),
    ("date-min-over-max", one(element("date", validation={"min": "2026-02-02", "max": "2026-02-01"})), "out_of_range", f"{E}[0].validation.min"),
    ("consent-no-label", one(element("consent")), "required", f"{E}[0].label"),
    ("statement-required", one(element("statement", required=True)), "invalid_definition", f"{E}[0].required"),
    ("statement-button-url", one(element("statement", button={"text": t("Go"), "url": "javascript:alert(1)"})), "invalid_definition", f"{E}[0].button.url"),
    ("ending-redirect", {**minimal_definition(), "endings": [{"id": "x", "title": t("X"), "redirect_url": "ftp://x"}]}, "invalid_definition", "definition.endings[0].redirect_url"),
    ("welcome-no-title", {**minimal_definition(), "welcome": {"text": t("Hi")}}, "required", "definition.welcome.title"),
    ("quota-limit", {**minimal_definition(), "quotas": [{"id": "q", "condition": {"all": []}, "limit": 0, "action": "end"}]}, "out_of_range", "definition.quotas[0].limit"),
    ("quota-action", {**minimal_definition(), "quotas": [{"id": "q", "condition": {"all": []}, "limit": 1, "action": "stop"}]}, "invalid_definition", "definition.quotas[0].action"),
    ("nul-character", one({**nps(), "title": {"default": "a\u0000b"}}), "invalid_character", f"{E}[0].title.default"),
]
# fmt: on


@pytest.mark.parametrize(
    ("definition", "code", "field"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID]
)
def test_a_fault_is_422_with_its_path_and_changes_nothing(
    api: ApiClient, definition: Any, code: str, field: str
) -> None:
    before = stored()
    assert_error(api.post("/surveys", survey_body(definition=definition)), 422, code, field)
    assert stored() == before


FULL = full_definition()
# fmt: off
LOGIC: list[tuple[str, list[Any], Any, str | None, str]] = [
    ("unknown-element", [*P0, "elements", 4, "visible_if"], {"field": "answers.nope", "op": "exists"}, "invalid_condition", f"{E}[4].visible_if.field"),
    ("statement-has-no-answer", [*P0, "elements", 4, "visible_if"], {"field": "answers.cta", "op": "exists"}, "invalid_condition", f"{E}[4].visible_if.field"),
    ("wrong-op-for-type", [*P0, "elements", 4, "visible_if"], {"field": "answers.nps", "op": "contains", "value": "x"}, "invalid_condition", f"{E}[4].visible_if.op"),
    ("unknown-choice", [*P1, "elements", 1, "choices", 1, "visible_if"], {"field": "answers.channel", "op": "eq", "value": "phone"}, "invalid_condition", f"{F}[1].choices[1].visible_if.value"),
    ("other-is-a-choice", [*P1, "elements", 1, "choices", 1, "visible_if"], {"field": "answers.channel", "op": "eq", "value": "other"}, None, ""),
    ("matrix-row", [*P1, "elements", 5, "enable_if"], {"field": "answers.grid[nope]", "op": "exists"}, "invalid_condition", f"{F}[5].enable_if.field"),
    ("matrix-whole", [*P1, "elements", 5, "enable_if"], {"field": "answers.grid", "op": "exists"}, "invalid_condition", f"{F}[5].enable_if.field"),
    ("matrix-column", [*P1, "elements", 5, "enable_if"], {"field": "answers.grid[staff]", "op": "eq", "value": "meh"}, "invalid_condition", f"{F}[5].enable_if.value"),
    ("unknown-hidden", [*P0, "elements", 4, "required_if"], {"field": "hidden.campaign", "op": "exists"}, "invalid_condition", f"{E}[4].required_if.field"),
    ("unknown-variable", [*P0, "next", 1, "if"], {"field": "variables.total", "op": "gt", "value": 1}, "invalid_condition", "definition.pages[0].next[1].if.field"),
    ("page-condition", [*P1, "visible_if"], {"not": {"field": "answers.csat", "op": "eq", "value": "five"}}, "invalid_condition", "definition.pages[1].visible_if.not.value"),
    ("quota-condition", ["quotas", 0, "condition"], {"all": [{"field": "answers.city", "op": "eq"}]}, "invalid_condition", "definition.quotas[0].condition.all[0].value"),
    ("order-field", ["quotas", 0, "condition"], {"field": "order.total", "op": "gt", "value": "1.00"}, "invalid_condition", "definition.quotas[0].condition.field"),
    ("not-an-object", [*P0, "visible_if"], [], "invalid_condition", "definition.pages[0].visible_if"),
    ("goto-unknown", [*P0, "next", 0, "goto"], "p9", "unknown_reference", "definition.pages[0].next[0].goto"),
    ("goto-backwards", [*P1, "next"], [{"goto": "p1"}], "invalid_jump", "definition.pages[1].next[0].goto"),
    ("goto-self", [*P1, "next"], [{"goto": "p2"}], "invalid_jump", "definition.pages[1].next[0].goto"),
    ("goto-missing", [*P0, "next", 0, "goto"], DELETE, "required", "definition.pages[0].next[0].goto"),
    ("quota-ending-unknown", ["quotas", 0, "ending"], "p3", "unknown_reference", "definition.quotas[0].ending"),
    ("expression-syntax", ["variables", 0, "expression"], "{answers.nps} * * 2", "invalid_expression", "definition.variables[0].expression"),
    ("expression-unclosed", ["variables", 0, "expression"], "min({answers.nps}, 2", "invalid_expression", "definition.variables[0].expression"),
    ("expression-function", ["variables", 0, "expression"], "sqrt({answers.nps})", "invalid_expression", "definition.variables[0].expression"),
    ("expression-text-answer", ["variables", 0, "expression"], "{answers.city} + 1", "invalid_expression", "definition.variables[0].expression"),
    ("expression-unknown-element", ["variables", 0, "expression"], "{answers.q9} + 1", "invalid_expression", "definition.variables[0].expression"),
    ("expression-later-variable", ["variables", 0, "expression"], "{variables.double}", "invalid_expression", "definition.variables[0].expression"),
    ("expression-self", ["variables", 1, "expression"], "{variables.double} + 1", "invalid_expression", "definition.variables[1].expression"),
    ("expression-bad-reference", ["variables", 0, "expression"], "{customer.email}", "invalid_expression", "definition.variables[0].expression"),
    ("expression-deep", ["variables", 0, "expression"], "(" * 40 + "1" + ")" * 40, "invalid_expression", "definition.variables[0].expression"),
    ("expression-empty", ["variables", 0, "expression"], " ", "invalid_expression", "definition.variables[0].expression"),
    ("recall-valid", [*P1, "elements", 0, "title"], t("Thanks {customer.first_name|there}: {answers.nps|?}, {hidden.source}, {variables.score}, {answers.grid[staff]}", ja="{plain} {text}"), None, ""),
    ("recall-unknown-element", [*P1, "elements", 0, "title"], t("You said {answers.q9|something}"), "invalid_recall", f"{F}[0].title.default"),
    ("recall-in-a-translation", ["endings", 0, "title"], t("Thanks", ko="{answers.cta}"), "invalid_recall", "definition.endings[0].title.ko"),
    ("recall-unknown-customer-field", [*P0, "title"], t("Hi {customer.nickname}"), "invalid_recall", "definition.pages[0].title.default"),
    ("recall-unknown-variable", [*P1, "elements", 0, "choices", 0, "text"], t("{variables.nope|0}"), "invalid_recall", f"{F}[0].choices[0].text.default"),
    ("expression-number-answer", ["variables", 0, "expression"], "{answers.age} / 2 + {hidden.store}", None, ""),
]
# fmt: on


@pytest.mark.parametrize(
    ("path", "value", "code", "field"), [case[1:] for case in LOGIC], ids=[c[0] for c in LOGIC]
)
def test_logic_is_checked_against_the_definition(
    api: ApiClient, path: list[Any], value: Any, code: str | None, field: str
) -> None:
    definition = edited(FULL, path, value)
    before = stored()
    response = api.post("/surveys", survey_body(definition=definition))
    if code is None:
        assert response.status_code == 201, response.data
        return
    assert_error(response, 422, code, field)
    assert stored() == before


def test_answers_cannot_be_named_outside_a_survey(api: ApiClient) -> None:
    body = {"name": "S", "condition": {"field": "answers.nps", "op": "gte", "value": 9}}
    response = api.post("/segments", body)
    assert_error(response, 422, "invalid_condition", "condition.field")
    assert "survey" in response.data["message"]


def test_a_definition_over_the_size_limit_is_refused(api: ApiClient) -> None:
    text = {"default": "x" * 4000}
    pages = [
        {"id": f"p{p}", "elements": [{**nps(f"e{p}-{e}"), "title": text} for e in range(150)]}
        for p in range(1)
    ]
    response = api.post("/surveys", survey_body(definition={"pages": pages}))
    assert_error(response, 422, "too_large", "definition")
