"""`make demo` prints a link to each demo survey's hosted page and the widget's test page."""

import re

import pytest
from django.test import Client

from kizuna.demo.tests.test_load_demo import load
from kizuna.feedback.models import Survey, SurveyLink


@pytest.mark.django_db
def test_the_demo_prints_a_hosted_page_per_survey_and_the_widget_page() -> None:
    printed = load(size=20)
    text = printed["output"]
    links = dict(re.findall(r"^\s+([a-z0-9-]+)\s+http://127\.0\.0\.1:8000/s/(\S+)$", text, re.M))
    surveys = set(Survey.objects.values_list("key", flat=True))
    assert set(links) == surveys and len(surveys) == 3
    for key, token in links.items():
        assert SurveyLink.objects.get(token=token).survey.key == key
        page = Client(HTTP_ACCEPT_LANGUAGE="ja").get(f"/s/{token}")
        assert page.status_code == 200, key
        assert '<html lang="ja">' in page.content.decode()
    assert re.search(
        rf"widget test page\s+http://127\.0\.0\.1:8000/widget-demo\?key={printed['publishable_key']}$",
        text,
        re.M,
    )
    assert load(size=20)["output"].count("/s/") == 3  # run again: the same public links
    assert SurveyLink.objects.count() == 3
