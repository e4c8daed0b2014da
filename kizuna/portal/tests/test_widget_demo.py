"""The widget's test page (`/widget-demo`): a strict policy, the widget from Kizuna's public
origin only, the query's values escaped, and the workspace's active surveys to choose from."""

from typing import Any

import pytest
from django.test import Client

from conftest import ApiClient
from kizuna.accounts.services import NewWorkspace
from kizuna.feedback.tests.response_support import published
from kizuna.feedback.tests.support import survey_body

POLICY = (
    "default-src 'self'; script-src 'self' https://kizuna.example; style-src 'self'; "
    "connect-src 'self' https://kizuna.example; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture(autouse=True)
def _public_url(settings: Any) -> None:
    settings.KIZUNA_PUBLIC_URL = "https://kizuna.example/base"


def test_the_page_embeds_the_widget_under_a_strict_policy(db: None) -> None:
    page = Client().get(
        "/widget-demo",
        {"key": "pk_abc", "survey": "nps", "customer": "HT-1", "lang": "ko", "trigger": "load"},
    )
    assert page.status_code == 200
    assert page["Content-Security-Policy"] == POLICY
    html = page.content.decode()
    assert (
        '<script src="https://kizuna.example/static/portal/widget.js" data-key="pk_abc" '
        'data-survey="nps" data-customer-id="HT-1" data-lang="ko" data-trigger="load" async>'
        "</script>"
    ) in html
    assert "nonce" not in html and "style=" not in html and "<style" not in html


def test_the_querys_values_are_escaped_and_a_strange_trigger_is_replaced(db: None) -> None:
    page = Client().get(
        "/widget-demo",
        {"key": 'pk_"><script>', "survey": "a b", "trigger": "delay:1; alert(1)"},
    )
    html = page.content.decode()
    assert 'data-key="pk_&quot;&gt;&lt;script&gt;"' in html
    assert 'data-trigger="delay:1"' in html
    assert "alert" not in html


def test_without_a_survey_the_page_lists_the_active_ones_of_the_keys_workspace(
    api: ApiClient, workspace: NewWorkspace
) -> None:
    published(api)
    assert api.post("/surveys", survey_body(id="draft-one")).status_code == 201
    page = Client().get("/widget-demo", {"key": workspace.publishable_key})
    html = page.content.decode()
    assert "widget.js" not in html
    key = workspace.publishable_key
    assert f'href="?key={key}&amp;survey=relationship&amp;trigger=event%3Apurchase"' in html
    assert "draft-one" not in html
    # A server key lists nothing: it does not belong in an address.
    server = Client().get("/widget-demo", {"key": workspace.server_key}).content.decode()
    assert "relationship" not in server
    assert "No active survey for this key" in server
