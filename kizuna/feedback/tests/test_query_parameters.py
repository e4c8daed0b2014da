"""Parameters the fuzzing found accepted although the document refuses them, and an imported
survey whose variables are text: each now gets the answer the document promises."""

import pytest

from conftest import ApiClient
from kizuna.feedback.tests.response_support import published
from kizuna.feedback.tests.support import assert_error

pytestmark = pytest.mark.django_db

NOT_AN_ID = "%C3%97%C3%B8%C2%9B"  # "×ø" and a C1 control character: not a customer id


def test_a_customer_id_filter_that_is_no_id_is_refused(api: ApiClient) -> None:
    published(api)
    for path in ("/follow-ups", "/surveys/relationship/responses"):
        assert_error(
            api.get(f"{path}?customer_id={NOT_AN_ID}"), 422, "validation_error", "customer_id"
        )


def test_fatigue_dates_are_dates_not_numbers(api: ApiClient) -> None:
    published(api)
    refused = api.get("/surveys/relationship/fatigue?until=0")
    assert refused.status_code == 422
    assert refused.data["field"] == "until"
    assert api.get("/surveys/relationship/fatigue?until=2026-03-01").status_code == 200


def test_a_cooldown_is_a_number_of_days_not_a_boolean(api: ApiClient) -> None:
    refused = api.patch("/survey-settings", {"cooldown_days": False})
    assert refused.status_code == 422
    assert refused.data["field"] == "cooldown_days"
    assert api.get("/survey-settings").data == {"cooldown_days": 0}


def test_a_results_condition_fits_in_a_request_line(api: ApiClient) -> None:
    published(api)
    long = "x" * 2001
    refused = api.get(f"/surveys/relationship/results?condition={long}")
    assert refused.status_code == 422
    assert refused.data["field"] == "condition"


def test_an_imported_survey_s_text_variables_are_answered(api: ApiClient) -> None:
    source = {
        "calculatedValues": [{"name": "channel", "expression": "'email'"}],
        "pages": [{"name": "p", "elements": [{"type": "text", "name": "q"}]}],
    }
    imported = api.post("/surveys/import", {"format": "surveyjs", "id": "sj", "definition": source})
    assert imported.status_code == 201, imported.data
    body = api.post(
        "/surveys/sj/evaluate",
        {"answers": {"q": "hi"}, "language": "en", "hidden": {"source": "email"}},
    )
    assert body.status_code == 200, body.data
    assert body.data["data"]["q"] == "hi"
    # The hidden field and the calculated value, both text (the document once said numbers).
    assert body.data["variables"] == {"source": "email", "channel": "email"}
