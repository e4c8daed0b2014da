"""Tiers (issue 7 item 5): ordered tiers qualified by points earned, money spent or orders over
the calendar year, the last 12 months or ever; a member moves up in the response of the order
that qualifies them, and down only when the review job runs after the end of the period plus
the grace; every change is a history row; `tier_reached` rules give their points once per move
up; `GET /customers/{id}/loyalty` shows the progress to the next tier; tier multipliers apply
to earning.

Time is moved with `kizuna.core.clock.at`; the program counts its years in Asia/Tokyo, so the
calendar year 2027 starts at 2026-12-31T15:00:00Z."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core import clock
from kizuna.core.models import OutboxEvent
from kizuna.loyalty import tasks
from kizuna.loyalty.models import Account, LedgerEntry, TierChange
from kizuna.loyalty.tests.support import ONE_PER_DOLLAR, loyalty, make_program, order, transactions

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
YEAR_2027 = datetime(2026, 12, 31, 15, 0, tzinfo=UTC)  # 2027-01-01 00:00 in Tokyo
YEAR_2028 = datetime(2027, 12, 31, 15, 0, tzinfo=UTC)


def tier(
    key: str,
    rank: int,
    threshold: Any,
    metric: str = "points_earned",
    window: str = "calendar_year",
    grace_days: int = 30,
) -> dict[str, Any]:
    return {
        "id": key,
        "name": key.title(),
        "rank": rank,
        "qualify": {"metric": metric, "threshold": threshold, "window": window},
        "grace_days": grace_days,
        "benefits": [f"{key} perks"],
    }


def with_tiers(api: ApiClient, *tiers: dict[str, Any], rules: Any = None, **program: Any) -> None:
    make_program(api, [], **program)
    for body in tiers:
        response = api.post("/programs/tea-club/tiers", body)
        assert response.status_code == 201, response.data
    for rule in rules if rules is not None else [ONE_PER_DOLLAR]:  # rules may name the tiers
        response = api.post("/programs/tea-club/earning-rules", rule)
        assert response.status_code == 201, response.data


def buy(
    api: ApiClient, external_id: str, total: str, moment: datetime, customer: str = "cust-1"
) -> dict[str, Any]:
    """A paid order of `total` placed at `moment` (the clock set there); its loyalty effect."""
    with clock.at(moment):
        response = api.post(
            "/orders", order(external_id, customer, total=total, occurred_at=moment.isoformat())
        )
    assert response.status_code == 201, response.data
    (effect,) = response.data["loyalty"]
    return dict(effect)


def review(moment: datetime) -> int:
    with clock.at(moment):
        return int(tasks.review_tiers.call())


def standing(api: ApiClient, moment: datetime, customer: str = "cust-1") -> dict[str, Any]:
    with clock.at(moment):
        return dict(loyalty(api, customer)["tier"])


def history(customer: str = "cust-1") -> list[tuple[str | None, str | None, str, datetime]]:
    return [
        (
            change.previous.key if change.previous else None,
            change.tier.key if change.tier else None,
            change.reason,
            change.occurred_at,
        )
        for change in TierChange.objects.filter(account__customer__external_id=customer)
        .select_related("previous", "tier")
        .order_by("occurred_at", "pk")
    ]


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def silver_gold(api: ApiClient) -> Iterator[None]:
    with_tiers(api, tier("silver", 1, 100), tier("gold", 2, 300))
    yield


# ------------------------------------------------------------------ up at once


@pytest.mark.usefixtures("silver_gold")
def test_a_member_moves_up_in_the_response_of_the_order_that_qualifies(api: ApiClient) -> None:
    assert buy(api, "o1", "60.00", T0)["tier"] is None
    assert standing(api, T0) == {
        "id": None,
        "name": None,
        "since": None,
        "until": None,
        "next_tier": "silver",
        "progress": {"metric": "points_earned", "current": 60, "target": 100},
    }

    day2 = T0 + timedelta(days=1)
    effect = buy(api, "o2", "40.00", day2)
    assert (effect["tier"], effect["points_earned"], effect["balance"]) == ("silver", 40, 100)
    # Kept until the next calendar year in Tokyo plus 30 days' grace.
    assert standing(api, day2) == {
        "id": "silver",
        "name": "Silver",
        "since": z(day2),
        "until": "2027-01-30T15:00:00Z",
        "next_tier": "gold",
        "progress": {"metric": "points_earned", "current": 100, "target": 300},
    }

    day3 = T0 + timedelta(days=2)
    assert buy(api, "o3", "199.00", day3)["tier"] == "silver", "299 of 300"
    day4 = T0 + timedelta(days=3)
    assert buy(api, "o4", "1.00", day4)["tier"] == "gold"
    top = standing(api, day4)
    assert (top["id"], top["since"], top["next_tier"], top["progress"]) == (
        "gold",
        z(day4),
        None,
        None,
    )
    assert api.get("/orders/o4").data["loyalty"][0]["tier"] == "gold"

    assert history() == [(None, "silver", "upgrade", day2), ("silver", "gold", "upgrade", day4)]
    changed = OutboxEvent.objects.filter(type="loyalty.tier_changed").order_by("occurred_at")
    assert [(e.payload["previous_tier"], e.payload["tier"]) for e in changed] == [
        (None, "silver"),
        ("silver", "gold"),
    ]


@pytest.mark.usefixtures("silver_gold")
def test_a_member_who_qualifies_for_several_tiers_goes_straight_to_the_highest(
    api: ApiClient,
) -> None:
    assert buy(api, "o1", "350.00", T0)["tier"] == "gold"
    assert history() == [(None, "gold", "upgrade", T0)]


@pytest.mark.usefixtures("silver_gold")
def test_pending_points_count_toward_tiers_when_they_activate(api: ApiClient) -> None:
    assert api.patch("/programs/tea-club", {"pending": {"days": 14}}).status_code == 200
    effect = buy(api, "o1", "150.00", T0)
    assert (effect["tier"], effect["points_pending"]) == (None, 150)
    assert standing(api, T0)["progress"] == {
        "metric": "points_earned",
        "current": 0,
        "target": 100,
    }
    with clock.at(T0 + timedelta(days=14)):
        assert tasks.activate_points.call() == 150
    assert history() == [(None, "silver", "upgrade", T0 + timedelta(days=14))]


@pytest.mark.usefixtures("silver_gold")
def test_adjustments_do_not_count_toward_tiers(api: ApiClient) -> None:
    buy(api, "o1", "10.00", T0)
    with clock.at(T0):
        added = api.post(
            "/customers/cust-1/loyalty/tea-club/adjustments", {"points": 500, "reason": "gift"}
        )
    assert added.status_code == 201, added.data
    assert buy(api, "o2", "10.00", T0 + timedelta(hours=1))["tier"] is None
    assert standing(api, T0 + timedelta(hours=1))["progress"]["current"] == 20


# ------------------------------------------------------------------ down at the review


@pytest.mark.usefixtures("silver_gold")
def test_a_tier_is_lowered_only_when_the_year_and_its_grace_are_over(api: ApiClient) -> None:
    buy(api, "o1", "350.00", T0)
    assert Account.objects.get().tier_until == YEAR_2027 + timedelta(days=30)

    # The year ends; the grace runs; an order of the new year earns 150 (silver's worth).
    assert review(YEAR_2027) == 0
    assert buy(api, "o2", "150.00", YEAR_2027 + timedelta(days=9))["tier"] == "gold"
    assert review(YEAR_2027 + timedelta(days=30) - timedelta(seconds=1)) == 0
    assert standing(api, YEAR_2027 + timedelta(days=29))["id"] == "gold"

    due = YEAR_2027 + timedelta(days=30)
    assert review(due) == 1
    assert history() == [(None, "gold", "upgrade", T0), ("gold", "silver", "downgrade", due)]
    assert standing(api, due) == {
        "id": "silver",
        "name": "Silver",
        "since": z(due),
        "until": z(YEAR_2028 + timedelta(days=30)),
        "next_tier": "gold",
        "progress": {"metric": "points_earned", "current": 150, "target": 300},
    }
    # Reviewed once: a second run finds nothing due; a move down gives no points.
    assert review(due + timedelta(hours=1)) == 0
    assert len(history()) == 2
    assert LedgerEntry.objects.filter(source_type="tier_change").count() == 0


@pytest.mark.usefixtures("silver_gold")
def test_a_member_with_nothing_left_loses_the_tier(api: ApiClient) -> None:
    buy(api, "o1", "120.00", T0)
    due = YEAR_2027 + timedelta(days=30)
    assert review(due) == 1
    assert history() == [(None, "silver", "upgrade", T0), ("silver", None, "downgrade", due)]
    account = Account.objects.get()
    assert (account.tier_id, account.tier_since, account.tier_until) == (None, None, None)
    assert standing(api, due)["progress"] == {
        "metric": "points_earned",
        "current": 0,
        "target": 100,
    }


@pytest.mark.usefixtures("silver_gold")
def test_a_member_who_still_qualifies_keeps_the_tier_for_another_year(api: ApiClient) -> None:
    buy(api, "o1", "350.00", T0)
    buy(api, "o2", "300.00", YEAR_2027 + timedelta(days=3))
    due = YEAR_2027 + timedelta(days=30)
    assert review(due) == 1
    account = Account.objects.get()
    assert (account.tier_key, account.tier_since) == ("gold", T0)
    assert account.tier_until == YEAR_2028 + timedelta(days=30)
    assert history() == [(None, "gold", "upgrade", T0)], "a confirmation is no change"


@pytest.mark.usefixtures("silver_gold")
def test_a_review_moves_up_a_member_who_qualifies_for_more(api: ApiClient) -> None:
    buy(api, "o1", "150.00", T0)
    buy(api, "o2", "150.00", YEAR_2027 + timedelta(days=4))
    # A lower threshold moves nobody at once; the review applies it.
    lower = {"qualify": {"metric": "points_earned", "threshold": 120, "window": "calendar_year"}}
    assert api.patch("/programs/tea-club/tiers/gold", lower).status_code == 200
    assert Account.objects.get().tier_key == "silver"
    due = YEAR_2027 + timedelta(days=30)
    assert review(due) == 1
    assert history() == [(None, "silver", "upgrade", T0), ("silver", "gold", "upgrade", due)]
    assert Account.objects.get().tier_until == YEAR_2028 + timedelta(days=30)


def test_rolling_twelve_months_are_counted_back_from_the_review(api: ApiClient) -> None:
    with_tiers(
        api,
        tier("silver", 1, 100, window="rolling_12_months", grace_days=10),
        tier("gold", 2, 300, window="rolling_12_months", grace_days=10),
    )
    buy(api, "o1", "350.00", T0)
    due = T0 + timedelta(days=375)
    assert Account.objects.get().tier_until == due
    buy(api, "o2", "100.00", T0 + timedelta(days=200))
    assert review(due - timedelta(seconds=1)) == 0
    assert review(due) == 1
    # The window is the 365 days before the review: o1 (day 0) is out, o2 (day 200) in.
    assert history()[-1] == ("gold", "silver", "downgrade", due)
    assert Account.objects.get().tier_until == due + timedelta(days=375)
    assert standing(api, due)["progress"] == {
        "metric": "points_earned",
        "current": 100,
        "target": 300,
    }


def test_a_lifetime_tier_is_never_lowered(api: ApiClient) -> None:
    with_tiers(api, tier("silver", 1, 100, window="lifetime"))
    buy(api, "o1", "100.00", T0)
    account = Account.objects.get()
    assert (account.tier_key, account.tier_until) == ("silver", None)
    assert review(T0 + timedelta(days=3650)) == 0
    assert Account.objects.get().tier_key == "silver"


@pytest.mark.usefixtures("silver_gold")
def test_a_cancelled_order_leaves_the_tier_until_the_review(api: ApiClient) -> None:
    buy(api, "o1", "150.00", T0)
    with clock.at(T0 + timedelta(hours=1)):
        cancelled = api.post("/orders/o1/status", {"status": "cancelled"})
    assert cancelled.status_code == 200, cancelled.data
    tier_now = standing(api, T0 + timedelta(hours=1))
    assert (tier_now["id"], tier_now["progress"]["current"]) == ("silver", 0)
    assert review(YEAR_2027 + timedelta(days=30)) == 1
    assert history()[-1][:3] == ("silver", None, "downgrade")


# ------------------------------------------------------------------ tier_reached rules

WELCOME_GOLD = {
    "id": "welcome-gold",
    "name": "Welcome to Gold",
    "trigger": {"type": "tier_reached", "tier_id": "gold"},
    "effect": {"type": "fixed", "points": 50},
}
WELCOME_SILVER = {
    **WELCOME_GOLD,
    "id": "welcome-silver",
    "name": "Welcome to Silver",
    "trigger": {"type": "tier_reached", "tier_id": "silver"},
    "effect": {"type": "fixed", "points": 20},
}


def welcomes() -> list[tuple[str, int]]:
    return list(
        LedgerEntry.objects.filter(source_type="tier_change")
        .order_by("pk")
        .values_list("rule_key", "points")
    )


@pytest.mark.usefixtures("silver_gold")
def test_a_tier_reached_rule_gives_its_points_once_per_move_up(api: ApiClient) -> None:
    for rule in (WELCOME_GOLD, WELCOME_SILVER):
        assert api.post("/programs/tea-club/earning-rules", rule).status_code == 201
    effect = buy(api, "o1", "350.00", T0)
    # The order's own points in points_earned; the welcome is its own entry, in the balance.
    assert (effect["tier"], effect["points_earned"], effect["balance"]) == ("gold", 350, 400)
    assert welcomes() == [("welcome-gold", 50)], "silver was skipped: its rule does not run"
    entry = transactions(api)[-1]
    assert (entry["type"], entry["points"], entry["rule_id"]) == ("earn", 50, "welcome-gold")
    change = TierChange.objects.get()
    assert entry["source"] == {"type": "tier_change", "id": str(change.pk)}

    # More orders at gold, and a confirmation at the review, give no second welcome.
    buy(api, "o2", "300.00", YEAR_2027 + timedelta(days=1))
    assert review(YEAR_2027 + timedelta(days=30)) == 1
    assert welcomes() == [("welcome-gold", 50)]

    # Down to nothing at the next review, then up again: a new move up, a new welcome.
    assert review(YEAR_2028 + timedelta(days=30)) == 1
    assert Account.objects.get().tier is None
    buy(api, "o3", "300.00", YEAR_2028 + timedelta(days=31))
    assert welcomes() == [("welcome-gold", 50), ("welcome-gold", 50)]
    assert Account.objects.get().active == 350 + 50 + 300 + 300 + 50


@pytest.mark.usefixtures("silver_gold")
def test_a_tier_reached_rule_limited_to_once_ever_gives_once(api: ApiClient) -> None:
    once = {**WELCOME_GOLD, "limits": [{"period": "all_time", "times": 1}]}
    assert api.post("/programs/tea-club/earning-rules", once).status_code == 201
    buy(api, "o1", "350.00", T0)
    assert review(YEAR_2027 + timedelta(days=30)) == 1  # down to nothing
    buy(api, "o2", "300.00", YEAR_2027 + timedelta(days=31))
    assert Account.objects.get().tier_key == "gold"
    assert welcomes() == [("welcome-gold", 50)]


@pytest.mark.usefixtures("silver_gold")
def test_a_paused_program_moves_tiers_at_its_review_but_gives_no_points(api: ApiClient) -> None:
    assert api.post("/programs/tea-club/earning-rules", WELCOME_GOLD).status_code == 201
    buy(api, "o1", "150.00", T0)
    buy(api, "o2", "150.00", YEAR_2027 + timedelta(days=4))
    assert api.patch("/programs/tea-club", {"status": "paused"}).status_code == 200
    lower = {"qualify": {"metric": "points_earned", "threshold": 120, "window": "calendar_year"}}
    assert api.patch("/programs/tea-club/tiers/gold", lower).status_code == 200
    assert review(YEAR_2027 + timedelta(days=30)) == 1
    assert Account.objects.get().tier_key == "gold"
    assert welcomes() == [], "a paused program earns nothing"
    assert Account.objects.get().active == 300


# ------------------------------------------------------------------ multipliers


def test_tier_multipliers_apply_from_the_order_after_the_move_up(api: ApiClient) -> None:
    rule = {**ONE_PER_DOLLAR, "tier_multipliers": {"silver": "1.25", "gold": "1.5"}}
    with_tiers(api, tier("silver", 1, 100), tier("gold", 2, 300), rules=[rule])
    # The order that qualifies earns at the tier the member had when it came.
    assert buy(api, "o1", "100.00", T0)["points_earned"] == 100
    second = buy(api, "o2", "41.00", T0 + timedelta(days=1))
    assert (second["points_earned"], second["tier"]) == (51, "silver")  # 51.25 down
    third = buy(api, "o3", "200.00", T0 + timedelta(days=2))
    assert (third["points_earned"], third["tier"]) == (250, "gold")  # 100 + 51 + 250 = 401
    fourth = buy(api, "o4", "31.00", T0 + timedelta(days=3))
    assert (fourth["points_earned"], fourth["balance"]) == (46, 447)  # 46.5 down
    assert [e["points"] for e in transactions(api)] == [100, 51, 250, 46]
    assert (
        transactions(api)[-1]["reason"] == "A point per dollar: 1 per 1.00 of total, x1.5 for gold"
    )


# ------------------------------------------------------------------ money and orders


def test_progress_in_money_is_formatted_in_the_programs_currency(api: ApiClient) -> None:
    with_tiers(
        api,
        tier("silver", 1, "100", metric="amount_spent"),
        tier("gold", 2, "250.5", metric="amount_spent"),
    )
    buy(api, "o1", "45.50", T0)
    assert standing(api, T0)["progress"] == {
        "metric": "amount_spent",
        "current": "45.50",
        "target": "100.00",
    }
    # Another currency does not count toward money spent.
    with clock.at(T0):
        yen = api.post(
            "/orders",
            order("o2", currency="JPY", total="5000", occurred_at=T0.isoformat()),
        )
    assert yen.status_code == 201, yen.data
    assert standing(api, T0)["progress"]["current"] == "45.50"

    assert buy(api, "o3", "54.50", T0 + timedelta(hours=1))["tier"] == "silver"
    assert standing(api, T0 + timedelta(hours=1))["progress"] == {
        "metric": "amount_spent",
        "current": "100.00",
        "target": "250.50",
    }
    # A refund lowers what was spent (total less refunded).
    with clock.at(T0 + timedelta(hours=2)):
        refund = api.post("/orders/o3/refunds", {"external_id": "r1", "amount": "10.25"})
    assert refund.status_code == 201, refund.data
    assert standing(api, T0 + timedelta(hours=2))["progress"]["current"] == "89.75"


def test_orders_count_toward_an_orders_tier_whatever_their_currency(api: ApiClient) -> None:
    with_tiers(api, tier("regular", 1, 3, metric="orders"))
    buy(api, "o1", "5.00", T0)
    with clock.at(T0):
        yen = api.post(
            "/orders", order("o2", currency="JPY", total="500", occurred_at=T0.isoformat())
        )
    assert yen.data["loyalty"][0]["tier"] is None
    assert standing(api, T0)["progress"] == {"metric": "orders", "current": 2, "target": 3}
    assert buy(api, "o3", "5.00", T0 + timedelta(hours=1))["tier"] == "regular"


# ------------------------------------------------------------------ bad tiers


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"rank": 1}, "rank_taken", "rank"),
        ({"rank": 0}, "invalid_tier", "rank"),
        ({"qualify": {"metric": "visits", "threshold": 1}}, "invalid_tier", "qualify.metric"),
        (
            {"qualify": {"metric": "orders", "threshold": 1, "window": "week"}},
            "invalid_tier",
            "qualify.window",
        ),
        (
            {"qualify": {"metric": "points_earned", "threshold": 10.5}},
            "invalid_tier",
            "qualify.threshold",
        ),
        (
            {"qualify": {"metric": "amount_spent", "threshold": "-1"}},
            "invalid_tier",
            "qualify.threshold",
        ),
        (
            {"qualify": {"metric": "amount_spent", "threshold": "10.001"}},
            "too_many_decimal_places",
            "qualify.threshold",
        ),
        ({"grace_days": -1}, "invalid_tier", "grace_days"),
    ],
)
def test_a_bad_tier_is_refused_with_its_field(
    api: ApiClient, body: dict[str, Any], code: str, field: str
) -> None:
    with_tiers(api, tier("silver", 1, 100))
    response = api.post("/programs/tea-club/tiers", {**tier("gold", 2, 300), **body})
    assert (response.status_code, response.data["code"], response.data["field"]) == (
        422,
        code,
        field,
    ), response.data
    assert [t["id"] for t in api.get("/programs/tea-club/tiers").data["data"]] == ["silver"]


def test_a_tier_changed_at_the_same_clock_moment_is_seen_by_the_next_order(
    api: ApiClient,
) -> None:
    """A replay of history (the demo) runs with the clock held: a change at the moment the
    program's setup was last read must still be read again."""
    with clock.at(T0):
        with_tiers(api, tier("silver", 1, 100))
        buy(api, "o1", "60.00", T0)
        lower = {"qualify": {"metric": "points_earned", "threshold": 50}}
        assert api.patch("/programs/tea-club/tiers/silver", lower).status_code == 200
        assert buy(api, "o2", "1.00", T0)["tier"] == "silver"
