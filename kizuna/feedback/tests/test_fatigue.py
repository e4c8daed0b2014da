"""Fatigue (recontact policy per survey, the workspace's cooldown) on displays, and the
widget's eligibility (docs/survey-distribution.md, "Fatigue", "Eligibility")."""

from datetime import timedelta
from typing import Any

import pytest

from conftest import ApiClient
from kizuna.core import clock
from kizuna.feedback.models import Contact, Display, FatigueCount
from kizuna.feedback.tests.response_support import answer, published
from kizuna.feedback.tests.support import assert_error

DISPLAYS = "/surveys/relationship/displays"
ELIGIBILITY = "/surveys/relationship/eligibility"
OSAKA = {"field": "customer.attributes.city", "op": "eq", "value": "Osaka"}


def _customer(api: ApiClient, external_id: str = "cust-1", **profile: Any) -> None:
    assert api.put(f"/customers/{external_id}", profile or {"locale": "en"}).status_code in (
        200,
        201,
    )


def _show(api: ApiClient, path: str = DISPLAYS, **body: Any) -> Any:
    return api.post(path, {"channel": "widget", "customer_id": "cust-1", **body})


def _throttled(shown: Any, reason: str) -> None:
    assert shown.status_code == 200, shown.data
    assert shown.data == {"id": None, "throttled": True, "reason": reason}


@pytest.mark.parametrize(
    ("recontact", "stored"),
    [
        ({"days": 30}, {"days": 30}),
        ({"policy": "once"}, {"policy": "once"}),
        ({"policy": "every", "days": 7}, {"policy": "every", "days": 7}),
        ({"policy": "until_answered"}, {"policy": "until_answered"}),
        ({"policy": "until_answered", "days": 2}, {"policy": "until_answered", "days": 2}),
        (None, None),
    ],
)
def test_recontact_settings(api: ApiClient, recontact: Any, stored: Any) -> None:
    published(api)
    changed = api.patch("/surveys/relationship", {"recontact": recontact})
    assert (changed.status_code, changed.data["recontact"]) == (200, stored)
    assert api.get("/surveys/relationship").data["recontact"] == stored


@pytest.mark.parametrize("recontact", [{"policy": "every"}, {"policy": "once", "days": 3}, {}])
def test_wrong_recontact_settings_change_nothing(api: ApiClient, recontact: Any) -> None:
    published(api, recontact={"days": 5})
    assert_error(
        api.patch("/surveys/relationship", {"recontact": recontact}),
        422,
        "invalid_recontact",
        "recontact",
    )
    assert api.get("/surveys/relationship").data["recontact"] == {"days": 5}


def test_once_drops_and_counts_a_second_widget_display(api: ApiClient) -> None:
    published(api, recontact={"policy": "once"})
    _customer(api)
    first = _show(api)
    assert first.status_code == 201, first.data
    _throttled(_show(api), "recontact")
    _throttled(_show(api), "recontact")
    assert Display.objects.count() == 1
    count = FatigueCount.objects.get()
    assert (count.kind, count.channel, count.reason, count.count) == (
        "display",
        "widget",
        "recontact",
        2,
    )
    # A link the customer follows is always shown (recorded as a contact).
    assert _show(api, channel="link").status_code == 201
    assert Contact.objects.count() == 2
    body = api.get("/surveys/relationship/fatigue").data
    assert (body["displays_throttled"], body["invitations_throttled"]) == (2, 0)


def test_until_answered(api: ApiClient) -> None:
    published(api, recontact={"policy": "until_answered", "days": 1})
    _customer(api)
    assert _show(api).status_code == 201
    _throttled(_show(api), "recontact")
    with clock.at(clock.now() + timedelta(days=1, minutes=1)):
        assert _show(api).status_code == 201
        done = api.post(
            "/surveys/relationship/responses",
            answer("sub-1", customer_id="cust-1", finished=True),
        )
        assert done.status_code == 201, done.data
    with clock.at(clock.now() + timedelta(days=30)):
        _throttled(_show(api), "answered")


def test_every_n_days(api: ApiClient) -> None:
    published(api, recontact={"days": 7})
    _customer(api)
    assert _show(api).status_code == 201
    with clock.at(clock.now() + timedelta(days=6)):
        _throttled(_show(api), "recontact")
    with clock.at(clock.now() + timedelta(days=7, minutes=1)):
        assert _show(api).status_code == 201


def test_an_anonymous_browser_is_held_by_its_token(api: ApiClient, browser_api: ApiClient) -> None:
    published(api, recontact={"policy": "once"})
    body = {"channel": "widget", "browser_token": "browser-0001"}
    assert browser_api.post(DISPLAYS, body).status_code == 201
    _throttled(browser_api.post(DISPLAYS, body), "recontact")
    other = {"channel": "widget", "browser_token": "browser-0002"}
    assert browser_api.post(DISPLAYS, other).status_code == 201
    assert browser_api.post(DISPLAYS, {"channel": "widget"}).status_code == 201  # no identity


def test_the_workspace_cooldown_spans_surveys(api: ApiClient) -> None:
    assert api.get("/survey-settings").data == {"cooldown_days": 0}
    changed = api.patch("/survey-settings", {"cooldown_days": 14})
    assert (changed.status_code, changed.data) == (200, {"cooldown_days": 14})
    assert api.get("/survey-settings").data == {"cooldown_days": 14}
    published(api)
    published(api, id="other", recontact={"policy": "until_answered"})
    _customer(api)
    assert _show(api).status_code == 201
    _throttled(_show(api, "/surveys/other/displays"), "cooldown")
    # A survey without a policy of its own keeps to the cooldown for itself too.
    _throttled(_show(api), "cooldown")
    with clock.at(clock.now() + timedelta(days=14, minutes=1)):
        assert _show(api, "/surveys/other/displays").status_code == 201
        # "other" has a policy of its own: its own contacts are left to it.
        assert _show(api, "/surveys/other/displays").status_code == 201
        _throttled(_show(api), "cooldown")


def test_wrong_settings_change_nothing(api: ApiClient, browser_api: ApiClient) -> None:
    assert api.patch("/survey-settings", {"cooldown_days": 3}).status_code == 200
    assert_error(
        api.patch("/survey-settings", {"cooldown_days": -1}), 422, "out_of_range", "cooldown_days"
    )
    assert_error(
        api.patch("/survey-settings", {"cooldown_days": None}), 422, "null_value", "cooldown_days"
    )
    assert browser_api.patch("/survey-settings", {"cooldown_days": 0}).status_code in (401, 403)
    assert api.get("/survey-settings").data == {"cooldown_days": 3}


def test_eligibility(api: ApiClient, browser_api: ApiClient) -> None:
    _customer(api, "cust-1", locale="ko-KR", attributes={"city": "Osaka"})
    _customer(api, "cust-2", attributes={"city": "Kyoto"})
    published(api, targeting=OSAKA, recontact={"policy": "once"})

    def ask(**body: Any) -> dict[str, Any]:
        asked = browser_api.post(ELIGIBILITY, {"channel": "widget", **body})
        assert asked.status_code == 200, asked.data
        return dict(asked.data)

    assert ask(customer_id="cust-1") == {"show": True, "reason": None, "language": "ko"}
    assert ask(customer_id="cust-2", language="ja") == {
        "show": False,
        "reason": "not_targeted",
        "language": "ja",
    }
    assert ask(browser_token="browser-0001")["reason"] == "not_targeted"
    assert ask(customer_id="ghost")["reason"] == "not_targeted"
    assert Contact.objects.count() == 0  # asking changes nothing
    assert _show(api).status_code == 201
    assert ask(customer_id="cust-1")["reason"] == "recontact"
    done = api.post(
        "/surveys/relationship/responses", answer("sub-1", customer_id="cust-1", finished=True)
    )
    assert done.status_code == 201
    assert ask(customer_id="cust-1")["reason"] == "answered"
    assert api.post("/surveys/relationship/pause").status_code == 200
    assert ask(customer_id="cust-1") == {
        "show": False,
        "reason": "not_active",
        "language": "ko",
    }


def test_eligibility_without_targeting_and_faults(api: ApiClient, browser_api: ApiClient) -> None:
    published(api)
    asked = browser_api.post(ELIGIBILITY, {"channel": "widget", "browser_token": "browser-0001"})
    assert asked.data == {"show": True, "reason": None, "language": "en"}
    assert_error(
        browser_api.post(ELIGIBILITY, {"channel": "fax"}), 422, "invalid_channel", "channel"
    )
    assert_error(
        browser_api.post("/surveys/nope/eligibility", {"channel": "widget"}),
        404,
        "survey_not_found",
        "survey_id",
    )
