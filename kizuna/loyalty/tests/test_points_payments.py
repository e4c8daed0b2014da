"""Orders paid with points spend them in the order's own transaction: refused when short,
returned pro rata by a refund and in full by a cancellation."""

import pytest

from conftest import ApiClient
from kizuna.loyalty.tests.support import make_program, order, points, transactions
from kizuna.orders.models import Order

pytestmark = pytest.mark.django_db


def _paid_with_points(external_id: str, spent: int, amount: str = "10.00") -> dict[str, object]:
    return order(
        external_id,
        total="100.00",
        payments=[
            {"method": "points", "amount": amount, "points": spent},
            {"method": "card", "amount": "90.00"},
        ],
    )


def test_an_order_paid_with_points_spends_them_and_earns_on_the_rest(api: ApiClient) -> None:
    make_program(api)
    assert api.post("/orders", order("ord-1", total="200.00")).status_code == 201
    response = api.post("/orders", _paid_with_points("ord-2", 150))
    assert response.status_code == 201, response.data
    effect = response.data["loyalty"][0]
    assert (effect["points_spent"], effect["points_earned"], effect["balance"]) == (150, 90, 140)
    assert response.data["payments"][0] == {
        "method": "points",
        "amount": "10.00",
        "points": 150,
        "program_id": None,
    }
    assert [(t["type"], t["points"]) for t in transactions(api)][-2:] == [
        ("spend", -150),
        ("earn", 90),
    ]


def test_points_beyond_the_balance_refuse_the_whole_order(api: ApiClient) -> None:
    make_program(api)
    api.post("/orders", order("ord-1", total="100.00"))
    response = api.post("/orders", _paid_with_points("ord-2", 101))
    assert response.status_code == 422
    assert (response.data["code"], response.data["field"]) == ("insufficient_points", "payments")
    assert not Order.objects.filter(external_id="ord-2").exists()
    assert points(api)["active"] == 100


def test_a_refund_returns_spent_points_by_value_and_a_cancellation_all(api: ApiClient) -> None:
    make_program(api)
    api.post("/orders", order("ord-1", total="300.00"))
    api.post("/orders", _paid_with_points("ord-2", 200))
    assert points(api)["active"] == 300 - 200 + 90
    refund = api.post("/orders/ord-2/refunds", {"external_id": "ref-1", "amount": "25.00"})
    assert refund.status_code == 201, refund.data
    effect = refund.data["loyalty"][0]
    # A quarter of the order's value: a quarter of the 200 spent comes back, a quarter of the
    # 90 earned goes.
    assert (effect["points_returned"], effect["points_clawed_back"]) == (50, 23)
    cancelled = api.post("/orders/ord-2/status", {"status": "cancelled"})
    assert cancelled.status_code == 200, cancelled.data
    (effect,) = cancelled.data["loyalty"]
    # The order's account of it: all 200 spent came back, all 90 earned were taken back.
    assert (effect["points_spent"], effect["points_returned"]) == (200, 200)
    assert (effect["points_earned"], effect["points_clawed_back"]) == (90, 90)
    assert effect["balance"] == 300
    assert points(api)["active"] == 300


def test_a_points_payment_must_name_its_points_and_a_live_program(api: ApiClient) -> None:
    make_program(api)
    bad = order("ord-1", total="100.00", payments=[{"method": "points", "amount": "1.00"}])
    response = api.post("/orders", bad)
    assert (response.status_code, response.data["field"]) == (422, "payments[0].points")
    unknown = order(
        "ord-1",
        total="100.00",
        payments=[{"method": "points", "amount": "1.00", "points": 5, "program_id": "nope"}],
    )
    response = api.post("/orders", unknown)
    assert (response.status_code, response.data["code"]) == (422, "unknown_program")
    assert response.data["field"] == "payments[0].program_id"
    card = order(
        "ord-1", total="100.00", payments=[{"method": "card", "amount": "1.00", "points": 5}]
    )
    assert api.post("/orders", card).status_code == 422
    assert not Order.objects.exists()


def test_returned_points_repay_a_negative_balance_before_filling_lots(api: ApiClient) -> None:
    from kizuna.loyalty.models import PointLot
    from kizuna.loyalty.services.verify import verify

    make_program(api, returns={"clawback": True, "allow_negative": True})
    api.post("/orders", order("ord-1", total="100.00"))
    spend = order(
        "ord-2", total="90.00", payments=[{"method": "points", "amount": "90.00", "points": 90}]
    )
    assert api.post("/orders", spend).status_code == 201
    assert points(api)["active"] == 10
    # The order the points were earned on is refunded whole: 100 clawed back, 90 of them owed.
    refund = api.post("/orders/ord-1/refunds", {"external_id": "ref-1", "amount": "100.00"})
    assert refund.data["loyalty"][0]["points_clawed_back"] == 100
    assert points(api)["active"] == -90
    assert verify() == []
    # Cancelling the order paid with points gives the 90 back: they repay the debt.
    assert api.post("/orders/ord-2/status", {"status": "cancelled"}).status_code == 200
    assert points(api)["active"] == 0
    assert sum(PointLot.objects.values_list("remaining", flat=True)) == 0
    assert verify() == []
