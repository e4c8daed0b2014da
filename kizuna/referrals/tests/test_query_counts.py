"""How many database queries each referrals operation makes, pinned (kizuna/api/tests/
test_query_counts.py explains the pins; its check that every operation has one reads PINS
from here too). Lists are measured at two sizes and must cost the same."""

import pytest

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.api.tests.test_query_counts import Pin, _count
from kizuna.referrals.tests.support import code_of, make_customer, program_body, refer, setup

pytestmark = pytest.mark.django_db

PINS: list[Pin] = [
    Pin("POST", "/referral-programs", "/referral-programs", 6, lambda: program_body(id="more")),
    Pin("GET", "/referral-programs", "/referral-programs", 1, list_of="program"),
    Pin("GET", "/referral-programs/{program_id}", "/referral-programs/friends", 1),
    Pin(
        "PATCH",
        "/referral-programs/{program_id}",
        "/referral-programs/friends",
        5,
        lambda: {"name": "Bring two friends", "caps": []},
    ),
    Pin("POST", "/referrals", "/referrals", 13, lambda: {"code": _CODE[0], "customer_id": "cat"}),
    Pin(
        "GET",
        "/customers/{customer_id}/referral-code",
        "/customers/cat/referral-code?program_id=friends",
        4,
    ),
    Pin(
        "GET",
        "/customers/{customer_id}/referrals",
        "/customers/ann/referrals",
        2,
        list_of="referral",
    ),
]
_CODE: list[str] = [""]


def _seed(api: ApiClient) -> None:
    setup(api)
    for name in ("ann", "bob", "cat"):
        make_customer(api, name)
    _CODE[0] = code_of(api, "ann")
    assert refer(api, _CODE[0], "bob").status_code == 201


def _seed_more(api: ApiClient) -> None:
    for n in range(4):
        body = program_body(id=f"extra-{n}", status="paused")
        assert api.post("/referral-programs", body).status_code == 201
        make_customer(api, f"more-{n}")
        assert refer(api, _CODE[0], f"more-{n}").status_code == 201
        assert refer(api, code_of(api, f"more-{n}", program_id="friends"), "ann").status_code in (
            200,
            201,
            409,
        )


@pytest.mark.parametrize("pin", PINS, ids=lambda p: f"{p.method} {p.path}")
def test_queries_are_pinned(api: ApiClient, workspace: NewWorkspace, pin: Pin) -> None:
    _seed(api)
    assert _count(api, pin, pin.path) == pin.queries


def test_a_code_read_again_costs_less(api: ApiClient, workspace: NewWorkspace) -> None:
    _seed(api)
    pin = Pin("GET", "", "/customers/ann/referral-code?program_id=friends", 3)
    assert _count(api, pin, pin.path) == pin.queries


@pytest.mark.parametrize("pin", [p for p in PINS if p.list_of], ids=lambda p: p.path)
def test_a_list_costs_the_same_whatever_its_length(
    api: ApiClient, workspace: NewWorkspace, pin: Pin
) -> None:
    _seed(api)
    few = _count(api, pin, pin.path)
    _seed_more(api)
    assert _count(api, pin, pin.path) == few
