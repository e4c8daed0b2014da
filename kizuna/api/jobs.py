"""GET /api/v1/jobs: the periodic jobs, their schedules and last runs (ADR 0022)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from kizuna.core import schedule
from kizuna.core.schemas import Page, page, with_errors

jobs_router = Router(tags=["operations"])


class JobRunOut(Schema):
    period: str = Field(description="The period of the schedule the run was for (its start).")
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    outcome: str = Field(description="running, succeeded or failed.")
    output: str = Field(description="What the job said it did.")
    error: str = Field(description="Why a failed run failed.")


class JobOut(Schema):
    name: str
    description: str
    schedule: str = Field(description="An interval (5m, 1h, 1d@03:30) or off.")
    next_run_at: datetime | None
    last_run: JobRunOut | None


@jobs_router.get(
    "",
    response=with_errors({200: Page[JobOut]}),
    summary="The periodic jobs of this installation: schedule, last run, outcome, next run",
)
def list_jobs(request: HttpRequest) -> Any:
    return page(schedule.job_statuses(), None)
