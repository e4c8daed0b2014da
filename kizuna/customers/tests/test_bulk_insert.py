"""bulk_insert (core) writes the timeline rows bulk_create writes, by COPY on PostgreSQL from
COPY_FROM_ROWS rows, by INSERT below that and elsewhere."""

from datetime import UTC, datetime

import pytest

from kizuna.accounts.services import NewWorkspace
from kizuna.core.bulk import COPY_FROM_ROWS, bulk_insert
from kizuna.customers.models import Customer, TimelineEntry

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def _entries(
    workspace: NewWorkspace, customer: Customer, count: int, tag: str
) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            workspace=workspace.workspace,
            customer=customer,
            kind="event",
            object_id=f"{tag}-{n}",
            occurred_at=MOMENT,
            summary={"name": "visit", "n": n, "text": "café ☕", "nested": {"a": [1, None]}},
            created_at=MOMENT,
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [3, COPY_FROM_ROWS + 7])
def test_bulk_insert_writes_what_bulk_create_writes(workspace: NewWorkspace, count: int) -> None:
    customer = Customer.objects.create(workspace=workspace.workspace, external_id="c-1")
    inserted = bulk_insert(_entries(workspace, customer, count, "copy"))
    assert all(entry.pk is not None for entry in inserted)
    TimelineEntry.objects.bulk_create(_entries(workspace, customer, count, "insert"))

    def rows(tag: str) -> list[tuple[object, ...]]:
        return [
            (row[0].split("-", 1)[1], *row[1:])
            for row in TimelineEntry.objects.filter(object_id__startswith=tag)
            .order_by("object_id")
            .values_list("object_id", "kind", "occurred_at", "summary", "created_at")
        ]

    assert rows("copy-") == rows("insert-")
    assert len(rows("copy-")) == count
    assert sorted(e.pk for e in inserted) == sorted(
        TimelineEntry.objects.filter(object_id__startswith="copy-").values_list("pk", flat=True)
    )
