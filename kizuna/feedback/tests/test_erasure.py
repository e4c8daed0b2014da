"""An erased customer's feedback: the free text and what could identify them go, the scores
stay (anonymised with the customer row), so the survey's results do not move."""

from typing import Any

import pytest

from conftest import ApiClient
from kizuna.feedback.models import Answer, FollowUp, Response
from kizuna.feedback.services import enrichment
from kizuna.feedback.tests.followup_support import (
    RESPONSES,
    SURVEY,
    answered,
    customer,
    loop_survey,
    rule,
)

pytestmark = pytest.mark.django_db


def _answer(api: ApiClient, submission: str, customer_id: str, why: str) -> None:
    body = answered(submission, customer_id, nps=3, csat=2, why=why)
    body["hidden"] = {"store": "Shibuya"}
    body["meta"] = {"page": "https://shop.example/orders/77?email=ann@example.com"}
    response = api.post(RESPONSES, body)
    assert response.status_code == 201, response.data


def _rows(customer_id: str) -> list[dict[str, Any]]:
    rows = Answer.objects.filter(customer__external_id=customer_id).order_by("element_id")
    return [dict(row) for row in rows.values("element_id", "kind", "number", "text")]


def test_erasure_clears_free_text_and_keeps_scores(api: ApiClient) -> None:
    loop_survey(api, rule("detractor"))
    customer(api, "cust-1")
    customer(api, "cust-2")
    _answer(api, "sub-1", "cust-1", "Slow delivery. Call me on 090-1234-5678.")
    _answer(api, "sub-2", "cust-2", "Rude staff at the Shibuya store.")
    follow_up = FollowUp.objects.get(customer__external_id="cust-1")
    noted = api.patch(f"/follow-ups/{follow_up.key}", {"notes": "Ann says the parcel was lost."})
    assert noted.status_code == 200, noted.data
    for response in Response.objects.all():
        enrichment.enrich_response(response.pk)  # as the background task does
    results = api.get(f"/surveys/{SURVEY}/results").data
    assert results["metrics"][2]["breakdown"]["negative"]["count"] == 2
    other = _rows("cust-2")

    assert api.post("/customers/cust-1/erase").status_code == 200

    erased = Response.objects.get(submission_id="sub-1")
    assert erased.answers == {"nps": 3, "csat": 2}
    assert "why" not in erased.data
    assert (erased.hidden, erased.meta, erased.browser_token) == ({}, {}, "")
    rows = Answer.objects.filter(response=erased).order_by("element_id")
    assert [(r.element_id, r.number, r.text, r.sentiment) for r in rows] == [
        ("csat", 2, "", ""),
        ("nps", 3, "", ""),
        ("why", None, "", "negative"),
    ]
    assert FollowUp.objects.get(pk=follow_up.pk).notes == []
    # The other customer's feedback is as it was; the results have not moved.
    kept = Response.objects.get(submission_id="sub-2")
    assert kept.answers["why"] == "Rude staff at the Shibuya store."
    assert kept.hidden == {"store": "Shibuya"}
    assert _rows("cust-2") == other
    assert FollowUp.objects.exclude(pk=follow_up.pk).get().customer_id == kept.customer_id
    assert api.get(f"/surveys/{SURVEY}/results").data == results


def test_erasing_twice_changes_nothing_more(api: ApiClient) -> None:
    loop_survey(api)
    customer(api, "cust-1")
    _answer(api, "sub-1", "cust-1", "Too expensive.")
    assert api.post("/customers/cust-1/erase").status_code == 200
    first = list(Response.objects.values())
    assert api.post("/customers/cust-1/erase").status_code == 200
    assert list(Response.objects.values()) == first
