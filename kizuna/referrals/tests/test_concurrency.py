"""Races on PostgreSQL, real requests at the same moment, one connection each: a referral
converts once however many paid orders of the referee arrive together; a customer's first
reads make one code; caps hold under concurrent attributions; a referee is attributed once."""

from typing import Any

from conftest import ApiClient, postgres_only, sample_order, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.loyalty.models import LedgerEntry
from kizuna.referrals.models import Referral, ReferralCode
from kizuna.referrals.tests.support import code_of, make_customer, refer, setup
from kizuna.vouchers.models import Voucher


def _bodies(*orders: tuple[str, str]) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("POST", "/orders", sample_order(external_id=external_id, customer_id=customer))
        for external_id, customer in orders
    ]


@postgres_only
def test_concurrent_paid_orders_of_the_referee_convert_once(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    setup(api)
    make_customer(api, "ann")
    make_customer(api, "bob")
    assert refer(api, code_of(api, "ann"), "bob").data["status"] == "pending"
    responses = send_together(workspace.server_key, _bodies(*[(f"o-{n}", "bob") for n in range(6)]))
    assert [r.status_code for r in responses] == [201] * 6
    referral = Referral.objects.get()
    assert referral.status == "converted"
    assert referral.conversion_id in {f"o-{n}" for n in range(6)}
    assert LedgerEntry.objects.filter(source_type="referral").count() == 1
    assert Voucher.objects.filter(customer__external_id="bob").count() == 1


@postgres_only
def test_concurrent_first_reads_make_one_code(api: ApiClient, workspace: NewWorkspace) -> None:
    setup(api)
    make_customer(api, "ann")
    responses = send_together(
        workspace.server_key, [("GET", "/customers/ann/referral-code", None)] * 6
    )
    assert [r.status_code for r in responses] == [200] * 6
    assert len({r.json()["code"] for r in responses}) == 1
    assert ReferralCode.objects.count() == 1


@postgres_only
def test_concurrent_attributions_keep_the_cap(api: ApiClient, workspace: NewWorkspace) -> None:
    setup(api, caps=[{"period": "all_time", "times": 2}])
    make_customer(api, "ann")
    code = code_of(api, "ann")
    names = [f"c{n}" for n in range(6)]
    for name in names:
        make_customer(api, name)
    responses = send_together(
        workspace.server_key,
        [("POST", "/referrals", {"code": code, "customer_id": name}) for name in names],
    )
    assert [r.status_code for r in responses] == [201] * 6
    outcomes = sorted((r.json()["status"], r.json()["reason"]) for r in responses)
    assert outcomes == [("pending", None)] * 2 + [("rejected", "cap_reached")] * 4


@postgres_only
def test_a_referee_is_attributed_once_under_concurrent_codes(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    setup(api)
    referrers = [f"r{n}" for n in range(4)]
    for name in [*referrers, "bob"]:
        make_customer(api, name)
    codes = [code_of(api, name) for name in referrers]
    responses = send_together(
        workspace.server_key,
        [("POST", "/referrals", {"code": code, "customer_id": "bob"}) for code in codes],
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert Referral.objects.filter(status="pending").count() == 1
