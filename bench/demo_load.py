"""Time `manage.py load_demo` at its default size into a fresh SQLite file.

    PYTHONPATH=. .venv/bin/python bench/demo_load.py [--customers N] [--repeat R]

Migrations run first and are not timed. Prints the counts and the seconds of each run (and the
best of them); then, on the last load, times a backtest of the demo program (Hoshi Stars, its
five rules) over the demo's whole year of orders, three times, as `POST
/programs/hoshi-stars/simulate` with `{"backtest": {...}}` computes it (target: under 5 s).
The database file is deleted afterwards."""

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=None, help="default: the command's")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on a fresh file")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="kizuna-bench-demo-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'demo.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kizuna.core.models import Workspace
    from kizuna.customers.models import Customer, CustomEvent, TimelineEntry
    from kizuna.demo.management.commands.load_demo import DEFAULT_CUSTOMERS
    from kizuna.orders.models import Order, Refund

    customers = args.customers or DEFAULT_CUSTOMERS
    timings = []
    try:
        for run in range(1, args.repeat + 1):
            connection.close()
            for leftover in directory.glob("demo.sqlite3*"):
                leftover.unlink()
            call_command("migrate", verbosity=0, interactive=False)
            started = time.perf_counter()
            call_command("load_demo", "--customers", str(customers), stdout=io.StringIO())
            seconds = time.perf_counter() - started
            timings.append(seconds)
            workspace = Workspace.objects.get(slug="kizuna-demo")
            counts = {
                "customers": Customer.objects.for_workspace(workspace).count(),
                "orders": Order.objects.for_workspace(workspace).count(),
                "refunds": Refund.objects.for_workspace(workspace).count(),
                "events": CustomEvent.objects.for_workspace(workspace).count(),
                "timeline": TimelineEntry.objects.for_workspace(workspace).count(),
            }
            figures = "  ".join(f"{name} {value}" for name, value in counts.items())
            print(f"run {run}: {figures}  seconds {seconds:.1f}")
        _time_backtest(workspace)
    finally:
        connection.close()
        shutil.rmtree(directory, ignore_errors=True)
    print(
        f"load_demo --customers {customers} on SQLite ({os.cpu_count()} CPUs): "
        f"best {min(timings):.1f} s of {len(timings)} run(s)"
    )


def _time_backtest(workspace: Any) -> None:
    from datetime import timedelta

    from kizuna.core.clock import now
    from kizuna.loyalty.services.programs import get_program
    from kizuna.loyalty.services.simulation import backtest

    program = get_program(workspace, "hoshi-stars")
    window = {"from": (now() - timedelta(days=400)).isoformat(), "to": now().isoformat()}
    seconds = []
    for _ in range(3):
        started = time.perf_counter()
        result = backtest(program, None, window)
        seconds.append(time.perf_counter() - started)
    print(
        f"backtest of hoshi-stars over the demo's year: {result['orders_considered']} orders, "
        f"{result['customers_affected']} customers, {result['points_total']} points; "
        f"seconds {', '.join(f'{s:.2f}' for s in seconds)} (best {min(seconds):.2f})"
    )


if __name__ == "__main__":
    main()
