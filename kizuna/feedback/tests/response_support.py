"""Helpers of the tests of displays, responses, quotas and exports."""

from typing import Any

from conftest import ApiClient
from kizuna.core.models import OutboxEvent
from kizuna.customers.models import TimelineEntry
from kizuna.feedback.models import Answer, Display, QuotaCount, Response
from kizuna.feedback.tests.support import full_definition, survey_body


def published(api: ApiClient, definition: dict[str, Any] | None = None, **changes: Any) -> str:
    """Create the survey `relationship` (the full definition unless told) and publish it."""
    body = survey_body(**changes)
    if definition is not None:
        body["definition"] = definition
    created = api.post("/surveys", body)
    assert created.status_code == 201, created.data
    survey_id = str(created.data["id"])
    assert api.post(f"/surveys/{survey_id}/publish").status_code == 200
    return survey_id


def answer(submission_id: str = "sub-1", **changes: Any) -> dict[str, Any]:
    """A response body: an NPS of 9, in English, not finished (finished, with the consent the
    full definition requires)."""
    finishing = changes.get("finished", False)
    body: dict[str, Any] = {
        "submission_id": submission_id,
        "language": "en",
        "answers": {"nps": 9, "ok": True} if finishing else {"nps": 9},
        "finished": False,
        "time_ms": {},
        "meta": {},
    }
    body.update(changes)
    return body


def every_answer() -> dict[str, Any]:
    """An answer to every answerable element of the full definition."""
    return {
        "nps": 3,
        "csat": 4,
        "ces": 2,
        "stars": 5,
        "Why not?": "Slow delivery",
        "channel": "other",
        "channel#other": "At a friend's",
        "likes": ["tea", "other"],
        "likes#other": "Cakes",
        "city": "seoul",
        "order": ["speed", "price"],
        "grid": {"staff": "good", "store": "bad"},
        "email": "a@example.com",
        "age": "42.5",
        "site": "https://example.com/x",
        "visited": "2026-05-01",
        "again": False,
        "ok": True,
    }


def stored() -> dict[str, Any]:
    """Every row a save may write, to tell that a refused one wrote nothing."""
    return {
        "responses": list(Response.objects.order_by("pk").values()),
        "answers": list(Answer.objects.order_by("pk").values()),
        "quotas": list(QuotaCount.objects.order_by("pk").values()),
        "displays": list(Display.objects.order_by("pk").values()),
        "timeline": list(TimelineEntry.objects.order_by("pk").values()),
        "events": list(OutboxEvent.objects.filter(type__startswith="survey.response").values("pk")),
    }


__all__ = ["answer", "every_answer", "full_definition", "published", "stored"]
