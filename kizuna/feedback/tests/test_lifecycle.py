"""Status transitions, the schedule, and versions of a published survey's definition."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core import clock
from kizuna.core.models import OutboxEvent
from kizuna.feedback.tests.support import (
    assert_error,
    edited,
    full_definition,
    nps,
    stored,
    survey_body,
    t,
)

pytestmark = pytest.mark.django_db

URL = "/surveys/relationship"


def _status(api: ApiClient) -> str:
    return str(api.get(URL).data["status"])


@pytest.fixture
def survey(api: ApiClient) -> dict[str, Any]:
    response = api.post("/surveys", survey_body())
    assert response.status_code == 201
    return dict(response.data)


@pytest.mark.usefixtures("survey")
def test_publish_pause_resume_close(api: ApiClient) -> None:
    published = api.post(f"{URL}/publish")
    assert published.status_code == 200
    assert published.data["status"] == "active"
    assert published.data["published_at"] is not None
    assert api.post(f"{URL}/pause").data["status"] == "paused"
    assert api.post(f"{URL}/publish").data["status"] == "active"
    assert api.post(f"{URL}/close").data["status"] == "closed"
    assert _status(api) == "closed"
    events = OutboxEvent.objects.filter(type__startswith="survey.").order_by("occurred_at")
    assert [(e.type, e.payload) for e in events] == [
        ("survey.published", {"survey_id": "relationship", "version": 1, "status": "active"}),
        ("survey.paused", {"survey_id": "relationship", "version": 1}),
        ("survey.published", {"survey_id": "relationship", "version": 1, "status": "active"}),
        ("survey.closed", {"survey_id": "relationship", "version": 1}),
    ]


# (the steps that lead to a status, the transition refused from it)
REFUSED = [
    ([], "pause"),
    ([], "close"),
    (["publish"], "publish"),
    (["publish", "pause"], "pause"),
    (["publish", "close"], "publish"),
    (["publish", "close"], "pause"),
    (["publish", "close"], "close"),
]


@pytest.mark.usefixtures("survey")
@pytest.mark.parametrize(("steps", "refused"), REFUSED, ids=lambda v: str(v))
def test_transitions_not_allowed_are_422_and_change_nothing(
    api: ApiClient, steps: list[str], refused: str
) -> None:
    for step in steps:
        assert api.post(f"{URL}/{step}").status_code == 200
    status = _status(api)
    before = stored()
    events = OutboxEvent.objects.count()
    error = assert_error(api.post(f"{URL}/{refused}"), 422, "invalid_status_transition", "status")
    assert error["details"][0]["from"] == status
    assert stored() == before
    assert OutboxEvent.objects.count() == events


@pytest.mark.usefixtures("survey")
def test_a_closed_survey_changes_no_more(api: ApiClient) -> None:
    assert api.post(f"{URL}/publish").status_code == 200
    assert api.post(f"{URL}/close").status_code == 200
    before = stored()
    assert_error(api.patch(URL, {"name": "Again"}), 409, "survey_closed", "survey_id")
    assert stored() == before


def test_a_future_start_is_scheduled_then_active_then_closed(api: ApiClient) -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    schedule = {"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-02-01T00:00:00Z"}
    assert api.post("/surveys", survey_body(schedule=schedule)).status_code == 201
    with clock.at(start - timedelta(days=1)):
        assert api.post(f"{URL}/publish").data["status"] == "scheduled"
        assert [s["id"] for s in api.get("/surveys?status=scheduled").data["data"]] == [
            "relationship"
        ]
        assert api.get("/surveys?status=active").data["data"] == []
    with clock.at(start):
        assert _status(api) == "active"
        assert len(api.get("/surveys?status=active").data["data"]) == 1
    with clock.at(start + timedelta(days=31)):
        assert _status(api) == "closed"
        assert len(api.get("/surveys?status=closed").data["data"]) == 1
        assert_error(api.post(f"{URL}/publish"), 422, "invalid_status_transition", "status")


def test_a_paused_survey_whose_schedule_ends_is_closed(api: ApiClient) -> None:
    schedule = {"ends_at": "2030-02-01T00:00:00Z"}
    assert api.post("/surveys", survey_body(schedule=schedule)).status_code == 201
    with clock.at(datetime(2030, 1, 1, tzinfo=UTC)):
        assert api.post(f"{URL}/publish").status_code == 200
        assert api.post(f"{URL}/pause").status_code == 200
        assert len(api.get("/surveys?status=paused").data["data"]) == 1
    with clock.at(datetime(2030, 3, 1, tzinfo=UTC)):
        assert _status(api) == "closed"
        assert api.get("/surveys?status=paused").data["data"] == []


def test_a_draft_whose_schedule_has_ended_cannot_be_published(api: ApiClient) -> None:
    schedule = {"ends_at": "2020-02-01T00:00:00Z"}
    assert api.post("/surveys", survey_body(schedule=schedule)).status_code == 201
    assert _status(api) == "draft"
    before = stored()
    assert_error(api.post(f"{URL}/publish"), 422, "invalid_schedule", "schedule.ends_at")
    assert stored() == before


def test_a_status_filter_must_be_a_status(api: ApiClient) -> None:
    assert api.get("/surveys?status=open").status_code == 422


# ------------------------------------------------------------------ versions


def _publish(api: ApiClient) -> None:
    assert api.post(f"{URL}/publish").status_code == 200


@pytest.mark.usefixtures("survey")
def test_a_published_surveys_new_definition_is_a_new_version(api: ApiClient) -> None:
    _publish(api)
    first = full_definition()
    second = edited(first, ["pages", 0, "elements", 0, "title"], t("Would you recommend us?"))
    changed = api.patch(URL, {"definition": second})
    assert changed.status_code == 200, changed.data
    assert (changed.data["version"], changed.data["latest_version"]) == (2, 2)
    assert changed.data["status"] == "active"
    assert api.get(URL).data["definition"] == second
    old = api.get(f"{URL}?version=1").data
    assert (old["version"], old["latest_version"], old["definition"]) == (1, 2, first)
    assert api.get(f"{URL}?version=2").data == api.get(URL).data
    versions = api.get(f"{URL}/versions").data["data"]
    assert [(v["version"], v["definition"]) for v in versions] == [(2, second), (1, first)]
    # The same definition again is no new version; settings change in place.
    assert api.patch(URL, {"definition": second, "name": "Renamed"}).data["version"] == 2
    assert len(api.get(f"{URL}/versions").data["data"]) == 2


@pytest.mark.usefixtures("survey")
def test_elements_may_come_and_go_but_keep_their_type(api: ApiClient) -> None:
    _publish(api)
    definition = full_definition()
    page = definition["pages"][2]
    page["elements"] = [e for e in page["elements"] if e["id"] != "again"] + [nps("nps-2")]
    assert api.patch(URL, {"definition": definition}).data["version"] == 2
    # "again" was a boolean in version 1: it cannot come back as another type.
    page["elements"].append({"id": "again", "type": "csat", "title": t("Again?")})
    before = stored()
    response = api.patch(URL, {"definition": definition})
    assert_error(response, 422, "element_type_changed", "definition.pages[2].elements[4].type")
    assert "version 1" in response.data["message"]
    assert stored() == before


@pytest.mark.usefixtures("survey")
def test_a_draft_may_change_an_elements_type(api: ApiClient) -> None:
    definition = edited(full_definition(), ["pages", 2, "elements", 1, "type"], "consent")
    definition["pages"][2]["elements"][1] = {
        "id": "again",
        "type": "consent",
        "title": t("Again?"),
        "label": t("Yes"),
    }
    response = api.patch(URL, {"definition": definition})
    assert response.status_code == 200, response.data
    assert response.data["version"] == 1


@pytest.mark.usefixtures("survey")
def test_an_invalid_new_version_changes_nothing(api: ApiClient) -> None:
    _publish(api)
    before = stored()
    bad = edited(full_definition(), ["pages", 0, "elements", 0, "id"], "csat")
    response = api.patch(URL, {"definition": bad})
    assert_error(response, 422, "duplicate_id", "definition.pages[0].elements[1].id")
    assert stored() == before


@pytest.mark.usefixtures("survey")
def test_an_unknown_version_is_404(api: ApiClient) -> None:
    assert_error(api.get(f"{URL}?version=2"), 404, "survey_version_not_found", "version")
    assert api.get(f"{URL}?version=0").status_code == 422
