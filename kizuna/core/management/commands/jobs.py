import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kizuna.core import schedule


class Command(BaseCommand):
    help = (
        "List the periodic jobs: schedule, last run (period, start, duration, outcome) and "
        "when each is next due. --run JOB runs one at once, outside its schedule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="One JSON object per job.")
        parser.add_argument("--run", metavar="JOB", help="Run this job now and print its run.")

    def handle(self, *args: Any, **options: Any) -> None:
        schedule.check_settings()
        if options["run"]:
            try:
                done = schedule.run_now(options["run"])
            except KeyError:
                raise CommandError(
                    f"No job {options['run']!r}; the jobs are {', '.join(sorted(schedule.JOBS))}."
                ) from None
            self.stdout.write(f"{done.job}: {done.outcome} in {done.duration_seconds} s")
            self.stdout.write(done.output or done.error)
            if done.outcome != done.Outcome.SUCCEEDED:
                raise CommandError(done.error)
            return
        statuses = schedule.job_statuses()
        if options["json"]:
            for status in statuses:
                run = status.last_run
                self.stdout.write(
                    json.dumps(
                        {
                            "name": status.name,
                            "schedule": status.schedule,
                            "next_run_at": status.next_run_at and status.next_run_at.isoformat(),
                            "last_run": run
                            and {
                                "period": run.period,
                                "started_at": run.started_at.isoformat(),
                                "duration_seconds": run.duration_seconds,
                                "outcome": run.outcome,
                                "output": run.output,
                                "error": run.error,
                            },
                        }
                    )
                )
            return
        header = f"{'job':<26} {'every':<10} {'last run (UTC)':<20} {'seconds':>8} {'outcome':<10}"
        self.stdout.write(header + " next due (UTC)")
        for status in statuses:
            run = status.last_run
            started = run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run else "never"
            seconds = (
                f"{run.duration_seconds:.3f}" if run and run.duration_seconds is not None else "-"
            )
            outcome = run.outcome if run else "-"
            due = status.next_run_at.strftime("%Y-%m-%d %H:%M:%S") if status.next_run_at else "-"
            self.stdout.write(
                f"{status.name:<26} {status.schedule:<10} {started:<20} {seconds:>8} "
                f"{outcome:<10} {due}"
            )
            if run and run.outcome == run.Outcome.FAILED:
                self.stdout.write(f"{'':<26} error: {run.error.splitlines()[0][:200]}")
