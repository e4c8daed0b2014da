"""Throughput and latency of POST /api/v1/orders through the whole stack (middleware, auth,
validation, service, one transaction), in one process, on a fresh database.

    python bench/api_orders.py [--orders 2000]     (DATABASE_URL picks the database)
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="kizuna-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from kizuna.accounts.services import create_workspace

    if connection.vendor != "sqlite":
        print("Run this benchmark against a disposable database only.")
    call_command("migrate", verbosity=0)
    keys = create_workspace(f"bench-{int(time.time())}", "Bench")
    client = Client(headers={"Authorization": f"Bearer {keys.server_key}"})
    latencies = []
    started = time.perf_counter()
    for i in range(args.orders):
        body = {
            "external_id": f"bench-{i}",
            "customer_id": f"cust-{i % 500}",
            "currency": "USD",
            "total": "31.00",
            "subtotal": "30.00",
            "discount_total": "5.00",
            "shipping_total": "4.00",
            "tax_total": "2.00",
            "items": [
                {"sku": "TEA-1", "quantity": 2, "unit_price": "10.00"},
                {"sku": "CUP-1", "quantity": 1, "unit_price": "10.00"},
            ],
        }
        t0 = time.perf_counter()
        response = client.post(
            "/api/v1/orders",
            json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": f"k-{i}"},
        )
        latencies.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 201, response.content
    elapsed = time.perf_counter() - started
    latencies.sort()
    print(f"database: {connection.vendor}")
    print(f"orders: {args.orders} in {elapsed:.2f} s = {args.orders / elapsed:.0f} orders/s")
    print(
        f"latency ms: p50 {statistics.median(latencies):.2f}, "
        f"p95 {latencies[int(len(latencies) * 0.95)]:.2f}, max {latencies[-1]:.2f}"
    )


if __name__ == "__main__":
    main()
