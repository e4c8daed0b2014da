"""Displays: a showing of an active survey, on a channel, to a customer if known."""

import pytest

from conftest import ApiClient
from kizuna.feedback.models import Display
from kizuna.feedback.tests.response_support import published
from kizuna.feedback.tests.support import assert_error, survey_body

PATH = "/surveys/relationship/displays"


def test_a_display_is_recorded(api: ApiClient) -> None:
    published(api)
    assert api.put("/customers/cust-1", {"email": "a@example.com"}).status_code in (200, 201)
    shown = api.post(PATH, {"channel": "email", "customer_id": "cust-1"})
    assert shown.status_code == 201, shown.data
    assert shown.data["id"].startswith("display-")
    assert shown.data["survey_id"] == "relationship"
    assert (shown.data["channel"], shown.data["customer_id"], shown.data["version"]) == (
        "email",
        "cust-1",
        1,
    )
    display = Display.objects.get()
    assert display.customer is not None
    assert (display.key, display.channel, display.customer.external_id) == (
        shown.data["id"],
        "email",
        "cust-1",
    )


@pytest.mark.parametrize("channel", ["link", "email", "widget", "api", "qr", "sms", "in_app"])
def test_every_channel_is_taken(api: ApiClient, channel: str) -> None:
    published(api)
    shown = api.post(PATH, {"channel": channel})
    assert (shown.status_code, shown.data["channel"], shown.data["customer_id"]) == (
        201,
        channel,
        None,
    )


def test_a_wrong_channel_or_customer_records_nothing(api: ApiClient) -> None:
    published(api)
    assert_error(api.post(PATH, {"channel": "fax"}), 422, "invalid_channel", "channel")
    assert_error(
        api.post(PATH, {"channel": "link", "customer_id": "ghost"}),
        404,
        "customer_not_found",
        "customer_id",
    )
    assert_error(api.post(PATH, {}), 422, "required", "channel")
    assert Display.objects.count() == 0


def test_only_an_active_survey_is_shown(api: ApiClient) -> None:
    assert api.post("/surveys", survey_body()).status_code == 201
    refused = api.post(PATH, {"channel": "link"})
    assert assert_error(refused, 409, "survey_not_active", "survey_id")["details"] == [
        {"status": "draft"}
    ]
    assert api.post("/surveys/relationship/publish").status_code == 200
    assert api.post("/surveys/relationship/pause").status_code == 200
    assert_error(api.post(PATH, {"channel": "link"}), 409, "survey_not_active", "survey_id")
    assert api.post("/surveys/relationship/close").status_code == 200
    assert_error(api.post(PATH, {"channel": "link"}), 409, "survey_closed", "survey_id")
    assert_error(
        api.post("/surveys/nope/displays", {"channel": "link"}),
        404,
        "survey_not_found",
        "survey_id",
    )
    assert Display.objects.count() == 0


def test_a_publishable_key_records_displays(api: ApiClient, browser_api: ApiClient) -> None:
    published(api)
    assert browser_api.post(PATH, {"channel": "widget"}).status_code == 201
    assert ApiClient(None).post(PATH, {"channel": "widget"}).status_code == 401


def test_a_scheduled_survey_is_not_shown_before_it_starts(api: ApiClient) -> None:
    body = survey_body(schedule={"starts_at": "2099-01-01T00:00:00+00:00"})
    assert api.post("/surveys", body).status_code == 201
    assert api.post("/surveys/relationship/publish").data["status"] == "scheduled"
    refused = api.post(PATH, {"channel": "link"})
    assert assert_error(refused, 409, "survey_not_active", "survey_id")["details"] == [
        {"status": "scheduled"}
    ]
    assert Display.objects.count() == 0
