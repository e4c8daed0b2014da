"""A personal link on the hosted page: its customer's locale serves the language, its
response is the customer's, and once answered it is used up for any other browser."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from kizuna.core.clock import now
from kizuna.customers.models import Customer
from kizuna.feedback.models import Display, Response
from kizuna.feedback.services.links import create_personal_links
from kizuna.portal.tests.support import branching_definition, make_survey
from kizuna.portal.tests.test_hosted_page import post


@pytest.fixture
def survey(workspace: Any) -> Any:
    return make_survey(workspace, "visit", branching_definition())


@pytest.fixture
def customer(workspace: Any) -> Customer:
    return Customer.objects.create(
        workspace=workspace.workspace, external_id="cust-1", locale="ko-KR"
    )


def test_a_personal_link_is_answered_once_in_the_customers_language(
    workspace: Any, survey: Any, customer: Customer
) -> None:
    (link,) = create_personal_links(workspace.workspace, survey.key, ["cust-1"])
    url = f"/s/{link.token}"
    client = Client(HTTP_ACCEPT_LANGUAGE="")
    page = client.get(url)
    assert '<html lang="ko">' in page.content.decode()
    display = Display.objects.get(survey=survey)
    assert display.customer_id == customer.pk
    post(client, url, page, action="start")
    post(client, url, client.get(url), value="10")
    post(client, url, client.get(url), value="5")

    response = Response.objects.get(survey=survey)
    assert (response.status, response.customer_id, response.language) == (
        "completed",
        customer.pk,
        "ko",
    )
    link.refresh_from_db()
    assert link.used_at is not None and link.response_id == response.pk

    again = client.get(url)  # the browser that answered sees its ending
    assert again.status_code == 200 and "감사합니다!" in again.content.decode()
    other = Client(HTTP_ACCEPT_LANGUAGE="en").get(url)  # anyone else: used up
    assert other.status_code == 409
    assert "This link has been used" in other.content.decode()
    assert Display.objects.filter(survey=survey).count() == 1


def test_an_expired_link_is_a_friendly_410(workspace: Any, survey: Any, customer: Customer) -> None:
    (link,) = create_personal_links(
        workspace.workspace, survey.key, ["cust-1"], now() + timedelta(days=1)
    )
    link.expires_at = now() - timedelta(seconds=1)
    link.save(update_fields=["expires_at"])
    page = Client(HTTP_ACCEPT_LANGUAGE="ja").get(f"/s/{link.token}")
    assert page.status_code == 410
    assert "このリンクの有効期限が切れています" in page.content.decode()
    assert Display.objects.filter(survey=survey).count() == 0
