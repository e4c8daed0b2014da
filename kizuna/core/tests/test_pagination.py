from datetime import UTC, datetime, timedelta

import pytest

from kizuna.core.errors import ValidationFailed
from kizuna.core.models import OutboxEvent, Workspace
from kizuna.core.pagination import decode_cursor, encode_cursor, keyset_page

pytestmark = pytest.mark.django_db


def test_cursor_round_trip_keeps_aware_datetimes() -> None:
    moment = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert decode_cursor(encode_cursor([moment, 42]), 2) == [moment, 42]


@pytest.mark.parametrize(
    "cursor", ["nope", encode_cursor([1]), "!!!", encode_cursor(["a", "b", "c"])]
)
def test_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(cursor, 2)
    assert info.value.code == "invalid_cursor"
    assert info.value.field == "cursor"


@pytest.mark.parametrize("limit", [0, -1, 501])
def test_limit_bounds(limit: int) -> None:
    with pytest.raises(ValidationFailed) as info:
        keyset_page(
            Workspace.objects.all(), fields=("id",), descending=False, cursor=None, limit=limit
        )
    assert info.value.code == "invalid_limit"


def test_descending_keyset_walk_with_ties_visits_each_row_once() -> None:
    workspace = Workspace.objects.create(slug="pages", name="Pages")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    # Three rows share each timestamp, so the id breaks the ties.
    for i in range(20):
        OutboxEvent.objects.create(
            workspace=workspace,
            type="t",
            payload={"i": i},
            occurred_at=base + timedelta(hours=i // 3),
        )
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        rows, cursor = keyset_page(
            OutboxEvent.objects.for_workspace(workspace),
            fields=("occurred_at", "id"),
            descending=True,
            cursor=cursor,
            limit=4,
        )
        pages += 1
        seen += [row.payload["i"] for row in rows]
        if cursor is None:
            break
    assert pages == 5
    assert sorted(seen) == list(range(20))
    assert len(seen) == 20
    times = [base + timedelta(hours=i // 3) for i in seen]
    assert times == sorted(times, reverse=True)
