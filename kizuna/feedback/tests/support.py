"""A survey that uses every element type and every kind of logic, and helpers to post it."""

import copy
from typing import Any

from kizuna.feedback.models import Survey, SurveyVersion


def t(text: str, **translations: str) -> dict[str, str]:
    return {"default": text, **translations}


def full_definition() -> dict[str, Any]:
    return {
        "welcome": {"title": t("Welcome", ja="ようこそ"), "button_text": t("Start")},
        "hidden_fields": ["source", "store"],
        "variables": [
            {"id": "score", "expression": "{answers.nps} * 10 + coalesce({answers.stars}, 0)"},
            {"id": "double", "expression": "round({variables.score} * 2 / 3, 1) - -1"},
        ],
        "pages": [
            {
                "id": "p1",
                "title": t("About you", ja="あなたについて", ko="당신에 대해"),
                "elements": [
                    {
                        "id": "nps",
                        "type": "nps",
                        "title": t("Recommend?"),
                        "required": True,
                        "min_label": t("Not likely"),
                        "max_label": t("Very likely"),
                    },
                    {"id": "csat", "type": "csat", "title": t("Satisfied?")},
                    {"id": "ces", "type": "ces", "title": t("Easy?")},
                    {
                        "id": "stars",
                        "type": "rating",
                        "title": t("Stars"),
                        "points": 5,
                        "display": "stars",
                    },
                    {
                        "id": "Why not?",
                        "type": "text",
                        "title": t("Why?"),
                        "visible_if": {"field": "answers.nps", "op": "lte", "value": 6},
                        "required_if": {"field": "hidden.source", "op": "eq", "value": "email"},
                        "validation": {"min_length": 2, "max_length": 500},
                        "multiline": True,
                    },
                ],
                "next": [
                    {"if": {"field": "answers.nps", "op": "gte", "value": 9}, "goto": "p3"},
                    {"if": {"field": "variables.score", "op": "lt", "value": 0}, "goto": "bye"},
                ],
            },
            {
                "id": "p2",
                "visible_if": {"not": {"field": "answers.csat", "op": "eq", "value": 5}},
                "elements": [
                    {
                        "id": "channel",
                        "type": "single_choice",
                        "title": t("Where?"),
                        "choices": [
                            {"id": "web", "text": t("Web")},
                            {"id": "shop", "text": t("Shop", ja="店舗")},
                        ],
                        "other": True,
                        "other_text": t("Elsewhere"),
                    },
                    {
                        "id": "likes",
                        "type": "multiple_choice",
                        "title": t("What do you like?"),
                        "choices": [
                            {"id": "tea", "text": t("Tea")},
                            {
                                "id": "cups",
                                "text": t("Cups"),
                                "visible_if": {
                                    "field": "answers.channel",
                                    "op": "eq",
                                    "value": "shop",
                                },
                            },
                        ],
                        "other": True,
                        "min": 1,
                        "max": 2,
                    },
                    {
                        "id": "city",
                        "type": "dropdown",
                        "title": t("City"),
                        "choices": [
                            {"id": "osaka", "text": t("Osaka")},
                            {"id": "seoul", "text": t("Seoul")},
                        ],
                        "placeholder": t("Choose"),
                    },
                    {
                        "id": "order",
                        "type": "ranking",
                        "title": t("Rank"),
                        "choices": [
                            {"id": "price", "text": t("Price")},
                            {"id": "speed", "text": t("Speed")},
                        ],
                    },
                    {
                        "id": "grid",
                        "type": "matrix",
                        "title": t("Rate each"),
                        "rows": [
                            {"id": "staff", "text": t("Staff")},
                            {"id": "store", "text": t("Store")},
                        ],
                        "choices": [
                            {"id": "bad", "text": t("Bad")},
                            {"id": "good", "text": t("Good")},
                        ],
                    },
                    {
                        "id": "email",
                        "type": "text",
                        "title": t("Email"),
                        "validation": {"format": "email"},
                        "enable_if": {"field": "answers.grid[staff]", "op": "eq", "value": "good"},
                    },
                    {
                        "id": "age",
                        "type": "text",
                        "title": t("Age"),
                        "validation": {"format": "number", "min": 0, "max": 130},
                    },
                    {
                        "id": "site",
                        "type": "text",
                        "title": t("Site"),
                        "validation": {"format": "url"},
                    },
                ],
            },
            {
                "id": "p3",
                "elements": [
                    {
                        "id": "visited",
                        "type": "date",
                        "title": t("When?"),
                        "validation": {"min": "2020-01-01", "max": "2030-12-31"},
                    },
                    {
                        "id": "again",
                        "type": "boolean",
                        "title": t("Again?"),
                        "true_text": t("Yes"),
                        "false_text": t("No"),
                    },
                    {
                        "id": "ok",
                        "type": "consent",
                        "title": t("Consent"),
                        "label": t("I agree"),
                        "required": True,
                    },
                    {
                        "id": "cta",
                        "type": "statement",
                        "title": t("Visit our shop"),
                        "description": t("Ten percent off"),
                        "button": {"text": t("Go"), "url": "https://example.com/shop"},
                    },
                ],
            },
        ],
        "endings": [
            {"id": "thanks", "title": t("Thank you!", ja="ありがとう", ko="감사합니다")},
            {
                "id": "bye",
                "title": t("Bye"),
                "text": t("See you"),
                "redirect_url": "https://example.com/",
            },
        ],
        "quotas": [
            {
                "id": "osaka-100",
                "limit": 100,
                "action": "end",
                "ending": "bye",
                "condition": {
                    "all": [
                        {"field": "answers.city", "op": "eq", "value": "osaka"},
                        {"field": "customer.email", "op": "exists"},
                    ]
                },
            },
            {
                "id": "others",
                "limit": 5,
                "action": "screen_out",
                "condition": {"field": "answers.likes", "op": "any_in", "value": ["tea", "other"]},
            },
        ],
    }


def survey_body(**changes: Any) -> dict[str, Any]:
    body = {
        "id": "relationship",
        "name": "Relationship NPS",
        "languages": ["en", "ja", "ko"],
        "default_language": "en",
        "timezone": "Asia/Tokyo",
        "definition": full_definition(),
    }
    body.update(changes)
    return body


def minimal_definition(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"pages": [{"id": "p1", "elements": list(elements) or [nps()]}]}


def nps(element_id: str = "nps") -> dict[str, Any]:
    return {"id": element_id, "type": "nps", "title": t("Recommend?")}


def edited(definition: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """A copy of the definition with the value at `path` replaced (or deleted, for DELETE)."""
    result = copy.deepcopy(definition)
    node: Any = result
    for step in path[:-1]:
        node = node[step]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return result


DELETE = object()


def stored() -> dict[str, Any]:
    """Every survey row and version, to tell that a refused request changed nothing."""
    return {
        "surveys": list(Survey.objects.order_by("pk").values()),
        "versions": list(SurveyVersion.objects.order_by("pk").values()),
    }


ERROR_KEYS = {"code", "message", "field", "details", "request_id"}


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> Any:
    """The error body, after checking its status, shape, code and field."""
    assert response.status_code == status, (response.status_code, response.data)
    body = response.data
    assert set(body) == ERROR_KEYS, body
    assert (body["code"], body["field"]) == (code, field), body
    return body
