"""The SurveyJS runtime evaluates imported surveys as SurveyJS does: visibility of pages,
panels, elements, choices and rows; required and disabled state; validators; triggers,
calculated values and default-value expressions in the order the answers arrive; answers of
hidden choices cleared; dynamic panels and matrices addressed `panel[i].x`, `matrix[row].col`.
The public surveys (fixtures/surveyjs) are checked against what SurveyJS's own end-to-end
tests expect of them."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kizuna.feedback.logic.evaluation import Evaluation
from kizuna.feedback.surveyjs.runtime import evaluate

FIXTURES = Path(__file__).parent / "fixtures" / "surveyjs"
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def run(
    source: dict[str, Any], answers: dict[str, Any], language: str = "en", **options: Any
) -> Evaluation:
    hidden = options.pop("hidden", None)
    return evaluate(
        source,
        answers=answers,
        language=language,
        hidden=hidden,
        now=options.pop("now", NOW),
        **options,
    )


def page(*elements: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"pages": [{"name": "p1", "elements": list(elements)}], **settings}


# -- the public surveys ---------------------------------------------------------------------
def test_kids_survey_completes_with_the_data_surveyjs_stores() -> None:
    """visibleIf.spec.ts: Yes, 5 kids, then 1 kid, age 2 -> {haveKids, kid1Age: 2, kids: 1}."""
    source = fixture("kids_visible_if")
    answers = {"haveKids": "Yes", "kids": 5, "kid2Age": 4}
    shown = run(source, answers)
    assert shown.visible_elements == [
        "haveKids",
        "kids",
        "kid1Age",
        "kid2Age",
        "kid3Age",
        "kid4Age",
        "kid5Age",
    ]
    after = run(source, {**answers, "kids": 1, "kid1Age": 2})
    assert after.visible_elements == ["haveKids", "kids", "kid1Age"]
    assert after.data == {
        "haveKids": "Yes",
        "kids": 1,
        "kid1Age": 2,
        "kid2Age": 4,
    }  # until completion
    assert after.valid
    done = run(source, {**answers, "kids": 1, "kid1Age": 2}, completing=True)
    assert done.data == {"haveKids": "Yes", "kid1Age": 2, "kids": 1}


def test_nps_survey_branches_on_the_score_and_chooses_its_ending() -> None:
    source = fixture("nps_feedback")
    promoter = run(source, {"nps_score": 10})
    assert promoter.visible_elements == ["nps_score", "promoter_features"]
    assert promoter.required_elements == ["nps_score", "promoter_features"]
    assert promoter.errors == {"promoter_features": ["required"]}
    assert promoter.ending == "completed-1"
    too_many = run(
        source,
        {
            "nps_score": "10",
            "promoter_features": ["Performance", "Stability", "Quality support", "User interface"],
        },
    )
    assert too_many.errors == {"promoter_features": ["too_many"]}
    assert too_many.data["nps_score"] == 10  # "10" is the rated value 10, as SurveyJS keeps it
    passive = run(source, {"nps_score": 7})
    assert passive.visible_elements == ["nps_score", "passive_experience"]
    assert (passive.ending, passive.valid) == ("completed-2", True)
    detractor = run(source, {"nps_score": 3})
    assert detractor.visible_elements == ["nps_score", "disappointing_experience"]
    assert detractor.ending is None
    empty = run(source, {})
    assert empty.errors == {"nps_score": ["required"]}
    assert empty.texts["nps_score"].extra["min_label"] == "(Most unlikely)"
    assert "other" in run(source, {"nps_score": 9}).visible_choices["promoter_features"]
    other_empty = run(source, {"nps_score": 9, "promoter_features": ["other"]})
    assert other_empty.errors == {"promoter_features": ["other_required"]}
    other_given = run(
        source, {"nps_score": 9, "promoter_features": ["other"], "promoter_features#other": "Docs"}
    )
    assert other_given.valid
    assert other_given.data["promoter_features-Comment"] == "Docs"


def test_set_value_triggers_run_in_answer_order() -> None:
    source = fixture("set_value_trigger")
    yes = run(source, {"copy": "Yes"})
    assert yes.data == {"copy": "Yes", "name": "Jon Snow", "email": "jon.snow@nightwatch.com"}
    assert yes.variables == {"tempvar": "You have decided to use your current information."}
    assert yes.visible_pages == ["page1"]
    # the respondent's own email after the trigger stays; a later trigger overwrites it
    mine = run(source, {"copy": "Yes", "email": "me@example.com"})
    assert mine.data["email"] == "me@example.com"
    cleared = run(source, {"email": "me@example.com", "copy": "No"})
    assert cleared.data == {"copy": "No"}
    assert cleared.errors == {"name": ["required"], "email": ["required"]}
    bad = run(source, {"copy": "Yes", "email": "not an email"})
    assert bad.errors == {"email": ["invalid_format"]}


def test_old_style_visible_triggers_show_their_questions() -> None:
    source = fixture("visible_trigger")
    assert run(source, {}).visible_elements == ["type"]
    sedan = run(source, {"type": "sedan"})
    assert sedan.visible_elements == ["type", "Sedan"]
    assert (sedan.texts["type"].choices or {})["sedan"] == "Sports saloon / sports sedan"
    back = run(source, {"Sedan": "BMW M5", "type": "Hot hatch"})
    assert back.visible_elements == ["type", "Hot hatch"]


def test_dynamic_panel_elements_are_addressed_by_panel_and_index() -> None:
    source = fixture("relatives_paneldynamic")
    result = run(
        source,
        {"relatives[0].isalive": "No", "relatives[1].isalive": "Yes", "relatives[1].liveage": "70"},
    )
    assert result.data == {
        "relatives": [
            {"relativeType": "father", "isalive": "No"},
            {"relativeType": "mother", "isalive": "Yes", "liveage": 70},
        ]
    }
    assert "relatives[0].deceasedage" in result.visible_elements
    assert "relatives[0].liveage" not in result.visible_elements
    assert "relatives[1].liveage" in result.visible_elements
    assert result.errors == {
        "relatives[0].deceasedage": ["required"],
        "relatives[0].causeofdeathknown": ["required"],
    }
    assert result.visible_choices["relatives[1].liveage"][:3] == ["1", "2", "3"]


def test_texts_in_the_respondents_language_fall_back_to_default() -> None:
    source = fixture("localized_developer")
    german = run(source, {}, language="de")
    assert german.texts["q1"].choices == {"1": "de1", "2": "de2"}
    assert german.texts["q1"].title == "q1"
    assert run(source, {}, language="ja").texts["q1"].choices == {"1": "en1", "2": "en2"}
    assert german.visible_pages == ["page1", "page2", "page3"]
    assert run(source, {"q1": "2"}).data == {"q1": 2}  # the choice id names the value 2


# -- semantics, case by case -------------------------------------------------------------------
def test_a_page_without_a_visible_element_is_hidden() -> None:
    source = {
        "pages": [
            {
                "name": "first",
                "elements": [{"type": "radiogroup", "name": "go", "choices": ["a", "b"]}],
            },
            {
                "name": "second",
                "elements": [{"type": "text", "name": "x", "visibleIf": "{go} = 'a'"}],
            },
            {
                "name": "third",
                "visibleIf": "{go} = 'b'",
                "elements": [{"type": "text", "name": "y"}],
            },
        ]
    }
    assert run(source, {}).visible_pages == ["first"]
    assert run(source, {"go": "a"}).visible_pages == ["first", "second"]
    assert run(source, {"go": "b"}).visible_pages == ["first", "third"]


def test_panels_hide_and_disable_their_elements() -> None:
    source = page(
        {"type": "boolean", "name": "show"},
        {
            "type": "panel",
            "name": "box",
            "visibleIf": "{show} = true",
            "enableIf": "{lock} empty",
            "elements": [{"type": "text", "name": "inner", "isRequired": True}],
        },
        {"type": "text", "name": "lock"},
    )
    assert "inner" not in run(source, {"show": False}).visible_elements
    open_panel = run(source, {"show": True})
    assert "inner" in open_panel.visible_elements and open_panel.errors == {"inner": ["required"]}
    locked = run(source, {"show": True, "lock": "x"})
    assert locked.disabled_elements == ["inner"] and locked.errors == {}


def test_required_if_and_enable_if_follow_answers() -> None:
    source = page(
        {"type": "radiogroup", "name": "a", "choices": ["item1", "item2"]},
        {"type": "text", "name": "b", "requiredIf": "{a} = 'item1'", "enableIf": "{a} notempty"},
    )
    assert run(source, {}).disabled_elements == ["b"]
    result = run(source, {"a": "item1"})
    assert (result.required_elements, result.disabled_elements, result.errors) == (
        ["b"],
        [],
        {"b": ["required"]},
    )
    assert run(source, {"a": "item2"}).required_elements == []


def test_answers_of_choices_that_become_hidden_are_cleared_at_once() -> None:
    source = page(
        {"type": "checkbox", "name": "have", "choices": ["tea", "cups", "pots"]},
        {
            "type": "dropdown",
            "name": "best",
            "choicesVisibleIf": "{have} contains {item}",
            "choices": ["tea", "cups", "pots"],
        },
        {
            "type": "radiogroup",
            "name": "size",
            "choices": [{"value": "s", "visibleIf": "{best} = 'cups'"}, "m"],
        },
    )
    chosen = run(source, {"have": ["tea", "cups"], "best": "cups", "size": "s"})
    assert chosen.visible_choices["best"] == ["tea", "cups"]
    assert chosen.data == {"have": ["tea", "cups"], "best": "cups", "size": "s"}
    # "cups" stops being offered: its answer goes at once, and with it the size only cups had
    changed = run(source, {"best": "cups", "size": "s", "have": ["tea"]})
    assert changed.data == {"have": ["tea"]}
    assert changed.visible_choices["size"] == ["m"]
    # clearIncorrectValues runs when the offered choices change, not when an answer is given:
    # "cups" answered before it is offered stays once it is offered
    assert run(source, {"best": "cups", "have": ["tea", "cups"]}).data == {
        "best": "cups",
        "have": ["tea", "cups"],
    }
    # a checkbox keeps its answers that are still offered
    narrowed = {
        "type": "checkbox",
        "name": "pick",
        "choicesVisibleIf": "{have} contains {item}",
        "choices": ["tea", "cups"],
    }
    source["pages"][0]["elements"].append(narrowed)
    assert run(source, {"have": ["tea", "cups"], "pick": ["tea", "cups"]}).data["pick"] == [
        "tea",
        "cups",
    ]
    assert run(source, {"pick": ["tea", "cups"], "have": ["tea"]}).data == {
        "have": ["tea"],
        "pick": ["tea"],
    }


def test_choice_properties_are_read_as_item_properties() -> None:
    source = page(
        {"type": "text", "name": "budget", "inputType": "number"},
        {
            "type": "radiogroup",
            "name": "plan",
            "choicesVisibleIf": "{$item.price} <= {budget}",
            "choices": [{"value": "basic", "price": 10}, {"value": "pro", "price": 50}],
        },
        {
            "type": "checkbox",
            "name": "copy",
            "choicesFromQuestion": "plan",
            "choicesFromQuestionMode": "unselected",
        },
    )
    assert run(source, {"budget": "20"}).visible_choices["plan"] == ["basic"]
    both = run(source, {"budget": 100, "plan": "pro"})
    assert both.visible_choices["plan"] == ["basic", "pro"]
    assert both.visible_choices["copy"] == ["basic"]


def test_calculated_values_expressions_and_default_expressions() -> None:
    source = page(
        {"type": "text", "name": "price", "inputType": "number"},
        {"type": "text", "name": "qty", "inputType": "number", "defaultValueExpression": "1"},
        {"type": "expression", "name": "total", "expression": "{price} * {qty}"},
        {"type": "text", "name": "born", "inputType": "date"},
        {"type": "expression", "name": "years", "expression": "age({born})"},
        {"type": "text", "name": "note", "visibleIf": "{discounted} > 100"},
        calculatedValues=[
            {"name": "discounted", "expression": "{total} * 0.9", "includeIntoResult": True},
            {"name": "hiddenCalc", "expression": "{total} + 1"},
        ],
    )
    result = run(source, {"price": "50", "born": "2000-03-16"})
    assert result.data == {
        "price": "50",
        "qty": 1,
        "total": 50,
        "born": "2000-03-16",
        "years": 25,
        "discounted": 45,
    }
    assert result.variables == {"discounted": 45, "hiddenCalc": 51}
    bigger = run(source, {"price": 100, "qty": 2})
    assert bigger.data["total"] == 200 and bigger.data["discounted"] == 180
    assert "note" in bigger.visible_elements
    later = run(source, {"born": "2000-03-16"}, now=datetime(2026, 3, 16, tzinfo=UTC))
    assert later.data["years"] == 26


def test_set_value_if_reset_value_if_and_copy_triggers() -> None:
    source = page(
        {"type": "text", "name": "first"},
        {
            "type": "text",
            "name": "echo",
            "setValueIf": "{first} notempty",
            "setValueExpression": "{first} + '!'",
        },
        {"type": "text", "name": "wipe", "resetValueIf": "{first} = 'reset'"},
        {"type": "text", "name": "copy"},
        triggers=[
            {
                "type": "copyvalue",
                "expression": "{first} notempty",
                "setToName": "copy",
                "fromName": "first",
            }
        ],
    )
    result = run(source, {"wipe": "keep", "first": "hi"})
    assert result.data == {"wipe": "keep", "first": "hi", "echo": "hi!", "copy": "hi"}
    assert "wipe" not in run(source, {"wipe": "keep", "first": "reset"}).data
    # the rules run when what they read changes: a value typed afterwards stays
    assert run(source, {"first": "hi", "echo": "mine"}).data["echo"] == "mine"
    assert run(source, {"echo": "mine", "first": "hi"}).data["echo"] == "hi!"


def test_complete_trigger_ends_at_the_default_ending() -> None:
    source = page(
        {"type": "boolean", "name": "stop"},
        completedHtml="Bye",
        triggers=[{"type": "complete", "expression": "{stop} = true"}],
    )
    assert run(source, {"stop": True}).ending == "completed"
    assert run(source, {"stop": False}).ending is None


def test_validators_name_their_faults() -> None:
    source = page(
        {
            "type": "text",
            "name": "n",
            "validators": [{"type": "numeric", "minValue": 1, "maxValue": 10}],
        },
        {
            "type": "text",
            "name": "t",
            "validators": [{"type": "text", "minLength": 3, "maxLength": 5}],
        },
        {"type": "text", "name": "r", "validators": [{"type": "regex", "regex": "^[A-Z]{2}$"}]},
        {
            "type": "text",
            "name": "e",
            "validators": [{"type": "expression", "expression": "{e} != {t}"}],
        },
        {"type": "text", "name": "num", "inputType": "number", "min": 0, "max": 5},
    )
    result = run(source, {"n": "11", "t": "ab", "r": "abc", "e": "ab", "num": 9})
    assert result.errors == {
        "n": ["out_of_range"],
        "t": ["too_short"],
        "r": ["invalid_format"],
        "e": ["expression"],
        "num": ["out_of_range"],
    }
    assert run(source, {"n": "x"}).errors == {"n": ["invalid_format"], "e": ["expression"]}
    assert run(source, {"n": 5, "t": "abcd", "r": "AB", "e": "x", "num": "3"}).valid


def test_matrix_cells_are_addressed_by_row_and_column() -> None:
    source = page(
        {
            "type": "matrixdropdown",
            "name": "cars",
            "rows": ["audi", "bmw"],
            "columns": [
                {"name": "years", "cellType": "text", "isRequired": True},
                {"name": "why", "cellType": "text", "visibleIf": "{row.years} > 3"},
            ],
        },
        {
            "type": "matrixdynamic",
            "name": "items",
            "rowCount": 1,
            "columns": [
                {"name": "price", "cellType": "text"},
                {"name": "amount", "cellType": "expression", "expression": "{row.price} * 2"},
            ],
        },
        {
            "type": "matrix",
            "name": "grid",
            "columns": ["good", "bad"],
            "rows": ["food", {"value": "drinks", "visibleIf": "{cars.audi.years} notempty"}],
            "isAllRowRequired": True,
        },
        {"type": "expression", "name": "sum", "expression": "sumInArray({items}, 'price')"},
    )
    result = run(
        source,
        {
            "cars[audi].years": 5,
            "items[0].price": 3,
            "items[1].price": "4",
            "grid": {"food": "good"},
        },
    )
    assert result.data["cars"] == {"audi": {"years": 5}}
    # a text cell keeps text; expression cells are computed per row
    assert result.data["items"] == [{"price": 3, "amount": 6}, {"price": "4", "amount": 8}]
    assert result.data["sum"] == 7
    assert (
        "cars[audi].why" in result.visible_elements
        and "cars[bmw].why" not in result.visible_elements
    )
    assert result.required_elements[:2] == ["cars[audi].years", "cars[bmw].years"]
    assert result.errors["cars[bmw].years"] == ["required"]
    assert result.visible_choices["grid"] == ["food", "drinks"]
    assert result.errors["grid"] == ["required"]
    assert "items[1].price" in result.visible_elements


def test_hidden_fields_are_variables_and_on_hidden_clears_at_once() -> None:
    source = page(
        {"type": "text", "name": "a"},
        {"type": "text", "name": "b", "visibleIf": "{store} = 'osaka' and {a} empty"},
        clearInvisibleValues="onHidden",
    )
    assert run(source, {"b": "x"}, hidden={"store": "osaka"}).data == {"b": "x"}
    assert run(source, {"b": "x", "a": "y"}, hidden={"store": "osaka"}).data == {"a": "y"}
    kept = dict(source, clearInvisibleValues="none")
    assert run(kept, {"b": "x", "a": "y"}, hidden={"store": "osaka"}, completing=True).data == {
        "b": "x",
        "a": "y",
    }


def test_titles_show_answers_in_braces() -> None:
    source = page(
        {
            "type": "radiogroup",
            "name": "fav",
            "choices": [{"value": 1, "text": {"default": "Tea", "ja": "お茶"}}],
        },
        {"type": "comment", "name": "why", "title": {"default": "Why {fav}?", "ja": "なぜ{fav}?"}},
    )
    assert run(source, {"fav": 1}).texts["why"].title == "Why Tea?"
    assert run(source, {"fav": "1"}, language="ja").texts["why"].title == "なぜお茶?"
    assert run(source, {}).texts["why"].title == "Why ?"


def test_matrix_totals_feed_expressions_as_in_an_invoice() -> None:
    source = page(
        {
            "type": "matrixdynamic",
            "name": "invoiceItems",
            "rowCount": 1,
            "columns": [
                {"name": "price", "cellType": "text", "inputType": "number"},
                {"name": "quantity", "cellType": "text", "inputType": "number"},
                {
                    "name": "amount",
                    "cellType": "expression",
                    "expression": "{row.price} * {row.quantity}",
                    "totalType": "sum",
                },
            ],
        },
        {"type": "text", "name": "vat", "inputType": "number", "defaultValue": 20},
        {
            "type": "expression",
            "name": "tax",
            "expression": "{invoiceItems-total.amount} * {vat} / 100",
        },
        {
            "type": "expression",
            "name": "final",
            "expression": "{invoiceItems-total.amount} + {tax}",
        },
    )
    answers = {
        "invoiceItems[0].price": 10,
        "invoiceItems[0].quantity": 3,
        "invoiceItems[1].price": 2.5,
        "invoiceItems[1].quantity": 2,
    }
    result = run(source, answers)
    assert result.data["invoiceItems"] == [
        {"price": 10, "quantity": 3, "amount": 30},
        {"price": 2.5, "quantity": 2, "amount": 5},
    ]
    assert result.data["invoiceItems-total"] == {"amount": 35}
    assert (result.data["tax"], result.data["final"]) == (7, 42)


def test_element_conditions_take_true_itself_and_choice_conditions_anything_true() -> None:
    """survey-core: question visibleIf sets `visible = res === true`, enableIf
    `readOnly = res === false`, triggers fire on `val === true`; choices run a ConditionRunner
    (`res == true`)."""
    source = page(
        {"type": "text", "name": "a"},
        {"type": "text", "name": "b", "visibleIf": "{a}", "enableIf": "{a}"},
        {"type": "radiogroup", "name": "r", "choices": [{"value": "x", "visibleIf": "{a}"}, "y"]},
        {"type": "text", "name": "c"},
        triggers=[{"type": "setvalue", "expression": "{a}", "setToName": "c", "setValue": "set"}],
    )
    one = run(source, {"a": 1})
    assert "b" not in one.visible_elements  # 1 is not true itself
    assert one.visible_choices["r"] == ["x", "y"]  # 1 == true
    assert "c" not in one.data
    text_true = run(source, {"a": "true"})  # the text "true" reads as true
    assert "b" in text_true.visible_elements and text_true.data["c"] == "set"
    assert text_true.disabled_elements == []
    # enableIf disables only on false itself: nothing there is not false
    disabled = {"type": "text", "name": "d", "enableIf": "{a} = 1"}
    source["pages"][0]["elements"].append(disabled)
    assert run(source, {"a": 2}).disabled_elements == ["d"]
    assert run(source, {"a": 1}).disabled_elements == []


def test_old_style_trigger_without_a_value_never_runs() -> None:
    source = page(
        {"type": "text", "name": "a"},
        {"type": "text", "name": "c"},
        triggers=[
            {
                "type": "setvalue",
                "name": "a",
                "operator": "equal",
                "setToName": "c",
                "setValue": "x",
            }
        ],
    )
    assert run(source, {"a": "anything"}).data == {"a": "anything"}


def test_choices_follow_variables_set_by_triggers_and_calculations() -> None:
    source = page(
        {"type": "radiogroup", "name": "plan", "choices": ["basic", "pro", "team"]},
        {
            "type": "dropdown",
            "name": "pick",
            "choicesVisibleIf": "{item} != {banned} and {item} != {calc}",
            "choices": ["basic", "pro", "team"],
        },
        triggers=[
            {
                "type": "setvalue",
                "expression": "{plan} = 'pro'",
                "setToName": "banned",
                "isVariable": True,
                "setValue": "basic",
            }
        ],
        calculatedValues=[{"name": "calc", "expression": "iif({plan} = 'team', 'pro', '')"}],
    )
    assert run(source, {"pick": "basic"}).visible_choices["pick"] == ["basic", "pro", "team"]
    pro = run(source, {"pick": "basic", "plan": "pro"})
    assert pro.visible_choices["pick"] == ["pro", "team"]
    assert "pick" not in pro.data  # "basic" stopped being offered
    team = run(source, {"pick": "pro", "plan": "team"})
    assert team.visible_choices["pick"] == ["basic", "team"]
    assert team.data == {"plan": "team"}
