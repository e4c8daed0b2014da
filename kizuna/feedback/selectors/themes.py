"""What open answers talk about: the themes of a survey's text answers, with counts, example
answers and average sentiment, and "what drives detractors", the themes that detractors
mention more often than promoters (docs/sentiment.md, themes).

Answers are read as stored: their sentiment and score were analysed in the background
(services/enrichment.py); an answer not analysed yet is counted in `waiting` and left out.
Themes come from the text analytics app (`find_themes`, `drivers`), which tokenises each
language with its own tokenizer. At most the `SAMPLE` most recent answers are read."""

from collections import Counter
from datetime import datetime
from typing import Any, cast

from kizuna.core.models import Workspace
from kizuna.feedback.errors import UnknownElement
from kizuna.feedback.models import Answer, AnswerKind
from kizuna.feedback.selectors.surveys import get_survey
from kizuna.feedback.services.enrichment import waiting
from kizuna.textanalytics.analysis import Analysis, Sentiment, TextIn
from kizuna.textanalytics.language import LANGUAGES, detect_language
from kizuna.textanalytics.themes import drivers, find_themes, text_themes

SAMPLE = 5000
TEXT_KINDS = (AnswerKind.TEXT, AnswerKind.CHOICE)


def nps_category(score: Any) -> str:
    if score is None:
        return ""
    return "promoter" if score >= 9 else ("passive" if score >= 7 else "detractor")


def _elements(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for page in definition.get("pages", []) for e in page.get("elements", [])]


def survey_themes(
    workspace: Workspace,
    survey_key: str,
    *,
    element_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    survey = get_survey(workspace, survey_key)
    elements = _elements(survey.definition)
    if element_id is not None and not any(e["id"] == element_id for e in elements):
        raise UnknownElement(
            f"Survey {survey_key!r} has no element {element_id!r}.", field="element_id"
        )
    nps_element = next((e["id"] for e in elements if e["type"] == "nps"), None)
    rows = Answer.objects.for_workspace(workspace).filter(survey=survey, kind__in=TEXT_KINDS)
    rows = rows.exclude(text="")
    if element_id is not None:
        rows = rows.filter(element_id=element_id)
    if start is not None:
        rows = rows.filter(answered_at__gte=start)
    if end is not None:
        rows = rows.filter(answered_at__lt=end)
    pending = rows.filter(pk__in=waiting().values("pk")).count()
    analysed = list(
        rows.exclude(sentiment="")
        .order_by("-answered_at", "-pk")
        .values_list(
            "pk",
            "response_id",
            "response__key",
            "text",
            "sentiment",
            "sentiment_score",
            "response__language",
        )[:SAMPLE]
    )
    texts, results, by_id = [], [], {}
    for pk, _response, response_key, text, sentiment, score, language in analysed:
        base = language.split("-", 1)[0].lower()
        code = base if base in LANGUAGES else detect_language(text)
        texts.append(TextIn(id=str(pk), text=text, language=code))
        results.append(
            Analysis(
                id=str(pk),
                language=code,
                sentiment=cast(Sentiment, sentiment),
                score=score or 0.0,
                themes=text_themes(text, code),
            )
        )
        by_id[str(pk)] = {"response_id": response_key, "text": text}
    themes = find_themes(texts, results, limit=limit) if texts else []
    ranked = []
    if nps_element is not None and texts:
        scores = dict(
            Answer.objects.for_workspace(workspace)
            .filter(
                survey=survey,
                element_id=nps_element,
                kind=AnswerKind.NPS,
                response_id__in={row[1] for row in analysed},
            )
            .values_list("response_id", "number")
        )
        groups = [nps_category(scores.get(row[1])) for row in analysed]
        ranked = drivers(list(zip(texts, groups, strict=True)), results=results, limit=limit)
    return {
        "survey_id": survey.key,
        "element_id": element_id,
        "answers": len(texts),
        "waiting": pending,
        "sentiment": dict(Counter(result.sentiment for result in results)),
        "themes": [
            {
                "key": theme.key,
                "label": theme.label,
                "count": theme.count,
                "share": theme.share,
                "keywords": theme.keywords,
                "average_score": theme.average_score,
                "sentiments": theme.sentiments,
                "examples": [by_id[example] for example in theme.examples],
            }
            for theme in themes
        ],
        "drivers": [
            {
                "key": d.key,
                "label": d.label,
                "detractors": d.focus_count,
                "promoters": d.baseline_count,
                "detractor_share": d.focus_share,
                "promoter_share": d.baseline_share,
                "difference": d.difference,
                "lift": d.lift,
            }
            for d in ranked
        ],
    }
