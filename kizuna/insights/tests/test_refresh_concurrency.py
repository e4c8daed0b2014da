"""Refreshes of one segment at the same moment leave one correct membership: every member once,
each entry announced once. PostgreSQL only (SQLite runs one writer at a time)."""

from typing import Any

from conftest import POSTGRES_ONLY, send_together
from kizuna.accounts.services import NewWorkspace
from kizuna.core.models import OutboxEvent
from kizuna.insights.models import SegmentMembership, SegmentRefresh

pytestmark = POSTGRES_ONLY

ROUNDS = 3


def test_refreshes_at_once_leave_one_correct_membership(api: Any, workspace: NewWorkspace) -> None:
    for i in range(40):
        api.put(f"/customers/c{i:02d}", {"attributes": {"n": i}})
    condition = {"field": "customer.attributes.n", "op": "lt", "value": 10}
    api.post(
        "/segments", {"id": "low", "name": "Low", "condition": condition, "materialized": True}
    )

    for round_ in range(ROUNDS):
        limit = 10 + 10 * (round_ + 1)  # the segment grows each round
        api.patch("/segments/low", {"condition": {**condition, "value": limit}})
        responses = send_together(
            workspace.server_key, [("POST", "/segments/low/refresh", None)] * 4
        )
        assert [r.status_code for r in responses] == [200] * 4, [r.content for r in responses]

        current = SegmentMembership.objects.filter(segment__key="low", left_at__isnull=True)
        members = sorted(current.values_list("customer__external_id", flat=True))
        assert members == [f"c{i:02d}" for i in range(limit)]
        entered = OutboxEvent.objects.filter(type="segment.entered")
        announced = sorted(e.payload["customer_id"] for e in entered)
        assert announced == members  # each entry announced exactly once
        refreshes = SegmentRefresh.objects.order_by("started_at")
        assert sum(r.entered for r in refreshes) == limit
        assert refreshes.last().size == limit  # type: ignore[union-attr]
