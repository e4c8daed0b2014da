"""The pages around the questions: a link that cannot be answered, the QR code of a link,
the workspace's branding and the Content-Security-Policy, the served language."""

import io
from typing import Any

import pytest
import zxingcpp
from django.core.management import CommandError, call_command
from django.test import Client
from PIL import Image

from kizuna.feedback.models import Display, Response
from kizuna.feedback.services.surveys import close_survey
from kizuna.portal.branding import contrast, readable, text_on
from kizuna.portal.tests.support import ACTOR, branching_definition, link_token, make_survey


@pytest.fixture
def survey(workspace: Any) -> Any:
    return make_survey(workspace, "visit", branching_definition())


def test_an_unknown_link_is_a_friendly_404_in_the_browser_language(db: None) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="ko").get("/s/nobody-nothing")
    assert page.status_code == 404
    html = page.content.decode()
    assert "설문을 찾을 수 없습니다" in html and '<html lang="ko">' in html


def test_a_closed_survey_is_a_friendly_409_and_records_nothing(workspace: Any, survey: Any) -> None:
    close_survey(workspace.workspace, survey.key, ACTOR)
    page = Client().get(f"/s/{link_token(survey)}?lang=ja")
    assert page.status_code == 409
    assert "このアンケートは終了しました" in page.content.decode()
    assert Display.objects.filter(survey=survey).count() == 0
    assert Response.objects.filter(survey=survey).count() == 0


def test_a_draft_survey_is_not_open(workspace: Any) -> None:
    draft = make_survey(workspace, "draft", branching_definition(), publish=False)
    page = Client().get(f"/s/{link_token(draft)}")
    assert page.status_code == 409
    assert "This survey is not open right now" in page.content.decode()


def test_language_comes_from_lang_then_accept_language_then_the_default(survey: Any) -> None:
    url = f"/s/{link_token(survey)}"
    assert (
        '<html lang="ko">'
        in Client(HTTP_ACCEPT_LANGUAGE="fr,ko-KR;q=0.8").get(url).content.decode()
    )
    assert '<html lang="en">' in Client(HTTP_ACCEPT_LANGUAGE="fr").get(url).content.decode()
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    assert '<html lang="ja">' in client.get(f"{url}?lang=ja").content.decode()
    assert '<html lang="ja">' in client.get(url).content.decode()  # kept for the visit


def test_the_qr_code_of_a_link_reads_as_its_url(survey: Any, settings: Any) -> None:
    settings.KIZUNA_PUBLIC_URL = "https://feedback.example"
    client = Client()
    png = client.get(f"/s/{link_token(survey)}/qr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [d.text for d in decoded] == [f"https://feedback.example/s/{link_token(survey)}?via=qr"]
    svg = client.get(f"/s/{link_token(survey)}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content
    assert client.get("/s/nobody-nothing/qr.png").status_code == 404


def test_a_visit_by_qr_code_is_displayed_on_the_qr_channel(survey: Any) -> None:
    Client().get(f"/s/{link_token(survey)}?via=qr")
    assert list(Display.objects.filter(survey=survey).values_list("channel", flat=True)) == ["qr"]


def test_branding_logo_colour_and_the_strict_policy(workspace: Any, survey: Any) -> None:
    call_command(
        "set_branding",
        workspace.workspace.slug,
        logo_url="https://cdn.example.com/logo.png",
        color="#FFD700",
        stdout=io.StringIO(),
    )
    page = Client().get(f"/s/{link_token(survey)}")
    html = page.content.decode()
    assert '<img class="logo" src="https://cdn.example.com/logo.png" alt="Test shop">' in html
    assert "--brand: #FFD700; --on-brand: #111111;" in html  # dark text on a light colour
    policy = page.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://cdn.example.com" in policy
    assert "script-src 'self' 'nonce-" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in html
    assert page["Cache-Control"] == "no-store"


def test_set_branding_refuses_a_colour_that_is_not_rgb(workspace: Any) -> None:
    with pytest.raises(CommandError, match="brand_color"):
        call_command("set_branding", workspace.workspace.slug, color="red", stdout=io.StringIO())
    workspace.workspace.refresh_from_db()
    assert workspace.workspace.brand_color == ""


def test_text_on_the_brand_colour_keeps_a_readable_contrast() -> None:
    for color in ("#1F4E8C", "#FFD700", "#C8102E", "#00FF00"):
        assert readable(color) == color
        assert contrast(color, text_on(color)) >= 4.5
    grey = readable("#777777")  # neither white nor dark text reaches 4.5:1 on it
    assert grey == "#6B6B6B"
    assert text_on(grey) == "#FFFFFF" and contrast(grey, "#FFFFFF") >= 4.5
