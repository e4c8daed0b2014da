"""Bulk ingest on PostgreSQL: orders per second through the order import (the file read, each
row checked as POST /orders checks it, written through the bulk path) beside raw COPY of the
same rows in the same run, and customers per second through the customer import.

    python bench/ingest.py [--orders 50000] [--customers 50000] [--format jsonl|csv]

Uses a scratch database (`kizuna_bench_ingest`, dropped at the end) on BENCH_POSTGRES_URL,
default postgres://postgres@127.0.0.1:5432/postgres. Every order has two items and belongs to
one of 5,000 customers who exist already. The raw rate is COPY of the rows the import writes
(orders, items, timeline entries), with keys taken from the sequences, from one process and
no checks: the ceiling that the ratio is read against."""

import argparse
import csv
import io
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = "kizuna_bench_ingest"
CUSTOMERS = 5_000


def url(name: str) -> str:
    base = urlsplit(
        os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    return urlunsplit(base._replace(path=f"/{name}"))


def order_body(n: int, tag: str) -> dict[str, Any]:
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    return {
        "external_id": f"{tag}-{n}",
        "customer_id": f"c-{n % CUSTOMERS}",
        "currency": "USD",
        "total": "31.00",
        "subtotal": "30.00",
        "discount_total": "5.00",
        "shipping_total": "4.00",
        "tax_total": "2.00",
        "channel": "store",
        "occurred_at": moment.isoformat(),
        "items": [
            {"sku": "TEA-1", "name": "Sencha", "quantity": 2, "unit_price": "10.00"},
            {"sku": "CUP-1", "name": "Cup", "quantity": 1, "unit_price": "10.00"},
        ],
    }


def order_file(count: int, tag: str, file_format: str) -> bytes:
    bodies = [order_body(n, tag) for n in range(count)]
    if file_format == "jsonl":
        return b"".join(json.dumps(b).encode() + b"\n" for b in bodies)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(bodies[0])
    writer.writerow(columns)
    for body in bodies:
        writer.writerow([json.dumps(body[c]) if c == "items" else body[c] for c in columns])
    return buffer.getvalue().encode()


def raw_copy(dsn: str, workspace_id: int, count: int, tag: str) -> float:
    """COPY the rows an import of `count` orders writes; the seconds it took."""
    with psycopg.connect(dsn) as conn:
        customers: dict[str, int] = dict(
            conn.execute(
                "SELECT external_id, id FROM customers_customer WHERE workspace_id = %s",
                [workspace_id],
            ).fetchall()
        )
        started = time.perf_counter()
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT nextval(pg_get_serial_sequence('orders_order', 'id')) "
                "FROM generate_series(1, %s)",
                [count],
            ).fetchall()
        ]
        now = datetime.now(UTC)
        summary = json.dumps(
            {"status": "paid", "currency": "USD", "total": "31.00", "items": 3, "channel": "store"}
        )
        cursor = conn.cursor()
        with cursor.copy(
            "COPY orders_order (id, workspace_id, customer_id, external_id, status, currency, "
            "total, subtotal, discount_total, shipping_total, tax_total, prices_include_tax, "
            "refunded_total, channel, location, metadata, payments, occurred_at, created_at, "
            "updated_at) FROM STDIN"
        ) as copy:
            for n, order_id in enumerate(ids):
                body = order_body(n, tag)
                copy.write_row(
                    (
                        order_id,
                        workspace_id,
                        customers[body["customer_id"]],
                        body["external_id"],
                        "paid",
                        "USD",
                        "31.00",
                        "30.00",
                        "5.00",
                        "4.00",
                        "2.00",
                        False,
                        "0",
                        "store",
                        "",
                        "{}",
                        "[]",
                        body["occurred_at"],
                        now,
                        now,
                    )
                )
        with cursor.copy(
            "COPY orders_orderitem (order_id, position, sku, name, category, quantity, "
            "unit_price, refunded_quantity) FROM STDIN"
        ) as copy:
            for order_id in ids:
                copy.write_row((order_id, 0, "TEA-1", "Sencha", "", 2, "10.00", 0))
                copy.write_row((order_id, 1, "CUP-1", "Cup", "", 1, "10.00", 0))
        with cursor.copy(
            "COPY customers_timelineentry (workspace_id, customer_id, kind, object_id, "
            "occurred_at, summary, created_at) FROM STDIN"
        ) as copy:
            for n in range(count):
                body = order_body(n, tag)
                copy.write_row(
                    (
                        workspace_id,
                        customers[body["customer_id"]],
                        "order",
                        body["external_id"],
                        body["occurred_at"],
                        summary,
                        now,
                    )
                )
        conn.commit()
        return time.perf_counter() - started


def customer_file(count: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "external_id",
            "email",
            "first_name",
            "last_name",
            "attributes.city",
            "attributes.visits",
            "consents.email_marketing",
        ]
    )
    for n in range(count):
        writer.writerow(
            [
                f"imp-{n}",
                f"user{n}@example.com",
                "Aiko",
                f"Name{n}",
                ["Osaka", "Seoul", "Tokyo"][n % 3],
                n % 40,
                "granted",
            ]
        )
    return buffer.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument(
        "--row-by-row",
        type=int,
        default=5_000,
        help="customers imported row by row too, for the ratio (0: skip)",
    )
    parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    args = parser.parse_args()
    admin = url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {SCRATCH}")
    dsn = url(SCRATCH)
    os.environ.update(
        {
            "DATABASE_URL": dsn,
            "KIZUNA_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from kizuna.accounts.services import create_workspace
    from kizuna.core.imports import runs
    from kizuna.core.imports.readers import ImportLimits
    from kizuna.customers.imports import jobs
    from kizuna.customers.imports import rows as customer_rows
    from kizuna.customers.models import Customer

    try:
        call_command("migrate", "--no-input", verbosity=0)
        print(f"{os.cpu_count()} CPU cores; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; PostgreSQL")
        bulk_ws = create_workspace("bench-bulk", "Bulk").workspace
        raw_ws = create_workspace("bench-raw", "Raw").workspace
        for ws in (bulk_ws, raw_ws):
            Customer.objects.bulk_create(
                [Customer(workspace=ws, external_id=f"c-{n}") for n in range(CUSTOMERS)]
            )
        content = order_file(args.orders, "o", args.format)
        started, cpu = time.perf_counter(), time.process_time()
        run = runs.import_file(
            bulk_ws,
            "orders",
            io.BytesIO(content),
            filename=f"orders.{args.format}",
            size=len(content),
            options={},
            limits=ImportLimits(None, None),
        )
        bulk_seconds = time.perf_counter() - started
        bulk_cpu = time.process_time() - cpu
        assert run.created_count == args.orders, (run.created_count, run.errors[:3])
        raw_seconds = raw_copy(dsn, raw_ws.pk, args.orders, "o")
        bulk_rate, raw_rate = args.orders / bulk_seconds, args.orders / raw_seconds
        print(
            f"orders ({args.format}), {args.orders:,}: import {bulk_rate:,.0f}/s "
            f"({bulk_seconds:.1f} s); raw COPY of the same rows {raw_rate:,.0f}/s "
            f"({raw_seconds:.1f} s); ratio {bulk_rate / raw_rate:.0%}; "
            f"{args.orders / bulk_cpu:,.0f} orders per CPU second of the importing process"
        )
        again = time.perf_counter()
        rerun = runs.import_file(
            bulk_ws,
            "orders",
            io.BytesIO(content),
            filename=f"orders.{args.format}",
            size=len(content),
            options={},
            limits=ImportLimits(None, None),
        )
        assert rerun.unchanged_count == args.orders
        print(
            f"the same file again (every order unchanged): "
            f"{args.orders / (time.perf_counter() - again):,.0f}/s"
        )

        def customers(count: int, bulk: bool, slug: str) -> tuple[float, float]:
            ws = create_workspace(slug, slug).workspace
            data = customer_file(count)
            customer_rows.BULK = bulk
            started, cpu = time.perf_counter(), time.process_time()
            done = jobs.import_customers(
                ws,
                io.BytesIO(data),
                filename="customers.csv",
                size=len(data),
                limits=ImportLimits(None, None),
            )
            seconds = time.perf_counter() - started
            assert done.created_count == count, (done.created_count, done.errors[:3])
            return count / seconds, count / (time.process_time() - cpu)

        rate, per_cpu = customers(args.customers, True, "bench-customers")
        print(
            f"customers (csv, with an attribute pair and a consent), {args.customers:,}: "
            f"import {rate:,.0f}/s ({args.customers / rate:.1f} s); {per_cpu:,.0f} rows per CPU "
            "second of the importing process"
        )
        if args.row_by_row:
            slow, _ = customers(args.row_by_row, False, "bench-row-by-row")
            print(
                f"the same rows one by one, {args.row_by_row:,}: {slow:,.0f}/s "
                f"(the bulk path is {rate / slow:.1f} times as fast)"
            )
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


if __name__ == "__main__":
    main()
