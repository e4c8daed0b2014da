"""The demo workspace comes with the segments a marketer would make, refreshed once."""

import pytest

from kizuna.core.models import OutboxEvent
from kizuna.demo.segments import DEMO_SEGMENTS
from kizuna.demo.tests.test_load_demo import demo_workspace, load
from kizuna.insights.models import Segment, SegmentMembership
from kizuna.insights.selectors import preview
from kizuna.orders.models import CustomerOrderStats
from kizuna.orders.services import stats


@pytest.mark.django_db
def test_the_demo_segments_are_refreshed_without_events() -> None:
    load(size=200)
    workspace = demo_workspace()
    segments = Segment.objects.for_workspace(workspace).order_by("key")
    assert [s.key for s in segments] == sorted(d["id"] for d in DEMO_SEGMENTS)
    for segment in segments:
        assert segment.materialized and segment.refreshed_at is not None
        members = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
        assert segment.size == members.count()
        # The membership is what the condition selects.
        assert segment.size == preview(workspace, segment.condition).count, segment.key
    assert sum(s.size or 0 for s in segments) > 0
    sizes = {s.key: s.size for s in segments}
    assert sizes["stars-to-spend"], "the loyalty fields select members of the demo program"
    assert not OutboxEvent.objects.for_workspace(workspace).exists()


@pytest.mark.django_db
def test_the_demo_orders_have_their_aggregates() -> None:
    load(size=60)
    workspace = demo_workspace()
    loaded = sorted(CustomerOrderStats.objects.for_workspace(workspace).values_list())
    assert loaded
    stats.rebuild(workspace)
    assert sorted(CustomerOrderStats.objects.for_workspace(workspace).values_list()) == loaded
