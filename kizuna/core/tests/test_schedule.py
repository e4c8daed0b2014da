"""The scheduler: jobs declared by apps, run once per period however many schedulers run,
their runs recorded and shown by `manage.py jobs` and `GET /jobs`."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from conftest import ApiClient, postgres_only
from kizuna.core import schedule
from kizuna.core.models import JobRun

MOMENT = datetime(2026, 3, 1, 10, 7, 30, tzinfo=UTC)
calls: list[str] = []


def _count() -> str:
    calls.append("count")
    return f"call {len(calls)}"


def _fail() -> str:
    raise ValueError("the job broke")


@pytest.fixture
def test_jobs(settings: Any) -> Iterator[None]:
    calls.clear()
    schedule.register_job("test_count", _count, "5m", "Counts its runs.")
    schedule.register_job("test_fail", _fail, "1h", "Always fails.")
    settings.KIZUNA_SCHEDULE = {}
    yield
    for name in ("test_count", "test_fail"):
        schedule.JOBS.pop(name, None)


def _only(*names: str) -> dict[str, schedule.Schedule | None]:
    return {name: schedule.schedule_of(name) for name in names}


def test_schedules_are_intervals_with_an_optional_time_of_day() -> None:
    five = schedule.parse_schedule("5m")
    assert five is not None and five.period_start(MOMENT) == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    daily = schedule.parse_schedule("1d@03:30")
    assert daily is not None
    assert daily.period_start(MOMENT) == datetime(2026, 3, 1, 3, 30, tzinfo=UTC)
    assert daily.next_start(MOMENT) == datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    assert schedule.parse_schedule("off") is None
    for bad in ("5", "0m", "5 minutes", "1h@02:00", "-1d"):
        with pytest.raises(ImproperlyConfigured):
            schedule.parse_schedule(bad)


def test_settings_override_the_default_and_unknown_jobs_are_refused(
    db: None, test_jobs: None, settings: Any
) -> None:
    settings.KIZUNA_SCHEDULE = {"test_count": "1m", "test_fail": "off"}
    checked = schedule.check_settings()
    assert checked["test_count"] is not None and checked["test_count"].text == "1m"
    assert checked["test_fail"] is None and checked["outbox_sweep"] is not None
    settings.KIZUNA_SCHEDULE = {"no_such_job": "1m"}
    with pytest.raises(ImproperlyConfigured, match="no_such_job"):
        schedule.check_settings()


def test_a_job_runs_once_per_period_however_many_schedulers_tick(db: None, test_jobs: None) -> None:
    first, second = schedule.Scheduler(_only("test_count")), schedule.Scheduler(_only("test_count"))
    assert [r.job for r in first.tick(MOMENT)] == ["test_count"]
    assert second.tick(MOMENT) == [] and first.tick(MOMENT + timedelta(minutes=2)) == []
    assert calls == ["count"]
    assert [r.job for r in second.tick(MOMENT + timedelta(minutes=5))] == ["test_count"]
    runs = list(JobRun.objects.filter(job="test_count").order_by("started_at"))
    assert [r.period for r in runs] == ["2026-03-01T10:05:00Z", "2026-03-01T10:10:00Z"]
    assert all(r.outcome == "succeeded" and r.duration_seconds is not None for r in runs)
    assert runs[1].output == "call 2"


def test_a_failing_job_is_recorded_and_runs_again_next_period(db: None, test_jobs: None) -> None:
    scheduler = schedule.Scheduler(_only("test_fail"))
    (run,) = scheduler.tick(MOMENT)
    assert run.outcome == "failed" and run.error == "ValueError: the job broke"
    (again,) = scheduler.tick(MOMENT + timedelta(hours=1))
    assert again.outcome == "failed" and again.period == "2026-03-01T11:00:00Z"


@postgres_only
def test_schedulers_ticking_at_the_same_moment_run_a_job_once(test_jobs: None) -> None:
    barrier = threading.Barrier(4)
    done: list[int] = []

    def tick() -> None:
        try:
            barrier.wait(timeout=30)
            done.append(len(schedule.Scheduler(_only("test_count")).tick(MOMENT)))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(done) == [0, 0, 0, 1] and calls == ["count"]
    assert JobRun.objects.filter(job="test_count").count() == 1


def test_jobs_are_visible_from_the_command_and_the_api(
    db: None, test_jobs: None, api: ApiClient, browser_api: ApiClient
) -> None:
    schedule.Scheduler(_only("test_count", "test_fail")).tick()
    out = StringIO()
    call_command("jobs", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()[1:] if line[0] != " "}
    assert "succeeded" in lines["test_count"] and "failed" in lines["test_fail"]
    assert "never" in lines["outbox_sweep"]
    assert "error: ValueError: the job broke" in out.getvalue()
    response = api.get("/jobs")
    assert response.status_code == 200 and response.data["next_cursor"] is None
    jobs = {job["name"]: job for job in response.data["data"]}
    assert {
        "outbox_sweep",
        "idempotency_purge",
        "customer_import_resume",
        "refresh_segments",
        "loyalty_activate_points",
        "loyalty_expire_points",
        "loyalty_review_tiers",
        "loyalty_birthdays",
    } <= set(jobs)
    assert jobs["test_count"]["schedule"] == "5m"
    assert jobs["test_count"]["last_run"]["outcome"] == "succeeded"
    assert jobs["test_fail"]["last_run"]["error"] == "ValueError: the job broke"
    assert jobs["outbox_sweep"]["last_run"] is None
    assert browser_api.get("/jobs").status_code == 403


def test_an_operator_runs_a_job_by_hand(db: None, test_jobs: None) -> None:
    out = StringIO()
    call_command("jobs", "--run", "test_count", stdout=out)
    assert out.getvalue().startswith("test_count: succeeded")
    assert JobRun.objects.get(job="test_count").period.startswith("manual:")
