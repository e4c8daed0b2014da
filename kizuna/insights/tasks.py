"""Background work of the insights app. Tasks receive ids and reload the rows."""

import logging

from django.tasks import task

from kizuna.core.conditions import InvalidCondition
from kizuna.insights.services import refresh

logger = logging.getLogger(__name__)


@task()
def refresh_segment(segment_pk: int, trigger: str) -> int | None:
    """Refresh one segment (after its condition changed, or on a schedule). Safe to run
    again: a refresh computes the difference from the current membership. Returns the size,
    or None when the segment is gone or its condition no longer holds together."""
    try:
        done = refresh.refresh_segment_by_pk(segment_pk, trigger)
    except InvalidCondition as exc:
        logger.warning("Segment %s was not refreshed: %s", segment_pk, exc.message)
        return None
    return None if done is None else done.size
