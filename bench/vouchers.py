"""Voucher codes at scale, on PostgreSQL: generate 100,000 unique codes for one campaign
through the code generation run (the worker's path: draw in memory with `secrets`, insert
in batches that skip existing codes through the unique index, checkpoint each batch), then
a second 100,000 into a campaign whose pattern is crowded by the first. Prints codes/s; not
a test.

    python bench/vouchers.py [--count 100000] [--keep]

It creates the scratch database kizuna_bench_vouchers on the server of DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/postgres), migrates it, and drops it at the end
(unless --keep). The target: 100,000 codes in under 20 s.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRATCH = "kizuna_bench_vouchers"


def scratch_url(base: str) -> str:
    return urlunsplit(urlsplit(base)._replace(path=f"/{SCRATCH}"))


def admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        print("bench/vouchers.py runs on PostgreSQL (DATABASE_URL is not postgres://): skipped.")
        return
    try:
        admin(base, "SELECT 1")
    except Exception as exc:
        print(f"PostgreSQL is not reachable ({exc}): bench/vouchers.py skipped.")
        return
    admin(base, f"DROP DATABASE IF EXISTS {SCRATCH}")
    admin(base, f"CREATE DATABASE {SCRATCH}")
    os.environ["DATABASE_URL"] = scratch_url(base)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        run(args.count)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin(base, f"DROP DATABASE IF EXISTS {SCRATCH}")


def run(count: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from kizuna.accounts.services import create_workspace
    from kizuna.core.audit import SYSTEM
    from kizuna.vouchers.models import CodeGeneration, Voucher
    from kizuna.vouchers.services import campaigns, generation

    call_command("migrate", verbosity=0)
    workspace = create_workspace("bench-vouchers").workspace
    discount = {"type": "percent", "percent": 10}
    for key, spec in [
        ("roomy", {"pattern": "HOSHI-####-????"}),  # 8^4 x 23^4 = 1.15 billion codes
        ("crowded", {"pattern": "HOSHI-###-???"}),  # 8^3 x 23^3 = 6.2 million codes
    ]:
        campaigns.create_campaign(
            workspace, {"id": key, "name": key, "discount": discount, "code": spec}, SYSTEM
        )
        for round_ in (1, 2):
            run_ = generation.request_generation(workspace, key, count)
            started = time.perf_counter()
            generation.run_generation(run_.pk)
            seconds = time.perf_counter() - started
            done = CodeGeneration.objects.get(pk=run_.pk)
            assert done.status == "completed" and done.created == count, done.failure_message
            print(
                f"{key} campaign, run {round_}: {count:,} codes in {seconds:.2f} s = "
                f"{count / seconds:,.0f} codes/s ({done.collisions:,} drawn codes existed and "
                f"were redrawn)",
                flush=True,
            )
    total = Voucher.objects.count()
    distinct = Voucher.objects.values("code").distinct().count()
    print(f"stored {total:,} codes, {distinct:,} distinct")


if __name__ == "__main__":
    main()
