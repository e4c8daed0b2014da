"""Quotas: completed responses are counted in the transaction that completes them, never past
the limit, even when they arrive at the same moment; a full quota ends (409) or screens out."""

from typing import Any

from conftest import ApiClient, postgres_only, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import OutboxEvent
from kizuna.feedback.models import QuotaCount, Response
from kizuna.feedback.tests.response_support import answer, published, stored
from kizuna.feedback.tests.support import assert_error, nps, t

PATH = "/surveys/relationship/responses"


def _definition(end_limit: int = 2, screen_limit: int = 2) -> dict[str, Any]:
    return {
        "pages": [
            {
                "id": "p1",
                "elements": [
                    nps(),
                    {
                        "id": "city",
                        "type": "dropdown",
                        "title": t("City"),
                        "choices": [
                            {"id": "osaka", "text": t("Osaka")},
                            {"id": "seoul", "text": t("Seoul")},
                        ],
                    },
                ],
            }
        ],
        "endings": [
            {"id": "thanks", "title": t("Thanks")},
            {"id": "full", "title": t("We have enough answers")},
        ],
        "quotas": [
            {
                "id": "osaka",
                "limit": end_limit,
                "action": "end",
                "ending": "full",
                "condition": {"field": "answers.city", "op": "eq", "value": "osaka"},
            },
            {
                "id": "promoters",
                "limit": screen_limit,
                "action": "screen_out",
                "condition": {"field": "answers.nps", "op": "gte", "value": 9},
            },
        ],
    }


def _counts() -> dict[str, int]:
    return dict(QuotaCount.objects.values_list("quota_id", "count"))


def _osaka(submission_id: str, finished: bool = True) -> dict[str, Any]:
    return answer(submission_id, answers={"nps": 5, "city": "osaka"}, finished=finished)


def test_a_full_end_quota_refuses_further_matching_responses(api: ApiClient) -> None:
    published(api, definition=_definition())
    for n in range(2):
        assert api.post(PATH, _osaka(f"o{n}")).data["status"] == "completed"
    assert _counts() == {"osaka": 2}
    assert api.post(PATH, _osaka("late", finished=False)).status_code == 409
    before = stored()
    refused = api.post(PATH, _osaka("late"))
    body = assert_error(refused, 409, "quota_full", "answers")
    assert body["details"] == [{"quota": "osaka", "ending": "full"}]
    assert stored() == before
    seoul = api.post(PATH, answer("s", answers={"nps": 5, "city": "seoul"}, finished=True))
    assert seoul.data["status"] == "completed"


def test_an_early_save_is_stopped_and_its_saved_part_stays_in_progress(api: ApiClient) -> None:
    published(api, definition=_definition(end_limit=1))
    assert api.post(PATH, answer("late", answers={"nps": 5})).status_code == 201
    assert api.post(PATH, _osaka("first")).status_code == 201
    assert_error(api.post(PATH, _osaka("late", finished=False)), 409, "quota_full", "answers")
    assert Response.objects.get(submission_id="late").status == "in_progress"


def test_partial_saves_are_not_counted(api: ApiClient) -> None:
    published(api, definition=_definition())
    for n in range(3):
        assert api.post(PATH, _osaka(f"o{n}", finished=False)).status_code == 201
    assert _counts() == {}
    assert api.post(PATH, _osaka("o0")).data["status"] == "completed"
    assert _counts() == {"osaka": 1}


def test_a_full_screen_out_quota_screens_further_responses_out(api: ApiClient) -> None:
    published(api, definition=_definition())
    for n in range(2):
        done = api.post(PATH, answer(f"p{n}", answers={"nps": 10}, finished=True))
        assert done.data["status"] == "completed"
    out = api.post(PATH, answer("p2", answers={"nps": 9}, finished=True))
    assert out.status_code == 201
    assert (out.data["status"], out.data["quota"], out.data["ending"]) == (
        "screened_out",
        "promoters",
        None,
    )
    assert out.data["completed_at"] is not None
    assert _counts() == {"promoters": 2}
    event = OutboxEvent.objects.get(type="response.completed", payload__response_id=out.data["id"])
    assert (event.payload["status"], event.payload["quota"]) == ("screened_out", "promoters")
    # A partial save that matches is screened out at once, and final.
    early = api.post(PATH, answer("p3", answers={"nps": 9}))
    assert early.data["status"] == "screened_out"
    assert_error(
        api.post(PATH, answer("p3", answers={"nps": 3})), 409, "response_finished", "submission_id"
    )


def test_a_screened_out_response_gives_back_the_places_it_took(api: ApiClient) -> None:
    published(api, definition=_definition(end_limit=5, screen_limit=1))
    assert api.post(PATH, answer("p", answers={"nps": 10}, finished=True)).status_code == 201
    both = api.post(PATH, answer("both", answers={"nps": 10, "city": "osaka"}, finished=True))
    assert both.data["status"] == "screened_out"
    assert _counts() == {"promoters": 1, "osaka": 0}
    assert api.post(PATH, _osaka("o")).data["status"] == "completed"
    assert _counts() == {"promoters": 1, "osaka": 1}


@postgres_only
def test_concurrent_completions_never_count_past_the_limit(workspace: NewWorkspace) -> None:
    api = ApiClient(workspace.server_key)
    published(api, definition=_definition(end_limit=3))
    responses = send_together(
        workspace.publishable_key, [("POST", PATH, _osaka(f"o{n}")) for n in range(12)]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 3 + [409] * 9
    codes = {r.json()["code"] for r in responses if r.status_code == 409}
    assert codes == {"quota_full"}
    assert _counts() == {"osaka": 3}
    assert Response.objects.filter(status="completed").count() == 3
    assert Response.objects.count() == 3


@postgres_only
def test_concurrent_completions_past_a_screen_out_limit_are_screened_out(
    workspace: NewWorkspace,
) -> None:
    api = ApiClient(workspace.server_key)
    published(api, definition=_definition(screen_limit=4))
    bodies = [answer(f"p{n}", answers={"nps": 10}, finished=True) for n in range(12)]
    responses = send_together(workspace.publishable_key, [("POST", PATH, b) for b in bodies])
    assert [r.status_code for r in responses] == [201] * 12
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["completed"] * 4 + ["screened_out"] * 8
    assert _counts() == {"promoters": 4}
