"""Surveys through the API: created, read, listed, changed; audited; refused to publishable
keys and invisible to other workspaces."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core.models import AuditEntry
from kizuna.feedback.tests.support import (
    assert_error,
    full_definition,
    minimal_definition,
    stored,
    survey_body,
)

pytestmark = pytest.mark.django_db


def test_a_survey_round_trips(api: ApiClient) -> None:
    created = api.post("/surveys", survey_body())
    assert created.status_code == 201, created.data
    body = created.data
    assert body["id"] == "relationship"
    assert body["status"] == "draft"
    assert (body["version"], body["latest_version"]) == (1, 1)
    assert body["definition"] == full_definition()
    assert body["languages"] == ["en", "ja", "ko"]
    assert body["schedule"] is None and body["targeting"] is None and body["recontact"] is None
    assert body["published_at"] is None
    assert api.get("/surveys/relationship").data == body
    listed = api.get("/surveys").data
    assert listed == {"data": [body], "next_cursor": None}


def test_every_setting_round_trips(api: ApiClient) -> None:
    targeting = {"field": "customer.locale", "op": "in", "value": ["ja", "ko"]}
    body = survey_body(
        targeting=targeting,
        recontact={"days": 30},
        schedule={"starts_at": "2026-01-01T00:00:00+09:00", "ends_at": "2099-01-01T00:00:00Z"},
    )
    created = api.post("/surveys", body)
    assert created.status_code == 201, created.data
    assert created.data["targeting"] == targeting
    assert created.data["recontact"] == {"days": 30}
    assert created.data["schedule"] == {
        "starts_at": "2025-12-31T15:00:00Z",
        "ends_at": "2099-01-01T00:00:00Z",
    }


def test_an_id_is_generated_when_absent(api: ApiClient) -> None:
    body = survey_body()
    del body["id"]
    created = api.post("/surveys", body)
    assert created.status_code == 201
    assert created.data["id"].startswith("survey-")


def test_a_taken_id_is_409_and_changes_nothing(api: ApiClient) -> None:
    assert api.post("/surveys", survey_body()).status_code == 201
    before = stored()
    assert_error(api.post("/surveys", survey_body(name="Again")), 409, "survey_exists", "id")
    assert stored() == before


def test_unknown_survey_is_404(api: ApiClient) -> None:
    assert_error(api.get("/surveys/nope"), 404, "survey_not_found", "survey_id")
    assert_error(api.patch("/surveys/nope", {"name": "x"}), 404, "survey_not_found", "survey_id")
    assert_error(api.post("/surveys/nope/publish"), 404, "survey_not_found", "survey_id")


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"id": "Big Id"}, "string_pattern_mismatch", "id"),
        ({"name": ""}, "too_short", "name"),
        ({"name": "   "}, "invalid_name", "name"),
        ({"languages": []}, "list_too_short", "languages"),
        ({"languages": ["en", "EN-us!"]}, "invalid_language", "languages[1]"),
        ({"languages": ["en", "en"]}, "invalid_language", "languages[1]"),
        ({"default_language": "fr"}, "invalid_language", "default_language"),
        ({"timezone": "Mars/Olympus"}, "invalid_timezone", "timezone"),
        ({"recontact": {"days": -1}}, "out_of_range", "recontact.days"),
        (
            {"schedule": {"starts_at": "2026-01-01T00:00:00"}},
            "datetime_without_offset",
            "schedule.starts_at",
        ),
        (
            {"schedule": {"starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"}},
            "invalid_schedule",
            "schedule.ends_at",
        ),
        (
            {"schedule": {"ends_at": "9999-12-31T23:00:00-05:00"}},
            "invalid_schedule",
            "schedule.ends_at",
        ),
        (
            {"targeting": {"field": "answers.nps", "op": "gte", "value": 9}},
            "invalid_condition",
            "targeting.field",
        ),
        (
            {"targeting": {"field": "customer.attributes.nope", "op": "eq", "value": 1}},
            "invalid_condition",
            "targeting.field",
        ),
        ({"definition": None}, "invalid_type", "definition"),
        ({"colour": "blue"}, "unknown_field", "colour"),
    ],
)
def test_bad_settings_are_422_and_change_nothing(
    api: ApiClient, changes: dict[str, Any], code: str, field: str
) -> None:
    before = stored()
    assert_error(api.post("/surveys", survey_body(**changes)), 422, code, field)
    assert stored() == before


def test_a_draft_changes_in_place(api: ApiClient) -> None:
    assert api.post("/surveys", survey_body()).status_code == 201
    definition = minimal_definition()
    changed = api.patch("/surveys/relationship", {"name": "NPS", "definition": definition})
    assert changed.status_code == 200, changed.data
    assert changed.data["name"] == "NPS"
    assert changed.data["definition"] == definition
    assert changed.data["version"] == 1
    versions = api.get("/surveys/relationship/versions").data["data"]
    assert [(v["version"], v["definition"]) for v in versions] == [(1, definition)]


def test_patch_refuses_null_for_required_settings(api: ApiClient) -> None:
    assert api.post("/surveys", survey_body()).status_code == 201
    before = stored()
    assert_error(api.patch("/surveys/relationship", {"name": None}), 422, "null_value", "name")
    assert_error(
        api.patch("/surveys/relationship", {"definition": None}), 422, "null_value", "definition"
    )
    assert stored() == before


def test_languages_cannot_drop_one_the_texts_use(api: ApiClient) -> None:
    assert api.post("/surveys", survey_body()).status_code == 201
    before = stored()
    response = api.patch("/surveys/relationship", {"languages": ["en", "ja"]})
    assert_error(response, 422, "invalid_text", "definition.pages[0].title.ko")
    response = api.patch("/surveys/relationship", {"languages": ["ja", "ko"]})
    assert_error(response, 422, "invalid_language", "default_language")
    assert stored() == before


def test_changes_are_audited(api: ApiClient) -> None:
    assert api.post("/surveys", survey_body()).status_code == 201
    assert api.patch("/surveys/relationship", {"name": "NPS 2"}).status_code == 200
    assert api.patch("/surveys/relationship", {"name": "NPS 2"}).status_code == 200  # no change
    assert api.post("/surveys/relationship/publish").status_code == 200
    assert api.post("/surveys/relationship/pause").status_code == 200
    assert api.post("/surveys/relationship/close").status_code == 200
    entries = list(
        AuditEntry.objects.filter(object_type="survey", object_id="relationship").order_by("pk")
    )
    assert [e.action for e in entries] == [
        "survey.created",
        "survey.updated",
        "survey.published",
        "survey.paused",
        "survey.closed",
    ]
    assert (entries[1].before or {})["name"] == "Relationship NPS"
    assert (entries[1].after or {})["name"] == "NPS 2"
    assert (entries[2].after or {})["status"] == "active"
    assert all(e.actor_type == "api_key" for e in entries)
    log = api.get("/audit-log?object_type=survey&object_id=relationship").data["data"]
    assert log[0]["action"] == "survey.closed"


def test_a_publishable_key_reaches_no_survey_management(
    api: ApiClient, browser_api: ApiClient
) -> None:
    assert api.post("/surveys", survey_body()).status_code == 201
    before = stored()
    for method, path, body in [
        ("POST", "/surveys", survey_body(id="other")),
        ("GET", "/surveys", None),
        ("GET", "/surveys/relationship", None),
        ("PATCH", "/surveys/relationship", {"name": "x"}),
        ("GET", "/surveys/relationship/versions", None),
        ("POST", "/surveys/relationship/publish", None),
        ("POST", "/surveys/relationship/pause", None),
        ("POST", "/surveys/relationship/close", None),
    ]:
        assert_error(browser_api.request(method, path, body), 403, "server_key_required")
    assert stored() == before


def test_another_workspace_cannot_see_or_change_a_survey(
    api: ApiClient, other_api: ApiClient
) -> None:
    assert api.post("/surveys", survey_body()).status_code == 201
    before = stored()
    for method, path, body in [
        ("GET", "/surveys/relationship", None),
        ("GET", "/surveys/relationship?version=1", None),
        ("PATCH", "/surveys/relationship", {"name": "Mallory"}),
        ("GET", "/surveys/relationship/versions", None),
        ("POST", "/surveys/relationship/publish", None),
        ("POST", "/surveys/relationship/pause", None),
        ("POST", "/surveys/relationship/close", None),
    ]:
        assert_error(other_api.request(method, path, body), 404, "survey_not_found", "survey_id")
    assert other_api.get("/surveys").data == {"data": [], "next_cursor": None}
    assert stored() == before
    # The same id is free in the other workspace.
    assert other_api.post("/surveys", survey_body()).status_code == 201
    assert api.get("/surveys/relationship").data["name"] == "Relationship NPS"


def test_the_list_pages_by_id(api: ApiClient) -> None:
    for key in ("c", "a", "b"):
        assert api.post("/surveys", survey_body(id=key)).status_code == 201
    first = api.get("/surveys?limit=2").data
    assert [s["id"] for s in first["data"]] == ["a", "b"]
    rest = api.get(f"/surveys?limit=2&cursor={first['next_cursor']}").data
    assert [s["id"] for s in rest["data"]] == ["c"] and rest["next_cursor"] is None
