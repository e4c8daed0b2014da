"""The list of follow-ups (overdue first, then by due time, keyset pages as of one moment)
and changes to one follow-up (status transitions, assignee, append-only notes, due time),
each audited."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace, create_workspace
from kizuna.core.clock import at, now
from kizuna.core.models import AuditEntry
from kizuna.feedback.models import FollowUp
from kizuna.feedback.tests.followup_support import (
    RESPONSES,
    answered,
    audit_rows,
    loop_survey,
    rule,
)
from kizuna.feedback.tests.support import assert_error

pytestmark = pytest.mark.django_db

LIST = "/follow-ups"


def _follow_ups(api: ApiClient, count: int) -> list[str]:
    """`count` follow-ups of detractors, due a day after their response, oldest first."""
    loop_survey(api, rule("detractor"))
    for n in range(count):
        assert api.post(RESPONSES, answered(f"sub-{n}", None, nps=n % 7)).status_code == 201
    return list(FollowUp.objects.order_by("pk").values_list("key", flat=True))


def _due(api: ApiClient, key: str, moment: datetime, **changes: Any) -> None:
    body = {"due_at": moment.isoformat(), **changes}
    changed = api.patch(f"{LIST}/{key}", body)
    assert changed.status_code == 200, changed.data


def _walk(api: ApiClient, query: str, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        got = api.get(f"{LIST}?limit={limit}{query}{suffix}")
        assert got.status_code == 200, got.data
        pages.append([row["id"] for row in got.data["data"]])
        cursor = got.data["next_cursor"]
        if cursor is None:
            return pages


@pytest.fixture
def seven(api: ApiClient) -> tuple[datetime, dict[str, str]]:
    """Seven follow-ups: a and b overdue, c due before now but closed, d and g due at the same
    time in an hour (g created later), e in five hours, f in a day."""
    keys = dict(zip("abcdefg", _follow_ups(api, 7), strict=True))
    t0 = now()
    _due(api, keys["a"], t0 - timedelta(hours=3))
    _due(api, keys["b"], t0 - timedelta(hours=1))
    _due(api, keys["c"], t0 - timedelta(hours=2), status="closed")
    _due(api, keys["d"], t0 + timedelta(hours=1))
    _due(api, keys["g"], t0 + timedelta(hours=1))
    _due(api, keys["e"], t0 + timedelta(hours=5))
    _due(api, keys["f"], t0 + timedelta(hours=24))
    return t0, keys


def test_overdue_first_then_by_due_time_across_pages(
    api: ApiClient, seven: tuple[datetime, dict[str, str]]
) -> None:
    _, k = seven
    expected = [k[x] for x in "abcdgef"]
    for limit in (1, 2, 3, 7, 50):
        pages = _walk(api, "", limit)
        assert [key for page in pages for key in page] == expected, limit
        assert all(len(page) == limit for page in pages[:-1])
    first = api.get(f"{LIST}?limit=3").data["data"]
    assert [(r["id"], r["overdue"], r["status"]) for r in first] == [
        (k["a"], True, "open"),
        (k["b"], True, "open"),
        (k["c"], False, "closed"),
    ]


def test_pages_keep_the_first_pages_moment(
    api: ApiClient, seven: tuple[datetime, dict[str, str]]
) -> None:
    t0, k = seven
    with at(t0 + timedelta(seconds=1)):
        first = api.get(f"{LIST}?limit=3").data
    assert [r["id"] for r in first["data"]] == [k["a"], k["b"], k["c"]]
    # Three hours later d and g are overdue, yet the walk begun before goes on in its order.
    with at(t0 + timedelta(hours=3)):
        rest = _walk(api, f"&cursor={first['next_cursor']}", 3)
        fresh = _walk(api, "", 10)
    assert [key for page in rest for key in page] == [k["d"], k["g"], k["e"], k["f"]]
    assert fresh == [[k[x] for x in "abdgcef"]]


def test_filters(api: ApiClient, seven: tuple[datetime, dict[str, str]]) -> None:
    _, k = seven
    _due(api, k["e"], now() + timedelta(hours=5), assignee="ana@shop.example")

    def ids(query: str) -> list[str]:
        return [row["id"] for row in api.get(f"{LIST}?{query}").data["data"]]

    assert ids("overdue=true") == [k["a"], k["b"]]
    assert ids("overdue=false") == [k[x] for x in "cdgef"]
    assert ids("status=closed") == [k["c"]]
    assert ids("status=open&overdue=true") == [k["a"], k["b"]]
    assert ids("assignee=ana@shop.example") == [k["e"]]
    assert ids("survey_id=loop") == [k[x] for x in "abcdgef"]
    assert ids("survey_id=other") == []
    assert_error(api.get(f"{LIST}?cursor=forged"), 422, "invalid_cursor", "cursor")


def test_status_moves_and_reopening(api: ApiClient) -> None:
    (key,) = _follow_ups(api, 1)
    path = f"{LIST}/{key}"
    for status in ("in_progress", "open", "in_progress", "closed"):
        changed = api.patch(path, {"status": status})
        assert (changed.status_code, changed.data["status"]) == (200, status)
    closed = api.get(path).data
    assert closed["closed_at"] is not None and closed["overdue"] is False
    before = FollowUp.objects.values().get()
    assert_error(
        api.patch(path, {"status": "in_progress"}), 422, "invalid_status_transition", "status"
    )
    assert FollowUp.objects.values().get() == before
    reopened = api.patch(path, {"status": "open"}).data
    assert (reopened["status"], reopened["closed_at"]) == ("open", None)
    moves = audit_rows("follow_up.updated")
    assert [(m["before"]["status"], m["after"]["status"]) for m in moves] == [
        ("open", "in_progress"),
        ("in_progress", "open"),
        ("open", "in_progress"),
        ("in_progress", "closed"),
        ("closed", "open"),
    ]


def test_assignee_notes_and_due_time(api: ApiClient, workspace: NewWorkspace) -> None:
    (key,) = _follow_ups(api, 1)
    path = f"{LIST}/{key}"
    due = datetime.fromisoformat("2030-01-02T03:04:05+09:00")
    first = api.patch(path, {"assignee": "ana@shop.example", "notes": "Called, no answer."})
    assert first.data["assignee"] == "ana@shop.example"
    second = api.patch(path, {"notes": "Refund offered.", "due_at": due.isoformat()})
    assert second.data["due_at"] == "2030-01-01T18:04:05Z"
    notes = second.data["notes"]
    assert [n["text"] for n in notes] == ["Called, no answer.", "Refund offered."]
    assert notes[0]["actor"]["type"] == "api_key"
    unassigned = api.patch(path, {"assignee": None})
    assert unassigned.data["assignee"] is None
    # Nothing changed: no audit row.
    count = AuditEntry.objects.filter(action="follow_up.updated").count()
    assert api.patch(path, {"status": "open"}).status_code == 200
    assert AuditEntry.objects.filter(action="follow_up.updated").count() == count == 3
    audits = audit_rows("follow_up.updated")
    assert audits[0]["reason"] == "Called, no answer."
    assert (audits[0]["before"]["assignee"], audits[0]["after"]["assignee"]) == (
        None,
        "ana@shop.example",
    )
    assert (audits[1]["before"]["notes"], audits[1]["after"]["notes"]) == (1, 2)
    before = FollowUp.objects.values().get()
    assert api.patch(path, {"due_at": "2030-01-02T03:04:05"}).status_code == 422
    assert api.patch(path, {"notes": ""}).status_code == 422
    assert api.patch(path, {"status": "done"}).status_code == 422
    assert FollowUp.objects.values().get() == before


def test_one_follow_up_read_and_another_workspaces_not_found(api: ApiClient) -> None:
    (key,) = _follow_ups(api, 1)
    got = api.get(f"{LIST}/{key}").data
    response = FollowUp.objects.select_related("response").get().response
    assert response is not None
    assert got | {"due_at": None, "created_at": None, "updated_at": None} == {
        "id": key,
        "status": "open",
        "assignee": None,
        "notes": [],
        "due_at": None,
        "overdue": False,
        "reason": "Call back a detractor",
        "rule_id": "detractor",
        "survey_id": "loop",
        "response_id": response.key,
        "customer_id": None,
        "created_at": None,
        "updated_at": None,
        "closed_at": None,
    }
    other = ApiClient(create_workspace("other-shop", "Other").server_key)
    assert_error(other.get(f"{LIST}/{key}"), 404, "follow_up_not_found", "follow_up_id")
    assert_error(
        other.patch(f"{LIST}/{key}", {"status": "closed"}),
        404,
        "follow_up_not_found",
        "follow_up_id",
    )
    assert other.get(LIST).data == {"data": [], "next_cursor": None}
    assert FollowUp.objects.get().status == "open"
