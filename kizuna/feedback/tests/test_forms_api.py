"""`GET /surveys/{survey_id}/form`: the shapes of a survey's elements, for a client that draws
them (the widget); any key; no logic given away."""

from typing import Any

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import Workspace
from kizuna.feedback.models import Survey, SurveyLink
from kizuna.feedback.services.links import public_link
from kizuna.feedback.tests.response_support import published
from kizuna.feedback.tests.support import assert_error, full_definition


def test_the_form_names_each_elements_type_and_input_settings(
    api: ApiClient, browser_api: ApiClient
) -> None:
    survey = published(api)
    form = browser_api.get(f"/surveys/{survey}/form")
    assert form.status_code == 200
    body = form.data
    assert (body["survey_id"], body["version"], body["status"]) == (survey, 1, "active")
    assert (body["languages"], body["default_language"]) == (["en", "ja", "ko"], "en")
    assert body["hosted_url"] is None
    assert body["branding"] == {}
    elements = body["elements"]
    expected_ids = [
        element["id"] for page in full_definition()["pages"] for element in page["elements"]
    ]
    assert list(elements)[: len(expected_ids)] == expected_ids
    assert elements["nps"] == {
        "type": "nps",
        "page": "p1",
        "required": True,
        "points": None,
        "display": None,
        "other": None,
        "multiline": None,
        "min": None,
        "max": None,
        "randomize": None,
        "validation": None,
        "button_url": None,
    }
    assert (elements["stars"]["type"], elements["stars"]["points"]) == ("rating", 5)
    assert elements["stars"]["display"] == "stars"
    why = elements["Why not?"]
    assert (why["type"], why["multiline"], why["required"]) == ("text", True, False)
    assert why["validation"] == {"min_length": 2, "max_length": 500}


def test_no_logic_is_given_away(api: ApiClient, browser_api: ApiClient) -> None:
    survey = published(api)
    text = browser_api.get(f"/surveys/{survey}/form").content.decode()
    for secret in ("visible_if", "required_if", "expression", "quotas", "goto", "answers."):
        assert secret not in text


def test_the_form_carries_the_workspaces_brand(
    api: ApiClient, browser_api: ApiClient, workspace: NewWorkspace
) -> None:
    survey = published(api)
    Workspace.objects.filter(pk=workspace.workspace.pk).update(
        brand_color="#0A7D32", brand_logo_url="https://cdn.example/logo.png"
    )
    assert browser_api.get(f"/surveys/{survey}/form").data["branding"] == {
        "primary": "#0A7D32",
        "logo_url": "https://cdn.example/logo.png",
    }


def test_the_form_gives_the_public_link_once_the_survey_has_one(
    api: ApiClient, browser_api: ApiClient, settings: Any
) -> None:
    settings.KIZUNA_PUBLIC_URL = "https://kizuna.example"
    survey = published(api)
    assert browser_api.get(f"/surveys/{survey}/form").data["hosted_url"] is None
    assert SurveyLink.objects.count() == 0  # reading the form creates no link
    public = public_link(Survey.objects.get(key=survey))  # as the hosted page makes it
    form = browser_api.get(f"/surveys/{survey}/form").data
    assert form["hosted_url"] == f"https://kizuna.example/s/{public.token}"


def test_a_paused_survey_says_so(api: ApiClient, browser_api: ApiClient) -> None:
    published(api)
    assert api.post("/surveys/relationship/pause").status_code == 200
    assert browser_api.get("/surveys/relationship/form").data["status"] == "paused"


def test_an_unknown_or_foreign_survey_is_not_found(
    api: ApiClient, other_api: ApiClient, browser_api: ApiClient
) -> None:
    published(other_api)
    assert_error(
        browser_api.get("/surveys/relationship/form"), 404, "survey_not_found", "survey_id"
    )
