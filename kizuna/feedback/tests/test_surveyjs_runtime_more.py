"""The SurveyJS runtime, continued: disabled choices (choicesEnableIf, a choice's enableIf,
maxSelectedChoices), matrix columns (columnsVisibleIf), limits computed by expressions
(minValueExpression/maxValueExpression), the skip trigger, and element properties in
expressions (`{$q.isVisible}`). Each test restates a test of survey-library
(packages/survey-core/tests/...), named in its docstring."""

from datetime import UTC, datetime
from typing import Any

from kizuna.feedback.logic.evaluation import Evaluation
from kizuna.feedback.surveyjs.runtime import evaluate

NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
CARS = ["Audi", "BMW", "Mercedes", "Volkswagen"]


def run(
    source: dict[str, Any], answers: dict[str, Any], language: str = "en", **options: Any
) -> Evaluation:
    return evaluate(
        source,
        answers=answers,
        language=language,
        hidden=options.pop("hidden", None),
        now=options.pop("now", NOW),
        **options,
    )


def page(*elements: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"pages": [{"name": "p1", "elements": list(elements)}], **settings}


def best_car(kind: str = "radiogroup", **settings: Any) -> dict[str, Any]:
    return page(
        {"type": "checkbox", "name": "cars", "choices": CARS},
        {
            "type": kind,
            "name": "bestCar",
            "choices": CARS,
            "choicesEnableIf": "{cars} contains {item}",
        },
        **settings,
    )


# -- choicesEnableIf ------------------------------------------------------------------------
def test_choices_enable_if_disables_choices_that_stay_shown() -> None:
    """surveyquestiontests.ts "questionselectbase.choicesEnableIf": none enabled without cars,
    BMW alone with ["BMW"], three with three cars."""
    nothing = run(best_car(), {})
    assert nothing.disabled_choices == {"bestCar": CARS}
    assert nothing.visible_choices["bestCar"] == CARS
    one = run(best_car(), {"cars": ["BMW"]})
    assert one.disabled_choices == {"bestCar": ["Audi", "Mercedes", "Volkswagen"]}
    three = run(best_car(), {"cars": ["Audi", "BMW", "Mercedes"]})
    assert three.disabled_choices == {"bestCar": ["Volkswagen"]}
    assert (
        run(page({"type": "radiogroup", "name": "q", "choices": CARS}), {}).disabled_choices == {}
    )


def test_an_answer_naming_a_disabled_choice_is_kept_without_an_error() -> None:
    """SurveyJS has no error for a disabled choice (a disabled item is only not clickable; a
    value set otherwise stays), and clears nothing without clearDisabledChoices
    (question_baseselect.ts clearDisabledValues)."""
    given = run(best_car(), {"cars": ["BMW"], "bestCar": "Audi"})
    assert given.errors == {} and given.data["bestCar"] == "Audi"
    steps = [("cars", ["BMW", "Audi"]), ("bestCar", "Audi"), ("cars", ["BMW"])]
    kept = _in_order(best_car(), steps)
    assert kept.data["bestCar"] == "Audi" and kept.disabled_choices["bestCar"][0] == "Audi"
    assert kept.errors == {}


def test_clear_disabled_choices_clears_a_radiogroup_answer_when_its_choice_disables() -> None:
    """surveyquestiontests.ts "radiogroup.choicesEnableIf, clear value on making the value
    disable, survey.clearDisabledChoices"."""
    source = best_car(clearDisabledChoices=True)
    chosen = run(source, {"cars": ["BMW", "Audi"], "bestCar": "Audi"})
    assert chosen.data["bestCar"] == "Audi"
    answers = [("cars", ["BMW", "Audi"]), ("bestCar", "Audi"), ("cars", ["BMW"])]
    assert "bestCar" not in _in_order(source, answers).data
    # the old name of the setting
    old = best_car(clearValueOnDisableItems=True)
    assert "bestCar" not in _in_order(old, answers).data


def test_clear_disabled_choices_removes_disabled_choices_from_a_checkbox_answer() -> None:
    """surveyquestiontests.ts "checkbox.choicesEnableIf, clear value on making the value
    disable, survey.clearDisabledChoices"."""
    source = best_car("checkbox", clearDisabledChoices=True)
    steps = [("cars", ["BMW", "Audi", "Mercedes"]), ("bestCar", ["BMW", "Audi"])]
    assert _in_order(source, steps).data["bestCar"] == ["BMW", "Audi"]
    assert _in_order(source, [*steps, ("cars", ["BMW"])]).data["bestCar"] == ["BMW"]
    emptied = _in_order(source, [*steps, ("cars", ["BMW"]), ("cars", ["Mercedes"])])
    assert "bestCar" not in emptied.data


def _in_order(source: dict[str, Any], steps: list[tuple[str, Any]], **options: Any) -> Evaluation:
    """Answers one after another, an address again as the respondent changes it."""
    return evaluate(source, answers=steps, language="en", hidden=None, now=NOW, **options)


def test_a_choice_enable_if_replaces_the_question_choices_enable_if_for_it() -> None:
    """itemvalue.ts runConditionsForItemsCore: a choice's own enableIf (visibleIf) is run
    instead of the question's choicesEnableIf (choicesVisibleIf), not beside it."""
    source = page(
        {"type": "text", "name": "x"},
        {
            "type": "radiogroup",
            "name": "q",
            "choicesEnableIf": "{x} = 1",
            "choicesVisibleIf": "{x} = 1",
            "choices": [
                "a",
                {"value": "b", "enableIf": "{x} = 2", "visibleIf": "{x} = 2"},
            ],
        },
    )
    assert run(source, {"x": 2}).visible_choices["q"] == ["b"]
    assert run(source, {"x": 2}).disabled_choices == {}
    one = run(source, {"x": 1})
    assert one.visible_choices["q"] == ["a"] and one.disabled_choices == {}


def test_a_checkbox_at_max_selected_choices_disables_the_rest_and_other() -> None:
    """surveyquestiontests.ts "maxSelectedChoices in checkbox": [2, 3] of max 2 disables 1, 4,
    5 and other; [2] disables nothing; [2, "other"] disables 1, 3, 4, 5, not other."""
    source = page(
        {
            "type": "checkbox",
            "name": "q1",
            "choices": [1, 2, 3, 4, 5],
            "maxSelectedChoices": 2,
            "showOtherItem": True,
        }
    )
    assert run(source, {}).disabled_choices == {}
    assert run(source, {"q1": [2, 3]}).disabled_choices == {"q1": ["1", "4", "5", "other"]}
    assert run(source, {"q1": [2]}).disabled_choices == {}
    assert run(source, {"q1": [2, "other"], "q1#other": "x"}).disabled_choices == {
        "q1": ["1", "3", "4", "5"]
    }


def test_a_matrix_column_choices_enable_if_reads_its_row() -> None:
    """question_matrixdynamictests.ts "column.choicesEnableIf": col2's choices are enabled by
    what col1 of the same row holds."""
    source = page(
        {
            "type": "matrixdynamic",
            "name": "matrix",
            "rowCount": 1,
            "columns": [
                {"name": "col1", "cellType": "checkbox", "choices": [1, 2, 3, 4]},
                {
                    "name": "col2",
                    "cellType": "dropdown",
                    "choices": [1, 2, 3, 4],
                    "choicesEnableIf": "{row.col1} contains {item}",
                },
            ],
        }
    )
    assert run(source, {}).disabled_choices == {"matrix[0].col2": ["1", "2", "3", "4"]}
    chosen = run(source, {"matrix[0].col1": [1, 2]})
    assert chosen.disabled_choices == {"matrix[0].col2": ["3", "4"]}


# -- columnsVisibleIf -----------------------------------------------------------------------
def bestcar_matrix(**settings: Any) -> dict[str, Any]:
    return page(
        {"type": "checkbox", "name": "cars", "choices": CARS},
        {
            "type": "matrix",
            "name": "bestCar",
            "rows": ["col1", "col2"],
            "columns": CARS,
            "columnsVisibleIf": "{cars} contains {item}",
        },
        **settings,
    )


def test_columns_visible_if_hides_the_columns_of_a_matrix() -> None:
    """surveyquestiontests.ts "matrix.columnsVisibleIf": no column, BMW, then three."""
    assert run(bestcar_matrix(), {}).visible_columns["bestCar"] == []
    shown = run(bestcar_matrix(), {"cars": ["BMW"]})
    assert shown.visible_columns["bestCar"] == ["BMW"]
    assert shown.texts["bestCar"].choices == {"BMW": "BMW"}
    three = run(bestcar_matrix(), {"cars": ["Audi", "BMW", "Mercedes"]})
    assert three.visible_columns["bestCar"] == ["Audi", "BMW", "Mercedes"]
    plain = page({"type": "matrix", "name": "m", "rows": ["r"], "columns": CARS})
    assert run(plain, {}).visible_columns["m"] == CARS


def test_cells_of_hidden_columns_are_cleared_at_once_with_on_hidden() -> None:
    """surveyquestiontests.ts "matrix.columnsVisibleIf, clear value on making the value
    invisible" (clearInvisibleValues "onHidden")."""
    source = bestcar_matrix(clearInvisibleValues="onHidden")
    steps = [("cars", ["BMW", "Audi", "Mercedes"]), ("bestCar", {"col1": "BMW", "col2": "Audi"})]
    assert _in_order(source, steps).data["bestCar"] == {"col1": "BMW", "col2": "Audi"}
    assert _in_order(source, [*steps, ("cars", ["BMW"])]).data["bestCar"] == {"col1": "BMW"}
    gone = _in_order(source, [*steps, ("cars", ["BMW"]), ("cars", ["Mercedes"])])
    assert "bestCar" not in gone.data


def test_cells_of_hidden_columns_stay_until_completion_by_default() -> None:
    """question_matrix.ts clearValueIfInvisibleCore: on completion (clearInvisibleValues not
    "none") the cells of hidden columns and the hidden rows go; before, they stay."""
    answers = {"cars": ["BMW", "Audi"], "bestCar": {"col1": "BMW", "col2": "Audi"}}
    steps = [*answers.items(), ("cars", ["BMW"])]
    assert _in_order(bestcar_matrix(), steps).data["bestCar"] == {"col1": "BMW", "col2": "Audi"}
    completed = _in_order(bestcar_matrix(), steps, completing=True)
    assert completed.data["bestCar"] == {"col1": "BMW"}
    kept = _in_order(bestcar_matrix(clearInvisibleValues="none"), steps, completing=True)
    assert kept.data["bestCar"] == {"col1": "BMW", "col2": "Audi"}


def test_columns_visible_if_of_a_matrixdropdown_hides_the_cells_of_a_column() -> None:
    """question_matrixdropdownbasetests.ts "Support columnsVisibleIf property, Bug#8796":
    with ["col1", "col3"] the second column is hidden, with all three none is."""
    source = page(
        {"type": "checkbox", "name": "q1", "choices": ["col1", "col2", "col3"]},
        {
            "type": "matrixdropdown",
            "name": "matrix",
            "columnsVisibleIf": "{q1} contains {item}",
            "columns": [{"name": n, "cellType": "text"} for n in ("col1", "col2", "col3")],
            "rows": ["row1"],
        },
    )
    two = run(source, {"q1": ["col1", "col3"], "matrix[row1].col2": "kept"})
    assert two.visible_columns["matrix"] == ["col1", "col3"]
    assert [e for e in two.visible_elements if e.startswith("matrix[")] == [
        "matrix[row1].col1",
        "matrix[row1].col3",
    ]
    # SurveyJS hides the column; its cells keep their values
    assert two.data["matrix"] == {"row1": {"col2": "kept"}}
    assert run(source, {"q1": ["col1", "col2", "col3"]}).visible_columns["matrix"] == [
        "col1",
        "col2",
        "col3",
    ]


def test_columns_visible_if_of_a_matrixdropdown_takes_anything_equal_to_true() -> None:
    """question_matrixdropdownbase.ts runConditionsForColumns compares `=== true` the answer
    of ConditionRunner.runContext, itself `== true` (conditionRunner.ts): 1 shows, 2 hides."""
    source = page(
        {
            "type": "matrixdropdown",
            "name": "m",
            "columnsVisibleIf": "iif({item} = 'a', 1, 2)",
            "columns": [{"name": "a"}, {"name": "b"}],
            "rows": ["r"],
        }
    )
    assert run(source, {}).visible_columns["m"] == ["a"]


# -- minValueExpression / maxValueExpression -----------------------------------------------
def test_min_value_expression_reads_another_question() -> None:
    """surveyquestiontests.ts "QuestionText min/maxValueExpression, today()" (the second):
    renderedMin of q2 is q1's date; an earlier date is out of range."""
    source = page(
        {"type": "text", "inputType": "date", "name": "q1"},
        {"type": "text", "inputType": "date", "name": "q2", "minValueExpression": "{q1}"},
    )
    assert run(source, {"q2": "2021-02-01"}).errors == {}
    low = run(source, {"q1": "2021-02-18", "q2": "2021-02-17"})
    assert low.errors == {"q2": ["out_of_range"]}
    assert run(source, {"q1": "2021-02-18", "q2": "2021-02-18"}).errors == {}


def test_today_bounds_a_date_and_min_written_as_an_expression() -> None:
    """surveyquestiontests.ts "QuestionText mixValueExpression/maxValueExpression, today()"
    (today() .. today(10)) and "min: '=today()'" becoming minValueExpression."""
    source = page(
        {
            "type": "text",
            "inputType": "date",
            "name": "q",
            "minValueExpression": "today()",
            "maxValueExpression": "today(10)",
        },
        {"type": "text", "inputType": "date", "name": "p", "min": "=today()"},
    )
    assert run(source, {"q": "2026-03-15", "p": "2026-03-15"}).errors == {}
    assert run(source, {"q": "2026-03-25"}).errors == {}
    late = run(source, {"q": "2026-03-26", "p": "2026-03-14"})
    assert late.errors == {"q": ["out_of_range"], "p": ["out_of_range"]}


def test_an_out_of_range_number_stays_out_of_the_data() -> None:
    """surveyquestiontests.ts "QuestionText min/max do not allow to set value to survey if
    values are not in the range": 2 of 3..10 is not set into the survey (but is refused);
    5 is; a limit by expression acts the same."""
    source = page(
        {"type": "text", "name": "top", "inputType": "number"},
        {
            "type": "text",
            "name": "q1",
            "inputType": "number",
            "min": 3,
            "maxValueExpression": "{top}",
        },
    )
    low = run(source, {"q1": 2})
    assert "q1" not in low.data and low.errors == {"q1": ["out_of_range"]}
    fine = run(source, {"q1": 5})
    assert fine.data["q1"] == 5 and fine.errors == {}
    capped = run(source, {"top": 4, "q1": 5})
    assert "q1" not in capped.data and capped.errors == {"q1": ["out_of_range"]}
    kept = run(source, {"q1": 5, "top": 6})
    assert kept.data["q1"] == 5


# -- the skip trigger ---------------------------------------------------------------------
def test_skip_triggers_move_to_the_question_of_the_last_that_ran() -> None:
    """surveytests.ts "Two skip triggers test": item2 goes to q2, then item3 to q3 (a skip
    runs as the value changes: settings.triggers.executeSkipOnValueChanged)."""
    source = {
        "pages": [
            {
                "name": "first",
                "elements": [
                    {"type": "radiogroup", "name": "q1", "choices": ["item1", "item2", "item3"]},
                ],
            },
            {"name": "second", "elements": [{"type": "text", "name": "q2"}]},
            {
                "name": "third",
                "elements": [
                    {"type": "text", "name": "q3", "enableIf": "{q1} = 'item3'"},
                ],
            },
        ],
        "triggers": [
            {"type": "skip", "expression": "{q1} = 'item2'", "gotoName": "q2"},
            {"type": "skip", "expression": "{q1} = 'item3'", "gotoName": "q3"},
        ],
    }
    assert run(source, {"q1": "item1"}).skip_to is None
    second = run(source, {"q1": "item2"})
    assert (second.skip_to, second.current_page) == ("q2", "second")
    third = _in_order(source, [("q1", "item2"), ("q1", "item3")])
    assert third.skip_to == "q3"


def test_a_skip_to_a_hidden_question_goes_nowhere() -> None:
    """survey.ts focusQuestionByInstance: an invisible question is not focused."""
    source = page(
        {"type": "text", "name": "a"},
        {"type": "text", "name": "b", "visible": False},
        triggers=[{"type": "skip", "expression": "{a} = 1", "gotoName": "b"}],
    )
    result = run(source, {"a": 1})
    assert result.skip_to is None and result.current_page is None


# -- element properties -------------------------------------------------------------------
def test_a_question_visible_if_reads_another_question_s_is_visible() -> None:
    """surveyquestiontests.ts "Access question properties in expression, #10532" (and its
    "update on property changed" twin, q3 before q2)."""
    for order in ((0, 1, 2), (0, 2, 1)):
        elements = [
            {"type": "text", "name": "q1"},
            {"type": "text", "name": "q2", "visibleIf": "{q1} = 2"},
            {"type": "text", "name": "q3", "visibleIf": "{$q2.isVisible}"},
        ]
        source = page(*[elements[i] for i in order])
        assert "q3" not in run(source, {}).visible_elements
        assert {"q2", "q3"} <= set(run(source, {"q1": 2}).visible_elements)
        assert "q3" not in run(source, {"q1": 3}).visible_elements


def test_survey_locale_and_read_only_are_read_as_survey_properties() -> None:
    """surveytests.ts "Re-run expressions on changing the related object properties,
    Bug#10776": q1 shows in German only, q2 while the survey is not read-only; the choice
    item2 shows in German only."""
    source = page(
        {"type": "text", "name": "q1", "visibleIf": "{$survey.locale} = 'de'"},
        {"type": "text", "name": "q2", "visibleIf": "{$survey.readOnly} = false"},
        {
            "type": "radiogroup",
            "name": "q3",
            "choices": [
                "item1",
                {"value": "item2", "visibleIf": "{$survey.locale} = 'de'"},
                {"value": "item3", "visibleIf": "{$survey.readOnly} = false"},
            ],
        },
    )
    english = run(source, {})
    assert english.visible_elements == ["q2", "q3"]
    assert english.visible_choices["q3"] == ["item1", "item3"]
    german = run(source, {}, language="de")
    assert german.visible_elements == ["q1", "q2", "q3"]
    assert german.visible_choices["q3"] == ["item1", "item2", "item3"]


def test_element_properties_title_required_and_read_only() -> None:
    """question.ts QuestionValueGetterContext with the `$` prefix (settings.ts
    expressionElementPropertyPrefix): the title shown, isRequired, isReadOnly."""
    source = page(
        {
            "type": "text",
            "name": "q1",
            "title": {"default": "Name", "ja": "名前"},
            "isRequired": True,
        },
        {"type": "text", "name": "q2", "readOnly": True},
        {
            "type": "expression",
            "name": "e",
            "expression": "iif({$q1.isRequired} and {$q2.isReadOnly}, {$q1.title}, 'no')",
        },
    )
    assert run(source, {}).data["e"] == "Name"
    assert run(source, {}, language="ja").data["e"] == "名前"


# -- the start page -----------------------------------------------------------------------
def test_the_start_page_is_shown_outside_the_pages() -> None:
    """surveytests.ts "Do not show errors in display mode" (firstPageIsStartPage: the pages
    are p2, p3) and survey.ts isPageStarted (only with more than one page); the start page's
    questions are still questions of the survey."""
    pages = [
        {"name": "p1", "elements": [{"type": "text", "name": "intro"}]},
        {"name": "p2", "elements": [{"type": "text", "name": "q1"}]},
        {"name": "p3", "elements": [{"type": "text", "name": "q2"}]},
    ]
    started = run({"pages": pages, "firstPageIsStartPage": True}, {"intro": "hi"})
    assert started.visible_pages == ["p2", "p3"]
    assert started.visible_elements == ["intro", "q1", "q2"]
    assert started.data == {"intro": "hi"}
    assert run({"pages": pages, "firstPageIsStarted": True}, {}).visible_pages == ["p2", "p3"]
    assert run({"pages": pages}, {}).visible_pages == ["p1", "p2", "p3"]
    alone = {"pages": pages[:1], "firstPageIsStartPage": True}
    assert run(alone, {}).visible_pages == ["p1"]


def test_titles_of_the_survey_a_page_a_panel_and_a_question_are_read() -> None:
    """question_expressiontests.ts "Access page and panel properties in expression, #11198":
    "{$survey.title}", "{$page1.title}", "{$panel1.title}", "{$question1.title}"."""
    source = {
        "title": "Survey Title",
        "pages": [
            {
                "name": "page1",
                "title": "Page Title",
                "elements": [
                    {
                        "type": "panel",
                        "name": "panel1",
                        "title": "Panel Title",
                        "elements": [{"type": "text", "name": "question1", "title": "Q Title"}],
                    },
                    *[
                        {"type": "expression", "name": f"e{i}", "expression": expression}
                        for i, expression in enumerate(
                            [
                                "{$survey.title}",
                                "{$page1.title}",
                                "{$panel1.title}",
                                "{$question1.title}",
                            ]
                        )
                    ],
                ],
            }
        ],
    }
    data = run(source, {}).data
    assert [data[f"e{i}"] for i in range(4)] == [
        "Survey Title",
        "Page Title",
        "Panel Title",
        "Q Title",
    ]


def test_a_tagbox_at_max_selected_choices_disables_the_rest() -> None:
    """question_tagbox_tests.ts "maxSelectedChoices in tagbox": item1 by default leaves all
    four enabled; item1 and item2 disable item3 and item4 (a tagbox is a checkbox:
    QuestionTagboxModel extends QuestionCheckboxModel)."""
    source = page(
        {
            "type": "tagbox",
            "name": "question1",
            "maxSelectedChoices": 2,
            "defaultValue": ["item1"],
            "choices": ["item1", "item2", "item3", "item4"],
        }
    )
    first = run(source, {})
    assert first.disabled_choices == {} and first.data == {"question1": ["item1"]}
    two = run(source, {"question1": ["item1", "item2"]})
    assert two.disabled_choices == {"question1": ["item3", "item4"]}


def test_hidden_rows_of_a_matrixdropdown_leave_its_answer_on_completion() -> None:
    """question_matrixdynamictests.ts "matrixdropdown.rowsVisibleIf, clear value on making the
    value invisible": Audi's row goes on completion once hidden; with only hidden rows
    answered, the answer empties."""
    source = page(
        {"type": "checkbox", "name": "cars", "choices": CARS},
        {
            "type": "matrixdropdown",
            "name": "bestCar",
            "rows": CARS,
            "columns": [{"name": "col1"}, {"name": "col2"}],
            "cellType": "text",
            "rowsVisibleIf": "{cars} contains {item}",
        },
        clearInvisibleValues="onHidden",
    )
    steps = [
        ("cars", ["BMW", "Audi", "Mercedes"]),
        ("bestCar", {"BMW": {"col1": 1}, "Audi": {"col2": 2}}),
        ("cars", ["BMW"]),
    ]
    assert _in_order(source, steps, completing=True).data["bestCar"] == {"BMW": {"col1": 1}}
    emptied = _in_order(source, [*steps[:2], ("cars", ["Mercedes"])], completing=True)
    assert "bestCar" not in emptied.data
