"""Scheduled jobs: periodic work declared in code by the app that owns it, run by one loop
(`manage.py scheduler`), once per period however many schedulers run (ADR 0022).

An app registers its jobs from its `AppConfig.ready()`:

    register_job("outbox_sweep", sweep_outbox, "5m", "Dispatch every pending outbox event once.")

The function takes no argument and returns a one-line summary of what it did (or None).
Schedules are intervals aligned on the Unix epoch, `30s`, `5m`, `1h`, `1d`, optionally with an
offset into the interval, `1d@03:30` (every day at 03:30 UTC); `off` disables a job. The
default given at registration is overridden in settings (`KIZUNA_SCHEDULE`, a JSON object of
job to schedule, or `KIZUNA_SCHEDULE_<JOB>` per job).

Before running a job for a period, the scheduler inserts its `JobRun` for (job, period); the
unique constraint lets one insert win, and only its scheduler runs the job. Jobs run inline,
one after another, in the scheduler's process; the run records when it started and finished,
its duration, its outcome and its output or error."""

import logging
import math
import os
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import perf_counter
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from kizuna.core.clock import now
from kizuna.core.models import JobRun
from kizuna.core.upsert import insert_once

logger = logging.getLogger(__name__)

JOB_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SCHEDULE = re.compile(r"([1-9][0-9]*)([smhd])(?:@([0-9]{2}):([0-9]{2}))?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Schedule:
    text: str
    every: timedelta
    offset: timedelta = timedelta(0)

    def period_start(self, moment: datetime) -> datetime:
        every, offset = self.every.total_seconds(), self.offset.total_seconds()
        start = math.floor((moment.timestamp() - offset) / every) * every + offset
        return datetime.fromtimestamp(start, UTC)

    def next_start(self, moment: datetime) -> datetime:
        return self.period_start(moment) + self.every


def parse_schedule(text: str, what: str = "schedule") -> Schedule | None:
    """`5m`, `1h`, `1d@03:30`... or `off` (None)."""
    text = text.strip()
    if text == "off":
        return None
    match = _SCHEDULE.fullmatch(text)
    if match is None:
        raise ImproperlyConfigured(
            f"{what}: {text!r} is not a schedule; write an interval such as 30s, 5m, 1h or 1d, "
            "optionally with a time of day such as 1d@03:30, or off."
        )
    every = timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    offset = timedelta(0)
    if match[3] is not None:
        offset = timedelta(hours=int(match[3]), minutes=int(match[4]))
        if offset >= every:
            raise ImproperlyConfigured(f"{what}: {text!r} has an offset beyond its interval.")
    return Schedule(text, every, offset)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], str | None]
    default_schedule: str
    description: str


JOBS: dict[str, Job] = {}


def register_job(
    name: str, func: Callable[[], str | None], default_schedule: str, description: str
) -> Job:
    """Declare a periodic job (from an `AppConfig.ready()`): its name, the function to run,
    its default schedule (settings may override it) and one sentence on what it does."""
    if not JOB_NAME.fullmatch(name):
        raise RuntimeError(f"Job names are lower-case snake_case: {name!r}.")
    parse_schedule(default_schedule, f"job {name}")
    job = Job(name, func, default_schedule, description)
    if JOBS.get(name, job) != job:
        raise RuntimeError(f"Job {name} is registered twice.")
    JOBS[name] = job
    return job


def schedule_of(name: str) -> Schedule | None:
    job = JOBS[name]
    text = settings.KIZUNA_SCHEDULE.get(name, job.default_schedule)
    return parse_schedule(text, f"the schedule of job {name}")


def check_settings() -> dict[str, Schedule | None]:
    """Every job's schedule; raises on a schedule of an unknown job or one that is not a
    schedule."""
    unknown = sorted(set(settings.KIZUNA_SCHEDULE) - set(JOBS))
    if unknown:
        raise ImproperlyConfigured(
            f"Schedules are set for unknown job(s): {', '.join(unknown)}. "
            f"The jobs are: {', '.join(sorted(JOBS))}."
        )
    return {name: schedule_of(name) for name in sorted(JOBS)}


def period_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def runner_name() -> str:
    return f"{socket.gethostname()}.{os.getpid()}"


def claim(name: str, period: str) -> JobRun | None:
    """Insert the run of `name` for `period`; None when another scheduler has it."""
    with transaction.atomic():
        run, created = insert_once(
            JobRun(job=name, period=period, started_at=now(), runner=runner_name()),
            job=name,
            period=period,
        )
    return run if created else None


def execute(run: JobRun) -> JobRun:
    """Run the claimed job and record its outcome (an error is recorded, not raised)."""
    job = JOBS[run.job]
    started = perf_counter()
    try:
        output = job.func()
        run.outcome = JobRun.Outcome.SUCCEEDED
        run.output = (output or "")[:2000]
    except Exception as exc:
        logger.exception("Job %s failed (period %s)", run.job, run.period)
        run.outcome = JobRun.Outcome.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:4000]
    run.finished_at = now()
    run.duration_seconds = round(perf_counter() - started, 3)
    run.save(update_fields=["outcome", "output", "error", "finished_at", "duration_seconds"])
    log = logger.info if run.outcome == JobRun.Outcome.SUCCEEDED else logger.warning
    log("Job %s %s in %.3f s: %s", run.job, run.outcome, run.duration_seconds, run.output)
    return run


def run_now(name: str) -> JobRun:
    """Run a job at once, outside its schedule (an operator's `manage.py jobs --run`)."""
    if name not in JOBS:
        raise KeyError(name)
    run = claim(name, f"manual:{now().isoformat()}")
    assert run is not None
    return execute(run)


class Scheduler:
    """The loop of `manage.py scheduler`: at each tick, every job whose period has come and
    that no scheduler has claimed for that period yet is claimed and run."""

    def __init__(self, schedules: dict[str, Schedule | None] | None = None) -> None:
        self.schedules = schedules if schedules is not None else check_settings()
        # The period each job was last seen claimed in (by this scheduler or another):
        # until the next period, it is not looked at again.
        self.seen: dict[str, str] = {}

    def tick(self, moment: datetime | None = None) -> list[JobRun]:
        moment = moment or now()
        done = []
        for name, schedule in self.schedules.items():
            if schedule is None:
                continue
            period = period_key(schedule.period_start(moment))
            if self.seen.get(name) == period:
                continue
            run = claim(name, period)
            self.seen[name] = period
            if run is not None:
                done.append(execute(run))
        return done

    def next_due(self, moment: datetime) -> datetime | None:
        starts = [s.next_start(moment) for s in self.schedules.values() if s is not None]
        return min(starts) if starts else None

    def loop(self, *, stop: threading.Event, max_sleep: float = 30.0) -> None:
        while not stop.is_set():
            self.tick()
            connection.close()
            due = self.next_due(now())
            wait = max_sleep if due is None else (due - now()).total_seconds()
            stop.wait(min(max(wait, 0.05), max_sleep))


@dataclass(frozen=True)
class JobStatus:
    name: str
    description: str
    schedule: str
    next_run_at: datetime | None
    last_run: JobRun | None


def job_statuses(moment: datetime | None = None) -> list[JobStatus]:
    """Every registered job with its schedule, when it is next due and its last run (one
    query)."""
    moment = moment or now()
    latest = JobRun.objects.filter(job=OuterRef("job")).order_by("-started_at", "-pk")
    last: dict[str, Any] = {
        run.job: run
        for run in JobRun.objects.filter(job__in=list(JOBS)).filter(
            pk=Subquery(latest.values("pk")[:1])
        )
    }
    out = []
    for name in sorted(JOBS):
        schedule = schedule_of(name)
        run = last.get(name)
        next_run_at = None
        if schedule is not None:
            current = schedule.period_start(moment)
            ran = run is not None and run.period == period_key(current)
            next_run_at = schedule.next_start(moment) if ran else current
        out.append(
            JobStatus(
                name=name,
                description=JOBS[name].description,
                schedule=schedule.text if schedule else "off",
                next_run_at=next_run_at,
                last_run=run,
            )
        )
    return out
