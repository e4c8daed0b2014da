"""Races on PostgreSQL, real threads each with its own database connection, released
together: concurrent spends of one gift card never overdraw it, and concurrent generations
for one campaign never store a code twice."""

import threading
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import connection

from conftest import ApiClient, postgres_only
from kizuna.accounts.services import NewWorkspace
from kizuna.core.errors import KizunaError
from kizuna.vouchers.models import CodeGeneration, GiftCard, GiftCardEntry, Voucher
from kizuna.vouchers.services import balances, generation
from kizuna.vouchers.services.verify import verify_gift_cards
from kizuna.vouchers.tests.support import make_campaign


def _at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs at the same moment, one thread and database connection each; each
    result is the job's return value or the KizunaError it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except KizunaError as exc:
            results[index] = exc
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a job hung"
    assert not errors, errors
    return results


@postgres_only
def test_twenty_five_concurrent_spends_never_overdraw(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    response = api.post("/gift-cards", {"code": "GIFT-1", "amount": "100.00", "currency": "USD"})
    assert response.status_code == 201
    ws = workspace.workspace
    # 25 spends of 7.00 against 100.00: floor(100 / 7) = 14 fit.
    results = _at_once(
        [
            partial(
                balances.spend,
                ws,
                "GIFT-1",
                "7.00",
                currency="USD",
                source=balances.Source("order", f"o{i}"),
            )
            for i in range(25)
        ]
    )

    taken = [r for r in results if not isinstance(r, KizunaError)]
    refused = [r for r in results if isinstance(r, KizunaError)]
    assert (len(taken), len(refused)) == (14, 11)
    assert {(e.code, e.field) for e in refused} == {("insufficient_balance", "amount")}
    assert sorted(e.balance_after for e in taken) == [
        Decimal(100 - 7 * n) for n in range(14, 0, -1)
    ]
    card = GiftCard.objects.get()
    assert card.balance == Decimal("2.00")
    assert GiftCardEntry.objects.filter(type="spend").count() == 14
    assert verify_gift_cards() == []


@postgres_only
def test_the_same_source_spending_at_once_spends_once(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    api.post("/gift-cards", {"code": "GIFT-1", "amount": "100.00", "currency": "USD"})
    ws = workspace.workspace
    source = balances.Source("redemption", "r-1")
    results = _at_once(
        [lambda: balances.spend(ws, "GIFT-1", "10.00", currency="USD", source=source)] * 10
    )
    assert len({entry.pk for entry in results}) == 1
    assert GiftCard.objects.get().balance == Decimal("90.00")


@postgres_only
def test_generations_running_at_once_never_store_a_code_twice(api: ApiClient) -> None:
    # 2 characters in 10 places: 1,024 codes; two runs of 40 draw overlapping codes
    # often enough that the unique index has to decide.
    make_campaign(api, code={"charset": "AB", "length": 10})
    ids = [
        int(api.post("/voucher-campaigns/summer/codes", {"count": 40}).data["id"]) for _ in range(2)
    ]
    _at_once([partial(generation.run_generation, g, batch_size=10) for g in ids])
    assert set(CodeGeneration.objects.values_list("status", "created")) == {("completed", 40)}
    codes = list(Voucher.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 80
