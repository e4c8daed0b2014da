"""Changes of one survey at the same moment: each waits for the other's lock, so versions are
numbered one after the other and no transition is lost or doubled."""

from typing import Any

from conftest import POSTGRES_ONLY, ApiClient, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import OutboxEvent
from kizuna.feedback.models import SurveyVersion
from kizuna.feedback.tests.support import edited, full_definition, survey_body, t

pytestmark = POSTGRES_ONLY


def _published(workspace: NewWorkspace) -> ApiClient:
    api = ApiClient(workspace.server_key)
    assert api.post("/surveys", survey_body()).status_code == 201
    assert api.post("/surveys/relationship/publish").status_code == 200
    return api


def test_concurrent_edits_of_a_published_survey_make_one_version_each(
    workspace: NewWorkspace,
) -> None:
    api = _published(workspace)
    path = ["pages", 0, "elements", 0, "title"]
    bodies: list[Any] = [
        {"definition": edited(full_definition(), path, t(f"Recommend? ({n})"))} for n in range(4)
    ]
    responses = send_together(
        workspace.server_key, [("PATCH", "/surveys/relationship", body) for body in bodies]
    )
    assert [r.status_code for r in responses] == [200] * 4
    numbers = sorted(SurveyVersion.objects.values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5]
    assert api.get("/surveys/relationship").data["latest_version"] == 5


def test_concurrent_closes_close_once(workspace: NewWorkspace) -> None:
    _published(workspace)
    responses = send_together(
        workspace.server_key, [("POST", "/surveys/relationship/close", None)] * 3
    )
    assert sorted(r.status_code for r in responses) == [200, 422, 422]
    assert OutboxEvent.objects.filter(type="survey.closed").count() == 1
