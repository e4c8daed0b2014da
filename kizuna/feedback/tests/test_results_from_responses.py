"""Results of responses saved through the API, the way the hosted page and the widget save
them: the daily counts follow every save (partial, finished, screened out), stay equal to a
recount of the answer rows, and move when the survey's time zone changes."""

from datetime import UTC, datetime
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core import clock
from kizuna.feedback.models import Answer, Survey
from kizuna.feedback.results import rollup, statistics
from kizuna.feedback.tests.response_support import answer, published
from kizuna.feedback.tests.support import minimal_definition, nps, t

pytestmark = pytest.mark.django_db

PATH = "/surveys/relationship/responses"
DEFINITION = minimal_definition(
    nps(),
    {"id": "csat", "type": "csat", "title": t("Satisfied?")},
    {"id": "why", "type": "text", "title": t("Why?")},
)
DEFINITION["quotas"] = [
    {
        "id": "grumpy",
        "condition": {"field": "answers.csat", "op": "eq", "value": 1},
        "limit": 1,
        "action": "screen_out",
    }
]


def _save(api: ApiClient, submission: str, moment: datetime, **changes: object) -> None:
    with clock.at(moment):
        saved = api.post(PATH, answer(submission, **changes))
    assert saved.status_code in (200, 201), saved.data


def _metric(body: dict[str, Any], element_id: str) -> dict[str, Any]:
    metrics = body["metrics"]
    assert isinstance(metrics, list)
    return next(m for m in metrics if m["element_id"] == element_id)


def test_results_follow_the_responses_saved(api: ApiClient) -> None:
    with clock.at(datetime(2026, 3, 1, tzinfo=UTC)):
        published(api, definition=DEFINITION, timezone="Asia/Tokyo")
    survey = Survey.objects.get(key="relationship")
    day = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo
    # Promoters 9, 10, 10; a passive 8; detractors 3 and 6 (finished); one partial save later
    # finished; one partial never finished; one screened out by the full quota.
    scores = [9, 10, 10, 8, 3, 6]
    for n, score in enumerate(scores):
        _save(api, f"done-{n}", day, answers={"nps": score, "csat": 4}, finished=True)
    _save(api, "late", day, answers={"nps": 2})
    _save(api, "late", day, answers={"nps": 10, "csat": 5}, finished=True)
    _save(api, "left", day, answers={"nps": 0})
    _save(api, "grumpy-1", day, answers={"nps": 5, "csat": 1}, finished=True)
    _save(api, "grumpy-2", day, answers={"nps": 4, "csat": 1}, finished=True)
    assert rollup.stored(survey) == rollup.recount(survey)

    with clock.at(datetime(2026, 3, 31, tzinfo=UTC)):
        body = api.get(PATH.replace("responses", "results") + "?from=2026-03-01&to=2026-03-30").data
    nps_metric = _metric(body, "nps")
    # Completed: 9, 10, 10, 8, 3, 6, 10 (late), 5 (grumpy-1 filled the quota; grumpy-2 was
    # screened out and does not count): 4 promoters, 1 passive, 3 detractors of 8.
    assert nps_metric["count"] == 8
    assert nps_metric["score"] == pytest.approx(100 * (4 - 3) / 8)
    assert body["completions"] == 8
    assert body["starts"] == 10  # every response with an answer, screened out and left too
    assert {d["element_id"]: d["count"] for d in body["drop_off"]}.get("nps", 0) >= 1
    series = nps_metric["series"]
    assert [(point["period"], point["count"]) for point in series if point["count"]] == [
        ("2026-03-10", 8)
    ]


def test_the_days_move_with_the_survey_s_time_zone(api: ApiClient) -> None:
    with clock.at(datetime(2026, 3, 1, tzinfo=UTC)):
        published(api, definition=DEFINITION, timezone="Asia/Tokyo")
    survey = Survey.objects.get(key="relationship")
    # 20:00 UTC on March 9 is March 10 in Tokyo and March 9 in Los Angeles.
    _save(api, "s", datetime(2026, 3, 9, 20, 0, tzinfo=UTC), answers={"nps": 9}, finished=True)
    results = PATH.replace("responses", "results") + "?from=2026-03-09&to=2026-03-10"

    def days() -> list[str]:
        with clock.at(datetime(2026, 3, 31, tzinfo=UTC)):
            series = _metric(api.get(results).data, "nps")["series"]
        return [point["period"] for point in series if point["count"]]

    assert days() == ["2026-03-10"]
    assert (
        api.patch("/surveys/relationship", {"timezone": "America/Los_Angeles"}).status_code == 200
    )
    survey.refresh_from_db()
    assert rollup.stored(survey) == rollup.recount(survey)
    assert days() == ["2026-03-09"]


def test_open_texts_are_counted_by_sentiment_and_filter_the_results(api: ApiClient) -> None:
    with clock.at(datetime(2026, 3, 1, tzinfo=UTC)):
        published(api, definition=DEFINITION, timezone="UTC")
    day = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    # (nps, the comment's sentiment once analysed): 3 positive, 2 negative, 1 neutral,
    # 1 mixed, 1 not analysed yet; one response without a comment.
    planned = [
        (10, "positive"),
        (9, "positive"),
        (8, "positive"),
        (2, "negative"),
        (5, "negative"),
        (7, "neutral"),
        (6, "mixed"),
        (9, ""),
    ]
    for n, (score, _sentiment) in enumerate(planned):
        _save(api, f"s-{n}", day, answers={"nps": score, "why": f"comment {n}"}, finished=True)
    _save(api, "quiet", day, answers={"nps": 3}, finished=True)
    for n, (_score, sentiment) in enumerate(planned):
        Answer.objects.filter(response__submission_id=f"s-{n}", element_id="why").update(
            sentiment=sentiment, sentiment_score=0.5
        )
    results = PATH.replace("responses", "results") + "?from=2026-03-01&to=2026-03-30"
    with clock.at(datetime(2026, 3, 31, tzinfo=UTC)):
        body = api.get(results).data
        negative = api.get(results + "&sentiment=negative").data
        refused = api.get(results + "&sentiment=angry")
    why = _metric(body, "why")
    assert why["type"] == "sentiment"
    assert why["count"] == 7  # analysed
    breakdown = why["breakdown"]
    assert {k: v["count"] for k, v in breakdown.items()} == {
        "positive": 3,
        "negative": 2,
        "neutral": 1,
        "mixed": 1,
        "waiting": 1,
    }
    assert breakdown["positive"]["share"] == pytest.approx(100 * 3 / 7)
    assert why["score"] == pytest.approx(100 * (3 - 2) / 7)
    # The interval is NPS's method on the same counts (positive as promoters, neutral and
    # mixed as passives, negative as detractors).
    expected = statistics.nps(3, 2, 2).ci95
    assert expected is not None
    assert why["ci95"] == pytest.approx(list(expected))
    # Filtered: only the two responses with a negative comment count, in every metric.
    assert _metric(negative, "nps")["count"] == 2
    assert _metric(negative, "nps")["score"] == pytest.approx(-100.0)
    assert negative["completions"] == 2
    assert {k: v["count"] for k, v in _metric(negative, "why")["breakdown"].items()} == {
        "positive": 0,
        "negative": 2,
        "neutral": 0,
        "mixed": 0,
        "waiting": 0,
    }
    assert refused.status_code == 422
    assert (refused.data["code"], refused.data["field"]) == ("invalid_choice", "sentiment")
