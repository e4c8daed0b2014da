"""Sentiment of open answers: every text answer (an open text, the text of an `other`
choice) is analysed by the text analytics app and its sentiment and score are stored on its
row of the answer projection, so results, filters and exports read them in SQL.

It runs in the background: saving a response enqueues `enrich_response` for it after the
commit, and a scheduled sweep (`enrich_answers`, every few minutes) picks up any answer a lost
task left, as does `manage.py enrich_answers` over history, with progress. Each batch reads
the rows still waiting, analyses them outside any transaction, then writes each result only
where the row still holds the same text and no sentiment, so a retry, a second worker or an
answer changed meanwhile never stores a stale or doubled result."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from kizuna.core.models import Workspace
from kizuna.feedback.models import Answer, AnswerKind
from kizuna.textanalytics.analysis import TextIn
from kizuna.textanalytics.language import LANGUAGES
from kizuna.textanalytics.services import MAX_TEXT_LENGTH, MAX_TEXTS, analyze_texts

BATCH = MAX_TEXTS
logger = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


def enqueue_after_commit(response_pk: int) -> None:
    """Analyse the response's open answers in the background once its transaction commits.
    A task that cannot be enqueued is logged; the sweep analyses its answers later."""

    def enqueue() -> None:
        from kizuna.feedback.tasks import enrich_response

        try:
            enrich_response.enqueue(response_pk)
        except Exception:
            logger.exception("Could not enqueue the analysis of response %s", response_pk)

    transaction.on_commit(enqueue)


TEXT_KINDS = (AnswerKind.TEXT, AnswerKind.CHOICE)  # open texts, and texts of `other` choices


def waiting() -> QuerySet[Answer]:
    """Answers with a text to analyse and no sentiment yet."""
    return Answer.objects.filter(kind__in=TEXT_KINDS, sentiment="").exclude(text="")


@dataclass(frozen=True)
class _Row:
    pk: int
    text: str
    language: str


def _analyse(rows: list[_Row]) -> int:
    """Analyse the rows and store each result where the row is unchanged; returns how many
    rows were written."""
    texts = [
        TextIn(
            id=str(row.pk),
            text=row.text[:MAX_TEXT_LENGTH],
            language=row.language if row.language in LANGUAGES else None,
        )
        for row in rows
    ]
    results = analyze_texts(texts)
    written = 0
    with transaction.atomic():
        for row, result in zip(rows, results, strict=True):
            written += Answer.objects.filter(pk=row.pk, text=row.text, sentiment="").update(
                sentiment=result.sentiment, sentiment_score=round(result.score, 4)
            )
    return written


def _rows(queryset: QuerySet[Answer], limit: int) -> list[_Row]:
    return [
        _Row(pk, text, _base_language(language))
        for pk, text, language in queryset.order_by("pk").values_list(
            "pk", "text", "response__language"
        )[:limit]
        if text.strip()
    ]


def _base_language(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def enrich_response(response_pk: int) -> int:
    """Analyse the waiting answers of one response; returns how many were stored."""
    rows = _rows(waiting().filter(response_id=response_pk), 10 * BATCH)
    return sum(_analyse(rows[i : i + BATCH]) for i in range(0, len(rows), BATCH))


def enrich_waiting(
    workspace: Workspace | None = None,
    survey_key: str | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
) -> int:
    """Analyse every waiting answer (of one workspace, of one survey), batch after batch, in
    key order; `progress(done, total)` after each batch. Returns how many were stored."""
    queryset = waiting()
    if workspace is not None:
        queryset = queryset.filter(workspace=workspace)
    if survey_key is not None:
        queryset = queryset.filter(survey__key=survey_key)
    total = queryset.count() if limit is None else min(limit, queryset.count())
    done = stored = 0
    last_pk = 0
    while done < total:
        rows = _rows(queryset.filter(pk__gt=last_pk), min(BATCH, total - done))
        if not rows:
            break
        last_pk = rows[-1].pk
        stored += _analyse(rows)
        done += len(rows)
        if progress is not None:
            progress(done, total)
    return stored
