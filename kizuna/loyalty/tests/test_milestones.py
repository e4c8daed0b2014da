"""Milestones and badges (issue 7 item 6): counts ("5 orders in 30 days") and streaks ("an order
in each of 4 consecutive weeks"), awarded once or again each time the goal is met anew, with
their points, badge and event, and the progress of each member in
`GET /customers/{id}/loyalty`.

Refunds and cancellations (docs/loyalty.md, Milestones): a paid order counts once, whatever
happens to it later, and the points a milestone gave are not taken back; these tests hold
that. The program counts its days and weeks in Asia/Tokyo."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core import clock
from kizuna.core.models import AuditEntry, OutboxEvent
from kizuna.loyalty.models import Account, LedgerEntry, Milestone, MilestoneHit
from kizuna.loyalty.tests.support import loyalty, make_program, order, transactions

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 2 March 2026, 10:00 in Tokyo
BADGE = {"name": "Regular", "image_url": "https://static.example/badges/regular.png"}


def count_goal(target: int, within: str | None = None, **extra: Any) -> dict[str, Any]:
    goal: dict[str, Any] = {"type": "count", "trigger": {"type": "order_paid"}, "target": target}
    if within is not None:
        goal["within"] = within
    return {**goal, **extra}


def streak_goal(target: int, period: str) -> dict[str, Any]:
    return {"type": "streak", "trigger": {"type": "order_paid"}, "period": period, "target": target}


def setup(api: ApiClient, *milestones: dict[str, Any], **program: Any) -> None:
    make_program(api, **program)  # a point per dollar
    for body in milestones:
        response = api.post("/programs/tea-club/milestones", body)
        assert response.status_code == 201, response.data


def milestone(
    key: str, goal: dict[str, Any], points: int = 100, repeat: str = "once", badge: Any = BADGE
) -> dict[str, Any]:
    return {"id": key, "name": key.title(), "goal": goal, "points": points, "badge": badge,
            "repeat": repeat}  # fmt: skip


def buy(
    api: ApiClient, external_id: str, moment: datetime, total: str = "10.00", **extra: Any
) -> dict[str, Any]:
    with clock.at(moment):
        response = api.post(
            "/orders", order(external_id, total=total, occurred_at=moment.isoformat(), **extra)
        )
    assert response.status_code in (200, 201), response.data
    return dict(response.data)


def progress(api: ApiClient, moment: datetime) -> dict[str, Any]:
    with clock.at(moment):
        view = loyalty(api)
    return {m["id"]: m for m in view["milestones"]} | {"badges": view["badges"]}


def awards(key: str) -> list[tuple[int, str]]:
    """The milestone's earn entries: (points, occurred_at as ISO)."""
    return [
        (points, z(moment))
        for points, moment in LedgerEntry.objects.filter(source_type="milestone", rule_key=key)
        .order_by("pk")
        .values_list("points", "occurred_at")
    ]


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def tokyo(day: str, time: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{time}+09:00")


# ------------------------------------------------------------------ counts


def test_five_orders_in_thirty_days_counted_back_from_the_latest(api: ApiClient) -> None:
    setup(api, milestone("five-in-30", count_goal(5, "30d")))
    for n, days in enumerate([0, 5, 10, 15]):
        buy(api, f"o{n}", T0 + timedelta(days=days))
    assert progress(api, T0 + timedelta(days=20))["five-in-30"] == {
        "id": "five-in-30",
        "progress": 4,
        "target": 5,
        "achieved_at": None,
    }
    # Day 36: the orders of days 0 and 5 are more than 30 days back.
    buy(api, "o4", T0 + timedelta(days=36))
    assert progress(api, T0 + timedelta(days=36))["five-in-30"]["progress"] == 3
    assert awards("five-in-30") == []
    buy(api, "o5", T0 + timedelta(days=37))
    reached = T0 + timedelta(days=38)
    response = buy(api, "o6", reached)
    # The order's own points in points_earned; the milestone's 100 in the balance.
    (effect,) = response["loyalty"]
    assert (effect["points_earned"], effect["balance"]) == (10, 7 * 10 + 100)
    assert awards("five-in-30") == [(100, z(reached))]
    entry = transactions(api)[-1]
    assert (entry["type"], entry["points"], entry["rule_id"]) == ("earn", 100, "five-in-30")
    assert entry["source"]["type"] == "milestone"
    assert entry["reason"] == "milestone Five-In-30"

    seen = progress(api, reached)
    assert seen["five-in-30"] == {
        "id": "five-in-30",
        "progress": 5,
        "target": 5,
        "achieved_at": z(reached),
    }
    assert seen["badges"] == [{**BADGE, "milestone_id": "five-in-30", "achieved_at": z(reached)}]
    (achieved,) = OutboxEvent.objects.filter(type="loyalty.milestone_achieved")
    assert achieved.payload == {
        "program_id": "tea-club",
        "customer_id": "cust-1",
        "milestone_id": "five-in-30",
        "period": "",
    }

    # Awarded once: five more orders in the window give nothing more; progress stays full.
    for n in range(7, 12):
        buy(api, f"o{n}", reached + timedelta(days=n - 6))
    assert awards("five-in-30") == [(100, z(reached))]
    assert progress(api, reached + timedelta(days=90))["five-in-30"]["progress"] == 5
    assert Account.objects.get().active == 12 * 10 + 100


def test_a_repeating_count_is_awarded_each_time_the_goal_is_met_anew(api: ApiClient) -> None:
    setup(api, milestone("regular", count_goal(3), points=150, repeat="per_period"))
    moments = [T0 + timedelta(hours=6 * n) for n in range(7)]
    for n, moment in enumerate(moments):
        buy(api, f"o{n}", moment)
    # Orders 3 and 6 complete the goal; order 7 starts the next round.
    assert awards("regular") == [(150, z(moments[2])), (150, z(moments[5]))]
    assert progress(api, moments[6])["regular"] == {
        "id": "regular",
        "progress": 1,
        "target": 3,
        "achieved_at": z(moments[5]),
    }
    periods = [
        e.payload["period"] for e in OutboxEvent.objects.filter(type="loyalty.milestone_achieved")
    ]
    assert len(periods) == 2 and len(set(periods)) == 2 and all(periods)
    assert Account.objects.get().active == 7 * 10 + 2 * 150


def test_only_facts_that_meet_the_condition_count(api: ApiClient) -> None:
    big = {"field": "order.total", "op": "gte", "value": "20.00"}
    setup(api, milestone("big-spender", count_goal(2, condition=big)))
    buy(api, "o1", T0, total="25.00")
    buy(api, "o2", T0 + timedelta(hours=1), total="19.99")
    assert progress(api, T0 + timedelta(hours=1))["big-spender"]["progress"] == 1
    buy(api, "o3", T0 + timedelta(hours=2), total="20.00")
    assert awards("big-spender") == [(100, z(T0 + timedelta(hours=2)))]


def test_events_count_toward_an_event_milestone(api: ApiClient) -> None:
    goal = {"type": "count", "trigger": {"type": "event", "event": "review_posted"}, "target": 2}
    setup(api, milestone("critic", goal, points=30))
    buy(api, "o1", T0)  # an order is not a review
    for n, name in enumerate(["review_posted", "app_opened", "review_posted"]):
        with clock.at(T0 + timedelta(hours=n + 1)):
            response = api.post(
                "/events",
                {"id": f"e{n}", "name": name, "customer_id": "cust-1",
                 "occurred_at": (T0 + timedelta(hours=n + 1)).isoformat()},
            )  # fmt: skip
        assert response.status_code in (200, 201, 202), response.data
    assert awards("critic") == [(30, z(T0 + timedelta(hours=3)))]
    assert Account.objects.get().active == 10 + 30


# ------------------------------------------------------------------ streaks


def test_an_order_in_each_of_four_consecutive_weeks(api: ApiClient) -> None:
    setup(api, milestone("four-weeks", streak_goal(4, "week"), points=200))
    # Weeks start on Monday in Tokyo: Sunday 23:30 and Monday 00:30 there are two weeks,
    # though both are Sunday in UTC.
    buy(api, "w1", tokyo("2026-03-08", "23:30"))
    buy(api, "w2", tokyo("2026-03-09", "00:30"))
    buy(api, "w2b", tokyo("2026-03-13", "12:00"))  # a second order the same week: once
    assert progress(api, tokyo("2026-03-13", "12:00"))["four-weeks"]["progress"] == 2
    buy(api, "w3", tokyo("2026-03-20", "12:00"))
    # The week of 23 March has no order yet: the streak of 3 can still be continued ...
    assert progress(api, tokyo("2026-03-29", "23:59"))["four-weeks"]["progress"] == 3
    # ... until that week is over.
    assert progress(api, tokyo("2026-03-30", "00:01"))["four-weeks"]["progress"] == 0
    assert awards("four-weeks") == []

    # A new streak: four weeks from 30 March, the fourth order completes it.
    for n, day in enumerate(["2026-03-30", "2026-04-07", "2026-04-15", "2026-04-26"]):
        buy(api, f"s{n}", tokyo(day, "09:00"))
    reached = tokyo("2026-04-26", "09:00")
    assert awards("four-weeks") == [(200, z(reached))]
    assert progress(api, reached)["four-weeks"] == {
        "id": "four-weeks",
        "progress": 4,
        "target": 4,
        "achieved_at": z(reached),
    }


def test_a_repeating_monthly_streak_counts_only_months_after_its_award(api: ApiClient) -> None:
    setup(api, milestone("ritual", streak_goal(2, "month"), points=50, repeat="per_period"))
    buy(api, "m1", tokyo("2026-01-31", "23:00"))
    buy(api, "m2", tokyo("2026-02-01", "01:00"))
    assert awards("ritual") == [(50, z(tokyo("2026-02-01", "01:00")))]
    buy(api, "m3", tokyo("2026-03-10", "10:00"))
    assert progress(api, tokyo("2026-03-10", "10:00"))["ritual"]["progress"] == 1
    buy(api, "m4", tokyo("2026-04-10", "10:00"))
    assert awards("ritual") == [
        (50, z(tokyo("2026-02-01", "01:00"))),
        (50, z(tokyo("2026-04-10", "10:00"))),
    ]


# ------------------------------------------------------------------ refunds and cancellations


def test_a_cancelled_or_refunded_order_still_counts_and_the_award_stays(api: ApiClient) -> None:
    setup(api, milestone("three", count_goal(3), points=100))
    buy(api, "o1", T0)
    buy(api, "o2", T0 + timedelta(hours=1))
    with clock.at(T0 + timedelta(hours=2)):
        assert api.post("/orders/o1/status", {"status": "cancelled"}).status_code == 200
        refund = api.post("/orders/o2/refunds", {"external_id": "r2", "amount": "10.00"})
        assert refund.status_code == 201, refund.data
    assert progress(api, T0 + timedelta(hours=2))["three"]["progress"] == 2
    buy(api, "o3", T0 + timedelta(hours=3))
    assert awards("three") == [(100, z(T0 + timedelta(hours=3)))]
    # Cancelling the order that completed the goal takes back its 10, not the 100.
    with clock.at(T0 + timedelta(hours=4)):
        cancelled = api.post("/orders/o3/status", {"status": "cancelled"})
    assert cancelled.data["loyalty"][0]["points_clawed_back"] == 10
    assert Account.objects.get().active == 100
    assert progress(api, T0 + timedelta(hours=4))["three"]["progress"] == 3


def test_an_order_counts_once_and_only_once_paid(api: ApiClient) -> None:
    setup(api, milestone("two", count_goal(2)))
    buy(api, "o1", T0)
    again = buy(api, "o1", T0)  # the same order sent again
    assert again["loyalty"][0]["points_earned"] == 10
    buy(api, "o2", T0 + timedelta(hours=1), status="pending")
    assert MilestoneHit.objects.count() == 1
    assert progress(api, T0 + timedelta(hours=1))["two"]["progress"] == 1
    with clock.at(T0 + timedelta(hours=2)):
        assert api.post("/orders/o2/status", {"status": "paid"}).status_code == 200
    assert awards("two") == [(100, z(T0 + timedelta(hours=1)))], "dated by occurred_at"


def test_orders_before_joining_an_explicit_program_do_not_count(api: ApiClient) -> None:
    setup(api, milestone("two", count_goal(2)), enrolment="explicit")
    buy(api, "o1", T0)
    with clock.at(T0 + timedelta(hours=1)):
        joined = api.post("/programs/tea-club/members", {"customer_id": "cust-1"})
    assert joined.status_code == 201
    buy(api, "o2", T0 + timedelta(hours=2))
    assert progress(api, T0 + timedelta(hours=2))["two"]["progress"] == 1
    assert awards("two") == []


# ------------------------------------------------------------------ bad definitions


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"goal": {**count_goal(5), "type": "sum"}}, "goal.type"),
        ({"goal": {**count_goal(5), "trigger": {"type": "enrolment"}}}, "goal.trigger.type"),
        ({"goal": {**count_goal(5), "trigger": {"type": "sale"}}}, "goal.trigger.type"),
        ({"goal": {**count_goal(5), "trigger": {"type": "event"}}}, "goal.trigger.event"),
        ({"goal": count_goal(0)}, "goal.target"),
        ({"goal": count_goal(1001)}, "goal.target"),
        ({"goal": count_goal(5, "30x")}, "goal.within"),
        ({"goal": {**count_goal(5), "period": "week"}}, "goal"),
        ({"goal": streak_goal(4, "year")}, "goal.period"),
        ({"goal": count_goal(5, condition={"field": "order.nope", "op": "eq", "value": 1})},
         "goal.condition.field"),
        ({"points": -5}, "points"),
        ({"points": 10_000_001}, "points"),
        ({"badge": {"image_url": "https://static.example/x.png"}}, "badge"),
        ({"goal": {"target": 5}}, "goal.type"),
    ],
)  # fmt: skip
def test_a_bad_milestone_is_refused_with_its_field_and_nothing_is_saved(
    api: ApiClient, change: dict[str, Any], field: str
) -> None:
    setup(api)
    response = api.post(
        "/programs/tea-club/milestones", {**milestone("m", count_goal(5)), **change}
    )
    assert response.status_code == 422, response.data
    assert response.data["field"] == field, response.data
    # A bad window or condition is a fault of the condition language (API conventions).
    invalid = "invalid_condition" if field in ("goal.within", "goal.condition.field") else None
    assert response.data["code"] == (invalid or "invalid_milestone"), response.data
    assert not Milestone.objects.exists()
    assert not AuditEntry.objects.filter(action="milestone.created").exists()
    assert api.get("/programs/tea-club/milestones").data["data"] == []


def test_a_milestone_id_is_taken_once(api: ApiClient) -> None:
    setup(api, milestone("m", count_goal(5)))
    again = api.post("/programs/tea-club/milestones", milestone("m", count_goal(3)))
    assert (again.status_code, again.data["code"]) == (409, "milestone_exists")
    assert Milestone.objects.get().goal["target"] == 5
