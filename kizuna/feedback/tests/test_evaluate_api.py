"""POST /surveys/{survey_id}/evaluate: pure, callable with a publishable key; wrong answers
are errors in the answer, bad bodies 422 naming the field."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.feedback.models import Answer, Display, Response
from kizuna.feedback.tests.support import assert_error, full_definition, stored, survey_body, t

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(api: ApiClient) -> dict[str, Any]:
    created = api.post("/surveys", survey_body())
    assert created.status_code == 201, created.data
    return dict(created.data)


def evaluate(client: ApiClient, body: dict[str, Any], survey_id: str = "relationship") -> Any:
    return client.post(f"/surveys/{survey_id}/evaluate", body)


def test_a_publishable_key_may_evaluate(survey: Any, browser_api: ApiClient) -> None:
    response = evaluate(browser_api, {"answers": {"nps": 3}, "language": "ja"})
    assert response.status_code == 200, response.data
    body = response.data
    assert body["language"] == "ja" and body["ui_language"] == "ja"
    assert body["visible_pages"] == ["p1", "p2", "p3"]
    assert body["visible_elements"][:5] == ["nps", "csat", "ces", "stars", "Why not?"]
    assert body["required_elements"] == ["nps", "ok"]
    assert body["disabled_elements"] == ["email"]
    assert body["visible_choices"]["channel"] == ["web", "shop", "other"]
    assert body["texts"]["channel"] == {
        "title": "Where?",
        "description": None,
        "choices": {"web": "Web", "shop": "店舗", "other": "Elsewhere"},
        "rows": None,
        "labels": {"other_text": "Elsewhere"},
    }
    assert body["pages"]["p1"] == {"title": "あなたについて"}
    assert body["endings"]["thanks"] == {"title": "ありがとう"}
    assert body["welcome"] == {"title": "ようこそ", "button_text": "Start", "enabled": True}
    assert body["data"] == {"nps": 3}
    assert body["variables"] == {"score": 30, "double": 21}
    assert body["valid"] is False
    assert body["errors"] == {"ok": ["required"]}
    assert body["messages"] == {"ok": ["この質問にお答えください。"]}
    assert body["ending"] is None and body["complete"] is False
    assert body["current_page"] == "p3"
    assert body["ui"]["next"] == "次へ"


def test_a_server_key_may_evaluate_too(survey: Any, api: ApiClient) -> None:
    response = evaluate(api, {"answers": {"nps": 10, "ok": True}})
    assert response.status_code == 200
    assert response.data["visible_pages"] == ["p1", "p3"]
    assert response.data["ending"] == "thanks" and response.data["valid"] is True


def test_wrong_answers_are_errors_not_a_refusal(survey: Any, browser_api: ApiClient) -> None:
    answers = {"nps": 11, "csat": "five", "nope": 1, "city": "tokyo", "ok": True}
    response = evaluate(browser_api, {"answers": answers})
    assert response.status_code == 200
    assert response.data["errors"] == {
        "nope": ["unknown_element"],
        "nps": ["out_of_range"],
        "csat": ["invalid_type"],
        "city": ["invalid_choice"],
    }
    assert response.data["valid"] is False
    assert response.data["data"] == {"ok": True}


def test_answers_of_any_shape_get_errors_not_a_failure(survey: Any, browser_api: ApiClient) -> None:
    answers = {
        "nps": [[[[{"a": None}]]]],
        "grid": {"staff": {"deep": [1, 2]}},
        "likes": [None, 1.5, "tea"],
        "visited": "9999-99-99",
        "Why not?": "x" * 20_000,
        "channel#other": ["list"],
        "channel": "other",
        "": 1,
    }
    response = evaluate(browser_api, {"answers": answers})
    assert response.status_code == 200, response.data
    assert response.data["errors"] == {
        "": ["unknown_element"],
        "nps": ["invalid_type"],
        "channel": ["other_text_required"],
        "likes": ["invalid_type"],
        "grid": ["invalid_type"],
        "visited": ["invalid_format"],
        "ok": ["required"],
    }
    # "Why not?" is hidden (no valid nps): its answer is left out, not checked.
    assert response.data["data"] == {}


def test_evaluating_changes_nothing(survey: Any, browser_api: ApiClient) -> None:
    before = stored()
    response = evaluate(browser_api, {"answers": {"nps": 9, "ok": True}, "customer_id": "c-9"})
    assert response.status_code == 200
    assert stored() == before
    assert (Display.objects.count(), Response.objects.count(), Answer.objects.count()) == (0, 0, 0)


def test_an_unknown_survey_is_404(api: ApiClient, browser_api: ApiClient) -> None:
    assert_error(
        evaluate(browser_api, {"answers": {}}, "nope"), 404, "survey_not_found", "survey_id"
    )


def test_another_workspaces_survey_is_404(survey: Any, other_api: ApiClient) -> None:
    assert_error(evaluate(other_api, {"answers": {}}), 404, "survey_not_found", "survey_id")


def test_no_key_is_401(survey: Any, anonymous_api: ApiClient) -> None:
    response = evaluate(anonymous_api, {"answers": {}})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": ["nps", 3]}, "answers"),
        ({"answers": "nps=3"}, "answers"),
        ({"answers": {}, "language": "not a tag"}, "language"),
        ({"answers": {}, "language": 7}, "language"),
        ({"answers": {}, "language": "x"}, "language"),
        ({"answers": {}, "now": "yesterday"}, "now"),
        ({"answers": {}, "now": "2026-05-01T10:00:00"}, "now"),
        ({"answers": {}, "hidden": ["email"]}, "hidden"),
        ({"answers": {}, "hidden": {"source": {"a": 1}}}, "hidden.source"),
        ({"answers": {}, "customer_id": ""}, "customer_id"),
        ({"answers": {}, "unknown": 1}, "unknown"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(
    survey: Any, browser_api: ApiClient, body: dict[str, Any], field: str
) -> None:
    before = stored()
    response = evaluate(browser_api, body)
    assert response.status_code == 422, response.data
    assert response.data["field"] == field, response.data
    assert stored() == before


def test_languages_negotiated_from_request_customer_and_default(
    api: ApiClient, browser_api: ApiClient
) -> None:
    definition = full_definition()
    definition["pages"][0]["elements"][0]["title"] = t(
        "Recommend?", ja="おすすめ?", pt="Recomendar?"
    )
    body = survey_body(languages=["en", "ja", "ko", "pt"], definition=definition)
    created = api.post("/surveys", body)
    assert created.status_code == 201, created.data
    assert api.put("/customers/c-ja", {"locale": "ja-JP"}).status_code == 201

    def served(**request: Any) -> tuple[str, str]:
        response = evaluate(browser_api, {"answers": {}, **request})
        assert response.status_code == 200, response.data
        return response.data["language"], response.data["texts"]["nps"]["title"]

    assert served(language="pt-BR") == ("pt", "Recomendar?")
    assert served(language="ja", customer_id="c-ja") == ("ja", "おすすめ?")
    assert served(customer_id="c-ja") == ("ja", "おすすめ?")
    # Korean is served, its texts falling back to the default where there is none.
    assert served(language="ko", customer_id="c-ja") == ("ko", "Recommend?")
    assert served(language="zh-Hant-TW", customer_id="c-ja") == ("ja", "おすすめ?")
    assert served(language="zh") == ("en", "Recommend?")
    assert served() == ("en", "Recommend?")
    assert served(customer_id="unknown-customer") == ("en", "Recommend?")


def test_customer_fields_in_logic_and_recall(
    api: ApiClient, browser_api: ApiClient, django_assert_num_queries: Any
) -> None:
    definition = {
        "pages": [
            {
                "id": "p1",
                "elements": [
                    {
                        "id": "hello",
                        "type": "statement",
                        "title": t(
                            "Hello {customer.first_name|there}, {customer.attributes.city|}"
                        ),
                    },
                    {
                        "id": "osaka",
                        "type": "boolean",
                        "title": t("Osaka store?"),
                        "visible_if": {
                            "field": "customer.attributes.city",
                            "op": "eq",
                            "value": "Osaka",
                        },
                    },
                ],
            }
        ]
    }
    # The first customer with a city declares the attribute (a string).
    customer = {"first_name": "Aiko", "attributes": {"city": "Osaka"}}
    assert api.put("/customers/c-1", customer).status_code == 201
    assert api.post("/surveys", survey_body(definition=definition)).status_code == 201
    body = evaluate(browser_api, {"customer_id": "c-2"}).data  # unknown: anonymous
    assert body["texts"]["hello"]["title"] == "Hello there, "
    assert body["visible_elements"] == ["hello"]
    with django_assert_num_queries(5):
        # The savepoint and its release, the survey, the customer, the attribute types
        # (once, for the condition and the recall).
        body = evaluate(browser_api, {"customer_id": "c-1"}).data
    assert body["texts"]["hello"]["title"] == "Hello Aiko, Osaka"
    assert body["visible_elements"] == ["hello", "osaka"]


def test_now_decides_date_conditions(api: ApiClient, browser_api: ApiClient) -> None:
    definition = {
        "pages": [
            {
                "id": "p1",
                "elements": [
                    {"id": "visit", "type": "date", "title": t("When?")},
                    {
                        "id": "recent",
                        "type": "text",
                        "title": t("How was it?"),
                        "visible_if": {
                            "field": "answers.visit",
                            "op": "within_last",
                            "value": "7d",
                        },
                    },
                ],
            }
        ]
    }
    assert api.post("/surveys", survey_body(definition=definition)).status_code == 201
    answers = {"visit": "2026-05-01"}
    early = evaluate(browser_api, {"answers": answers, "now": "2026-05-03T00:00:00+09:00"})
    late = evaluate(browser_api, {"answers": answers, "now": "2026-06-03T00:00:00+09:00"})
    assert early.data["visible_elements"] == ["visit", "recent"]
    assert late.data["visible_elements"] == ["visit"]


def test_query_count_is_pinned(
    survey: Any, api: ApiClient, browser_api: ApiClient, django_assert_num_queries: Any
) -> None:
    assert api.put("/customers/c-1", {"first_name": "Aiko"}).status_code == 201
    body = {"answers": {"nps": 3, "city": "osaka"}, "customer_id": "c-1", "language": "ja"}
    evaluate(browser_api, body)  # the key's lookup is cached after the first request
    # The request's savepoint and its release (ADR 0014); the survey; the customer, whose
    # email (read by quota osaka-100) is on its row.
    with django_assert_num_queries(4):
        response = evaluate(browser_api, body)
    assert response.status_code == 200
    assert response.data["quotas_matched"] == []
