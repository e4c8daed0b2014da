"""Every element type of the native definition on the hosted page, answered through plain
form posts, and what the page draws for each (accessible names, groups, tables)."""

from typing import Any

import pytest
from django.test import Client

from kizuna.feedback.models import Response
from kizuna.portal.tests.support import every_type_definition, link_token, make_survey
from kizuna.portal.tests.test_hosted_page import post


@pytest.fixture
def survey(workspace: Any) -> Any:
    return make_survey(workspace, "types", every_type_definition())


def step(client: Client, url: str, *, expect: str, status: int = 303, **fields: Any) -> str:
    page = client.get(url)
    html = page.content.decode()
    assert expect in html, expect
    answered = post(client, url, page, **fields)
    assert answered.status_code == status, answered.content.decode()[:2000]
    return answered.content.decode()


def test_every_element_type_is_drawn_and_answered(survey: Any) -> None:
    client = Client()
    url = f"/s/{link_token(survey)}"
    step(client, url, expect='role="radiogroup"', value="8")
    step(client, url, expect="Question 2 of 14", value="4")
    step(client, url, expect='name="value" value="7"', value="6")
    step(client, url, expect="★", value="5")
    refused = step(
        client, url, expect="Other", value="other", other="  ", status=422
    )  # other chosen without its text
    assert "Please tell us more about your other answer." in refused
    step(client, url, expect="Other", value="other", other="Mine")
    step(client, url, expect='type="checkbox"', value=["a", "b"])
    step(client, url, expect="<select", value="c")
    html = client.get(url).content.decode()
    assert 'for="rank-0"' in html and 'name="rank-2"' in html
    post(client, url, client.get(url), **{"rank-0": "2", "rank-1": "1", "rank-2": ""})
    html = client.get(url).content.decode()
    assert '<th scope="row" id="row-0">Staff</th>' in html
    assert 'aria-labelledby="row-1 col-0"' in html
    post(client, url, client.get(url), **{"row-0": "good", "row-1": "bad"})
    refused = step(client, url, expect='type="email"', value="nope", status=422)
    assert "Please enter a valid email address." in refused
    assert 'aria-describedby="q-error"' in refused
    step(client, url, expect='type="email"', value="ana@example.com")
    step(client, url, expect='type="date"', value="2026-05-01")
    step(client, url, expect=">No<", value="false")
    refused = step(client, url, expect="I agree", status=422)
    assert "Please answer this question." in refused
    step(client, url, expect="I agree", value="true")
    assert Response.objects.get(survey=survey).status == "in_progress"
    step(client, url, expect='href="https://example.com/more"')  # the statement finishes

    ending = client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="0;url=https://example.com/after">' in ending
    response = Response.objects.get(survey=survey)
    assert response.status == "completed"
    assert response.ending == "done"
    assert response.answers == {
        "nps": 8,
        "csat": 4,
        "ces": 6,
        "stars": 5,
        "single": "other",
        "single#other": "Mine",
        "multi": ["a", "b"],
        "drop": "c",
        "rank": ["b", "a"],
        "grid": {"staff": "good", "price": "bad"},
        "mail": "ana@example.com",
        "day": "2026-05-01",
        "yes": False,
        "ok": True,
    }
    assert set(response.time_ms) == set(response.answers) - {"single#other"} | {"note"}
