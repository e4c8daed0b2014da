"""`manage.py verify_ledger`: exit 0 on a consistent ledger; non-zero, naming each account
that differs, when a cached balance or a lot was changed behind the ledger's back (raw SQL
here, as a stray script or a bad migration would)."""

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from conftest import ApiClient, postgres_only
from kizuna.core import clock
from kizuna.loyalty.models import Account, PointLot
from kizuna.loyalty.services import expiry
from kizuna.loyalty.tests.support import make_program, order, points

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
ALL_TYPES_OK = "The ledger and every balance agree."


def _ok(response: object, status: int = 201) -> None:
    assert response.status_code == status, response.data  # type: ignore[attr-defined]


def busy_ledger(api: ApiClient) -> dict[str, Account]:
    """Two members in three programs with every kind of entry: earned, pending, spent, taken
    back by a refund and a cancellation, given back, adjusted, expired; and a negative
    balance where the program allows it."""
    make_program(api, expiry={"policy": "rolling", "days": 30, "reset_on_activity": False})
    make_program(api, id="waiting", pending={"days": 14})
    make_program(api, id="debt", returns={"clawback": True, "allow_negative": True})
    start = clock.now()
    with clock.at(start):
        _ok(api.post("/orders", order("ord-1", total="100.00")))
        _ok(api.post("/orders", order("ord-2", total="30.00", customer_id="cust-2")))
        tea = {"method": "points", "amount": "10.00", "points": 40, "program_id": "tea-club"}
        paid = order("ord-3", total="50.00", payments=[tea, {"method": "card", "amount": "40.00"}])
        _ok(api.post("/orders", paid))
        debt = {"method": "points", "amount": "10.00", "points": 100, "program_id": "debt"}
        _ok(api.post("/orders", order("ord-4", total="10.00", payments=[debt])))
        _ok(api.post("/orders/ord-3/refunds", {"external_id": "ref-1", "amount": "12.50"}))
        _ok(api.post("/orders/ord-1/status", {"status": "cancelled"}), 200)
        adjust = {"points": 9, "reason": "sorry"}
        _ok(api.post("/customers/cust-2/loyalty/tea-club/adjustments", adjust))
    with clock.at(start + timedelta(days=31)):
        assert expiry.expire_due() > 0
    accounts = {
        f"{a.program.key}/{a.customer.external_id}": a
        for a in Account.objects.select_related("program", "customer")
    }
    assert len(accounts) == 6
    assert points(api, "cust-1", "debt")["active"] == -70, "140 earned, 100 spent, 100 taken"
    assert points(api, "cust-1", "waiting")["pending"] == 30
    assert points(api, "cust-2", "waiting")["pending"] == 30
    assert points(api, "cust-2", "tea-club")["expired"] == 39
    return accounts


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_ledger", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing(*args: str) -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=r"difference\(s\) between the ledger"):
        call_command("verify_ledger", *args, stdout=out, stderr=err)
    return err.getvalue().splitlines()


def sql(statement: str, params: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_consistent_ledger_passes(api: ApiClient) -> None:
    busy_ledger(api)
    out, err = run()
    assert out.strip() == ALL_TYPES_OK
    assert err == ""


@pytest.mark.parametrize("column", ["active", "pending", "lifetime_earned", "spent", "expired"])
def test_a_tampered_cached_balance_is_named(api: ApiClient, column: str) -> None:
    accounts = busy_ledger(api)
    target = accounts["waiting/cust-2"]
    before = getattr(target, column)
    sql(f"UPDATE loyalty_account SET {column} = {column} + 7 WHERE id = %s", [target.pk])
    lines = failing()
    assert (
        f"account {target.pk} (waiting/cust-2): {column} is {before + 7}, the ledger says {before}"
        in lines
    )
    assert all(line.startswith(f"account {target.pk} (waiting/cust-2): ") for line in lines), lines


LOT_TOOK = "lot {lot} has {left} left of {amount}, its allocations took {taken}"
PENDING_HELD = "pending lots hold {held}, the pending balance is {pending}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # Fewer points left than the allocations say (and than the balance).
        ("remaining = remaining - 1", LOT_TOOK.replace("{left}", "{r1}")),
        # A bigger lot than the entry that made it: its allocations no longer explain it.
        ("amount = amount + 5", LOT_TOOK.replace("{amount}", "{a5}").replace("{left}", "{r}")),
        # Points added to a lot and its amount alike: the lots no longer hold the balance.
        ("amount = amount + 5, remaining = remaining + 5", PENDING_HELD.replace("{held}", "{p5}")),
        ("pending = NOT pending", PENDING_HELD.replace("{held}", "0")),
    ],
    ids=["remaining", "amount", "both", "pending-flag"],
)
def test_a_tampered_lot_is_named(api: ApiClient, change: str, message: str) -> None:
    accounts = busy_ledger(api)
    target = accounts["waiting/cust-1"]
    lot = PointLot.objects.filter(account=target, remaining__gt=0).order_by("pk").first()
    assert lot is not None
    taken = lot.amount - lot.remaining
    sql(f"UPDATE loyalty_pointlot SET {change} WHERE id = %s", [lot.pk])
    lines = failing()
    expected = message.format(
        lot=lot.pk,
        r1=lot.remaining - 1,
        r=lot.remaining,
        amount=lot.amount,
        a5=lot.amount + 5,
        taken=taken,
        pending=target.pending,
        p5=target.pending + 5,
    )
    assert any(expected in line for line in lines), lines
    assert all(line.startswith(f"account {target.pk} (waiting/cust-1): ") for line in lines), lines


def test_the_accounts_option_checks_only_those_named(api: ApiClient) -> None:
    accounts = busy_ledger(api)
    bad, good = accounts["tea-club/cust-1"], accounts["tea-club/cust-2"]
    other_bad = accounts["debt/cust-1"]
    sql("UPDATE loyalty_account SET spent = spent + 1 WHERE id IN (%s, %s)", [bad.pk, other_bad.pk])
    out, _ = run(f"--accounts={good.pk}")
    assert out.strip() == ALL_TYPES_OK
    lines = failing(f"--accounts={good.pk},{bad.pk}")
    assert lines == [
        f"account {bad.pk} (tea-club/cust-1): spent is {bad.spent + 1}, the ledger says {bad.spent}"
    ]
    every = failing()
    assert {line.split(":")[0] for line in every} == {
        f"account {bad.pk} (tea-club/cust-1)",
        f"account {other_bad.pk} (debt/cust-1)",
    }


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{quote(db['USER'])}"
        + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
        + f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@postgres_only
def test_the_command_in_its_own_process_exits_by_what_it_found(api: ApiClient) -> None:
    accounts = busy_ledger(api)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": _database_url()}

    def command() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "verify_ledger"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    passed = command()
    assert (passed.returncode, passed.stdout.strip()) == (0, ALL_TYPES_OK), passed.stderr
    target = accounts["tea-club/cust-2"]
    sql("UPDATE loyalty_account SET active = active + 3 WHERE id = %s", [target.pk])
    failed = command()
    assert failed.returncode != 0
    assert (
        f"account {target.pk} (tea-club/cust-2): active is {target.active + 3}, "
        f"the ledger says {target.active}"
    ) in failed.stderr
    assert "(tea-club/cust-1)" not in failed.stderr
