"""Orders that earn points, served as production serves them, beside the same writes as raw
SQL; then the loyalty reads and the nightly expiry at scale. PostgreSQL only.

    python bench/earn.py [--orders 1200] [--concurrency 1,4,8] [--workers 4]
                         [--members 1000000] [--entries-per-member 10] [--repeat 300]

1. `POST /api/v1/orders` through gunicorn, in a live program with two earning rules (a point
   per dollar; 20 more over 30.00), three tiers and a milestone, at each concurrency level,
   p50 and p99; in the same run the same rows written as raw SQL through psycopg (the order's
   writes as in `api_orders.py`, then the account lock, an entry, a lot and a timeline row per
   rule, the event, the milestone's hit and reads), printed as a ratio.
2. `--members` accounts with `--entries-per-member` ledger entries each (an earn, then
   spends with their allocations), generated inside PostgreSQL; then `GET
   /customers/{id}/loyalty` and a page of transactions for random members, p50 and p99.
3. Every member's lot made due, and `manage.py expire_points` timed: one expiry entry, one
   allocation, one timeline row and one event per member.

A scratch database `kizuna_bench_earn` is created and dropped (BENCH_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/postgres)."""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from _serving import (
    ROOT,
    create_bench_workspace,
    environment,
    in_parallel,
    pct,
    request,
    scratch_postgres,
    served,
)
from api_orders import CUSTOMERS, RawWriter, order_body

SCRATCH = "kizuna_bench_earn"
PROGRAM = {
    "id": "club",
    "name": "Club",
    "currency": "USD",
    "timezone": "Asia/Tokyo",
    "status": "active",
    "expiry": {"policy": "rolling", "months": 12, "reset_on_activity": False},
}
RULES = [
    {
        "id": "per-dollar",
        "name": "A point per dollar",
        "trigger": {"type": "order_paid"},
        "effect": {"type": "proportional", "points": 1, "per": "1.00", "base": "total"},
    },
    {
        "id": "big-basket",
        "name": "20 more over 30.00",
        "trigger": {"type": "order_paid"},
        "condition": {"field": "order.total", "op": "gte", "value": "30.00"},
        "effect": {"type": "fixed", "points": 20},
    },
]
TIERS = [
    ("silver", 1, 200),
    ("gold", 2, 2000),
    ("platinum", 3, 20000),
]
MILESTONE = {
    "id": "regular",
    "name": "Five orders in 30 days",
    "points": 50,
    "goal": {"type": "count", "trigger": {"type": "order_paid"}, "target": 5, "within": "30d"},
    "repeat": "per_period",
}


def set_up_program(port: int, key: str) -> None:
    def post(path: str, body: dict[str, Any]) -> None:
        status, content = request(port, "POST", f"/api/v1{path}", body, key)
        assert status == 201, content

    post("/programs", PROGRAM)
    for rule in RULES:
        post("/programs/club/earning-rules", rule)
    for tier, rank, threshold in TIERS:
        qualify = {"metric": "points_earned", "threshold": threshold, "window": "calendar_year"}
        post("/programs/club/tiers", {"id": tier, "name": tier, "rank": rank, "qualify": qualify})
    post("/programs/club/milestones", MILESTONE)


# ------------------------------------------------------------------ earning orders


def _post_orders(client: int, count: int, arg: Any) -> list[float]:
    port, key, tag = arg
    latencies = []
    for i in range(count):
        external_id = f"{tag}-{client}-{i}"
        body = order_body(external_id, f"cust-{(client * 7919 + i) % CUSTOMERS}")
        t0 = time.perf_counter()
        status, content = request(port, "POST", "/api/v1/orders", body, key, external_id)
        latencies.append((time.perf_counter() - t0) * 1000)
        if status != 201 or json.loads(content)["loyalty"][0]["points_earned"] < 51:
            raise RuntimeError(f"{status}: {content[:400]!r}")
    return latencies


class RawEarner(RawWriter):
    """The order's statements, then what earning adds to the same transaction."""

    def __init__(self, workspace_id: int, program_id: int, milestone_id: int) -> None:
        super().__init__("postgresql", workspace_id)
        self.program_id = program_id
        self.milestone_id = milestone_id

    def after_order(self, cursor: Any, customer_id: int, external_id: str, now: Any) -> None:
        ws = self.workspace_id
        cursor.execute(
            "SELECT id, key, currency, updated_at FROM loyalty_program "
            "WHERE workspace_id = %s AND status = 'active' ORDER BY id",
            [ws],
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT a.id, a.active FROM loyalty_account a LEFT JOIN loyalty_tier t "
            "ON t.id = a.tier_id WHERE a.program_id = %s AND a.customer_id = %s "
            "FOR UPDATE OF a",
            [self.program_id, customer_id],
        )
        account_id, active = cursor.fetchone()
        for rule, points in (("big-basket", 20), ("per-dollar", 31)):
            active += points
            cursor.execute(
                "UPDATE loyalty_account SET active = active + %s, "
                "lifetime_earned = lifetime_earned + %s, last_activity_at = %s WHERE id = %s",
                [points, points, now, account_id],
            )
            cursor.execute(
                "INSERT INTO loyalty_ledgerentry (workspace_id, account_id, type, points, "
                "pending_points, balance_after, reason, source_type, source_id, rule_key, "
                "expires_at, occurred_at, created_at) VALUES (%s, %s, 'earn', %s, 0, %s, %s, "
                "'order', %s, %s, %s, %s, %s) RETURNING id",
                [ws, account_id, points, active, rule, external_id, rule, now, now, now],
            )
            entry_id = cursor.fetchone()[0]
            summary = {
                "program_id": "club",
                "type": "earn",
                "points": points,
                "balance": active,
                "reason": rule,
            }
            cursor.execute(
                "INSERT INTO customers_timelineentry (workspace_id, customer_id, kind, "
                "object_id, occurred_at, summary, created_at) "
                "VALUES (%s, %s, 'points', %s, %s, %s, %s)",
                [ws, customer_id, str(entry_id), now, json.dumps(summary), now],
            )
            cursor.execute(
                "INSERT INTO loyalty_pointlot (workspace_id, account_id, entry_id, amount, "
                "remaining, pending, activates_at, expires_at, source_type, source_id, "
                "created_at) VALUES (%s, %s, %s, %s, %s, false, NULL, %s, 'order', %s, %s)",
                [ws, account_id, entry_id, points, points, now, external_id, now],
            )
        payload = {"program_id": "club", "customer_id": "c", "points": 51, "balance": active}
        cursor.execute(
            "INSERT INTO core_outboxevent (id, workspace_id, type, payload, occurred_at, "
            "attempts, last_error, next_attempt_at) "
            "VALUES (%s, %s, 'loyalty.points_earned', %s, %s, 0, '', %s)",
            [uuid.uuid4(), ws, json.dumps(payload), now, now],
        )
        cursor.execute(
            "INSERT INTO loyalty_milestonehit (workspace_id, account_id, milestone_id, "
            "source_type, source_id, occurred_at) VALUES (%s, %s, %s, 'order', %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [ws, account_id, self.milestone_id, external_id, now],
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT occurred_at FROM loyalty_milestonehit WHERE account_id = %s "
            "AND milestone_id = %s ORDER BY 1",
            [account_id, self.milestone_id],
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT id, period FROM loyalty_milestoneaward WHERE account_id = %s "
            "AND milestone_id = %s",
            [account_id, self.milestone_id],
        )
        cursor.fetchall()


def _raw_orders(client: int, count: int, arg: Any) -> list[float]:
    database, ids, tag = arg
    writer = RawEarner(*ids)
    connection = psycopg.connect(database)
    latencies = []
    for i in range(count):
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            writer.write(cursor, f"{tag}-{client}-{i}", f"cust-{(client * 7919 + i) % CUSTOMERS}")
        connection.commit()
        latencies.append((time.perf_counter() - t0) * 1000)
    connection.close()
    return latencies


def _ids(url: str) -> tuple[int, int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT w.id, p.id, m.id FROM core_workspace w JOIN loyalty_program p "
            "ON p.workspace_id = w.id JOIN loyalty_milestone m ON m.program_id = p.id "
            "WHERE w.slug = 'bench'"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def bench_earning(url: str, key: str, args: argparse.Namespace) -> None:
    with served(url, args.workers, key) as port:
        for i in range(CUSTOMERS):  # every customer a member with an order behind them
            status, content = request(
                port, "POST", "/api/v1/orders", order_body(f"warm-{i}", f"cust-{i}"), key
            )
            assert status == 201, content
        ids = _ids(url)
        print(
            f"\nearning orders: gunicorn, {args.workers} sync workers; {args.orders} orders a "
            "level; 2 rules, 3 tiers, 1 milestone"
        )
        print(
            f"{'clients':>8} {'served/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'raw/s':>7} "
            f"{'raw p99':>8} {'ratio':>6}"
        )
        for clients in args.concurrency:
            rate, latencies = in_parallel(
                clients, args.orders, _post_orders, (port, key, f"s{clients}")
            )
            raw_rate, raw_latencies = in_parallel(
                clients, args.orders, _raw_orders, (url, ids, f"r{clients}")
            )
            print(
                f"{clients:>8} {rate:>9.0f} {statistics.median(latencies):>7.1f} "
                f"{pct(latencies, 0.99):>7.1f} {raw_rate:>7.0f} {pct(raw_latencies, 0.99):>8.1f} "
                f"{rate / raw_rate:>6.0%}"
            )


# ------------------------------------------------------------------ scale


def load_members(url: str, members: int, per_member: int) -> None:
    """`members` customers, each a member with an earn of 1,000 points (one lot) and
    `per_member - 1` spends of 10 with their allocations: a ledger that verify_ledger
    accepts, generated by PostgreSQL itself."""
    workspace_id, program_id, _ = _ids(url)
    spends = per_member - 1
    active = 1000 - 10 * spends
    start = datetime(2026, 1, 1, tzinfo=UTC)
    steps = [
        (
            "customers",
            "INSERT INTO customers_customer (workspace_id, external_id, email, phone, first_name, "
            "last_name, locale, timezone, attributes, created_at, updated_at) "
            "SELECT %(ws)s, 'm-' || lpad(i::text, 7, '0'), 'm' || i || '@example.com', '', "
            "'Member', 'Bench', 'en', 'UTC', '{}', %(start)s, %(start)s "
            "FROM generate_series(0, %(n)s - 1) i",
        ),
        (
            "accounts",
            "INSERT INTO loyalty_account (workspace_id, program_id, customer_id, enrolled_at, "
            "active, pending, lifetime_earned, spent, expired, allow_negative, tier_id, "
            "tier_since, tier_until, last_activity_at) "
            "SELECT %(ws)s, %(program)s, c.id, %(start)s, %(active)s, 0, 1000, "
            "%(spent)s, 0, false, NULL, NULL, NULL, %(start)s "
            "FROM customers_customer c WHERE c.workspace_id = %(ws)s "
            "AND c.external_id LIKE 'm-%%'",
        ),
        (
            "ledger entries",
            "INSERT INTO loyalty_ledgerentry (workspace_id, account_id, type, points, "
            "pending_points, balance_after, reason, source_type, source_id, rule_key, "
            "expires_at, occurred_at, created_at) "
            "SELECT %(ws)s, a.id, CASE WHEN k = 0 THEN 'earn' ELSE 'spend' END, "
            "CASE WHEN k = 0 THEN 1000 ELSE -10 END, 0, 1000 - 10 * k, 'bench', "
            "'order', 'b-' || a.id || '-' || k, CASE WHEN k = 0 THEN 'per-dollar' ELSE '' END, "
            "NULL, %(start)s + k * interval '1 day', %(start)s + k * interval '1 day' "
            "FROM loyalty_account a CROSS JOIN generate_series(0, %(spends)s) k "
            "WHERE a.program_id = %(program)s AND a.enrolled_at = %(start)s",
        ),
        (
            "lots",
            "INSERT INTO loyalty_pointlot (workspace_id, account_id, entry_id, amount, remaining, "
            "pending, activates_at, expires_at, source_type, source_id, created_at) "
            "SELECT %(ws)s, e.account_id, e.id, 1000, %(active)s, false, NULL, "
            "now() + interval '30 days', 'order', e.source_id, e.created_at "
            "FROM loyalty_ledgerentry e JOIN loyalty_account a ON a.id = e.account_id "
            "WHERE a.program_id = %(program)s AND a.enrolled_at = %(start)s AND e.type = 'earn'",
        ),
        (
            "allocations",
            "INSERT INTO loyalty_lotallocation (entry_id, lot_id, points) "
            "SELECT e.id, l.id, 10 FROM loyalty_ledgerentry e "
            "JOIN loyalty_pointlot l ON l.account_id = e.account_id "
            "JOIN loyalty_account a ON a.id = e.account_id "
            "WHERE a.program_id = %(program)s AND a.enrolled_at = %(start)s "
            "AND e.type = 'spend'",
        ),
    ]
    params = {
        "ws": workspace_id,
        "program": program_id,
        "n": members,
        "start": start,
        "active": active,
        "spent": 10 * spends,
        "spends": spends,
    }
    with psycopg.connect(url, autocommit=True) as conn:
        for label, sql in steps:
            t0 = time.perf_counter()
            count = conn.execute(sql, params).rowcount
            # Fresh statistics before the next step joins what this one wrote: without them
            # PostgreSQL plans the join of 10,000,000 new rows as if the tables were empty.
            conn.execute("ANALYZE")
            print(f"  {label}: {count:,} rows in {time.perf_counter() - t0:.0f} s", flush=True)
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        print(f"  vacuum analyze: {time.perf_counter() - t0:.0f} s", flush=True)


def _timed_gets(port: int, key: str, paths: list[str]) -> tuple[float, float]:
    latencies = []
    for path in paths:
        t0 = time.perf_counter()
        status, content = request(port, "GET", path, None, key)
        latencies.append((time.perf_counter() - t0) * 1000)
        assert status == 200, content
    latencies.sort()
    return statistics.median(latencies), pct(latencies, 0.99)


def bench_scale(url: str, key: str, args: argparse.Namespace) -> None:
    entries = args.members * args.entries_per_member
    print(f"\nscale: {args.members:,} members, {entries:,} ledger entries, {args.members:,} lots")
    started = time.perf_counter()
    load_members(url, args.members, args.entries_per_member)
    print(f"  loaded in {time.perf_counter() - started:.0f} s")
    rng = random.Random(7)
    members = [f"m-{rng.randrange(args.members):07d}" for _ in range(args.repeat)]
    with served(url, args.workers, key) as port:
        _timed_gets(port, key, [f"/api/v1/customers/{m}/loyalty" for m in members[:50]])
        print(f"{'request':>44} {'p50 ms':>7} {'p99 ms':>7}")
        for label, template in (
            ("GET /customers/{id}/loyalty", "/api/v1/customers/{m}/loyalty"),
            (
                "GET .../loyalty/club/transactions?limit=50",
                "/api/v1/customers/{m}/loyalty/club/transactions?limit=50",
            ),
        ):
            p50, p99 = _timed_gets(port, key, [template.format(m=m) for m in members])
            print(f"{label:>44} {p50:>7.1f} {p99:>7.1f}")
    with psycopg.connect(url, autocommit=True) as conn:
        due = conn.execute(
            "UPDATE loyalty_pointlot SET expires_at = now() - interval '1 second' "
            "WHERE remaining > 0"
        ).rowcount
        conn.execute("VACUUM ANALYZE loyalty_pointlot")
    t0 = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "expire_points"],
        cwd=ROOT,
        env=environment(url),
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - t0
    print(f"\nnightly expiry: {due:,} due lots; {result.stdout.strip()} in {elapsed:.1f} s")
    sample = ",".join(str(i) for i in range(1, args.members, max(1, args.members // 200)))
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_ledger", "--accounts", sample],
        cwd=ROOT,
        env=environment(url),
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"verify_ledger on a sample of accounts: exit {verify.returncode}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1200, help="orders per concurrency level")
    parser.add_argument("--concurrency", default="1,4,8")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--entries-per-member", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=300, help="reads per kind of request")
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    print(f"{os.cpu_count()} CPU cores; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with scratch_postgres(SCRATCH) as url:
        key = create_bench_workspace(url)
        with served(url, 1, key) as port:
            set_up_program(port, key)
        if args.orders:
            bench_earning(url, key, args)
        if args.members:
            bench_scale(url, key, args)


if __name__ == "__main__":
    main()
