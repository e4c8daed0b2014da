"""Segments at scale, on PostgreSQL: a preview count, a full materialized refresh, and the rate of
in-memory evaluation. Prints figures; not a test.

    python bench/segments.py [--customers 1000000] [--orders 5000000] [--keep | --reuse]

It creates the scratch database kizuna_bench_segments on the server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, generates the customers and their
paid orders in bulk with INSERT ... SELECT over generate_series (deterministic: setseed), builds
the per-customer order aggregates, and drops the database at the end (unless --keep).

Measured:
1. the preview (count and sample) of "city in (Osaka, Seoul) and total spent in the last 90
   days > 100", three times;
2. a full refresh of that segment, materialized: the first one (everyone enters, one
   segment.entered event each) and a second one (the difference only);
3. in-memory evaluation of a 10-leaf condition, on one core, for loaded customers.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRATCH = "kizuna_bench_segments"
CITIES = [
    ("Tokyo", 14), ("Osaka", 6), ("Seoul", 8), ("Busan", 3), ("Kyoto", 3), ("Yokohama", 4),
    ("Nagoya", 3), ("Fukuoka", 3), ("Sapporo", 2), ("Incheon", 2), ("New York", 10),
    ("Los Angeles", 8), ("Chicago", 5), ("Houston", 4), ("Seattle", 4), ("Boston", 4),
    ("San Francisco", 5), ("Portland", 3), ("Austin", 4), ("Denver", 5),
]  # fmt: skip
PREVIEW = {
    "all": [
        {"field": "customer.attributes.city", "op": "in", "value": ["Osaka", "Seoul"]},
        {"field": "customer.orders.total_spent", "within": "90d", "op": "gt", "value": "100.00"},
    ]
}
TEN_LEAVES = {
    "all": [
        {"field": "customer.attributes.city", "op": "in", "value": ["Osaka", "Seoul", "Tokyo"]},
        {"field": "customer.locale", "op": "starts_with", "value": "ja"},
        {"field": "customer.email", "op": "exists"},
        {"field": "customer.created_at", "op": "not_within_last", "value": "30d"},
        {"field": "customer.attributes.age", "op": "between", "value": [20, 60]},
        {"field": "customer.orders.count", "op": "gte", "value": 2},
        {"field": "customer.orders.total_spent", "within": "90d", "op": "gt", "value": "100.00"},
        {"field": "customer.orders.last_at", "op": "within_last", "value": "6m"},
        {"field": "customer.attributes.vip", "op": "ne", "value": True},
        {"not": {"field": "customer.phone", "op": "exists"}},
    ]
}


def scratch_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{SCRATCH}"))


def admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def timed(label: str, work: object) -> float:
    started = time.perf_counter()
    result = work() if callable(work) else None
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s" + (f" ({result})" if result is not None else ""))
    return seconds


def generate(workspace_id: int, customers: int, orders: int) -> None:
    from django.db import connection

    cases = " ".join(
        f"WHEN r < {sum(w for _, w in CITIES[: i + 1]) / sum(w for _, w in CITIES):.6f} "
        f"THEN '{name}'"
        for i, (name, _) in enumerate(CITIES)
    )
    from kizuna.customers.models import AttributeDefinition

    AttributeDefinition.objects.bulk_create(
        AttributeDefinition(workspace_id=workspace_id, key=key, type=kind)
        for key, kind in (("city", "string"), ("age", "number"), ("vip", "boolean"))
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            f"""
            INSERT INTO customers_customer (workspace_id, external_id, email, phone, first_name,
                last_name, birthdate, locale, timezone, attributes, created_at, updated_at,
                erased_at)
            SELECT %s, 'c' || g, CASE WHEN random() < 0.9 THEN 'c' || g || '@example.com'
                    ELSE '' END,
                CASE WHEN random() < 0.6 THEN '+8190' || g ELSE '' END, 'First', 'Last', NULL,
                (ARRAY['ja', 'ja-JP', 'ko-KR', 'en-US', 'en'])[1 + floor(random() * 5)::int],
                '', jsonb_build_object(
                    'city', CASE {cases} ELSE 'Denver' END,
                    'age', 18 + floor(random() * 60)::int,
                    'vip', random() < 0.05),
                now() - random() * interval '1100 days', now(), NULL
            FROM (SELECT g, random() AS r FROM generate_series(1, %s) g) s
            """,
            [workspace_id, customers],
        )
        cursor.execute(
            "SELECT min(id), max(id) FROM customers_customer WHERE workspace_id = %s",
            [workspace_id],
        )
        low, high = cursor.fetchone()
        step = 1_000_000
        for start in range(0, orders, step):
            count = min(step, orders - start)
            cursor.execute(
                """
                INSERT INTO orders_order (workspace_id, customer_id, external_id, status,
                    currency, total, subtotal, discount_total, shipping_total, tax_total,
                    prices_include_tax, refunded_total, channel, location, metadata,
                    occurred_at, created_at, updated_at)
                SELECT %s, %s + floor(random() * (%s - %s + 1))::bigint, 'o' || g,
                    CASE WHEN random() < 0.93 THEN 'paid' WHEN random() < 0.6 THEN 'cancelled'
                        ELSE 'pending' END,
                    CASE WHEN random() < 0.9 THEN 'USD' ELSE 'JPY' END,
                    t, t, 0, 0, 0, false,
                    CASE WHEN random() < 0.05 THEN round(t / 2, 2) ELSE 0 END,
                    'online', '', '{}'::jsonb, at, at, at
                FROM (
                    SELECT g, round((5 + random() * 145)::numeric, 2) AS t,
                        now() - random() * interval '730 days' AS at
                    FROM generate_series(%s, %s) g
                ) s
                """,
                [workspace_id, low, high, low, start + 1, start + count],
            )
            print(f"    orders {start + count:,}/{orders:,}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer")
        cursor.execute("VACUUM ANALYZE orders_order")


def in_memory_rate(workspace: Any, sample: int) -> str:
    from zoneinfo import ZoneInfo

    from kizuna.core.conditions import Context, evaluate, parse
    from kizuna.customers.models import Customer
    from kizuna.orders.conditions import order_histories

    condition = parse(TEN_LEAVES, workspace=workspace, subjects={"customer"})
    customers = list(Customer.objects.filter(workspace=workspace).order_by("id")[:sample])
    histories = order_histories(workspace, [c.pk for c in customers])
    contexts = [
        Context(
            tz=ZoneInfo("UTC"),
            customer=c,
            customer_orders=histories[c.pk],
            customer_consents={},
            customer_events=[],
            workspace_currency="USD",
        )
        for c in customers
    ]
    holding = [context for context in contexts if evaluate(condition, context)]

    def rate(sample: list[Any]) -> float:
        rounds = max(1, 100_000 // len(sample))
        started = time.process_time()
        for _ in range(rounds):
            for context in sample:
                evaluate(condition, context)
        return rounds * len(sample) / (time.process_time() - started)

    typical = rate(contexts)
    every_leaf = rate(holding) if holding else 0.0
    return (
        f"{typical:,.0f} evaluations/s over {len(contexts):,} customers (most fail an early "
        f"leaf); {every_leaf:,.0f}/s over the {len(holding)} that hold (all ten leaves read)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Measure the data a run with --keep left (no generation); implies --keep.",
    )
    parser.add_argument(
        "--explain", action="store_true", help="Print the plan of the preview count."
    )
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        print("bench/segments.py runs on PostgreSQL (DATABASE_URL is not postgres://): skipped.")
        return
    try:
        admin(base, "SELECT 1")
    except Exception as exc:
        print(f"PostgreSQL is not reachable ({exc}): bench/segments.py skipped.")
        return
    if args.reuse:
        args.keep = True
    else:
        admin(base, f"DROP DATABASE IF EXISTS {SCRATCH}")
        admin(base, f"CREATE DATABASE {SCRATCH}")
    os.environ["DATABASE_URL"] = scratch_url(base)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin(base, f"DROP DATABASE IF EXISTS {SCRATCH}")


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from kizuna.accounts.services import create_workspace
    from kizuna.insights.selectors import preview
    from kizuna.insights.services import refresh, segments
    from kizuna.orders.services import stats

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"database: PostgreSQL {cursor.fetchone()[0]}, scratch database {SCRATCH}")
    call_command("migrate", verbosity=0)
    if args.reuse:
        from kizuna.core.models import Workspace
        from kizuna.insights.models import Segment

        workspace = Workspace.objects.get(slug="bench")
        Segment.objects.filter(workspace=workspace).delete()
        print("reusing the data of an earlier run")
    else:
        workspace = create_workspace("bench", "Bench", currency="USD").workspace
        print(f"generating {args.customers:,} customers and {args.orders:,} orders ...")
        timed("generated and analyzed", lambda: generate(workspace.pk, args.customers, args.orders))
        timed(
            "order aggregates (rebuild_order_stats)",
            lambda: f"{stats.rebuild(workspace):,} customers with paid orders",
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE orders_customerorderstats")

    print("preview: city in (Osaka, Seoul) and total spent in the last 90 days > 100")
    runs = [
        timed(f"run {i + 1}", lambda: f"count {preview(workspace, PREVIEW).count:,}")
        for i in range(3)
    ]
    print(f"  median {statistics.median(runs):.2f} s (target < 1 s)")
    if args.explain:
        from kizuna.insights.matching import matching_customers

        print(matching_customers(workspace, PREVIEW).explain(analyze=True, buffers=True))

    print("materialized refresh of the same condition")
    with transaction.atomic():
        segment = segments.create_segment(
            workspace,
            {"id": "osaka-seoul-spenders", "name": "x", "condition": PREVIEW, "materialized": True},
            refresh_after_commit=False,
        )
    first = timed(
        "first refresh (everyone enters, one event each)",
        lambda: _describe(refresh.refresh_segment_by_pk(segment.pk, "api")),
    )
    second = timed(
        "second refresh (the difference)",
        lambda: _describe(refresh.refresh_segment_by_pk(segment.pk, "api")),
    )
    print(f"  slowest {max(first, second):.2f} s (target < 10 s)")

    print("a larger materialized segment: total spent in the last 90 days > 100")
    with transaction.atomic():
        large = segments.create_segment(
            workspace,
            {
                "id": "spenders-90d",
                "name": "x",
                "condition": PREVIEW["all"][1],
                "materialized": True,
            },
            refresh_after_commit=False,
        )
    timed(
        "first refresh (everyone enters, one event each)",
        lambda: _describe(refresh.refresh_segment_by_pk(large.pk, "api")),
    )
    timed(
        "second refresh (the difference)",
        lambda: _describe(refresh.refresh_segment_by_pk(large.pk, "api")),
    )

    print("in-memory evaluation of a 10-leaf condition")
    timed("rate", lambda: in_memory_rate(workspace, 5000))


def _describe(done: object) -> str:
    return f"size {done.size:,}, entered {done.entered:,}, left {done.left:,}"  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
