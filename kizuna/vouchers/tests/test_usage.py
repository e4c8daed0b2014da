"""Uses of codes move by conditional UPDATE: the limits per code and per customer hold, with
holds counted, and concurrent uses on PostgreSQL never pass them."""

import threading
from typing import Any

import pytest
from django.db import connection

from conftest import ApiClient, postgres_only
from kizuna.core.errors import KizunaError
from kizuna.customers.models import Customer
from kizuna.vouchers.errors import CustomerLimitReached, VoucherUsedUp
from kizuna.vouchers.models import Campaign, CampaignCustomerUse, Voucher
from kizuna.vouchers.services import usage
from kizuna.vouchers.tests.support import make_campaign, make_customer


def _code(api: ApiClient, per_code: int | None, per_customer: int | None) -> Voucher:
    make_campaign(api, usage={"per_code": per_code, "per_customer": per_customer})
    campaign = Campaign.objects.get()
    return Voucher.objects.create(
        workspace_id=campaign.workspace_id,
        campaign=campaign,
        code="USE-1",
        max_uses=campaign.per_code,
        source="imported",
    )


def _counts(voucher: Voucher) -> tuple[int, int]:
    voucher.refresh_from_db()
    return voucher.uses, voucher.held


def test_uses_and_holds_stop_at_the_code_limit(api: ApiClient) -> None:
    voucher = _code(api, per_code=2, per_customer=None)
    usage.use(voucher, None)
    usage.hold(voucher, None)
    assert _counts(voucher) == (1, 1)
    with pytest.raises(VoucherUsedUp) as refused:
        usage.use(voucher, None)
    assert (refused.value.code, refused.value.field) == ("voucher_used_up", "code")
    assert usage.release_hold(voucher, None)
    assert not usage.release_hold(voucher, None), "nothing held any more"
    usage.hold(voucher, None)
    assert usage.confirm_hold(voucher, None)
    assert _counts(voucher) == (2, 0)
    assert usage.give_back(voucher, None)
    assert _counts(voucher) == (1, 0)


def test_the_customer_limit_holds_and_a_refusal_changes_nothing(api: ApiClient) -> None:
    make_customer(api, "cust-1")
    customer = Customer.objects.get(external_id="cust-1")
    voucher = _code(api, per_code=None, per_customer=1)
    usage.use(voucher, customer.pk)
    with pytest.raises(CustomerLimitReached) as refused:
        usage.use(voucher, customer.pk)
    assert refused.value.field == "customer_id"
    assert _counts(voucher) == (1, 0), "the code's use was taken back with the refusal"
    assert CampaignCustomerUse.objects.get().uses == 1
    usage.use(voucher, None)  # an anonymous use counts for the code only
    assert _counts(voucher) == (2, 0)


@postgres_only
def test_concurrent_uses_never_pass_the_limit(api: ApiClient) -> None:
    voucher = _code(api, per_code=3, per_customer=None)
    barrier = threading.Barrier(12)
    outcomes: list[Any] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            usage.use(Voucher.objects.select_related("campaign").get(pk=voucher.pk), None)
            outcomes.append("used")
        except KizunaError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["used"] * 3 + ["voucher_used_up"] * 9
    assert _counts(voucher) == (3, 0)
