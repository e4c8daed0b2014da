"""The insights app's periodic jobs, registered with the scheduler at start-up (ADR 0022)."""

from kizuna.core.conditions import InvalidCondition
from kizuna.core.schedule import register_job
from kizuna.insights.models import SegmentRefresh
from kizuna.insights.services import refresh


def refresh_segments() -> str:
    """Refresh every materialized segment (as `manage.py refresh_segments`); a segment whose
    condition no longer compiles is counted and named, the others still refresh."""
    done = 0
    failed: list[str] = []
    for segment_pk in refresh.materialized_segments():
        try:
            result = refresh.refresh_segment_by_pk(segment_pk, SegmentRefresh.Trigger.SCHEDULE)
        except InvalidCondition:
            failed.append(str(segment_pk))
            continue
        done += result is not None
    if failed:
        raise RuntimeError(f"refreshed {done} segment(s); could not refresh {', '.join(failed)}")
    return f"refreshed {done} segment(s)"


def register() -> None:
    register_job(
        "refresh_segments",
        refresh_segments,
        "15m",
        "Refreshes the membership of every materialized segment and announces who entered "
        "and who left.",
    )
