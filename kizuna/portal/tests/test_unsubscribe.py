"""`/u/{token}`: the unsubscribe page of an invitation email."""

from typing import Any

import pytest
from django.test import Client

from kizuna.core.clock import now
from kizuna.customers.models import Consent, ConsentStatus, Customer
from kizuna.customers.services.consents import apply_consents, check_consents
from kizuna.feedback.models import Invitation
from kizuna.feedback.services.invitations import queue_invitations
from kizuna.portal.tests.support import branching_definition, make_survey


@pytest.fixture
def invitation(workspace: Any) -> Invitation:
    make_survey(workspace, "visit", branching_definition())
    customer = Customer.objects.create(
        workspace=workspace.workspace, external_id="c1", email="mei@example.com", locale="ja"
    )
    customer.workspace = workspace.workspace
    granted = check_consents({"surveys": {"status": "granted", "updated_at": now()}})
    apply_consents(customer, granted, "test")
    queued = queue_invitations(workspace.workspace, "visit", {"customer_ids": ["c1"]})
    assert queued.queued == 1
    return Invitation.objects.get(customer=customer)


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
