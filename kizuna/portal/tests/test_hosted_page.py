"""The hosted survey page through Django's test client: no JavaScript, one question per
step, answers saved on every step and resumed, the evaluator's errors inline, endings."""

import re
from typing import Any

import pytest
from django.test import Client

from kizuna.feedback.models import Display, Response
from kizuna.portal.tests.support import branching_definition, link_token, make_survey


def csrf(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def post(client: Client, url: str, page: Any, **fields: Any) -> Any:
    html = page.content.decode()
    element = re.search(r'name="element" value="([^"]*)"', html)
    data = {"csrfmiddlewaretoken": csrf(html), "action": "next", **fields}
    if element:
        data.setdefault("element", element.group(1))
    return client.post(url, data)


@pytest.fixture
def survey(workspace: Any) -> Any:
    return make_survey(workspace, "visit", branching_definition())


def test_a_respondent_answers_the_branching_survey_in_japanese(survey: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="ja-JP,ja;q=0.9,en;q=0.5")
    url = f"/s/{link_token(survey)}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="ja">' in html
    assert "2分ほどお時間をください" in html
    assert "Content-Security-Policy" in page.headers
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert Display.objects.filter(survey=survey).count() == 1

    page = client.get(url)  # a reload records no second display
    assert Display.objects.filter(survey=survey).count() == 1
    started = post(client, url, page, action="start")
    assert started.status_code == 303
    page = client.get(url)
    assert "質問 1 / 3" in page.content.decode()
    assert 'id="q-error"' not in page.content.decode()

    answered = post(client, url, page, value="3")
    assert answered.status_code == 303
    response = Response.objects.get(survey=survey)
    assert response.answers == {"nps": 3}
    assert response.status == "in_progress"
    assert response.language == "ja"
    assert "nps" in response.time_ms

    page = client.get(url)  # nps 3: `why` is shown, the path has four questions
    html = page.content.decode()
    assert "改善できる点は何ですか?" in html and "質問 2 / 4" in html

    refused = post(client, url, page, value="  ")
    assert refused.status_code == 422
    html = refused.content.decode()
    assert 'id="q-error"' in html and "この質問にお答えください。" in html
    assert 'aria-describedby="q-error"' in html and 'aria-invalid="true"' in html
    assert Response.objects.get(survey=survey).answers == {"nps": 3}

    post(client, url, refused, value="待ち時間が長い")
    page = client.get(url)
    post(client, url, page, value="other", other="駅の売店")
    page = client.get(url)
    assert "質問 4 / 4" in page.content.decode()
    finished = post(client, url, page, value="4")
    assert finished.status_code == 303
    ending = client.get(url)
    assert "ありがとうございました!" in ending.content.decode()

    response = Response.objects.get(survey=survey)
    assert response.status == "completed"
    assert response.ending == "thanks"
    assert response.answers == {
        "nps": 3,
        "why": "待ち時間が長い",
        "channel": "other",
        "channel#other": "駅の売店",
        "csat": 4,
    }
    assert set(response.time_ms) == {"nps", "why", "channel", "csat"}
    assert response.channel == "link"


def test_a_promoter_jumps_over_the_second_page_and_back_goes_back(survey: Any) -> None:
    client = Client()
    url = f"/s/{link_token(survey)}?lang=ko"
    page = client.get(url)
    assert '<html lang="ko">' in page.content.decode()
    post(client, url, page, action="start")
    page = client.get(url)
    post(client, url, page, value="10")
    page = client.get(url)
    html = page.content.decode()
    assert "전반적으로 얼마나 만족하시나요?" in html and "2개 중 2번째 질문" in html
    post(client, url, page, action="back")
    page = client.get(url)
    assert 'value="10" checked' in page.content.decode()
    post(client, url, page, value="9")
    page = client.get(url)
    post(client, url, page, value="5")
    response = Response.objects.get(survey=survey)
    assert response.answers == {"nps": 9, "csat": 5}
    assert response.status == "completed"
    assert response.language == "ko"
