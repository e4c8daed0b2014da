"""Reads of the insights app. Every query is scoped with `for_workspace`."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from kizuna.core.conditions import FieldSpec, registry
from kizuna.core.models import Workspace
from kizuna.core.pagination import keyset_page
from kizuna.customers.models import Customer
from kizuna.customers.selectors import listed_customers
from kizuna.insights.errors import SegmentNotFound, SegmentNotFoundFilter
from kizuna.insights.models import Segment, SegmentMembership
from kizuna.insights.services.refresh import matching_customers

PREVIEW_SAMPLE = 10


def condition_fields(workspace: Workspace) -> list[FieldSpec]:
    """Every field a condition may name in this workspace (its attributes resolved)."""
    return registry.describe(workspace)


def get_segment(workspace: Workspace, key: str) -> Segment:
    segment = Segment.objects.for_workspace(workspace).filter(key=key).first()
    if segment is None:
        raise SegmentNotFound(f"No segment {key!r}.", field="segment_id")
    return segment


def list_segments(
    workspace: Workspace, *, cursor: str | None, limit: int | None
) -> tuple[list[Segment], str | None]:
    queryset = Segment.objects.for_workspace(workspace)
    return keyset_page(queryset, fields=("key",), descending=False, cursor=cursor, limit=limit)


def members_filter(workspace: Workspace, segment: Segment) -> Q:
    """The segment's customers as a Q over customers: the current members of a materialized
    segment (as its last refresh left them), the condition compiled now for a live one."""
    if segment.materialized:
        current = SegmentMembership.objects.filter(
            segment=segment, customer_id=OuterRef("pk"), left_at__isnull=True
        )
        return Q(Exists(current))
    matching = matching_customers(workspace, segment.condition)
    return Q(pk__in=matching.values("pk"))


def segment_customers(
    workspace: Workspace, key: str, *, cursor: str | None, limit: int | None
) -> tuple[list[Customer], str | None]:
    segment = get_segment(workspace, key)
    queryset = listed_customers(workspace).filter(members_filter(workspace, segment))
    return keyset_page(queryset, fields=("id",), descending=False, cursor=cursor, limit=limit)


def segment_filter(workspace: Workspace, key: str) -> Q:
    """`GET /customers?segment=<id>` (registered with the customers app at start-up)."""
    segment = Segment.objects.for_workspace(workspace).filter(key=key).first()
    if segment is None:
        raise SegmentNotFoundFilter(f"No segment {key!r} in this workspace.", field="segment")
    return members_filter(workspace, segment)


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[Customer]


def preview(workspace: Workspace, condition_data: Any) -> Preview:
    """How many customers a condition selects now, and the first few of them. Saves
    nothing."""
    matching: QuerySet[Customer] = matching_customers(workspace, condition_data)
    sample = listed_customers(workspace).filter(pk__in=matching.values("pk")).order_by("id")
    return Preview(count=matching.count(), sample=list(sample[:PREVIEW_SAMPLE]))
