"""Saving responses: one response per submission id, final once finished, refused (and
nothing written) when the survey is not open or the body is wrong."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, postgres_only, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core.clock import now
from kizuna.core.models import OutboxEvent
from kizuna.customers.models import TimelineEntry
from kizuna.feedback.models import Answer, Response, Survey
from kizuna.feedback.tests.response_support import answer, every_answer, published, stored
from kizuna.feedback.tests.support import assert_error, minimal_definition, nps, t

PATH = "/surveys/relationship/responses"


def test_first_save_creates_later_saves_update_the_same_response(api: ApiClient) -> None:
    published(api)
    first = api.post(PATH, answer(answers={"nps": 4, "csat": 2}, time_ms={"nps": 1500}))
    assert first.status_code == 201, first.data
    assert first.data["status"] == "in_progress"
    assert first.data["answers"] == {"nps": 4, "csat": 2}
    assert first.data["completed_at"] is None

    second = api.post(PATH, answer(answers={"nps": 6}, time_ms={"nps": 2000, "csat": 10}))
    assert second.status_code == 200, second.data
    assert second.data["id"] == first.data["id"]
    # The answers sent replace those saved: csat, not sent again, is gone.
    assert second.data["answers"] == {"nps": 6}
    assert second.data["time_ms"] == {"nps": 2000, "csat": 10}
    assert second.data["started_at"] == first.data["started_at"]
    assert Response.objects.count() == 1
    rows = list(Answer.objects.values_list("element_id", "number", "finished"))
    assert rows == [("nps", Decimal(6), False)]


def test_finished_response_is_final_and_an_identical_retry_replays(api: ApiClient) -> None:
    published(api)
    api.post(PATH, answer())
    body = answer(answers={"nps": 10, "ok": True}, finished=True)
    done = api.post(PATH, body)
    assert done.status_code == 200
    assert done.data["status"] == "completed"
    assert done.data["completed_at"] is not None

    retry = api.post(PATH, body)
    assert retry.status_code == 200
    assert retry.data == done.data
    before = stored()
    changed = api.post(PATH, answer(answers={"nps": 2, "ok": True}, finished=True))
    assert_error(changed, 409, "response_finished", "submission_id")
    unfinished = api.post(PATH, answer(answers={"nps": 10}))
    assert_error(unfinished, 409, "response_finished", "submission_id")
    assert stored() == before
    assert OutboxEvent.objects.filter(type="response.completed").count() == 1


def test_a_first_save_may_finish_at_once(api: ApiClient) -> None:
    published(api)
    response = api.post(PATH, answer(finished=True))
    assert response.status_code == 201
    assert (response.data["status"], response.data["ending"]) == ("completed", "thanks")
    assert set(Answer.objects.values_list("element_id", "finished")) == {
        ("nps", True),
        ("ok", True),
    }


@pytest.mark.parametrize(
    ("action", "status", "code"),
    [
        ("close", "closed", "survey_closed"),
        ("pause", "paused", "survey_not_active"),
    ],
)
def test_a_survey_not_active_takes_no_response(
    api: ApiClient, action: str, status: str, code: str
) -> None:
    published(api)
    assert api.post(PATH, answer("early")).status_code == 201
    assert api.post(f"/surveys/relationship/{action}").status_code == 200
    before = stored()
    refused = api.post(PATH, answer("early", answers={"nps": 1}))
    body = assert_error(refused, 409, code, "survey_id")
    if code == "survey_not_active":
        assert body["details"] == [{"status": status}]
    assert_error(api.post(PATH, answer("late")), 409, code, "survey_id")
    assert stored() == before


def test_a_draft_or_ended_survey_takes_no_response(api: ApiClient) -> None:
    assert api.post("/surveys", {**_survey(), "id": "draft"}).status_code == 201
    refused = api.post("/surveys/draft/responses", answer())
    assert assert_error(refused, 409, "survey_not_active", "survey_id")["details"] == [
        {"status": "draft"}
    ]
    published(api)
    Survey.objects.filter(key="relationship").update(ends_at=now() - timedelta(seconds=1))
    assert_error(api.post(PATH, answer()), 409, "survey_closed", "survey_id")
    assert Response.objects.count() == 0


def _survey() -> dict[str, Any]:
    from kizuna.feedback.tests.support import survey_body

    return survey_body()


def test_unknown_survey_is_404(api: ApiClient) -> None:
    assert_error(
        api.post("/surveys/nope/responses", answer()), 404, "survey_not_found", "survey_id"
    )


@pytest.mark.parametrize(
    ("answers", "code", "field"),
    [
        ({"nope": 1}, "unknown_element", "answers.nope"),
        ({"nps": 11}, "out_of_range", "answers.nps"),
        ({"nps": -1}, "out_of_range", "answers.nps"),
        ({"nps": "9"}, "invalid_type", "answers.nps"),
        ({"nps": True}, "invalid_type", "answers.nps"),
        ({"csat": 0}, "out_of_range", "answers.csat"),
        ({"ces": 8}, "out_of_range", "answers.ces"),
        ({"stars": 6}, "out_of_range", "answers.stars"),
        ({"Why not?": "x" * 501}, "too_long", "answers.Why not?"),
        ({"Why not?": "x"}, "too_short", "answers.Why not?"),
        ({"channel": "mars"}, "invalid_choice", "answers.channel"),
        ({"likes": ["tea", "tea"]}, "invalid_choice", "answers.likes"),
        ({"likes": ["tea", "cups", "other"]}, "out_of_range", "answers.likes"),
        ({"likes": "tea"}, "invalid_type", "answers.likes"),
        ({"order": ["price", "fast"]}, "invalid_choice", "answers.order"),
        ({"grid": {"staff": "great"}}, "invalid_choice", "answers.grid"),
        ({"grid": {"roof": "good"}}, "invalid_choice", "answers.grid"),
        ({"grid": {"staff": "good"}, "email": "a@"}, "invalid_format", "answers.email"),
        ({"email": "a@example.com"}, "disabled", "answers.email"),
        ({"nps": 9, "Why not?": "Slow"}, "not_visible", "answers.Why not?"),
        ({"age": "old"}, "invalid_format", "answers.age"),
        ({"age": "131"}, "out_of_range", "answers.age"),
        ({"site": "ftp://example.com"}, "invalid_format", "answers.site"),
        ({"visited": "2026-02-30"}, "invalid_format", "answers.visited"),
        ({"visited": "2019-12-31"}, "out_of_range", "answers.visited"),
        ({"again": "yes"}, "invalid_type", "answers.again"),
        ({"cta": "clicked"}, "invalid_type", "answers.cta"),
        ({"city#other": "x"}, "unknown_element", "answers.city#other"),
    ],
)
def test_a_wrong_answer_is_422_naming_the_element_and_changes_nothing(
    api: ApiClient, answers: dict[str, Any], code: str, field: str
) -> None:
    published(api)
    assert api.post(PATH, answer(answers={"nps": 5})).status_code == 201
    before = stored()
    refused = api.post(PATH, answer(answers={"nps": 5, **answers}))
    assert_error(refused, 422, code, field)
    assert stored() == before


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"language": "e1"}, "invalid_language", "language"),
        ({"time_ms": {"nps": -1}}, "invalid_time", "time_ms.nps"),
        ({"time_ms": {"nps": 1.5}}, "invalid_time", "time_ms.nps"),
        ({"time_ms": {"nope": 10}}, "unknown_element", "time_ms.nope"),
        ({"hidden": {"campaign": "x"}}, "unknown_hidden_field", "hidden.campaign"),
        ({"hidden": {"source": 3}}, "invalid_hidden", "hidden.source"),
        ({"meta": {"channel": "fax"}}, "invalid_channel", "meta.channel"),
        ({"meta": {"device": "watch"}}, "invalid_device", "meta.device"),
        ({"meta": {"blob": "x" * 5000}}, "too_large", "meta"),
        ({"browser_token": "short"}, "invalid_browser_token", "browser_token"),
    ],
)
def test_other_wrong_fields_are_422_and_change_nothing(
    api: ApiClient, changes: dict[str, Any], code: str, field: str
) -> None:
    published(api)
    before = stored()
    assert_error(api.post(PATH, answer(**changes)), 422, code, field)
    assert stored() == before


def test_a_finished_response_answers_every_required_element(api: ApiClient) -> None:
    published(api)
    before = stored()
    refused = api.post(PATH, answer(answers={"nps": 9}, finished=True))
    body = assert_error(refused, 422, "required", "answers.ok")
    assert body["details"] == [
        {"field": "answers.ok", "code": "required", "message": body["details"][0]["message"]}
    ]
    # Required when the logic says so: the source is email, so Why not? (shown for nps 6) is.
    refused = api.post(
        PATH,
        answer(answers={"nps": 6, "ok": True}, hidden={"source": "email"}, finished=True),
    )
    assert_error(refused, 422, "required", "answers.Why not?")
    assert stored() == before


def test_null_answers_are_no_answers(api: ApiClient) -> None:
    published(api)
    saved = api.post(PATH, answer(answers={"nps": 9, "csat": None}))
    assert saved.data["answers"] == {"nps": 9}


@pytest.mark.parametrize(
    ("requested", "served"), [("ja", "ja"), ("ko-KR", "ko"), ("ja-JP", "ja"), ("fr", "en")]
)
def test_the_language_served_falls_back(api: ApiClient, requested: str, served: str) -> None:
    published(api)
    assert api.post(PATH, answer(language=requested)).data["language"] == served


@pytest.mark.parametrize(
    ("agent", "meta", "device"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", {}, "mobile"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36", {}, "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", {}, "tablet"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) Safari/537.36", {}, "tablet"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", {}, "desktop"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", {"device": "tablet"}, "tablet"),
    ],
)
def test_the_device_comes_from_meta_or_the_user_agent(
    api: ApiClient, agent: str, meta: dict[str, Any], device: str
) -> None:
    published(api)
    saved = api.post(PATH, answer(meta=meta), **{"User-Agent": agent})
    assert saved.data["device"] == device


def test_channel_and_customer_come_from_the_display(api: ApiClient) -> None:
    published(api)
    api.put("/customers/cust-1", {"email": "a@example.com"})
    display = api.post(
        "/surveys/relationship/displays", {"channel": "email", "customer_id": "cust-1"}
    )
    assert display.status_code == 201, display.data
    saved = api.post(PATH, answer(display_id=display.data["id"], meta={"channel": "sms"}))
    assert saved.data["channel"] == "email"
    assert saved.data["customer_id"] == "cust-1"
    assert saved.data["display_id"] == display.data["id"]
    later = api.post(PATH, answer(meta={"channel": "sms"}))
    assert (later.data["channel"], later.data["customer_id"], later.data["display_id"]) == (
        "email",
        "cust-1",
        display.data["id"],
    )
    other = api.post(PATH, answer("sub-2", meta={"channel": "sms"}))
    assert (other.data["channel"], other.data["customer_id"]) == ("sms", None)


def test_an_unknown_display_or_customer_is_404(api: ApiClient) -> None:
    published(api)
    before = stored()
    assert_error(
        api.post(PATH, answer(display_id="display-nope")), 404, "display_not_found", "display_id"
    )
    assert_error(
        api.post(PATH, answer(customer_id="ghost")), 404, "customer_not_found", "customer_id"
    )
    assert stored() == before


def test_hidden_fields_and_meta_are_kept(api: ApiClient) -> None:
    published(api)
    saved = api.post(
        PATH, answer(hidden={"source": "email", "store": "osaka"}, meta={"campaign": "spring"})
    )
    assert saved.data["hidden"] == {"source": "email", "store": "osaka"}
    assert saved.data["meta"] == {"campaign": "spring"}


def test_a_browser_finishes_a_survey_once(api: ApiClient) -> None:
    published(api)
    token = "browser-token-1"
    assert api.post(PATH, answer("a", browser_token=token)).status_code == 201
    # Two submissions of one browser may both be in progress; the first to finish wins.
    assert api.post(PATH, answer("b", browser_token=token)).status_code == 201
    assert api.post(PATH, answer("a", browser_token=token, finished=True)).status_code == 200
    before = stored()
    refused = api.post(PATH, answer("b", browser_token=token, finished=True))
    assert_error(refused, 409, "already_responded", "browser_token")
    assert_error(
        api.post(PATH, answer("c", browser_token=token)), 409, "already_responded", "browser_token"
    )
    assert stored() == before
    # Another browser answers.
    assert api.post(PATH, answer("d", browser_token="browser-token-2")).status_code == 201


def test_a_completed_response_of_a_customer_writes_its_timeline_entry_and_event(
    api: ApiClient,
) -> None:
    published(api)
    assert api.put("/customers/cust-1", {"email": "a@example.com"}).status_code in (200, 201)
    api.post(PATH, answer(customer_id="cust-1", answers={"nps": 9, "csat": 5}))
    finished = {"nps": 9, "csat": 5, "ok": True}
    assert TimelineEntry.objects.filter(kind="survey_response").count() == 0
    assert OutboxEvent.objects.filter(type="response.completed").count() == 0
    done = api.post(PATH, answer(customer_id="cust-1", answers=finished, finished=True))
    entry = TimelineEntry.objects.get(kind="survey_response")
    assert entry.object_id == done.data["id"]
    assert entry.customer.external_id == "cust-1"
    assert entry.summary == {
        "survey_id": "relationship",
        "response_id": done.data["id"],
        "status": "completed",
        "ending": "thanks",
        "scores": [
            {"element_id": "nps", "type": "nps", "value": 9},
            {"element_id": "csat", "type": "csat", "value": 5},
        ],
    }
    event = OutboxEvent.objects.get(type="response.completed")
    assert event.payload == {
        "survey_id": "relationship",
        "response_id": done.data["id"],
        "submission_id": "sub-1",
        "version": 1,
        "status": "completed",
        "ending": "thanks",
        "quota": None,
        "customer_id": "cust-1",
        "completed_at": event.payload["completed_at"],
    }
    timeline = api.get("/customers/cust-1/timeline")
    assert [e["kind"] for e in timeline.data["data"]] == ["survey_response"]


def test_an_anonymous_completion_emits_the_event_without_timeline(api: ApiClient) -> None:
    published(api)
    api.post(PATH, answer(finished=True))
    assert TimelineEntry.objects.filter(kind="survey_response").count() == 0
    payload = OutboxEvent.objects.get(type="response.completed").payload
    assert payload["customer_id"] is None


def test_a_response_keeps_the_version_it_answered(api: ApiClient) -> None:
    published(
        api, definition=minimal_definition(nps(), {"id": "old", "type": "csat", "title": t("Old")})
    )
    display = api.post("/surveys/relationship/displays", {"channel": "link"}).data
    changed = minimal_definition(nps(), {"id": "new", "type": "ces", "title": t("New")})
    assert api.patch("/surveys/relationship", {"definition": changed}).status_code == 200
    old = api.post(PATH, answer(display_id=display["id"], answers={"nps": 1, "old": 3}))
    assert (old.status_code, old.data["version"]) == (201, 1)
    assert_error(
        api.post(PATH, answer("fresh", answers={"old": 3})), 422, "unknown_element", "answers.old"
    )
    fresh = api.post(PATH, answer("fresh", answers={"new": 3}))
    assert (fresh.status_code, fresh.data["version"]) == (201, 2)


def test_publishable_keys_save_displays_and_responses_but_read_nothing(
    api: ApiClient, browser_api: ApiClient
) -> None:
    published(api)
    display = browser_api.post("/surveys/relationship/displays", {"channel": "widget"})
    assert display.status_code == 201
    saved = browser_api.post(PATH, answer(display_id=display.data["id"]))
    assert saved.status_code == 201
    assert saved.data["channel"] == "widget"
    assert_error(browser_api.get(PATH), 403, "server_key_required")
    assert_error(
        browser_api.get("/surveys/relationship/export?format=csv"), 403, "server_key_required"
    )


def test_another_workspace_sees_no_survey(api: ApiClient, other_api: ApiClient) -> None:
    published(api)
    assert_error(other_api.post(PATH, answer()), 404, "survey_not_found", "survey_id")
    assert_error(other_api.get(PATH), 404, "survey_not_found", "survey_id")


def test_every_answer_of_the_full_survey_is_accepted(api: ApiClient) -> None:
    published(api)
    saved = api.post(PATH, answer(answers=every_answer(), finished=True))
    assert saved.status_code == 201, saved.data
    assert saved.data["status"] == "completed"


def test_queries_of_a_save_are_pinned(api: ApiClient, workspace: NewWorkspace) -> None:
    published(
        api,
        definition=minimal_definition(nps(), {"id": "csat", "type": "csat", "title": t("Csat")}),
    )
    api.post(PATH, answer("warm-up"))
    with CaptureQueriesContext(connection) as first:
        assert api.post(PATH, answer(answers={"nps": 9, "csat": 4})).status_code == 201
    with CaptureQueriesContext(connection) as update:
        assert api.post(PATH, answer(answers={"nps": 8}, finished=True)).status_code == 200
    # Inside the request's savepoint (the test's transaction holds the outer one): the survey,
    # the lock (nothing yet), the insert, the update, the answers, the results' daily counts.
    # Then: the survey, the lock, the update, the answers read, deleted and inserted, the
    # daily counts, the event, the survey's follow-up rules (none). (The key is cached.)
    assert len(first) == 2 + 6, [q["sql"] for q in first]
    assert len(update) == 2 + 9, [q["sql"] for q in update]


def test_an_identical_retry_replays_even_once_the_survey_closed(api: ApiClient) -> None:
    published(api)
    body = answer(finished=True)
    done = api.post(PATH, body)
    assert api.post("/surveys/relationship/close").status_code == 200
    retry = api.post(PATH, body)
    assert (retry.status_code, retry.data) == (200, done.data)


@postgres_only
def test_concurrent_first_saves_of_one_submission_make_one_response(
    workspace: NewWorkspace,
) -> None:
    api = ApiClient(workspace.server_key)
    published(api)
    bodies = [answer(answers={"nps": n}) for n in range(6)]
    responses = send_together(workspace.publishable_key, [("POST", PATH, b) for b in bodies])
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1
