"""Programs through the REST API, as API.md says: several per workspace, points named per
language, a time zone, pending, expiry and returns policies, automatic or explicit enrolment,
and a status that decides whether anything is earned; created, listed, read and changed."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from conftest import ApiClient
from kizuna.core import clock
from kizuna.loyalty.models import Account, LedgerEntry, PointLot
from kizuna.loyalty.tests.support import (
    ONE_PER_DOLLAR,
    PROGRAM,
    make_program,
    order,
    points,
    transactions,
)

pytestmark = pytest.mark.django_db

WELCOME = {
    "id": "welcome",
    "name": "Welcome",
    "trigger": {"type": "enrolment"},
    "effect": {"type": "fixed", "points": 100},
}
REVIEW = {
    "id": "review",
    "name": "Review",
    "trigger": {"type": "event", "event": "review_posted"},
    "effect": {"type": "fixed", "points": 25},
}


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _lots() -> list[tuple[int, int, bool, datetime | None, datetime | None]]:
    return [
        (lot.amount, lot.remaining, lot.pending, lot.activates_at, lot.expires_at)
        for lot in PointLot.objects.order_by("pk")
    ]


def _run(command: str) -> None:
    call_command(command, stdout=StringIO())


# ------------------------------------------------------------------ create, list, get, patch


def test_a_program_is_created_with_its_settings_and_read_back(api: ApiClient) -> None:
    body = {
        **PROGRAM,
        "pending": {"days": 14},
        "expiry": {"policy": "rolling", "months": 9, "reset_on_activity": True},
        "returns": {"clawback": False, "allow_negative": True},
        "enrolment": "explicit",
    }
    created = api.post("/programs", body)
    assert created.status_code == 201, created.data
    expected = {
        "id": "tea-club",
        "name": "Tea Club",
        "points_name": {"default": "leaves", "ja": "リーフ", "ko": "잎"},
        "currency": "USD",
        "timezone": "Asia/Tokyo",
        "status": "active",
        "enrolment": "explicit",
        "pending": {"days": 14},
        "expiry": {"policy": "rolling", "months": 9, "reset_on_activity": True},
        "returns": {"clawback": False, "allow_negative": True},
    }
    assert {k: v for k, v in created.data.items() if k in expected} == expected
    assert set(created.data) == {*expected, "created_at", "updated_at"}
    fetched = api.get("/programs/tea-club")
    assert fetched.status_code == 200
    assert fetched.data == created.data
    # Japanese and Korean names come back as written, not as escapes.
    assert "リーフ".encode() in fetched.content and "잎".encode() in fetched.content


def test_a_program_left_to_its_defaults(api: ApiClient) -> None:
    created = api.post("/programs", {"name": "Plain", "currency": "JPY"})
    assert created.status_code == 201, created.data
    data = created.data
    assert data["id"].startswith("program-")
    assert {k: data[k] for k in ("points_name", "timezone", "status", "enrolment")} == {
        "points_name": {"default": "points"},
        "timezone": "UTC",
        "status": "draft",
        "enrolment": "automatic",
    }
    assert (data["pending"], data["expiry"], data["returns"]) == (
        None,
        {"policy": "none"},
        {"clawback": True, "allow_negative": False},
    )


def test_a_workspace_runs_several_programs_listed_page_by_page(
    api: ApiClient, other_api: ApiClient
) -> None:
    for key, currency in (("tea-club", "USD"), ("sake-club", "JPY"), ("kimchi-club", "KRW")):
        make_program(api, id=key, name=key.title(), currency=currency)
    make_program(other_api, id="elsewhere", name="Elsewhere")
    first = api.get("/programs?limit=2")
    assert [p["id"] for p in first.data["data"]] == ["tea-club", "sake-club"]
    assert first.data["next_cursor"]
    second = api.get(f"/programs?limit=2&cursor={first.data['next_cursor']}")
    assert [p["id"] for p in second.data["data"]] == ["kimchi-club"]
    assert second.data["next_cursor"] is None
    # Another workspace's program does not exist here, and ids are per workspace.
    missing = api.get("/programs/elsewhere")
    assert (missing.status_code, missing.data["code"]) == (404, "program_not_found")
    assert make_program(other_api, id="tea-club", name="Theirs")["name"] == "Theirs"
    assert api.get("/programs/tea-club").data["name"] == "Tea-Club"
    # One order earns in every active program of its currency's rules.
    earned = api.post("/orders", order()).data["loyalty"]
    assert {e["program_id"]: e["points_earned"] for e in earned} == {
        "tea-club": 31,
        "sake-club": 0,  # proportional on money: another currency earns nothing
        "kimchi-club": 0,
    }


def test_a_taken_id_is_a_conflict(api: ApiClient) -> None:
    make_program(api)
    again = api.post("/programs", {**PROGRAM, "name": "Again"})
    assert (again.status_code, again.data["code"], again.data["field"]) == (
        409,
        "program_exists",
        "id",
    )
    assert api.get("/programs/tea-club").data["name"] == "Tea Club"


def test_a_patch_changes_only_what_it_names(api: ApiClient) -> None:
    before = make_program(api)
    changes: list[dict[str, Any]] = [
        {"name": "Tea Club Gold"},
        {"points_name": {"default": "stars", "ja": "スター"}},
        {"currency": "JPY"},
        {"timezone": "America/Los_Angeles"},
        {"status": "paused"},
        {"enrolment": "explicit"},
        {"pending": {"until_event": "order_delivered"}},
        {"expiry": {"policy": "fixed", "period": "quarter", "periods_after": 2}},
        {"returns": {"clawback": True, "allow_negative": True}},
        {"pending": None},
    ]
    state = dict(before)
    for change in changes:
        response = api.patch("/programs/tea-club", change)
        assert response.status_code == 200, (change, response.data)
        state.update(change)
        got = {k: v for k, v in response.data.items() if k not in ("updated_at",)}
        assert got == {k: v for k, v in state.items() if k != "updated_at"}, change
        assert response.data["created_at"] == before["created_at"]
    assert api.get("/programs/tea-club").data["expiry"] == {
        "policy": "fixed",
        "period": "quarter",
        "periods_after": 2,
    }
    # A partial policy is completed with its defaults, as on create.
    rolled = api.patch("/programs/tea-club", {"expiry": {"policy": "rolling", "days": 30}})
    assert rolled.data["expiry"] == {"policy": "rolling", "days": 30, "reset_on_activity": False}


def test_changing_returns_moves_every_account_negative_balance_flag(api: ApiClient) -> None:
    make_program(api)
    api.post("/orders", order())
    assert list(Account.objects.values_list("allow_negative", flat=True)) == [False]
    api.patch("/programs/tea-club", {"returns": {"clawback": True, "allow_negative": True}})
    assert list(Account.objects.values_list("allow_negative", flat=True)) == [True]


# ------------------------------------------------------------------ status and enrolment


@pytest.mark.parametrize("status", ["draft", "paused"])
def test_a_program_that_is_not_active_earns_nothing(api: ApiClient, status: str) -> None:
    make_program(api, [ONE_PER_DOLLAR, WELCOME, REVIEW], status=status)
    assert api.post("/orders", order()).data["loyalty"] == []
    event = {"id": "ev-1", "name": "review_posted", "customer_id": "cust-1"}
    assert api.post("/events", event).data["loyalty"] == []
    # Under automatic enrolment no account opens either, so no welcome bonus waits.
    assert not Account.objects.exists() and not LedgerEntry.objects.exists()
    pay = {"method": "points", "amount": "1.00", "points": 1, "program_id": "tea-club"}
    paid = api.post("/orders", order("ord-2", payments=[pay]))
    assert (paid.status_code, paid.data["code"], paid.data["field"]) == (
        422,
        "unknown_program",
        "payments[0].program_id",
    )
    # Activated, it earns from the next fact on: the enrolment rule first, then the order.
    api.patch("/programs/tea-club", {"status": "active"})
    earned = api.post("/orders", order("ord-3")).data["loyalty"][0]
    assert (earned["points_earned"], earned["balance"]) == (31, 131)


def test_a_paused_program_still_activates_points_that_were_waiting(api: ApiClient) -> None:
    make_program(api, pending={"days": 14})
    placed = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    with clock.at(placed):
        api.post("/orders", order(occurred_at=placed.isoformat()))
    api.patch("/programs/tea-club", {"status": "paused"})
    with clock.at(placed + timedelta(days=14, seconds=1)):
        _run("activate_points")
        assert api.post("/orders", order("ord-2", occurred_at=now_iso())).data["loyalty"] == []
    assert (points(api)["active"], points(api)["pending"]) == (31, 0)
    assert [e["type"] for e in transactions(api)] == ["pending", "activate"]


def now_iso() -> str:
    return clock.now().isoformat()


def test_explicit_enrolment_earns_for_members_only_and_lists_them(api: ApiClient) -> None:
    make_program(api, [ONE_PER_DOLLAR, WELCOME], enrolment="explicit")
    assert api.post("/orders", order("ord-1")).data["loyalty"] == []
    assert not Account.objects.exists()
    joined = api.post("/programs/tea-club/members", {"customer_id": "cust-1"})
    assert joined.status_code == 201
    assert {k: joined.data[k] for k in ("program_id", "customer_id", "points", "pending")} == {
        "program_id": "tea-club",
        "customer_id": "cust-1",
        "points": 100,  # the enrolment rule ran as they joined
        "pending": 0,
    }
    again = api.post("/programs/tea-club/members", {"customer_id": "cust-1"})
    assert (again.status_code, again.data["points"]) == (200, 100)
    assert api.post("/orders", order("ord-2")).data["loyalty"][0]["balance"] == 131
    members = api.get("/programs/tea-club/members").data["data"]
    assert [(m["customer_id"], m["points"]) for m in members] == [("cust-1", 131)]
    unknown = api.post("/programs/tea-club/members", {"customer_id": "nobody"})
    assert (unknown.status_code, unknown.data["code"]) == (404, "customer_not_found")


def test_automatic_enrolment_makes_a_member_of_the_first_buyer(api: ApiClient) -> None:
    make_program(api, [ONE_PER_DOLLAR, WELCOME])
    assert api.get("/programs/tea-club/members").data["data"] == []
    earned = api.post("/orders", order()).data["loyalty"][0]
    assert (earned["points_earned"], earned["balance"]) == (31, 131)
    members = api.get("/programs/tea-club/members").data["data"]
    assert [(m["customer_id"], m["points"]) for m in members] == [("cust-1", 131)]
    assert [(e["type"], e["points"], e["rule_id"]) for e in transactions(api)] == [
        ("earn", 100, "welcome"),
        ("earn", 31, "per-dollar"),
    ]


# ------------------------------------------------------------------ pending points


def test_pending_days_wait_from_the_order_time_then_activate(api: ApiClient) -> None:
    make_program(api, pending={"days": 14}, expiry={"policy": "rolling", "days": 30})
    placed = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    with clock.at(placed + timedelta(hours=2)):  # received two hours after it happened
        earned = api.post("/orders", order(occurred_at=placed.isoformat())).data["loyalty"][0]
    assert (earned["points_earned"], earned["points_pending"], earned["balance"]) == (0, 31, 0)
    assert _lots() == [(31, 31, True, placed + timedelta(days=14), None)]
    with clock.at(placed + timedelta(days=14) - timedelta(seconds=1)):
        _run("activate_points")
    assert (points(api)["active"], points(api)["pending"]) == (0, 31)
    activated_at = placed + timedelta(days=14, minutes=5)
    with clock.at(activated_at):
        _run("activate_points")
    assert (points(api)["active"], points(api)["pending"]) == (31, 0)
    # The expiry counts from the activation, not from the order.
    assert _lots() == [
        (31, 31, False, placed + timedelta(days=14), activated_at + timedelta(days=30))
    ]
    activate = transactions(api)[-1]
    assert (activate["type"], activate["points"], activate["pending_points"]) == (
        "activate",
        31,
        -31,
    )


def test_an_order_older_than_its_return_window_earns_active_points(api: ApiClient) -> None:
    make_program(api, pending={"days": 14})
    with clock.at(datetime(2026, 3, 20, tzinfo=UTC)):
        earned = api.post("/orders", order()).data["loyalty"][0]  # occurred 2026-03-01
    assert (earned["points_earned"], earned["points_pending"], earned["balance"]) == (31, 0, 31)


def test_points_wait_for_the_named_event_of_their_own_order(api: ApiClient) -> None:
    make_program(api, pending={"until_event": "order_delivered"})
    api.post("/orders", order("ord-1"))
    api.post("/orders", order("ord-2", total="10.00"))
    assert (points(api)["active"], points(api)["pending"]) == (0, 41)
    other_name = {"id": "ev-0", "name": "order_shipped", "customer_id": "cust-1"}
    api.post("/events", {**other_name, "properties": {"order_id": "ord-1"}})
    assert (points(api)["active"], points(api)["pending"]) == (0, 41)
    delivered = {
        "id": "ev-1",
        "name": "order_delivered",
        "customer_id": "cust-1",
        "properties": {"order_id": "ord-2"},
    }
    api.post("/events", delivered)
    assert (points(api)["active"], points(api)["pending"]) == (10, 31)
    # Time alone never activates them.
    with clock.at(datetime(2030, 1, 1, tzinfo=UTC)):
        _run("activate_points")
    assert (points(api)["active"], points(api)["pending"]) == (10, 31)


# ------------------------------------------------------------------ expiry


def _earn_at(api: ApiClient, moment: datetime, external_id: str, total: str = "10.00") -> None:
    with clock.at(moment):
        response = api.post("/orders", order(external_id, total=total, occurred_at=now_iso()))
    assert response.status_code == 201, response.data


def test_points_that_never_expire(api: ApiClient) -> None:
    make_program(api, expiry={"policy": "none"})
    _earn_at(api, datetime(2026, 3, 1, tzinfo=UTC), "ord-1")
    assert _lots()[0][4] is None
    assert points(api)["expiring"] == []


@pytest.mark.parametrize(
    ("expiry", "earned_at", "expires_at"),
    [
        # Days count from the moment the points become active.
        ({"days": 30}, "2026-03-01T10:00:00+00:00", "2026-03-31T10:00:00+00:00"),
        # The same day months later; the last day of a shorter month.
        ({"months": 1}, "2026-03-15T10:00:00+00:00", "2026-04-15T10:00:00+00:00"),
        ({"months": 1}, "2026-01-31T10:00:00+00:00", "2026-02-28T10:00:00+00:00"),
        ({"months": 12}, "2028-02-29T10:00:00+00:00", "2029-02-28T10:00:00+00:00"),
        # 31 January in Tokyo (16:00 UTC on the 30th) is a day counted in the program's time
        # zone: a month later is 28 February in Tokyo, not 1 March.
        ({"months": 1}, "2026-01-30T16:00:00+00:00", "2026-02-27T16:00:00+00:00"),
    ],
)
def test_a_rolling_expiry(
    api: ApiClient, expiry: dict[str, int], earned_at: str, expires_at: str
) -> None:
    make_program(api, expiry={"policy": "rolling", **expiry})
    _earn_at(api, datetime.fromisoformat(earned_at), "ord-1")
    assert _lots()[0][4] == datetime.fromisoformat(expires_at)
    with clock.at(datetime.fromisoformat(earned_at)):
        assert points(api)["expiring"] == [{"points": 10, "expires_at": _z(expires_at)}]


def _z(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_a_rolling_expiry_reset_by_activity_moves_every_active_point(api: ApiClient) -> None:
    make_program(api, expiry={"policy": "rolling", "days": 30, "reset_on_activity": True})
    first = datetime(2026, 3, 1, tzinfo=UTC)
    _earn_at(api, first, "ord-1")
    _earn_at(api, first + timedelta(days=20), "ord-2", total="5.00")
    renewed = first + timedelta(days=50)
    assert [lot[4] for lot in _lots()] == [renewed, renewed]
    # A payment with points is activity too.
    paid_at = first + timedelta(days=40)
    with clock.at(paid_at):
        pay = [{"method": "points", "amount": "1.00", "points": 3}]
        body = order("ord-3", total="1.00", occurred_at=now_iso(), payments=pay)
        assert api.post("/orders", body).status_code == 201
    assert [(lot[1], lot[4]) for lot in _lots()] == [
        (7, paid_at + timedelta(days=30)),
        (5, paid_at + timedelta(days=30)),
    ]
    # Expiring on the renewed date: nothing is due at the first date.
    with clock.at(first + timedelta(days=31)):
        _run("expire_points")
    assert points(api)["active"] == 12


def test_a_rolling_expiry_without_reset_keeps_each_lot_date(api: ApiClient) -> None:
    make_program(api, expiry={"policy": "rolling", "days": 30, "reset_on_activity": False})
    first = datetime(2026, 3, 1, tzinfo=UTC)
    _earn_at(api, first, "ord-1")
    _earn_at(api, first + timedelta(days=20), "ord-2", total="5.00")
    assert [lot[4] for lot in _lots()] == [first + timedelta(days=30), first + timedelta(days=50)]
    with clock.at(first + timedelta(days=30, seconds=1)):
        _run("expire_points")
    assert (points(api)["active"], points(api)["expired"]) == (5, 10)


@pytest.mark.parametrize(
    ("period", "after", "earned_at", "expires_at"),
    [
        # 1 April 01:00 in Tokyo is still 31 March in UTC: the month is Tokyo's.
        ("month", 0, "2026-03-31T16:00:00+00:00", "2026-05-01T00:00:00+09:00"),
        ("month", 2, "2026-03-31T14:00:00+00:00", "2026-06-01T00:00:00+09:00"),
        ("quarter", 0, "2026-03-31T16:00:00+00:00", "2026-07-01T00:00:00+09:00"),
        ("quarter", 1, "2026-02-10T00:00:00+00:00", "2026-07-01T00:00:00+09:00"),
        ("year", 0, "2026-12-31T15:30:00+00:00", "2028-01-01T00:00:00+09:00"),
        ("year", 1, "2026-06-01T00:00:00+00:00", "2028-01-01T00:00:00+09:00"),
    ],
)
def test_a_fixed_expiry_ends_with_a_period_in_the_program_time_zone(
    api: ApiClient, period: str, after: int, earned_at: str, expires_at: str
) -> None:
    make_program(api, expiry={"policy": "fixed", "period": period, "periods_after": after})
    _earn_at(api, datetime.fromisoformat(earned_at), "ord-1")
    assert _lots()[0][4] == datetime.fromisoformat(expires_at)
    entry = transactions(api)[0]
    assert _time(entry["expires_at"]) == datetime.fromisoformat(expires_at)


def test_a_fixed_expiry_in_a_time_zone_with_daylight_saving(api: ApiClient) -> None:
    make_program(
        api,
        timezone="America/Los_Angeles",
        expiry={"policy": "fixed", "period": "month", "periods_after": 0},
    )
    # 2026-03-01 in Los Angeles (PST, -08:00); the month ends in PDT (-07:00).
    _earn_at(api, datetime(2026, 3, 1, 9, 0, tzinfo=UTC), "ord-1")
    assert _lots()[0][4] == datetime(2026, 4, 1, 7, 0, tzinfo=UTC)


# ------------------------------------------------------------------ returns


def _refund(api: ApiClient, amount: str, external_id: str = "ref-1") -> dict[str, Any]:
    response = api.post("/orders/ord-1/refunds", {"external_id": external_id, "amount": amount})
    assert response.status_code == 201, response.data
    return dict(response.data["loyalty"][0])


def test_returns_with_clawback_take_back_earned_points_pro_rata(api: ApiClient) -> None:
    make_program(api)
    api.post("/orders", order())
    effect = _refund(api, "15.50")
    assert (effect["points_clawed_back"], effect["balance"]) == (16, 15)  # 15.5 half up
    effect = _refund(api, "15.50", "ref-2")
    assert (effect["points_clawed_back"], effect["balance"]) == (15, 0)
    assert points(api)["lifetime_earned"] == 0


def test_returns_without_clawback_keep_the_earned_points(api: ApiClient) -> None:
    make_program(api, returns={"clawback": False, "allow_negative": False})
    api.post("/orders", order())
    effect = _refund(api, "31.00")
    assert (effect["points_clawed_back"], effect["balance"]) == (0, 31)
    assert [e["type"] for e in transactions(api)] == ["earn"]


@pytest.mark.parametrize(("allow_negative", "balance"), [(False, 0), (True, -21)])
def test_a_clawback_of_spent_points_goes_negative_only_where_allowed(
    api: ApiClient, allow_negative: bool, balance: int
) -> None:
    make_program(api, returns={"clawback": True, "allow_negative": allow_negative})
    api.post("/orders", order())
    spend = {"points": -21, "reason": "Redeemed at the counter"}
    assert api.post("/customers/cust-1/loyalty/tea-club/adjustments", spend).status_code == 201
    effect = _refund(api, "31.00")
    assert effect["balance"] == balance
    assert effect["points_clawed_back"] == (31 if allow_negative else 10)
    assert points(api)["active"] == balance
    # A later earning repays the debt first.
    api.post("/orders", order("ord-2", total="30.00"))
    assert points(api)["active"] == balance + 30
