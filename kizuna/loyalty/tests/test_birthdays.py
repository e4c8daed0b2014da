"""Birthday points: members only, once a year, on the day the program's time zone counts,
29 February birthdays on 28 February in other years."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from conftest import ApiClient
from kizuna.core import clock
from kizuna.loyalty.models import LedgerEntry
from kizuna.loyalty.services.birthdays import award_due
from kizuna.loyalty.tests.support import make_program, order, points

pytestmark = pytest.mark.django_db

BIRTHDAY = {
    "id": "birthday",
    "name": "Happy birthday",
    "trigger": {"type": "birthday"},
    "effect": {"type": "fixed", "points": 100},
}
# 15:30 UTC on 9 March 2027 is already 10 March in Tokyo, the program's time zone.
MOMENT = datetime(2027, 3, 9, 15, 30, tzinfo=UTC)


def _member(api: ApiClient, customer_id: str, birthdate: str) -> None:
    assert api.put(f"/customers/{customer_id}", {"birthdate": birthdate}).status_code in (200, 201)
    assert (
        api.post("/orders", order(f"o-{customer_id}", customer_id, total="1.00")).status_code == 201
    )


def test_members_earn_once_on_their_birthday_in_the_program_time_zone(api: ApiClient) -> None:
    make_program(api, [BIRTHDAY])
    _member(api, "today", "1990-03-10")
    _member(api, "yesterday-in-utc", "1990-03-09")
    _member(api, "leap", "1992-02-29")
    api.put("/customers/not-a-member", {"birthdate": "1985-03-10"})

    with clock.at(MOMENT):
        assert award_due() == 1
        assert award_due() == 0, "once a year"
        call_command("award_birthdays", stdout=io.StringIO())
    assert points(api, "today")["active"] == 100
    assert points(api, "yesterday-in-utc")["active"] == 0
    assert not api.get("/customers/not-a-member/loyalty").data["data"]
    entry = LedgerEntry.objects.get(source_type="birthday")
    assert (entry.source_id, entry.type, entry.points) == ("2027", "earn", 100)

    with clock.at(datetime(2027, 2, 28, 3, 0, tzinfo=UTC)):
        assert award_due() == 1
    assert points(api, "leap")["active"] == 100
    with clock.at(datetime(2028, 2, 28, 3, 0, tzinfo=UTC)):
        assert award_due() == 0, "in a leap year the 29th comes"
    with clock.at(datetime(2028, 2, 29, 3, 0, tzinfo=UTC)):
        assert award_due() == 1
    assert points(api, "leap")["active"] == 200


def test_a_birthday_rule_with_a_condition_gives_only_where_it_holds(api: ApiClient) -> None:
    rule = {
        **BIRTHDAY,
        "condition": {"field": "customer.orders.count", "op": "gte", "value": 2},
    }
    make_program(api, [rule])
    _member(api, "one-order", "1990-03-10")
    _member(api, "two-orders", "1990-03-10")
    api.post("/orders", order("o-2", "two-orders", total="1.00"))
    with clock.at(MOMENT):
        assert award_due() == 1
        assert award_due() == 0
    assert points(api, "one-order")["active"] == 0
    assert points(api, "two-orders")["active"] == 100
