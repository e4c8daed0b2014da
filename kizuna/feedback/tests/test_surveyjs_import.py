# ruff: noqa: E501  (survey JSON and expected answers read best one to a line)
"""POST /surveys/import: public SurveyJS surveys (fixtures/surveyjs, see its README) become
draft surveys with a native definition, their SurveyJS source, and a report of what has no
native place; refused input changes nothing."""

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.feedback.models import Survey, SurveyVersion
from kizuna.feedback.surveyjs.exporter import export_definition, export_survey
from kizuna.feedback.tests.support import assert_error, full_definition, stored

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "surveyjs"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def imported(api: ApiClient, definition: Any, **extra: Any) -> Any:
    response = api.post(
        "/surveys/import", {"format": "surveyjs", "definition": definition, **extra}
    )
    assert response.status_code == 201, response.data
    return response.data


def elements(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["id"], e["type"]) for p in body["definition"]["pages"] for e in p["elements"]]


def test_the_nps_survey_imports_with_its_source_and_report(api: ApiClient) -> None:
    source = fixture("nps_feedback")
    body = imported(api, source, id="nps", name="NPS")
    assert body["id"] == "nps" and body["name"] == "NPS" and body["status"] == "draft"
    assert body["source_format"] == "surveyjs"
    assert body["languages"] == ["en"] and body["default_language"] == "en"
    assert elements(body) == [
        ("nps_score", "nps"),
        ("promoter_features", "multiple_choice"),
        ("passive_experience", "text"),
        ("disappointing_experience", "text"),
    ]
    features = body["definition"]["pages"][0]["elements"][1]
    assert [c["id"] for c in features["choices"]][:2] == ["Performance", "Stability"]
    assert features["other"] is True and features["other_text"] == {"default": "Other features:"}
    assert features["required"] is True
    assert [e["id"] for e in body["definition"]["endings"]] == [
        "completed-1",
        "completed-2",
        "completed",
    ]
    assert body["import_report"] == [
        {
            "path": "pages[0].elements[0]",
            "problem": "A 0-10 rating that asks about recommending is mapped to nps (answers 0..10, scored as NPS).",
            "code": "mapped_approximately",
        }
    ]
    survey = Survey.objects.get(key="nps")
    assert survey.source == source and survey.source_format == "surveyjs"
    version = SurveyVersion.objects.get(survey=survey)
    assert (version.number, version.source, version.source_format) == (1, source, "surveyjs")
    assert version.definition == body["definition"]
    assert AuditEntry.objects.filter(action="survey.created", object_id="nps").count() == 1


def test_unnamed_pages_are_named_as_surveyjs_names_them_and_texts_keep_languages(
    api: ApiClient,
) -> None:
    body = imported(api, fixture("localized_developer"))
    assert [p["id"] for p in body["definition"]["pages"]] == ["page1", "page2", "page3"]
    assert body["name"] == "Software developer survey."
    assert body["languages"] == ["en", "de", "fr"]
    q1 = body["definition"]["pages"][0]["elements"][1]
    assert q1["choices"] == [
        {"id": "1", "text": {"default": "en1", "de": "de1", "fr": "fr1"}},
        {"id": "2", "text": {"default": "en2", "de": "de2", "fr": "fr2"}},
    ]
    assert q1["title"] == {"default": "q1"}  # no title: SurveyJS shows the name


def test_root_elements_make_page1_and_generated_choices_are_kept(api: ApiClient) -> None:
    body = imported(api, fixture("relatives_paneldynamic"))
    assert elements(body) == [("relatives", "statement")]
    codes = {(e["path"], e["code"]) for e in body["import_report"]}
    assert ("pages[0].elements[0]", "unsupported_type") in codes
    kids = imported(api, fixture("kids_visible_if"))
    assert [p["id"] for p in kids["definition"]["pages"]] == ["page1"]
    assert kids["definition"]["pages"][0]["elements"][1]["choices"][0] == {
        "id": "1",
        "text": {"default": "1"},
    }


def test_names_with_spaces_and_capitals_are_ids_and_unknowns_are_reported(api: ApiClient) -> None:
    definition = {
        "locale": "ja",
        "pages": [
            {
                "name": "最初",
                "elements": [
                    {
                        "type": "boolean",
                        "name": "Know Common Name",
                        "title": {"default": "名前は?", "en": "Name?"},
                    },
                    {
                        "type": "radiogroup",
                        "name": "Colour",
                        "choices": ["red|赤", {"value": 2, "text": "青"}],
                        "choicesByUrl": {"url": "https://example.com"},
                        "myWidget": 1,
                    },
                    {"type": "file", "name": "photo"},
                    {
                        "type": "text",
                        "name": "age",
                        "inputType": "number",
                        "min": 0,
                        "max": 120,
                        "visibleIf": "{Colour} = ",
                    },
                    {
                        "type": "text",
                        "name": "calc",
                        "visibleIf": "myScore({age}) > 1 and {$age.visible} "
                        "and !{$age.containsErrors}",
                        "choicesEnableIf": "{item} = 1",
                    },
                ],
            }
        ],
        "triggers": [{"type": "skip", "expression": "{age} > 1", "gotoName": "photo"}],
        "cookieName": "x",
    }
    body = imported(api, definition)
    assert body["default_language"] == "ja" and body["languages"] == ["ja", "en"]
    assert elements(body) == [
        ("Know Common Name", "boolean"),
        ("Colour", "single_choice"),
        ("photo", "statement"),
        ("age", "text"),
        ("calc", "text"),
    ]
    page = body["definition"]["pages"][0]
    assert page["id"] == "最初"
    assert page["elements"][0]["title"] == {"default": "名前は?", "en": "Name?"}
    assert page["elements"][1]["choices"] == [
        {"id": "red", "text": {"default": "赤"}},
        {"id": "2", "text": {"default": "青"}},
    ]
    assert page["elements"][3]["validation"] == {"format": "number", "min": 0, "max": 120}
    assert {(e["path"], e["code"]) for e in body["import_report"]} == {
        ("pages[0].elements[1].choicesByUrl", "unsupported_property"),
        ("pages[0].elements[1].myWidget", "unknown_property"),
        ("pages[0].elements[2]", "unsupported_type"),
        ("pages[0].elements[3].visibleIf", "invalid"),
        ("pages[0].elements[4].visibleIf", "not_evaluated"),
        ("cookieName", "unsupported_property"),
    }
    # myScore() is no built-in, containsErrors is set by the browser; {$age.visible}, the
    # skip trigger and choicesEnableIf are evaluated
    problems = [e["problem"] for e in body["import_report"] if e["code"] == "not_evaluated"]
    assert len(problems) == 2
    assert "myScore()" in problems[0] and "{$age.containsErrors}" in problems[1]


@pytest.mark.parametrize(
    ("definition", "code"),
    [
        ([1, 2], "invalid_definition"),
        ("pages", "invalid_definition"),
        (None, "invalid_definition"),
        ({"title": "No pages"}, "invalid_definition"),
        ({"pages": []}, "invalid_definition"),
        ({"pages": [{"name": "p", "elements": []}]}, "invalid_definition"),
    ],
)
def test_what_is_no_survey_is_422_definition_and_changes_nothing(
    api: ApiClient, definition: Any, code: str
) -> None:
    before = stored()
    response = api.post("/surveys/import", {"format": "surveyjs", "definition": definition})
    assert_error(response, 422, code, "definition")
    assert stored() == before


def test_an_unknown_format_and_a_taken_id_are_refused(api: ApiClient) -> None:
    before = stored()
    response = api.post(
        "/surveys/import", {"format": "typeform", "definition": fixture("nps_feedback")}
    )
    assert response.status_code == 422 and response.data["field"] == "format"
    assert stored() == before
    imported(api, fixture("nps_feedback"), id="taken")
    before = stored()
    again = api.post(
        "/surveys/import",
        {"format": "surveyjs", "definition": fixture("nps_feedback"), "id": "taken"},
    )
    assert_error(again, 409, "survey_exists", "id")
    assert stored() == before


def test_a_publishable_key_cannot_import(browser_api: ApiClient) -> None:
    before = stored()
    response = browser_api.post(
        "/surveys/import", {"format": "surveyjs", "definition": fixture("nps_feedback")}
    )
    assert response.status_code in (401, 403)
    assert stored() == before


def test_an_imported_survey_exports_as_its_source(api: ApiClient) -> None:
    source = fixture("set_value_trigger")
    body = imported(api, source, id="trig")
    assert export_survey(Survey.objects.get(key="trig")) == source
    assert body["definition"]["pages"][0]["id"] == "page1"


def test_a_native_survey_exported_imports_back_to_the_same_ids_types_and_choices(
    api: ApiClient,
) -> None:
    native = full_definition()
    exported = export_definition(native, "en", "Relationship")
    body = imported(api, exported)

    def shape(definition: dict[str, Any]) -> list[Any]:
        return [
            (
                p["id"],
                e["id"],
                e["type"],
                [c["id"] for c in e.get("choices", [])],
                [r["id"] for r in e.get("rows", [])],
                e.get("required", False),
            )
            for p in definition["pages"]
            for e in p["elements"]
        ]

    assert shape(body["definition"]) == shape(native)
    assert body["languages"] == ["en", "ja", "ko"]
    # coalesce(), which SurveyJS has no built-in for (the page jump, a skip trigger, runs)
    assert [(e["path"], e["code"]) for e in body["import_report"]] == [
        ("calculatedValues[0].expression", "not_evaluated"),
    ]


def test_a_missing_definition_is_422_definition(api: ApiClient) -> None:
    before = stored()
    response = api.post("/surveys/import", {"format": "surveyjs"})
    assert response.status_code == 422 and response.data["field"] == "definition"
    assert stored() == before


def test_the_same_survey_imports_into_two_workspaces_apart(
    api: ApiClient, other_api: ApiClient
) -> None:
    imported(api, fixture("nps_feedback"), id="nps")
    imported(other_api, fixture("kids_visible_if"), id="nps")
    assert (
        other_api.get("/surveys/nps").data["definition"]["pages"][0]["elements"][0]["id"]
        == "haveKids"
    )
    assert (
        api.get("/surveys/nps").data["definition"]["pages"][0]["elements"][0]["id"] == "nps_score"
    )


def test_disabled_choices_columns_limits_and_skips_import_unreported_and_evaluate(
    api: ApiClient,
) -> None:
    """choicesEnableIf, columnsVisibleIf, min/maxValueExpression, clearDisabledChoices, the
    skip trigger and `{$q.isVisible}` are evaluated, so the report names none of them; the
    evaluate endpoint answers disabled_choices, visible_columns, skip_to and current_page."""
    definition = {
        "clearDisabledChoices": True,
        "pages": [
            {
                "name": "first",
                "elements": [
                    {"type": "checkbox", "name": "cars", "choices": ["Audi", "BMW"]},
                    {
                        "type": "radiogroup",
                        "name": "best",
                        "choices": ["Audi", "BMW"],
                        "choicesEnableIf": "{cars} contains {item}",
                    },
                    {
                        "type": "matrix",
                        "name": "rate",
                        "rows": ["r"],
                        "columns": ["Audi", "BMW"],
                        "columnsVisibleIf": "{cars} contains {item}",
                    },
                    {
                        "type": "text",
                        "name": "when",
                        "inputType": "date",
                        "minValueExpression": "today()",
                        "maxValueExpression": "today(30)",
                        "visibleIf": "{$best.isVisible}",
                    },
                ],
            },
            {"name": "second", "elements": [{"type": "comment", "name": "why"}]},
        ],
        "triggers": [{"type": "skip", "expression": "{best} = 'BMW'", "gotoName": "why"}],
    }
    body = imported(api, definition, id="cars")
    assert body["import_report"] == []
    response = api.post(
        "/surveys/cars/evaluate",
        {
            "answers": {"cars": ["BMW"], "best": "BMW", "when": "2026-03-01"},
            "now": "2026-03-15T09:00:00Z",
        },
    )
    assert response.status_code == 200, response.data
    result = response.data
    assert result["disabled_choices"] == {"best": ["Audi"]}
    assert result["visible_columns"] == {"rate": ["BMW"]}
    assert result["skip_to"] == "why" and result["current_page"] == "second"
    assert result["errors"] == {"when": ["out_of_range"]}
    assert result["data"] == {"cars": ["BMW"], "best": "BMW"}


def test_element_properties_the_runtime_cannot_read_are_reported(api: ApiClient) -> None:
    """`{$q.containsErrors}` (set by a browser) and `{$self.title}` (relative to the element)
    give nothing here; `{$q.isVisible}` and `{$survey.locale}` are evaluated."""
    definition = {
        "elements": [
            {"type": "text", "name": "q1"},
            {
                "type": "text",
                "name": "q2",
                "visibleIf": "{$q1.isVisible} and {$survey.locale} = ''",
            },
            {"type": "text", "name": "q3", "visibleIf": "{$self.title} = 'x'"},
            {"type": "text", "name": "q4", "visibleIf": "!{$q1.containsErrors}"},
        ]
    }
    body = imported(api, definition, id="props")
    assert [(e["path"], e["code"]) for e in body["import_report"]] == [
        ("elements[2].visibleIf", "not_evaluated"),
        ("elements[3].visibleIf", "not_evaluated"),
    ]
