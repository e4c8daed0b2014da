"""Each customer's referral code: made on first read, the same on every read after, drawn
from the unambiguous charset; the program named or the only active one."""

import pytest

from conftest import ApiClient
from kizuna.referrals.models import ReferralCode
from kizuna.referrals.tests.support import code_of, make_customer, setup, state
from kizuna.vouchers.services.codes import DEFAULT_CHARSET

pytestmark = pytest.mark.django_db


def test_the_code_is_made_once_and_read_after(api: ApiClient) -> None:
    setup(api)
    make_customer(api, "ann")
    response = api.get("/customers/ann/referral-code")
    assert response.status_code == 200, response.data
    code = response.data["code"]
    assert response.data["program_id"] == "friends"
    assert response.data["customer_id"] == "ann"
    assert code.startswith("FRIEND-")
    drawn = code.removeprefix("FRIEND-")
    assert len(drawn) == 8
    assert set(drawn) <= set(DEFAULT_CHARSET)
    before = state()
    assert api.get("/customers/ann/referral-code?program_id=friends").data["code"] == code
    assert state() == before
    assert ReferralCode.objects.count() == 1


def test_customers_get_codes_of_their_own(api: ApiClient) -> None:
    setup(api)
    make_customer(api, "ann")
    make_customer(api, "bob")
    assert code_of(api, "ann") != code_of(api, "bob")


def test_a_program_must_be_named_when_several_are_active(api: ApiClient) -> None:
    setup(api)
    second = {"id": "vip", "name": "VIP", "conversion": {"type": "event", "event": "joined"}}
    assert api.post("/referral-programs", second).status_code == 201
    make_customer(api, "ann")
    before = state()
    response = api.get("/customers/ann/referral-code")
    assert response.status_code == 422
    assert (response.data["code"], response.data["field"]) == (
        "referral_program_required",
        "program_id",
    )
    assert state() == before
    assert code_of(api, "ann", program_id="vip") != code_of(api, "ann", program_id="friends")


def test_a_paused_or_unknown_program_makes_no_code(api: ApiClient) -> None:
    setup(api, status="paused")
    make_customer(api, "ann")
    before = state()
    response = api.get("/customers/ann/referral-code?program_id=friends")
    assert response.status_code == 422
    assert response.data["code"] == "referral_program_not_active"
    response = api.get("/customers/ann/referral-code")
    assert response.status_code == 422
    assert response.data["code"] == "referral_program_required"
    response = api.get("/customers/ann/referral-code?program_id=nope")
    assert response.status_code == 404
    assert response.data["code"] == "referral_program_not_found"
    assert state() == before


def test_unknown_customers_and_other_workspaces_get_404(
    api: ApiClient, other_api: ApiClient
) -> None:
    setup(api)
    make_customer(api, "ann")
    before = state()
    response = api.get("/customers/nobody/referral-code")
    assert response.status_code == 404
    assert response.data["code"] == "customer_not_found"
    assert other_api.get("/customers/ann/referral-code?program_id=friends").status_code == 404
    assert other_api.get("/customers/ann/referrals").status_code == 404
    assert state() == before


def test_an_erased_customer_gets_no_code(api: ApiClient) -> None:
    setup(api)
    make_customer(api, "ann")
    assert api.post("/customers/ann/erase").status_code == 200
    before = state()
    response = api.get("/customers/ann/referral-code")
    # Its external id went with its personal data: it is no customer any more.
    assert response.status_code == 404
    assert response.data["code"] == "customer_not_found"
    assert state() == before


def test_codes_and_referrals_are_in_the_data_export(api: ApiClient) -> None:
    setup(api)
    make_customer(api, "ann")
    make_customer(api, "bob")
    code = code_of(api, "ann")
    referral = api.post("/referrals", {"code": code, "customer_id": "bob"}).data
    export = api.get("/customers/ann/data-export").data
    assert [c["code"] for c in export["referral_codes"]] == [code]
    assert export["referrals"] == [referral]
    assert api.get("/customers/bob/data-export").data["referrals"] == [referral]
