"""`/u/{token}`: the unsubscribe page of an invitation email."""

from typing import Any

import pytest
from django.test import Client

from kizuna.customers.models import Consent, ConsentStatus
from kizuna.feedback.models import Invitation
from kizuna.portal.tests.support import branching_definition, invite, make_survey


@pytest.fixture
def invitation(workspace: Any) -> Invitation:
    make_survey(workspace, "visit", branching_definition())
    return invite(workspace)


def surveys_consent(invitation: Invitation) -> str:
    return str(Consent.objects.get(customer=invitation.customer, channel="surveys").status)


def test_get_asks_and_post_unsubscribes_in_the_customers_language(invitation: Invitation) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="")
    url = f"/u/{invitation.unsubscribe_token}"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="ja">' in html
    assert "配信を停止する" in html
    assert surveys_consent(invitation) == ConsentStatus.GRANTED  # a GET changes nothing

    done = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "配信を停止しました。" in done.content.decode()
    assert surveys_consent(invitation) == ConsentStatus.DENIED
    invitation.refresh_from_db()
    assert invitation.unsubscribed_at is not None
    again = client.post(url, {"List-Unsubscribe": "One-Click"})  # harmless
    assert again.status_code == 200
    assert surveys_consent(invitation) == ConsentStatus.DENIED


def test_an_unknown_unsubscribe_token_is_a_friendly_404(db: None) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="ko").post("/u/nothing-here")
    assert page.status_code == 404
    assert "유효하지 않은 수신 거부 링크입니다" in page.content.decode()
    assert '<html lang="ko">' in page.content.decode()
