"""Listing a survey's responses: newest first, keyset pages, filters, a fixed number of
queries per page."""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient
from kizuna.feedback.models import Response
from kizuna.feedback.tests.response_support import answer, published
from kizuna.feedback.tests.support import assert_error

PATH = "/surveys/relationship/responses"
T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _three(api: ApiClient) -> list[str]:
    """Responses a (in progress), b (completed, cust-1), c (completed), started a day apart."""
    published(api)
    assert api.put("/customers/cust-1", {"email": "a@example.com"}).status_code in (200, 201)
    keys = []
    for n, (sub, changes) in enumerate(
        [
            ("a", {}),
            ("b", {"finished": True, "customer_id": "cust-1"}),
            ("c", {"finished": True, "hidden": {"source": "qr"}}),
        ]
    ):
        saved = api.post(PATH, answer(sub, **changes))
        Response.objects.filter(submission_id=sub).update(started_at=T0 + timedelta(days=n))
        keys.append(saved.data["id"])
    return keys


def test_responses_are_listed_newest_first_in_pages(api: ApiClient) -> None:
    a, b, c = _three(api)
    first = api.get(f"{PATH}?limit=2")
    assert first.status_code == 200
    assert [r["id"] for r in first.data["data"]] == [c, b]
    assert first.data["next_cursor"]
    second = api.get(f"{PATH}?limit=2&cursor={first.data['next_cursor']}")
    assert [r["id"] for r in second.data["data"]] == [a]
    assert second.data["next_cursor"] is None
    row = first.data["data"][1]
    assert row["submission_id"] == "b"
    assert row["status"] == "completed"
    assert row["customer_id"] == "cust-1"
    assert row["answers"] == {"nps": 9, "ok": True}
    assert row["language"] == "en"
    assert row["started_at"] == "2026-05-02T00:00:00Z"
    assert first.data["data"][0]["hidden"] == {"source": "qr"}


def test_filters(api: ApiClient) -> None:
    a, b, c = _three(api)

    def ids(query: str) -> list[str]:
        listed = api.get(f"{PATH}?{query}")
        assert listed.status_code == 200, listed.data
        return [r["id"] for r in listed.data["data"]]

    assert ids("status=in_progress") == [a]
    assert ids("status=completed") == [c, b]
    assert ids("customer_id=cust-1") == [b]
    assert ids("customer_id=ghost") == []
    assert ids("from=2026-05-02T00:00:00%2B00:00") == [c, b]
    assert ids("to=2026-05-02T00:00:00%2B00:00") == [a]
    assert ids("from=2026-05-02T09:00:00%2B09:00&to=2026-05-03T00:00:00Z") == [b]
    assert_error(api.get(f"{PATH}?status=lost"), 422, "invalid_choice", "status")
    assert_error(api.get("/surveys/nope/responses"), 404, "survey_not_found", "survey_id")


def test_a_page_of_fifty_takes_a_fixed_number_of_queries(api: ApiClient) -> None:
    published(api)
    assert api.put("/customers/cust-1", {"email": "a@example.com"}).status_code in (200, 201)
    display = api.post("/surveys/relationship/displays", {"channel": "qr"}).data["id"]
    for n in range(55):
        extra = {"customer_id": "cust-1"} if n % 2 else {"display_id": display}
        assert api.post(PATH, answer(f"s{n}", **extra)).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        listed = api.get(PATH)
    assert len(listed.data["data"]) == 50
    assert {r["channel"] for r in listed.data["data"]} == {"qr", None}
    # The survey, then the page with its displays and customers.
    assert len(queries) == 2, [q["sql"] for q in queries]
