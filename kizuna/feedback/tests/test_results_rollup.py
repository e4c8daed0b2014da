"""The daily rollup of survey results: kept equal to a recount through every kind of save,
read the same as the answer rows themselves, and read with a constant number of queries."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, postgres_only, run_together
from kizuna.accounts.services import NewWorkspace
from kizuna.feedback.models import Answer, Response, ResponseStatus, ResultCount
from kizuna.feedback.results import queries, rollup
from kizuna.feedback.results.periods import parse_span
from kizuna.feedback.tests.results_support import (
    Batch,
    answer_rows,
    make_customer,
    make_survey,
    results_definition,
)

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 1, tzinfo=UTC)


def random_answers(rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {"nps": rng.randint(0, 10)}
    if rng.random() < 0.8:
        answers["csat"] = rng.randint(1, 5)
    if rng.random() < 0.5:
        answers["likes"] = rng.sample(["tea", "cups"], rng.randint(1, 2))
    if rng.random() < 0.5:
        answers["grid"] = {"staff": rng.choice(["bad", "good"])}
    if rng.random() < 0.3:
        answers["order"] = rng.sample(["price", "speed"], 2)
    return answers


def save(response: Response, answers: dict[str, Any], status: str, moment: datetime) -> None:
    """What the responses service does: replace the answer rows, then move the counts."""
    survey = response.survey
    types = {e["id"]: e["type"] for p in survey.definition["pages"] for e in p["elements"]}
    old = list(Answer.objects.filter(response=response))
    Answer.objects.filter(response=response).delete()
    response.status = status
    response.updated_at = moment
    response.completed_at = moment if status == ResponseStatus.COMPLETED else None
    response.save()
    new = Answer.objects.bulk_create(
        Answer(
            workspace_id=response.workspace_id,
            response=response,
            survey=survey,
            customer=response.customer,
            element_id=element_id,
            finished=status == ResponseStatus.COMPLETED,
            answered_at=moment,
            **row,
        )
        for element_id, value in answers.items()
        for row in answer_rows(types[element_id], value)
    )
    rollup.apply_answers(response, old, new)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollup_stays_equal_to_a_recount(workspace: NewWorkspace, seed: int) -> None:
    rng = random.Random(seed)
    survey = make_survey(workspace.workspace)
    responses = Batch(survey)
    for i in range(12):
        responses.add({}, START + timedelta(hours=7 * i), status=ResponseStatus.IN_PROGRESS)
    saved = responses.save()
    statuses = [ResponseStatus.IN_PROGRESS, ResponseStatus.COMPLETED, ResponseStatus.SCREENED_OUT]
    for step in range(80):
        response = rng.choice(saved)
        response.refresh_from_db()
        moment = START + timedelta(hours=rng.randint(0, 24 * 6), minutes=rng.randint(0, 59))
        answers = random_answers(rng) if rng.random() < 0.9 else {}  # sometimes all cleared
        save(response, answers, rng.choice(statuses), moment)
        if step % 20 == 19:
            assert rollup.stored(survey) == rollup.recount(survey)
    assert rollup.stored(survey) == rollup.recount(survey)
    assert rollup.recount(survey), "the scenario answered something"


def test_rebuild_replaces_the_counts_with_a_recount(workspace: NewWorkspace) -> None:
    survey = make_survey(workspace.workspace)
    batch = Batch(survey)
    batch.add({"nps": 9, "csat": 4}, datetime(2026, 3, 31, 16, tzinfo=UTC))
    batch.add({"nps": 3}, datetime(2026, 3, 31, 14, tzinfo=UTC), status="in_progress")
    batch.save(rollup=False)
    assert rollup.stored(survey) == {}
    assert rollup.rebuild(survey) == len(rollup.recount(survey)) > 0
    counts = rollup.stored(survey)
    assert counts == rollup.recount(survey)
    # The answer at 16:00 UTC is April 1 in Tokyo; the start of the other, March 31.
    assert counts[(datetime(2026, 4, 1).date(), "answer", "nps", "", "", "9")] == 1
    assert counts[(datetime(2026, 3, 31).date(), "start", "", "", "", "")] == 1
    # Another time zone moves the days: rebuilt, the counts follow.
    survey.timezone = "UTC"
    survey.save()
    rollup.rebuild(survey)
    assert (datetime(2026, 3, 31).date(), "answer", "nps", "", "", "9") in rollup.stored(survey)


def test_values_are_keyed_by_their_shortest_decimal() -> None:
    from decimal import Decimal

    assert [rollup.value_text(v) for v in (None, Decimal("9.000000"), Decimal("10"), 0)] == [
        "",
        "9",
        "10",
        "0",
    ]
    assert rollup.value_text(Decimal("2.500000")) == "2.5"


def whole_days(survey: Any, interval: str) -> Any:
    return parse_span("2026-03-02", "2026-03-05", interval, ZONE, datetime.now(UTC))


ZONE = __import__("zoneinfo").ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_the_rollup_reads_what_the_answers_say(workspace: NewWorkspace, interval: str) -> None:
    rng = random.Random(5)
    survey = make_survey(workspace.workspace)
    batch = Batch(survey)
    for i in range(60):
        moment = datetime(2026, 2, 25, tzinfo=UTC) + timedelta(hours=5 * i + rng.random())
        status = rng.choice(["completed", "completed", "in_progress"])
        batch.add(random_answers(rng), moment, status=status)
    batch.save()
    span = whole_days(survey, interval)
    assert span.whole_days
    elements = [e["id"] for p in results_definition()["pages"] for e in p["elements"]]
    ws = workspace.workspace

    def ordered(rows: list[Any]) -> list[Any]:
        return sorted(
            rows, key=lambda r: (str(r.period), r.element_id, r.row, r.choice, str(r.value))
        )

    assert ordered(rollup.value_counts(survey, span, elements)) == ordered(
        queries.value_counts(ws, survey, span, elements, None)
    )
    assert rollup.respondent_counts(survey, span, elements) == queries.respondent_counts(
        ws, survey, span, elements, None
    )
    assert rollup.funnel(survey, span) == queries.funnel(ws, survey, span, None)
    assert rollup.funnel(survey, span).starts > 0


def test_the_endpoint_reads_a_constant_number_of_queries(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    small = make_survey(workspace.workspace, key="small")
    bigger = results_definition()
    bigger["pages"].append(
        {
            "id": "p3",
            "elements": [
                {**element, "id": f"{element['id']}-{i}"}
                for i in range(3)
                for element in results_definition()["pages"][1]["elements"]
            ]
            + [{"id": f"nps-{i}", "type": "nps", "title": {"default": "?"}} for i in range(10)],
        }
    )
    large = make_survey(workspace.workspace, key="large", definition=bigger)
    for survey in (small, large):
        Batch(survey).add({"nps": 9}, datetime(2026, 3, 3, tzinfo=UTC)).save()
    counts = {}
    api.get("/surveys/small/results")  # the API key, read once and cached
    for key in ("small", "large"):
        for query in ("from=2026-03-01&to=2026-03-31", "from=2026-03-01T01:00:00Z"):
            with CaptureQueriesContext(connection) as captured:
                assert api.get(f"/surveys/{key}/results?{query}").status_code == 200
            counts[(key, query)] = len(captured)
    # 10 elements or 38: the same queries (the key, the survey, values, respondents,
    # displays, starts, completions, drop-off)
    assert (
        counts[("small", "from=2026-03-01&to=2026-03-31")]
        == counts[("large", "from=2026-03-01&to=2026-03-31")]
    )
    assert (
        counts[("small", "from=2026-03-01T01:00:00Z")]
        == counts[("large", "from=2026-03-01T01:00:00Z")]
    )
    assert counts[("large", "from=2026-03-01&to=2026-03-31")] <= 10


def test_a_filtered_query_reads_a_constant_number_of_queries(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    survey = make_survey(workspace.workspace)
    customer = make_customer(workspace.workspace, "c1", locale="ja")
    Batch(survey).add({"nps": 9}, datetime(2026, 3, 3, tzinfo=UTC), customer=customer).save()
    with CaptureQueriesContext(connection) as captured:
        body = api.get(
            '/surveys/pulse/results?from=2026-03-01&condition={"field":"customer.locale",'
            '"op":"eq","value":"ja"}'
        ).data
    assert body["metrics"][0]["count"] == 1
    # The same number whatever the answers: with the survey's open text counted by sentiment,
    # eleven on PostgreSQL (its two session settings included).
    assert len(captured) <= 11


@postgres_only
def test_concurrent_saves_both_count(workspace: NewWorkspace) -> None:
    survey = make_survey(workspace.workspace)
    batch = Batch(survey)
    moment = datetime(2026, 3, 3, tzinfo=UTC)
    for _ in range(2):
        batch.add({}, moment, status=ResponseStatus.IN_PROGRESS)
    responses = batch.save()

    def call(response: Response) -> Any:
        def work(_client: Any) -> bool:
            with transaction.atomic():
                fresh = Response.objects.select_related("survey").get(pk=response.pk)
                save(fresh, {"nps": 10, "csat": 5}, ResponseStatus.COMPLETED, moment)
            return True

        return work

    run_together(workspace.server_key, [call(r) for r in responses])
    assert rollup.stored(survey) == rollup.recount(survey)
    assert ResultCount.objects.get(survey=survey, measure="completion").count == 2
    assert ResultCount.objects.get(survey=survey, measure="answer", element_id="nps").count == 2
