"""The hosted survey page in Chromium on a phone (390x844): the branching survey answered in
Japanese and in Korean, once without JavaScript, resumed after a reload; axe-core finds no
serious or critical violation on the welcome, a question, an error and the ending; the
response stored is checked in the database."""

from pathlib import Path
from typing import Any

import pytest

from kizuna.feedback.models import Display, Response
from kizuna.feedback.services.surveys import close_survey
from kizuna.portal.tests.browser import needs_chromium, phone, screenshot, violations
from kizuna.portal.tests.support import (
    ACTOR,
    branching_definition,
    invite,
    link_token,
    make_survey,
)

pytestmark = [
    needs_chromium,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sync_database_calls"),
]


@pytest.fixture
def survey(workspace: Any) -> Any:
    workspace.workspace.brand_color = "#C8102E"
    workspace.workspace.save(update_fields=["brand_color"])
    return make_survey(workspace, "visit", branching_definition())


def accessible(page: Any) -> None:
    assert violations(page) == []


def test_japanese_on_a_phone_with_an_error_and_a_reload(
    chromium: Any, live_server: Any, survey: Any, tmp_path: Path
) -> None:
    context = phone(chromium, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{link_token(survey)}")
    assert page.locator("html").get_attribute("lang") == "ja"
    page.get_by_role("heading", name="2分ほどお時間をください").wait_for()
    accessible(page)
    page.get_by_role("button", name="開始").click()

    page.get_by_text("質問 1 / 3").wait_for()
    assert page.locator("#q-error").count() == 0  # no error before an answer is sent
    accessible(page)
    screenshot(page, "hosted-ja-phone", tmp_path)
    page.get_by_role("radio", name="3", exact=True).check()
    page.get_by_role("button", name="次へ").click()

    page.get_by_text("質問 2 / 4").wait_for()
    page.get_by_role("button", name="次へ").click()  # `why` is required: an error
    error = page.locator("#q-error")
    error.wait_for()
    assert "この質問にお答えください。" in error.inner_text()
    textbox = page.get_by_role("textbox", name="改善できる点は何ですか?")
    assert textbox.get_attribute("aria-invalid") == "true"
    assert textbox.get_attribute("aria-describedby") == "q-error"
    accessible(page)
    screenshot(page, "hosted-error", tmp_path)
    textbox.fill("レジの待ち時間が長かった")
    page.get_by_role("button", name="次へ").click()

    page.get_by_text("質問 3 / 4").wait_for()
    page.get_by_role("radio", name="その他").check()
    page.get_by_role("textbox", name="その他の場所").fill("駅の売店")
    page.get_by_role("button", name="次へ").click()
    page.get_by_text("質問 4 / 4").wait_for()

    page.reload()  # resumes where it stopped, answers kept
    page.get_by_text("質問 4 / 4").wait_for()
    page.get_by_role("button", name="戻る").click()
    page.get_by_text("質問 3 / 4").wait_for()
    assert page.get_by_role("radio", name="その他").is_checked()
    page.get_by_role("button", name="次へ").click()
    page.get_by_text("質問 4 / 4").wait_for()
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_role("button", name="送信").click()

    page.get_by_role("heading", name="ありがとうございました!").wait_for()
    accessible(page)
    screenshot(page, "hosted-ending", tmp_path)
    context.close()

    response = Response.objects.get(survey=survey)
    assert response.status == "completed"
    assert response.language == "ja"
    assert response.ending == "thanks"
    assert response.device == "mobile"
    assert response.answers == {
        "nps": 3,
        "why": "レジの待ち時間が長かった",
        "channel": "other",
        "channel#other": "駅の売店",
        "csat": 4,
    }
    assert set(response.time_ms) == {"nps", "why", "channel", "csat"}
    assert all(isinstance(ms, int) and ms >= 0 for ms in response.time_ms.values())
    assert Display.objects.filter(survey=survey).count() == 1


def test_korean_on_a_phone_a_promoter_jumps_to_the_last_page(
    chromium: Any, live_server: Any, survey: Any, tmp_path: Path
) -> None:
    context = phone(chromium, locale="ko-KR")
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{link_token(survey)}")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.get_by_role("button", name="시작").click()
    page.get_by_text("3개 중 1번째 질문").wait_for()
    page.get_by_role("radio", name="10", exact=True).check()
    screenshot(page, "hosted-ko-phone", tmp_path)
    page.get_by_role("button", name="다음").click()
    page.get_by_text("2개 중 2번째 질문").wait_for()  # p2 jumped over
    page.get_by_role("radio", name="5", exact=True).check()
    page.get_by_role("button", name="제출").click()
    page.get_by_role("heading", name="감사합니다!").wait_for()
    context.close()

    response = Response.objects.get(survey=survey)
    assert (response.status, response.language, response.ending) == ("completed", "ko", "thanks")
    assert response.answers == {"nps": 10, "csat": 5}
    assert set(response.time_ms) == {"nps", "csat"}


def test_without_javascript_a_passive_skips_the_hidden_question(
    chromium: Any, live_server: Any, survey: Any
) -> None:
    context = phone(chromium, locale="en-US", javascript=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{link_token(survey)}?lang=ja")
    page.get_by_role("link", name="English").click()  # the language switcher
    page.get_by_role("button", name="Start").click()
    page.get_by_text("Question 1 of 3").wait_for()
    page.get_by_role("radio", name="7", exact=True).check()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Question 2 of 3").wait_for()  # `why` hidden for a 7
    page.get_by_role("radio", name="In a shop").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("radio", name="5", exact=True).check()
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    context.close()

    response = Response.objects.get(survey=survey)
    assert (response.status, response.language) == ("completed", "en")
    assert response.answers == {"nps": 7, "channel": "shop", "csat": 5}
    assert set(response.time_ms) == {"nps", "channel", "csat"}


def test_the_pages_around_the_survey_are_accessible(
    chromium: Any, live_server: Any, survey: Any, workspace: Any
) -> None:
    invitation = invite(workspace)
    context = phone(chromium, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server.url}/u/{invitation.unsubscribe_token}")
    page.get_by_role("button", name="配信を停止する").wait_for()
    accessible(page)
    page.get_by_role("button", name="配信を停止する").click()
    page.get_by_role("status").wait_for()
    accessible(page)
    close_survey(workspace.workspace, survey.key, ACTOR)
    page.goto(f"{live_server.url}/s/{link_token(survey)}")
    page.get_by_role("heading", name="このアンケートは終了しました").wait_for()
    accessible(page)
    context.close()
