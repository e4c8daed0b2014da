"""The sentiment of open answers, stored on the answer projection in the background, and the
themes of a survey's open answers with what drives its detractors."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from conftest import ApiClient, NewWorkspace
from kizuna.core import schedule
from kizuna.feedback import jobs, tasks
from kizuna.feedback.models import Answer, AnswerKind, Response, Survey
from kizuna.feedback.services import enrichment
from kizuna.feedback.tests.support import assert_error, t
from kizuna.textanalytics.analysis import TextIn
from kizuna.textanalytics.services import analyze_texts

pytestmark = pytest.mark.django_db

DEFINITION = {
    "pages": [
        {
            "id": "p1",
            "elements": [
                {"id": "nps", "type": "nps", "title": t("Recommend?")},
                {"id": "why", "type": "text", "title": t("Why?")},
                {
                    "id": "pick",
                    "type": "single_choice",
                    "title": t("Pick"),
                    "choices": [{"id": "a", "text": t("A")}],
                    "other": True,
                },
            ],
        }
    ]
}

DETRACTOR_TEXTS = [
    "The delivery was late again and the parcel was damaged.",
    "Delivery took two weeks, very slow shipping.",
    "Late delivery and nobody answered my email.",
    "配送が遅れて、箱もつぶれていました。",
]
PROMOTER_TEXTS = [
    "The tea tastes wonderful and the aroma is lovely.",
    "Great taste, I love the matcha.",
    "Wonderful taste and friendly staff.",
    "맛이 정말 좋아요. 향도 훌륭해요.",
]


def _survey(api: ApiClient) -> Survey:
    before = set(Survey.objects.values_list("pk", flat=True))
    body = {
        "id": "relationship",
        "name": "Relationship",
        "languages": ["en", "ja", "ko"],
        "default_language": "en",
        "timezone": "UTC",
        "definition": DEFINITION,
    }
    created = api.post("/surveys", body)
    assert created.status_code == 201, created.data
    return Survey.objects.exclude(pk__in=before).get(key="relationship")


def _response(survey: Survey, n: int, language: str, rows: list[dict[str, Any]]) -> Response:
    response = Response.objects.create(
        workspace=survey.workspace,
        survey=survey,
        key=f"rsp-{survey.pk}-{n}",
        version=1,
        submission_id=f"sub-{n}",
        language=language,
        status="completed",
    )
    Answer.objects.bulk_create(
        Answer(workspace=survey.workspace, survey=survey, response=response, **row) for row in rows
    )
    return response


def _language(text: str) -> str:
    if any("\uac00" <= c <= "\ud7a3" for c in text):
        return "ko"
    return "ja" if any("\u3040" <= c <= "\u30ff" for c in text) else "en"


def _answered(survey: Survey) -> list[Response]:
    responses = []
    for n, (score, text) in enumerate(
        [(2, text) for text in DETRACTOR_TEXTS] + [(10, text) for text in PROMOTER_TEXTS]
    ):
        responses.append(
            _response(
                survey,
                n,
                _language(text),
                [
                    {"element_id": "nps", "kind": AnswerKind.NPS, "number": score},
                    {"element_id": "why", "kind": AnswerKind.TEXT, "text": text},
                ],
            )
        )
    return responses


def test_a_response_s_open_answers_get_the_analyzer_s_sentiment(api: ApiClient) -> None:
    survey = _survey(api)
    response = _response(
        survey,
        1,
        "ja-JP",
        [
            {"element_id": "nps", "kind": AnswerKind.NPS, "number": 3},
            {"element_id": "why", "kind": AnswerKind.TEXT, "text": "対応がとても遅くて残念です。"},
            {
                "element_id": "pick",
                "kind": AnswerKind.CHOICE,
                "choice": "other",
                "text": "Fast and friendly, thank you!",
            },
            {"element_id": "pick", "kind": AnswerKind.CHOICE, "choice": "a"},
        ],
    )
    assert tasks.enrich_response.call(response.pk) == 2
    expected = analyze_texts(
        [
            TextIn(id="why", text="対応がとても遅くて残念です。", language="ja"),
            TextIn(id="other", text="Fast and friendly, thank you!", language="ja"),
        ]
    )
    why = Answer.objects.get(element_id="why")
    other = Answer.objects.get(element_id="pick", choice="other")
    assert (why.sentiment, why.sentiment_score) == (
        expected[0].sentiment,
        round(expected[0].score, 4),
    )
    assert (other.sentiment, other.sentiment_score) == (
        expected[1].sentiment,
        round(expected[1].score, 4),
    )
    assert why.sentiment == "negative"
    untouched = Answer.objects.exclude(pk__in=[why.pk, other.pk])
    assert list(untouched.values_list("sentiment", "sentiment_score")) == [("", None)] * 2
    # Run again (a retried task): nothing is waiting, nothing is written.
    assert tasks.enrich_response.call(response.pk) == 0


def test_a_result_is_not_stored_over_an_answer_changed_meanwhile(api: ApiClient) -> None:
    survey = _survey(api)
    _response(survey, 1, "en", [{"element_id": "why", "kind": AnswerKind.TEXT, "text": "Slow."}])
    row = enrichment._rows(enrichment.waiting(), 10)[0]
    Answer.objects.filter(pk=row.pk).update(text="Actually it was great!")
    assert enrichment._analyse([row]) == 0
    assert Answer.objects.get(pk=row.pk).sentiment == ""
    assert enrichment.enrich_waiting() == 1
    assert Answer.objects.get(pk=row.pk).sentiment == "positive"


def test_history_is_analysed_batch_by_batch_with_progress_in_its_workspace(
    api: ApiClient, other_api: ApiClient, other_workspace: NewWorkspace
) -> None:
    survey = _survey(api)
    other = _survey(other_api)
    _answered(survey)
    _response(other, 1, "en", [{"element_id": "why", "kind": AnswerKind.TEXT, "text": "Fine."}])
    seen: list[tuple[int, int]] = []
    stored = enrichment.enrich_waiting(
        survey.workspace, "relationship", lambda d, n: seen.append((d, n))
    )
    assert stored == 8
    assert seen == [(8, 8)]
    assert enrichment.waiting().filter(workspace=survey.workspace).count() == 0
    assert enrichment.waiting().filter(workspace=other.workspace).count() == 1


def test_the_command_and_the_sweep_analyse_what_is_waiting(api: ApiClient) -> None:
    survey = _survey(api)
    _answered(survey)
    out = StringIO()
    call_command("enrich_answers", workspace=survey.workspace.slug, stdout=out)
    assert out.getvalue().splitlines() == [
        "  answers 8/8 (100%)",
        "enrich_answers: analysed 8 answer(s)",
    ]
    assert schedule.JOBS["enrich_answers"].func is jobs.enrich_answers
    Answer.objects.filter(element_id="why").update(sentiment="", sentiment_score=None)
    assert jobs.enrich_answers() == "analysed 8 answer(s)"


def test_themes_show_what_drives_detractors(api: ApiClient, browser_api: ApiClient) -> None:
    survey = _survey(api)
    _answered(survey)
    waiting = api.get("/surveys/relationship/themes").data
    assert (waiting["answers"], waiting["waiting"], waiting["themes"]) == (0, 8, [])
    enrichment.enrich_waiting()
    body = api.get("/surveys/relationship/themes?element_id=why").data
    assert (body["answers"], body["waiting"]) == (8, 0)
    assert sum(body["sentiment"].values()) == 8
    assert body["sentiment"]["negative"] >= 3 and body["sentiment"]["positive"] >= 3
    by_key = {theme["key"]: theme for theme in body["themes"]}
    delivery = next(theme for key, theme in by_key.items() if "deliver" in key)
    assert delivery["count"] >= 3
    assert delivery["average_score"] < 0
    assert {example["text"] for example in delivery["examples"]} <= set(DETRACTOR_TEXTS)
    assert all(example["response_id"].startswith("rsp-") for example in delivery["examples"])
    top = body["drivers"][0]
    assert "deliver" in top["key"]
    assert top["detractors"] >= 3 and top["promoters"] == 0
    assert top["detractor_share"] > top["promoter_share"]
    assert_error(
        api.get("/surveys/relationship/themes?element_id=nope"),
        404,
        "element_not_found",
        "element_id",
    )
    assert_error(
        api.get("/surveys/relationship/themes?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"),
        422,
        "invalid_range",
        "to",
    )
    assert_error(api.get("/surveys/nope/themes"), 404, "survey_not_found", "survey_id")
    assert browser_api.get("/surveys/relationship/themes").status_code == 403
