import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kizuna.core import schedule


class Command(BaseCommand):
    help = (
        "Run the periodic jobs on their schedules (KIZUNA_SCHEDULE), until stopped. Each job "
        "runs once per period however many schedulers run: the first to claim the period runs "
        "it. With --once, run the jobs that are due now and exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--max-sleep",
            type=float,
            default=30.0,
            help="The longest wait between two passes, in seconds (default 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler = schedule.Scheduler()
        if options["once"]:
            for run in scheduler.tick():
                self.stdout.write(f"{run.job}: {run.outcome} in {run.duration_seconds} s")
            return
        enabled = {name: s.text for name, s in scheduler.schedules.items() if s is not None}
        self.stdout.write(
            "Scheduler running: " + ", ".join(f"{n} every {t}" for n, t in enabled.items())
        )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        scheduler.loop(stop=stop, max_sleep=options["max_sleep"])
