"""GET /surveys/{id}/results: every score and interval against an independent computation
(scipy), periods in the survey's time zone, the previous range's tests, the funnel and the
drop-off, filters by segment and by condition, and refusals that name their field."""

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from scipy import stats  # type: ignore[import-untyped]

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.feedback.tests.results_support import Batch, add_displays, make_customer, make_survey
from kizuna.feedback.tests.support import assert_error

pytestmark = pytest.mark.django_db
Z = stats.norm.ppf(0.975)
MARCH = "from=2026-03-01&to=2026-03-31"


def at(day: int, hour: int = 3, month: int = 3) -> datetime:
    """A moment of 2026 in UTC (03:00 UTC is noon in Tokyo)."""
    return datetime(2026, month, day, hour, tzinfo=UTC)


def metric(body: dict[str, Any], element_id: str) -> dict[str, Any]:
    return next(m for m in body["metrics"] if m["element_id"] == element_id)


def close(a: float | None, b: float, tolerance: float = 1e-9) -> bool:
    return a is not None and abs(a - b) <= tolerance * max(1.0, abs(b))


def wilson(x: int, n: int) -> list[float]:
    p = x / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    return [100 * max(centre - half, 0), 100 * min(centre + half, 1)]


def t_interval(values: list[float]) -> list[float]:
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values)
    )
    return [low, high]


NPS = [10, 9, 9, 8, 7, 6, 3, 0, 10, 10, 9, 5]
CSAT = [5, 4, 4, 3, 1, 5, 2, 4, 5, 3, 4, 4]
CES = [7, 6, 5, 5, 2, 7, 4, 6, 6, 3, 5, 1]
STARS = [5, 4, 3, 4, 5, 1, 2, 5, 4, 4, 3, 5]


@pytest.fixture
def survey(workspace: NewWorkspace) -> Any:
    survey = make_survey(workspace.workspace)
    batch = Batch(survey)
    for i in range(12):
        answers: dict[str, Any] = {
            "nps": NPS[i],
            "csat": CSAT[i],
            "ces": CES[i],
            "stars": STARS[i],
            "channel": ["web", "shop", "other"][i % 3],
            "likes": [["tea"], ["tea", "cups"], ["cups"], []][i % 4] or ["tea"],
            "order": ["price", "speed"] if i % 2 else ["speed", "price"],
            "grid": {"staff": "good", "store": "bad" if i % 3 else "good"},
            "again": i % 4 != 0,
            "comment": "fine",
        }
        batch.add(answers, at(2 + i))
    # Not counted in the metrics: in progress and screened out, with answers.
    batch.add({"nps": 0, "csat": 1}, at(20), status="in_progress")
    batch.add({"nps": 0, "csat": 1, "ces": 1}, at(21), status="in_progress")
    batch.add({"nps": 0}, at(21), status="in_progress")
    batch.add({"nps": 0, "csat": 1}, at(22), status="screened_out")
    batch.save()
    add_displays(survey, [at(d) for d in range(1, 31)])
    return survey


def test_every_score_agrees_with_an_independent_computation(api: ApiClient, survey: Any) -> None:
    response = api.get(f"/surveys/pulse/results?{MARCH}")
    assert response.status_code == 200, response.data
    body = response.data

    nps = metric(body, "nps")
    promoters, detractors = sum(v >= 9 for v in NPS), sum(v <= 6 for v in NPS)
    n = len(NPS)
    assert nps["type"] == "nps" and nps["count"] == n
    assert close(nps["score"], 100 * (promoters - detractors) / n)
    n_adj = n + 3
    pp, pd = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    half = Z * math.sqrt((pp + pd - (pp - pd) ** 2) / n_adj)
    assert close(nps["ci95"][0], 100 * (pp - pd - half))
    assert close(nps["ci95"][1], 100 * (pp - pd + half))
    assert nps["breakdown"]["promoters"] == {"count": promoters, "share": 100 * promoters / n}
    assert nps["breakdown"]["detractors"]["count"] == detractors
    assert nps["breakdown"]["passives"]["count"] == n - promoters - detractors
    assert [v["count"] for v in nps["breakdown"]["values"]] == [NPS.count(v) for v in range(11)]

    csat = metric(body, "csat")
    satisfied = sum(v >= 4 for v in CSAT)
    assert csat["type"] == "csat" and close(csat["score"], 100 * satisfied / n)
    assert all(close(a, b) for a, b in zip(csat["ci95"], wilson(satisfied, n), strict=True))
    assert [v["count"] for v in csat["breakdown"]["values"]] == [CSAT.count(v) for v in range(1, 6)]

    for element_id, values in (("ces", CES), ("stars", STARS)):
        result = metric(body, element_id)
        assert close(result["score"], float(np.mean(values)))
        expected = t_interval([float(v) for v in values])
        assert all(close(a, b) for a, b in zip(result["ci95"], expected, strict=True))
    assert metric(body, "stars")["type"] == "rating"
    assert [v["value"] for v in metric(body, "stars")["breakdown"]["values"]] == [1, 2, 3, 4, 5]

    again = metric(body, "again")
    yes = sum(i % 4 != 0 for i in range(12))
    assert again["type"] == "boolean" and close(again["score"], 100 * yes / n)
    assert again["breakdown"]["true"]["count"] == yes
    assert all(close(a, b) for a, b in zip(again["ci95"], wilson(yes, n), strict=True))


def test_choices_rankings_and_matrices_have_breakdowns(api: ApiClient, survey: Any) -> None:
    body = api.get(f"/surveys/pulse/results?{MARCH}").data
    channel = metric(body, "channel")
    assert (channel["type"], channel["score"], channel["count"]) == ("choice", None, 12)
    items = {c["choice_id"]: c for c in channel["breakdown"]["choices"]}
    assert list(items) == ["web", "shop", "other"]
    assert items["web"]["count"] == 4 and close(items["web"]["share"], 100 * 4 / 12)
    assert all(close(a, b) for a, b in zip(items["web"]["ci95"], wilson(4, 12), strict=True))

    likes = metric(body, "likes")
    chosen = [[["tea"], ["tea", "cups"], ["cups"], ["tea"]][i % 4] for i in range(12)]
    tea = sum("tea" in c for c in chosen)
    assert likes["count"] == 12  # respondents, not rows
    shares = {c["choice_id"]: c["share"] for c in likes["breakdown"]["choices"]}
    assert close(shares["tea"], 100 * tea / 12)
    assert close(shares["cups"], 100 * sum("cups" in c for c in chosen) / 12)

    order = metric(body, "order")
    ranks = {c["choice_id"]: c for c in order["breakdown"]["choices"]}
    price_ranks = [1.0 if i % 2 else 2.0 for i in range(12)]
    assert close(ranks["price"]["mean_rank"], float(np.mean(price_ranks)))
    assert all(
        close(a, b) for a, b in zip(ranks["price"]["ci95"], t_interval(price_ranks), strict=True)
    )

    grid = metric(body, "grid")
    rows = {r["row_id"]: r for r in grid["breakdown"]["rows"]}
    assert rows["staff"]["count"] == 12
    store = {c["column_id"]: c for c in rows["store"]["columns"]}
    assert (store["good"]["count"], store["bad"]["count"]) == (4, 8)
    assert close(store["bad"]["share"], 100 * 8 / 12)
    assert all(close(a, b) for a, b in zip(store["bad"]["ci95"], wilson(8, 12), strict=True))


def test_funnel_and_drop_off(api: ApiClient, survey: Any) -> None:
    body = api.get(f"/surveys/pulse/results?{MARCH}").data
    assert body["displays"] == 30
    assert body["starts"] == 16  # every response with an answer
    assert body["completions"] == 12
    drop_off = {d["element_id"]: d["count"] for d in body["drop_off"]}
    # unfinished: in progress, stopped at csat, ces and nps; screened out after csat
    assert drop_off == {
        "nps": 1,
        "csat": 2,
        "ces": 1,
        "stars": 0,
        "channel": 0,
        "likes": 0,
        "order": 0,
        "grid": 0,
        "again": 0,
        "comment": 0,
    }


def test_periods_are_cut_in_the_survey_time_zone(api: ApiClient, workspace: NewWorkspace) -> None:
    survey = make_survey(workspace.workspace)
    batch = Batch(survey)
    batch.add({"nps": 10}, datetime(2026, 3, 31, 16, tzinfo=UTC))  # April 1st, 01:00 in Tokyo
    batch.add({"nps": 0}, datetime(2026, 3, 31, 14, 59, tzinfo=UTC))  # March 31st, 23:59
    batch.add({"nps": 9}, datetime(2026, 3, 14, tzinfo=UTC))
    batch.save()
    by_month = api.get("/surveys/pulse/results?from=2026-03-01&to=2026-04-30&interval=month")
    series = metric(by_month.data, "nps")["series"]
    assert [(p["period"], p["count"], p["score"]) for p in series] == [
        ("2026-03-01", 2, 0.0),
        ("2026-04-01", 1, 100.0),
    ]
    by_day = api.get("/surveys/pulse/results?from=2026-03-31&to=2026-04-01").data
    assert [(p["period"], p["count"]) for p in metric(by_day, "nps")["series"]] == [
        ("2026-03-31", 1),
        ("2026-04-01", 1),
    ]
    assert by_day["from"] == "2026-03-30T15:00:00Z" and by_day["to"] == "2026-04-01T15:00:00Z"
    by_week = api.get("/surveys/pulse/results?from=2026-03-11&to=2026-04-02&interval=week").data
    # ISO weeks from Monday: March 9, 16, 23, 30 (the first and last partial)
    assert [(p["period"], p["count"]) for p in metric(by_week, "nps")["series"]] == [
        ("2026-03-09", 1),
        ("2026-03-16", 0),
        ("2026-03-23", 0),
        ("2026-03-30", 2),
    ]
    empty = metric(by_week, "nps")["series"][1]
    assert (empty["score"], empty["ci95"]) == (None, None)


def test_datetime_bounds_read_the_answers_themselves(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    survey = make_survey(workspace.workspace)
    Batch(survey).add({"nps": 10}, at(5, 1)).add({"nps": 0}, at(5, 5)).save()
    part = api.get(
        "/surveys/pulse/results?from=2026-03-05T03:00:00Z&to=2026-03-06T00:00:00%2B09:00"
    )
    assert part.status_code == 200, part.data
    assert (metric(part.data, "nps")["count"], metric(part.data, "nps")["score"]) == (1, -100.0)
    # an unescaped '+' arrives as a space and still reads as the offset
    spaced = api.get("/surveys/pulse/results?from=2026-03-05T12:00:00+09:00&to=2026-03-06")
    assert metric(spaced.data, "nps")["count"] == 1


def test_the_previous_range_is_compared(api: ApiClient, workspace: NewWorkspace) -> None:
    survey = make_survey(workspace.workspace)
    batch = Batch(survey)
    now_nps, before_nps = [10] * 30 + [8] * 10 + [2] * 10, [10] * 15 + [7] * 15 + [1] * 20
    now_csat, before_csat = [5] * 35 + [2] * 15, [4] * 20 + [3] * 30
    now_ces, before_ces = [6, 7, 5, 6, 7] * 10, [3, 4, 5, 2, 6] * 10
    for i in range(50):
        batch.add({"nps": now_nps[i], "csat": now_csat[i], "ces": now_ces[i]}, at(11 + i % 10))
        # March 1-10 in Tokyo is the previous range of March 11-20
        batch.add(
            {"nps": before_nps[i], "csat": before_csat[i], "ces": before_ces[i]}, at(1 + i % 10)
        )
    batch.save()
    body = api.get("/surveys/pulse/results?from=2026-03-11&to=2026-03-20").data
    assert body["previous_from"] == "2026-02-28T15:00:00Z"

    def scores(values: list[int]) -> np.ndarray:
        return np.array([1.0 if v >= 9 else -1.0 if v <= 6 else 0.0 for v in values])

    a, b = scores(now_nps), scores(before_nps)
    z = (a.mean() - b.mean()) / math.sqrt(a.var() / 50 + b.var() / 50)
    nps = metric(body, "nps")["previous"]
    assert close(nps["score"], 100 * b.mean()) and nps["count"] == 50
    assert close(nps["p_value"], 2 * stats.norm.sf(abs(z)))
    assert nps["significant"] is True

    x1, x2 = sum(v >= 4 for v in now_csat), sum(v >= 4 for v in before_csat)
    pooled = (x1 + x2) / 100
    z_csat = (x1 / 50 - x2 / 50) / math.sqrt(pooled * (1 - pooled) * (2 / 50))
    csat = metric(body, "csat")["previous"]
    assert close(csat["score"], 100 * x2 / 50)
    assert close(csat["p_value"], 2 * stats.norm.sf(abs(z_csat)))

    ces = metric(body, "ces")["previous"]
    expected = stats.ttest_ind(now_ces, before_ces, equal_var=False).pvalue
    assert close(ces["p_value"], float(expected)) and ces["significant"] is True
    assert close(ces["score"], float(np.mean(before_ces)))


def test_only_the_first_range_without_a_previous_one(api: ApiClient, survey: Any) -> None:
    previous = metric(api.get(f"/surveys/pulse/results?{MARCH}").data, "nps")["previous"]
    assert previous == {"score": None, "count": 0, "p_value": None, "significant": False}


# ------------------------------------------------------------------ filters


def customers_and_answers(workspace: NewWorkspace) -> Any:
    survey = make_survey(workspace.workspace)
    ja = make_customer(workspace.workspace, "c-ja", locale="ja", email="ja@example.com")
    ko = make_customer(workspace.workspace, "c-ko", locale="ko")
    batch = Batch(survey)
    batch.add({"nps": 10, "csat": 5}, at(3), customer=ja)
    batch.add({"nps": 9, "csat": 4}, at(4), customer=ja)
    batch.add({"nps": 1, "csat": 1}, at(5), customer=ko)
    batch.add({"nps": 5}, at(6))  # anonymous
    batch.add({"nps": 5}, at(7), customer=ko, status="in_progress")
    batch.save()
    add_displays(survey, [at(3), at(4)], customer=ja)
    add_displays(survey, [at(5)], customer=ko)
    return survey


def test_a_condition_keeps_its_customers_answers(api: ApiClient, workspace: NewWorkspace) -> None:
    customers_and_answers(workspace)
    condition = quote(json.dumps({"field": "customer.locale", "op": "eq", "value": "ja"}))
    body = api.get(f"/surveys/pulse/results?{MARCH}&condition={condition}").data
    assert (metric(body, "nps")["count"], metric(body, "nps")["score"]) == (2, 100.0)
    assert (body["displays"], body["starts"], body["completions"]) == (2, 2, 2)
    korean = quote(json.dumps({"field": "customer.locale", "op": "eq", "value": "ko"}))
    body = api.get(f"/surveys/pulse/results?{MARCH}&condition={korean}").data
    assert (metric(body, "nps")["count"], body["starts"], body["completions"]) == (1, 2, 1)
    assert {d["element_id"]: d["count"] for d in body["drop_off"]}["nps"] == 1
    unfiltered = api.get(f"/surveys/pulse/results?{MARCH}").data
    assert metric(unfiltered, "nps")["count"] == 4


def test_a_segment_keeps_its_members_answers(api: ApiClient, workspace: NewWorkspace) -> None:
    customers_and_answers(workspace)
    created = api.post(
        "/segments",
        {
            "id": "japanese",
            "name": "Japanese",
            "condition": {"field": "customer.locale", "op": "eq", "value": "ja"},
        },
    )
    assert created.status_code == 201, created.data
    body = api.get(f"/surveys/pulse/results?{MARCH}&segment=japanese").data
    assert (metric(body, "nps")["count"], metric(body, "csat")["score"]) == (2, 100.0)
    email = quote(json.dumps({"field": "customer.email", "op": "exists"}))
    both = api.get(f"/surveys/pulse/results?{MARCH}&segment=japanese&condition={email}").data
    assert metric(both, "nps")["count"] == 2


def test_unknown_segments_and_bad_conditions_are_refused(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    customers_and_answers(workspace)
    assert_error(
        api.get(f"/surveys/pulse/results?{MARCH}&segment=nobody"),
        422,
        "segment_not_found",
        "segment",
    )
    assert_error(
        api.get(f"/surveys/pulse/results?condition={quote('{nope')}"),
        422,
        "invalid_condition",
        "condition",
    )
    unknown = quote(json.dumps({"field": "customer.shoe_size", "op": "eq", "value": 1}))
    body = assert_error(
        api.get(f"/surveys/pulse/results?condition={unknown}"),
        422,
        "invalid_condition",
        "condition.field",
    )
    assert body["message"]
    answers = quote(json.dumps({"field": "answers.nps", "op": "eq", "value": 1}))
    assert_error(
        api.get(f"/surveys/pulse/results?condition={answers}"),
        422,
        "invalid_condition",
        "condition.field",
    )


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("from=yesterday", "invalid_datetime", "from"),
        ("from=2026-02-30", "invalid_datetime", "from"),
        ("to=2026-13-01", "invalid_datetime", "to"),
        ("from=2026-03-10&to=2026-03-01", "invalid_range", "to"),
        ("from=2026-03-10T00:00:00Z&to=2026-03-10T00:00:00Z", "invalid_range", "to"),
        ("interval=hour", "invalid_choice", "interval"),
        ("from=2020-01-01&to=2026-01-01&interval=day", "too_many_periods", "interval"),
    ],
)
def test_bad_parameters_are_refused_with_their_field(
    api: ApiClient, survey: Any, query: str, code: str, field: str
) -> None:
    assert_error(api.get(f"/surveys/pulse/results?{query}"), 422, code, field)


def test_another_workspace_cannot_read_the_results(
    api: ApiClient, other_api: ApiClient, survey: Any
) -> None:
    assert_error(other_api.get("/surveys/pulse/results"), 404, "survey_not_found", "survey_id")
    assert_error(api.get("/surveys/nothing/results"), 404, "survey_not_found", "survey_id")
    assert api.get("/surveys/pulse/results").status_code == 200


def test_a_publishable_key_cannot_read_results(browser_api: ApiClient, survey: Any) -> None:
    assert browser_api.get("/surveys/pulse/results").status_code in (401, 403)


def test_the_default_range_is_the_last_30_days(api: ApiClient, workspace: NewWorkspace) -> None:
    survey = make_survey(workspace.workspace)
    recent = datetime.now(UTC) - timedelta(days=2)
    Batch(survey).add({"nps": 10}, recent).add({"nps": 0}, recent - timedelta(days=40)).save()
    body = api.get("/surveys/pulse/results").data
    assert body["interval"] == "day" and len(metric(body, "nps")["series"]) == 30
    assert metric(body, "nps")["count"] == 1
    assert metric(body, "nps")["previous"]["count"] == 1
