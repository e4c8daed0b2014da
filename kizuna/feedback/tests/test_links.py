"""Survey links: the public link, personal single-use links, and responses saved through
them (docs/survey-distribution.md, "Links")."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from conftest import ApiClient
from kizuna.core import clock
from kizuna.core.errors import KizunaError
from kizuna.feedback.models import Response, SurveyLink
from kizuna.feedback.services import links
from kizuna.feedback.tests.response_support import answer, published
from kizuna.feedback.tests.support import assert_error

LINKS = "/surveys/relationship/links"
RESPONSES = "/surveys/relationship/responses"


def _customers(api: ApiClient, *ids: str) -> None:
    for external_id in ids:
        assert api.put(
            f"/customers/{external_id}", {"email": f"{external_id}@example.com"}
        ).status_code in (
            200,
            201,
        )


def _link(api: ApiClient, customer_id: str = "cust-1", **body: object) -> str:
    created = api.post(LINKS, {"customer_ids": [customer_id], **body})
    assert created.status_code == 201, created.data
    return str(created.data["data"][0]["token"])


@override_settings(KIZUNA_PUBLIC_URL="https://feedback.example")
def test_personal_links_one_per_customer(api: ApiClient) -> None:
    published(api)
    _customers(api, "cust-1", "cust-2")
    created = api.post(LINKS, {"customer_ids": ["cust-1", "cust-2", "cust-1"]})
    assert created.status_code == 201, created.data
    rows = created.data["data"]
    assert [row["customer_id"] for row in rows] == ["cust-1", "cust-2"]
    assert {row["kind"] for row in rows} == {"personal"}
    assert rows[0]["url"] == f"https://feedback.example/s/{rows[0]['token']}"
    assert rows[0]["token"] != rows[1]["token"]
    assert (rows[0]["expires_at"], rows[0]["used_at"]) == (None, None)
    assert SurveyLink.objects.filter(kind="personal").count() == 2


def test_the_public_link_is_one_per_survey(api: ApiClient) -> None:
    published(api)
    first = api.get(f"{LINKS}/public")
    again = api.get(f"{LINKS}/public")
    assert first.status_code == 200, first.data
    assert (first.data["kind"], first.data["customer_id"]) == ("public", None)
    assert first.data["token"] == again.data["token"]
    assert first.data["url"].endswith(f"/s/{first.data['token']}")
    assert SurveyLink.objects.count() == 1


def test_refused_links_create_nothing(api: ApiClient, other_api: ApiClient) -> None:
    published(api)
    _customers(api, "cust-1")
    assert_error(
        api.post(LINKS, {"customer_ids": ["cust-1", "ghost"]}),
        404,
        "customer_not_found",
        "customer_ids.1",
    )
    assert_error(api.post(LINKS, {"customer_ids": []}), 422, "list_too_short", "customer_ids")
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert_error(
        api.post(LINKS, {"customer_ids": ["cust-1"], "expires_at": past}),
        422,
        "in_the_past",
        "expires_at",
    )
    assert_error(
        api.post("/surveys/nope/links", {"customer_ids": ["cust-1"]}),
        404,
        "survey_not_found",
        "survey_id",
    )
    # Another workspace sees neither the survey nor the customer.
    assert_error(
        other_api.post(LINKS, {"customer_ids": ["cust-1"]}), 404, "survey_not_found", "survey_id"
    )
    assert api.post("/surveys/relationship/close").status_code == 200
    assert_error(api.post(LINKS, {"customer_ids": ["cust-1"]}), 409, "survey_closed", "survey_id")
    assert SurveyLink.objects.count() == 0


def test_a_publishable_key_creates_no_links(api: ApiClient, browser_api: ApiClient) -> None:
    published(api)
    _customers(api, "cust-1")
    assert browser_api.post(LINKS, {"customer_ids": ["cust-1"]}).status_code in (401, 403)
    assert browser_api.get(f"{LINKS}/public").status_code in (401, 403)
    assert SurveyLink.objects.count() == 0


def test_resolve(api: ApiClient) -> None:
    published(api)
    _customers(api, "cust-1")
    token = _link(api)
    link = links.resolve(token, datetime.now(UTC))
    assert link.customer is not None
    assert (link.survey.key, link.kind, link.customer.external_id) == (
        "relationship",
        "personal",
        "cust-1",
    )
    with pytest.raises(KizunaError) as missing:
        links.resolve("nope", datetime.now(UTC))
    assert (missing.value.status, missing.value.code) == (404, "link_not_found")


def test_a_personal_link_answers_once_for_its_customer(
    api: ApiClient, browser_api: ApiClient
) -> None:
    published(api)
    _customers(api, "cust-1")
    token = _link(api)
    partial = browser_api.post(RESPONSES, answer("sub-1", link_token=token))
    assert partial.status_code == 201, partial.data
    assert partial.data["customer_id"] == "cust-1"
    assert SurveyLink.objects.get(token=token).used_at is None
    done = browser_api.post(RESPONSES, answer("sub-1", link_token=token, finished=True))
    assert (done.status_code, done.data["status"]) == (200, "completed")
    link = SurveyLink.objects.get(token=token)
    assert link.used_at is not None and link.response is not None
    assert link.response.key == done.data["id"]
    # An identical retry replays; a different submission with the used link is refused.
    retry = browser_api.post(RESPONSES, answer("sub-1", link_token=token, finished=True))
    assert (retry.status_code, retry.data["id"]) == (200, done.data["id"])
    assert_error(
        browser_api.post(RESPONSES, answer("sub-2", link_token=token)),
        409,
        "link_used",
        "link_token",
    )
    assert Response.objects.count() == 1
    with pytest.raises(KizunaError) as used:
        links.resolve(token, datetime.now(UTC))
    assert (used.value.status, used.value.code) == (409, "link_used")


def test_two_submissions_with_one_link_finish_one(api: ApiClient, browser_api: ApiClient) -> None:
    published(api)
    _customers(api, "cust-1")
    token = _link(api)
    assert browser_api.post(RESPONSES, answer("sub-1", link_token=token)).status_code == 201
    assert browser_api.post(RESPONSES, answer("sub-2", link_token=token)).status_code == 201
    assert (
        browser_api.post(RESPONSES, answer("sub-2", link_token=token, finished=True)).status_code
        == 200
    )
    refused = browser_api.post(RESPONSES, answer("sub-1", link_token=token, finished=True))
    assert_error(refused, 409, "link_used", "link_token")
    first = Response.objects.get(submission_id="sub-1")
    assert first.status == "in_progress"
    assert SurveyLink.objects.get(token=token).response == Response.objects.get(
        submission_id="sub-2"
    )


def test_link_faults_save_nothing(api: ApiClient, browser_api: ApiClient) -> None:
    published(api)
    _customers(api, "cust-1", "cust-2")
    token = _link(api)
    assert_error(
        browser_api.post(RESPONSES, answer("sub-1", link_token="nope")),
        404,
        "link_not_found",
        "link_token",
    )
    assert_error(
        browser_api.post(RESPONSES, answer("sub-1", link_token=token, customer_id="cust-2")),
        422,
        "customer_mismatch",
        "customer_id",
    )
    # A link to another survey does not answer this one.
    published(api, id="other")
    other = api.post("/surveys/other/links", {"customer_ids": ["cust-1"]}).data["data"][0]
    assert_error(
        browser_api.post(RESPONSES, answer("sub-1", link_token=other["token"])),
        404,
        "link_not_found",
        "link_token",
    )
    assert Response.objects.count() == 0


def test_an_expired_link_is_gone(api: ApiClient, browser_api: ApiClient) -> None:
    published(api)
    _customers(api, "cust-1")
    expires = datetime.now(UTC) + timedelta(hours=1)
    token = _link(api, expires_at=expires.isoformat())
    later = expires + timedelta(seconds=1)
    with clock.at(later):
        refused = browser_api.post(RESPONSES, answer("sub-1", link_token=token))
        assert_error(refused, 410, "link_expired", "link_token")
        with pytest.raises(KizunaError) as gone:
            links.resolve(token, clock.now())
    assert (gone.value.status, gone.value.code) == (410, "link_expired")
    assert Response.objects.count() == 0


def test_the_public_link_answers_many_times(api: ApiClient, browser_api: ApiClient) -> None:
    published(api)
    token = api.get(f"{LINKS}/public").data["token"]
    for n in (1, 2):
        saved = browser_api.post(RESPONSES, answer(f"sub-{n}", link_token=token, finished=True))
        assert (saved.status_code, saved.data["status"]) == (201, "completed")
    assert SurveyLink.objects.get(token=token).used_at is None
