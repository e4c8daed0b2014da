"""The segments a marketer would make in the demo workspace, created through the insights services
and refreshed once after the load, without events (seeding announces nothing)."""

from collections.abc import Callable
from typing import Any

from kizuna.core.models import Workspace
from kizuna.insights.models import SegmentRefresh
from kizuna.insights.services import refresh, segments

DEMO_SEGMENTS: list[dict[str, Any]] = [
    {
        "id": "vip",
        "name": "VIPs",
        "description": "Tea club members with three paid orders or more, and anyone with ten.",
        "condition": {
            "any": [
                {
                    "all": [
                        {"field": "customer.attributes.tea_club_member", "op": "eq", "value": True},
                        {"field": "customer.orders.count", "op": "gte", "value": 3},
                    ]
                },
                {"field": "customer.orders.count", "op": "gte", "value": 10},
            ]
        },
    },
    {
        "id": "lapsed-buyers",
        "name": "Lapsed buyers",
        "description": "Bought at least twice, but nothing in the last four months.",
        "condition": {
            "all": [
                {"field": "customer.orders.count", "op": "gte", "value": 2},
                {"field": "customer.orders.last_at", "op": "not_within_last", "value": "4m"},
            ]
        },
    },
    {
        "id": "new-this-month",
        "name": "New this month",
        "description": "Customers Kizuna first heard of in the last month.",
        "condition": {"field": "customer.created_at", "op": "within_last", "value": "1m"},
    },
    {
        "id": "osaka-ja",
        "name": "Japanese speakers in Osaka",
        "description": "Japanese locale, living in Osaka.",
        "condition": {
            "all": [
                {"field": "customer.locale", "op": "starts_with", "value": "ja"},
                {"field": "customer.attributes.city", "op": "in", "value": ["大阪", "Osaka"]},
            ]
        },
    },
    {
        "id": "high-spenders-90d",
        "name": "High spenders, last 90 days",
        "description": "Spent over 150.00 in the last 90 days. Spend is summed in the "
        "workspace's currency (USD): orders in yen and won are not converted, so this "
        "selects US shoppers.",
        "condition": {
            "field": "customer.orders.total_spent",
            "within": "90d",
            "op": "gt",
            "value": "150.00",
        },
    },
    {
        "id": "stars-gold-and-up",
        "name": "Hoshi Stars: Gold and Platinum",
        "description": "Members of the Hoshi Stars program in its two highest tiers.",
        "condition": {
            "field": "customer.loyalty.hoshi-stars.tier",
            "op": "in",
            "value": ["gold", "platinum"],
        },
    },
    {
        "id": "stars-to-spend",
        "name": "Hoshi Stars: 300 stars or more to spend",
        "description": "Members with a balance worth reminding them of.",
        "condition": {"field": "customer.loyalty.hoshi-stars.points", "op": "gte", "value": 300},
    },
]


def add_segments(workspace: Workspace, report: Callable[[str], None]) -> None:
    """The demo segments, each refreshed once."""
    for definition in DEMO_SEGMENTS:
        segment = segments.create_segment(
            workspace, {**definition, "materialized": True}, refresh_after_commit=False
        )
        done = refresh.refresh_segment_by_pk(
            segment.pk, SegmentRefresh.Trigger.DEMO, announce=False
        )
        assert done is not None
        report(f"  segment {segment.key:<18} {done.size} member(s)")
