"""POST /api/v1/orders served as production serves it (gunicorn workers, PostgreSQL), beside
the rate of the same writes sent as raw SQL through psycopg in the same run; the same on
SQLite; and customer search (`GET /customers?q=`) among 1,000,000 customers on PostgreSQL.

    python bench/api_orders.py [--orders 1200] [--concurrency 1,4,8] [--workers 4]
                               [--database both|postgres|sqlite] [--search-customers 1000000]

Each run uses scratch databases (PostgreSQL `kizuna_bench_orders`, dropped at the end; SQLite
in a temporary folder). PostgreSQL is reached at BENCH_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/postgres. Clients are separate processes, one per
concurrent request; every order has two items and an Idempotency-Key, for one of 500
customers who exist already (a warm-up creates them), as an integrator's steady traffic does.

The raw rate writes, per order and in one transaction, what the service writes: the key's
advisory lock and lookup, the customer row lock, the order (ON CONFLICT DO NOTHING), its two
items, the customer's order statistics, the timeline entry, the outbox event and the stored
response. The ratio says how
much of the database's own rate the whole stack keeps."""

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from _serving import (
    create_bench_workspace,
    in_parallel,
    pct,
    request,
    scratch_postgres,
    served,
)

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = 500
SCRATCH = "kizuna_bench_orders"
WORKSPACE_ID = "SELECT id FROM core_workspace WHERE slug = 'bench'"
ITEMS = [
    {"sku": "TEA-1", "name": "Sencha", "quantity": 2, "unit_price": "10.00"},
    {"sku": "CUP-1", "name": "Cup", "quantity": 1, "unit_price": "10.00"},
]


def order_body(external_id: str, customer: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "customer_id": customer,
        "currency": "USD",
        "total": "31.00",
        "subtotal": "30.00",
        "discount_total": "5.00",
        "shipping_total": "4.00",
        "tax_total": "2.00",
        "items": ITEMS,
    }


def _post_orders(client: int, count: int, arg: Any) -> list[float]:
    port, key, tag = arg
    latencies = []
    for i in range(count):
        external_id = f"{tag}-{client}-{i}"
        body = order_body(external_id, f"cust-{(client * 7919 + i) % CUSTOMERS}")
        t0 = time.perf_counter()
        status, content = request(port, "POST", "/api/v1/orders", body, key, external_id)
        latencies.append((time.perf_counter() - t0) * 1000)
        if status != 201:
            raise RuntimeError(f"{status}: {content[:300]!r}")
    return latencies


class RawWriter:
    """The statements the service sends for one order, without the framework."""

    def __init__(self, vendor: str, workspace_id: int) -> None:
        self.vendor = vendor
        self.workspace_id = workspace_id
        self.ph = "%s" if vendor == "postgresql" else "?"

    def after_order(self, cursor: Any, customer_id: int, external_id: str, now: Any) -> None:
        """What another app writes in the order's transaction (nothing here)."""

    def sql(self, text: str) -> str:
        return text if self.vendor == "postgresql" else text.replace("%s", "?")

    def write(self, cursor: Any, external_id: str, customer: str) -> None:
        now: Any = datetime.now(UTC)
        if self.vendor != "postgresql":
            now = now.isoformat(sep=" ")
        ws = self.workspace_id
        sql = self.sql
        if self.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [hash(external_id) >> 1])
        cursor.execute(
            sql(
                "SELECT id FROM core_idempotencyrecord WHERE workspace_id = %s AND scope = %s "
                "AND key = %s"
            ),
            [ws, "server", external_id],
        )
        cursor.fetchall()
        lock = " FOR NO KEY UPDATE" if self.vendor == "postgresql" else ""
        cursor.execute(
            sql(
                "SELECT id, external_id FROM customers_customer WHERE workspace_id = %s AND "
                f"external_id = %s{lock}"
            ),
            [ws, customer],
        )
        customer_id = cursor.fetchone()[0]
        cursor.execute(
            sql(
                "INSERT INTO orders_order (workspace_id, customer_id, external_id, status, "
                "currency, total, subtotal, discount_total, shipping_total, tax_total, "
                "prices_include_tax, refunded_total, channel, location, metadata, payments, "
                "occurred_at, created_at, updated_at) VALUES (%s, %s, %s, 'paid', 'USD', 31, 30, "
                "5, 4, 2, false, 0, 'online', '', '{}', '[]', %s, %s, %s) "
                "ON CONFLICT DO NOTHING RETURNING id"
            ),
            [ws, customer_id, external_id, now, now, now],
        )
        order_id = cursor.fetchone()[0]
        least, greatest = ("LEAST", "GREATEST") if self.vendor == "postgresql" else ("MIN", "MAX")
        cursor.execute(
            sql(
                "INSERT INTO orders_customerorderstats AS s (customer_id, workspace_id, "
                "orders_count, first_order_at, last_order_at, spend_orders_count, total_spent) "
                "VALUES (%s, %s, 1, %s, %s, 1, 31) ON CONFLICT (customer_id) DO UPDATE SET "
                "orders_count = s.orders_count + 1, "
                f"first_order_at = {least}(s.first_order_at, excluded.first_order_at), "
                f"last_order_at = {greatest}(s.last_order_at, excluded.last_order_at), "
                "spend_orders_count = s.spend_orders_count + 1, "
                "total_spent = s.total_spent + excluded.total_spent"
            ),
            [customer_id, ws, now, now],
        )
        self.after_order(cursor, customer_id, external_id, now)
        cursor.execute(
            sql(
                "INSERT INTO orders_orderitem (order_id, position, sku, name, category, "
                "quantity, unit_price, refunded_quantity) VALUES "
                "(%s, 0, 'TEA-1', 'Sencha', '', 2, 10, 0), (%s, 1, 'CUP-1', 'Cup', '', 1, 10, 0)"
            ),
            [order_id, order_id],
        )
        summary = json.dumps(
            {"status": "paid", "currency": "USD", "total": "31.00", "items": 3, "channel": "online"}
        )
        cursor.execute(
            sql(
                "INSERT INTO customers_timelineentry (workspace_id, customer_id, kind, object_id, "
                "occurred_at, summary, created_at) VALUES (%s, %s, 'order', %s, %s, %s, %s)"
            ),
            [ws, customer_id, external_id, now, summary, now],
        )
        payload = json.dumps(
            {
                "order_id": external_id,
                "customer_id": customer,
                "status": "paid",
                "currency": "USD",
                "total": "31.00",
            }
        )
        event_id = uuid.uuid4() if self.vendor == "postgresql" else uuid.uuid4().hex
        cursor.execute(
            sql(
                "INSERT INTO core_outboxevent (id, workspace_id, type, payload, occurred_at, "
                "attempts, last_error, next_attempt_at) VALUES "
                "(%s, %s, 'order.created', %s, %s, 0, '', %s)"
            ),
            [event_id, ws, payload, now, now],
        )
        cursor.execute(
            sql(
                "INSERT INTO core_idempotencyrecord (workspace_id, scope, key, fingerprint, "
                "method, path, response_status, response_body, response_content_type, "
                "created_at) VALUES (%s, 'server', %s, %s, 'POST', '/api/v1/orders', 201, %s, "
                "'application/json', %s)"
            ),
            [ws, external_id, "0" * 64, b"{}" * 400, now],
        )


def _raw_orders(client: int, count: int, arg: Any) -> list[float]:
    database, vendor, workspace_id, tag = arg
    writer = RawWriter(vendor, workspace_id)
    if vendor == "postgresql":
        connection: Any = psycopg.connect(database)
    else:
        connection = sqlite3.connect(database, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    latencies = []
    for i in range(count):
        external_id = f"{tag}-{client}-{i}"
        t0 = time.perf_counter()
        cursor = connection.cursor()
        if vendor != "postgresql":
            cursor.execute("BEGIN IMMEDIATE")
        writer.write(cursor, external_id, f"cust-{(client * 7919 + i) % CUSTOMERS}")
        connection.commit() if vendor == "postgresql" else cursor.execute("COMMIT")
        latencies.append((time.perf_counter() - t0) * 1000)
    connection.close()
    return latencies


def warm_up(port: int, key: str) -> None:
    """Create the customers (one order each) and let every worker serve requests."""
    for i in range(CUSTOMERS):
        body = order_body(f"warm-{i}", f"cust-{i}")
        status, content = request(port, "POST", "/api/v1/orders", body, key, f"warm-{i}")
        assert status == 201, content


def bench_database(
    label: str, database_url: str, raw_target: str, vendor: str, key: str, args: argparse.Namespace
) -> None:
    with served(database_url, args.workers, key) as port:
        warm_up(port, key)
        workspace_id = _workspace_id(raw_target, vendor)
        print(f"\n{label}: gunicorn, {args.workers} sync workers; {args.orders} orders a level")
        print(
            f"{'clients':>8} {'served/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'raw/s':>7} "
            f"{'raw p99':>8} {'ratio':>6}"
        )
        levels = args.concurrency if vendor == "postgresql" else [4]
        for clients in levels:
            rate, latencies = in_parallel(
                clients, args.orders, _post_orders, (port, key, f"s{clients}")
            )
            raw_rate, raw_latencies = in_parallel(
                clients, args.orders, _raw_orders, (raw_target, vendor, workspace_id, f"r{clients}")
            )
            print(
                f"{clients:>8} {rate:>9.0f} {statistics.median(latencies):>7.1f} "
                f"{pct(latencies, 0.99):>7.1f} {raw_rate:>7.0f} {pct(raw_latencies, 0.99):>8.1f} "
                f"{rate / raw_rate:>6.0%}"
            )


def _workspace_id(target: str, vendor: str) -> int:
    if vendor == "postgresql":
        with psycopg.connect(target) as conn:
            return int(conn.execute(WORKSPACE_ID).fetchall()[0][0])
    with sqlite3.connect(target) as conn:
        return int(conn.execute(WORKSPACE_ID).fetchall()[0][0])


# ------------------------------------------------------------------ search


FAMILY = [
    "山田",
    "田中",
    "佐藤",
    "鈴木",
    "高橋",
    "김",
    "이",
    "박",
    "최",
    "Smith",
    "Tanaka",
    "Kim",
    "Lee",
    "Garcia",
    "Brown",
]
GIVEN = [
    "太郎",
    "花子",
    "陽菜",
    "蓮",
    "민준",
    "서연",
    "지우",
    "Aiko",
    "Emma",
    "Liam",
    "Noah",
    "Mia",
    "Ken",
]


def load_customers(database_url: str, count: int) -> None:
    with psycopg.connect(database_url) as conn:
        workspace_id = conn.execute(WORKSPACE_ID).fetchall()[0][0]
        now = datetime.now(UTC)
        with conn.cursor().copy(
            "COPY customers_customer (workspace_id, external_id, email, phone, first_name, "
            "last_name, locale, timezone, attributes, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(count):
                family, given = FAMILY[i % len(FAMILY)], GIVEN[(i // 7) % len(GIVEN)]
                copy.write_row(
                    (
                        workspace_id,
                        f"c-{i:07d}",
                        f"user{i}@example.com",
                        f"+8190{i:08d}",
                        given,
                        family,
                        "ja",
                        "Asia/Tokyo",
                        "{}",
                        now,
                        now,
                    )
                )
        conn.execute("ANALYZE customers_customer")


def bench_search(database_url: str, key: str, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    load_customers(database_url, args.search_customers)
    print(
        f"\nsearch: {args.search_customers:,} customers loaded with COPY and indexed in "
        f"{time.perf_counter() - started:.0f} s"
    )
    with served(database_url, args.workers, key) as port:
        print(f"{'q':>24} {'matches':>8} {'p50 ms':>7} {'p99 ms':>7}")
        for q in [
            "c-0123456",
            "user98765@",
            "山田太郎",
            "Garcia Emma",
            "+81900000777",
            "nobody-here",
        ]:
            latencies = []
            path = f"/api/v1/customers?limit=50&q={quote(q)}"
            for _ in range(args.search_repeat):
                t0 = time.perf_counter()
                status, content = request(port, "GET", path, None, key)
                latencies.append((time.perf_counter() - t0) * 1000)
                assert status == 200, content
            latencies.sort()
            matches = len(json.loads(content)["data"])
            p50, p99 = statistics.median(latencies), pct(latencies, 0.99)
            print(f"{q:>24} {matches:>8} {p50:>7.1f} {p99:>7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1200, help="orders per concurrency level")
    parser.add_argument("--concurrency", default="1,4,8")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database", choices=["both", "postgres", "sqlite"], default="both")
    parser.add_argument("--search-customers", type=int, default=1_000_000)
    parser.add_argument("--search-repeat", type=int, default=50)
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    print(f"{os.cpu_count()} CPU cores; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    if args.database in ("both", "postgres"):
        with scratch_postgres(SCRATCH) as url:
            key = create_bench_workspace(url)
            bench_database("PostgreSQL", url, url, "postgresql", key, args)
            if args.search_customers:
                bench_search(url, key, args)
    if args.database in ("both", "sqlite"):
        folder = tempfile.mkdtemp(prefix="kizuna-bench-")
        path = f"{folder}/bench.sqlite3"
        key = create_bench_workspace(f"sqlite:///{path}")
        bench_database("SQLite", f"sqlite:///{path}", path, "sqlite", key, args)


if __name__ == "__main__":
    main()
