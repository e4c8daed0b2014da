"""Survey results at scale, on PostgreSQL: a year by month and one day, over a million
responses. Prints figures; not a test.

    python bench/results.py [--responses 1000000] [--runs 9] [--keep | --reuse] [--explain]

It creates the scratch database kizuna_bench_results on the server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, and loads with COPY (psycopg) one
survey (time zone Asia/Tokyo) and its responses over the year 2025: 90% completed (an NPS,
a CSAT, a CES answer, and for 70% of them a single choice), 10% in progress (an NPS answer
only), with their answer rows; then measures GET /surveys/{id}/results through its selector
(every metric, the funnel and the drop-off, as the endpoint computes them):

1. the year 2025 by month (target p50 < 500 ms);
2. one day (2025-06-15), by day (target p50 < 50 ms).

Each is run --runs times after one warm-up; p50 and p95 are printed. The database is dropped
at the end (unless --keep)."""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRATCH = "kizuna_bench_results"
YEAR_START = datetime(2024, 12, 31, 15, tzinfo=UTC)  # 2025-01-01 00:00 in Tokyo
SECONDS = 365 * 86400
CHUNK = 50_000


def scratch_url(base: str) -> str:
    return urlunsplit(urlsplit(base)._replace(path=f"/{SCRATCH}"))


def admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def definition() -> dict[str, Any]:
    def t(text: str) -> dict[str, str]:
        return {"default": text}

    return {
        "pages": [
            {
                "id": "p1",
                "elements": [
                    {"id": "nps", "type": "nps", "title": t("Recommend?")},
                    {"id": "csat", "type": "csat", "title": t("Satisfied?")},
                    {"id": "ces", "type": "ces", "title": t("Easy?")},
                    {
                        "id": "channel",
                        "type": "single_choice",
                        "title": t("Where?"),
                        "choices": [{"id": c, "text": t(c)} for c in ("web", "shop", "app")],
                    },
                ],
            }
        ]
    }


def load(workspace_id: int, survey_id: int, responses: int) -> int:
    """COPY the responses and their answer rows; returns the number of answer rows."""
    from django.db import connection

    rng = random.Random(42)
    nps_weights = [2, 1, 1, 2, 2, 4, 6, 10, 14, 22, 20]
    answers = 0
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        raw = cursor.connection
        response_copy = (
            "COPY feedback_response (id, workspace_id, key, survey_id, version, submission_id, "
            "status, ending, language, channel, device, answers, hidden, data, time_ms, meta, "
            "started_at, updated_at, completed_at) FROM STDIN"
        )
        display_copy = (
            "COPY feedback_display (workspace_id, key, survey_id, version, channel, created_at) "
            "FROM STDIN"
        )
        answer_copy = (
            "COPY feedback_answer (workspace_id, response_id, survey_id, element_id, kind, "
            '"row", choice, number, text, finished, answered_at, sentiment) FROM STDIN'
        )
        for first in range(1, responses + 1, CHUNK):
            last = min(first + CHUNK, responses + 1)
            response_lines, answer_lines, display_lines = [], [], []
            for rid in range(first, last):
                at = YEAR_START + timedelta(seconds=rng.random() * SECONDS)
                stamp = at.isoformat()
                started = (at - timedelta(seconds=90)).isoformat()
                display_lines.append(f"{workspace_id}\td{rid}\t{survey_id}\t1\tweb\t{stamp}\n")
                if rid % 4 == 0:  # a quarter more displays than responses
                    display_lines.append(f"{workspace_id}\td{rid}x\t{survey_id}\t1\tweb\t{stamp}\n")
                done = rng.random() < 0.9
                status, completed, finished = (
                    ("completed", stamp, "t") if done else ("in_progress", r"\N", "f")
                )
                response_lines.append(
                    f"{rid}\t{workspace_id}\tr{rid}\t{survey_id}\t1\ts{rid}\t{status}\t\ten\tweb"
                    f"\t\t{{}}\t{{}}\t{{}}\t{{}}\t{{}}\t{started}\t{stamp}\t{completed}\n"
                )
                nps = rng.choices(range(11), nps_weights)[0]
                values: list[tuple[str, str, str, int | None]] = [("nps", "nps", "", nps)]
                if done:
                    values += [
                        ("csat", "csat", "", min(5, max(1, round(rng.gauss(3.9, 1))))),
                        ("ces", "ces", "", min(7, max(1, round(rng.gauss(5.2, 1.4))))),
                    ]
                    if rng.random() < 0.7:
                        values.append(
                            ("channel", "choice", rng.choice(("web", "shop", "app")), None)
                        )
                for element, kind, choice, number in values:
                    value = r"\N" if number is None else str(number)
                    answer_lines.append(
                        f"{workspace_id}\t{rid}\t{survey_id}\t{element}\t{kind}\t\t{choice}"
                        f"\t{value}\t\t{finished}\t{stamp}\t\n"
                    )
            with raw.cursor() as copying, copying.copy(response_copy) as copy:
                copy.write("".join(response_lines))
            with raw.cursor() as copying, copying.copy(answer_copy) as copy:
                copy.write("".join(answer_lines))
            with raw.cursor() as copying, copying.copy(display_copy) as copy:
                copy.write("".join(display_lines))
            answers += len(answer_lines)
            if (last - 1) % 200_000 == 0 or last > responses:
                print(f"    responses {last - 1:,}/{responses:,}", flush=True)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('feedback_response', 'id'), %s)", [responses]
        )
        cursor.execute("VACUUM ANALYZE feedback_response")
        cursor.execute("VACUUM ANALYZE feedback_answer")
        cursor.execute("VACUUM ANALYZE feedback_display")
    return answers


def measure(label: str, work: Any, runs: int, target_ms: float) -> None:
    work()  # warm-up: plans, caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"  {label}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
        f"min {times[0]:.1f} ms over {runs} runs (target p50 < {target_ms:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    parser.add_argument("--reuse", action="store_true", help="Measure a kept database.")
    parser.add_argument("--explain", action="store_true", help="Print the grouped query's plan.")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        print("bench/results.py runs on PostgreSQL (DATABASE_URL is not postgres://): skipped.")
        return
    try:
        admin(base, "SELECT 1")
    except Exception as exc:
        print(f"PostgreSQL is not reachable ({exc}): bench/results.py skipped.")
        return
    if args.reuse:
        args.keep = True
    else:
        admin(base, f"DROP DATABASE IF EXISTS {SCRATCH}")
        admin(base, f"CREATE DATABASE {SCRATCH}")
    os.environ["DATABASE_URL"] = scratch_url(base)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin(base, f"DROP DATABASE IF EXISTS {SCRATCH}")


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kizuna.accounts.services import create_workspace
    from kizuna.core.models import Workspace
    from kizuna.feedback.models import Survey
    from kizuna.feedback.results.rollup import rebuild
    from kizuna.feedback.selectors.results import survey_results

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"database: PostgreSQL {cursor.fetchone()[0]}, scratch database {SCRATCH}")
    call_command("migrate", verbosity=0)
    if args.reuse:
        workspace = Workspace.objects.get(slug="bench")
        print("reusing the data of an earlier run")
    else:
        workspace = create_workspace("bench", "Bench").workspace
        survey = Survey.objects.create(
            workspace=workspace,
            key="pulse",
            name="Pulse",
            languages=["en"],
            default_language="en",
            timezone="Asia/Tokyo",
            status="active",
            definition=definition(),
        )
        print(f"loading {args.responses:,} responses with COPY ...")
        started = time.perf_counter()
        rows = load(workspace.pk, survey.pk, args.responses)
        print(f"  loaded {rows:,} answer rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        kept = rebuild(survey)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE feedback_resultcount")
        print(f"  rollup rebuilt: {kept:,} daily rows in {time.perf_counter() - started:.1f} s")

    def year() -> Any:
        return survey_results(workspace, "pulse", start="2025-01-01", end="2025-12-31",
                              interval="month")  # fmt: skip

    def day() -> Any:
        return survey_results(workspace, "pulse", start="2025-06-15", end="2025-06-15")

    nps = year()["metrics"][0]
    print(f"  the year: NPS {nps['score']:.2f} over {nps['count']:,} answers, CI {nps['ci95']}")
    print(f"  one day: NPS over {day()['metrics'][0]['count']:,} answers")
    measure("a year by month (every metric, funnel, drop-off)", year, args.runs, 500)
    measure("one day (every metric, funnel, drop-off)", day, args.runs, 50)

    def year_raw() -> Any:  # a bound inside a day: the plain-SQL path over every answer
        return survey_results(workspace, "pulse", start="2025-01-01T00:00:01+09:00",
                              end="2025-12-31", interval="month")  # fmt: skip

    measure("the same year without the rollup (plain SQL)", year_raw, 3, 500)
    measure_upkeep(workspace, args.runs)
    if args.explain:
        _explain(workspace)


def measure_upkeep(workspace: Any, runs: int) -> None:
    """The rollup's cost to a response's save: apply_answers for one completed response
    (its four answer rows replaced by four), in a transaction rolled back."""
    from django.db import transaction

    from kizuna.feedback.models import Answer, Response
    from kizuna.feedback.results.rollup import apply_answers

    response = Response.objects.filter(workspace=workspace, status="completed").first()
    assert response is not None
    rows = list(Answer.objects.filter(response=response))

    # The save changed every answer and fell on the next day: every count moves.
    changed = [
        Answer(
            workspace_id=row.workspace_id,
            response_id=row.response_id,
            survey_id=row.survey_id,
            element_id=row.element_id,
            kind=row.kind,
            choice=row.choice,
            number=None if row.number is None else row.number % 5 + 1,
            finished=True,
            answered_at=row.answered_at + timedelta(days=1),
        )
        for row in rows
    ]

    def once() -> None:
        with transaction.atomic():
            apply_answers(response, rows, changed)
            transaction.set_rollback(True)

    label = f"apply_answers, one response's {len(rows)} rows out and {len(changed)} in"
    measure(label, once, runs * 5, 5)


def _explain(workspace: Any) -> None:
    from zoneinfo import ZoneInfo

    from kizuna.feedback.models import Survey
    from kizuna.feedback.results import queries

    survey = Survey.objects.get(workspace=workspace, key="pulse")
    tz = ZoneInfo("Asia/Tokyo")
    start = datetime(2025, 1, 1, tzinfo=tz)
    end = datetime(2026, 1, 1, tzinfo=tz)
    span = queries.Span(start, end, start - (end - start), "month", tz)
    rows = queries._answers(workspace, survey, span, None).filter(
        element_id__in=["nps", "csat", "ces", "channel"]
    )
    grouped = (
        rows.annotate(**queries._periods(span))
        .values("current", "period", "element_id", "row", "choice", "number")
        .annotate(n=queries.Count("pk"))
        .order_by()
    )
    print(grouped.explain(analyze=True, buffers=True))


if __name__ == "__main__":
    main()
