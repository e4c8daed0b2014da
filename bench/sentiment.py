"""Sentiment accuracy on the evaluation set (kept apart from all training data) and
throughput of the configured analyzer.

    PYTHONPATH=. .venv/bin/python bench/sentiment.py [--analyzer DOTTED.PATH] [--repeat 3]

Per language: binary accuracy (gold positive or negative; the sign of the score decides),
3-class macro-F1 (gold positive, negative, neutral; a "mixed" answer counts as a miss), the
share of gold mixed texts answered mixed, and the confusion matrix (rows gold, columns
answered). Throughput: texts analysed per second over the whole set, in batches as the API
receives them, after one warm-up pass."""

import argparse
import os
import sys
import time
from pathlib import Path

import django
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from kizuna.textanalytics.analysis import Analysis, TextIn, get_analyzer  # noqa: E402
from kizuna.textanalytics.evaluation import (  # noqa: E402
    LABELS,
    evaluation_set,
    report,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the set")
    parser.add_argument("--batch", type=int, default=100, help="texts per analyze() call")
    parser.add_argument(
        "--analyzer",
        default=None,
        help="a dotted path to an analyzer class (default: the KIZUNA_TEXT_ANALYZER setting)",
    )
    args = parser.parse_args()
    analyzer = import_string(args.analyzer)() if args.analyzer else get_analyzer()
    items = evaluation_set()
    texts = [TextIn(id=str(i), text=item.text, language=None) for i, item in enumerate(items)]
    print(f"Analyzer: {type(analyzer).__module__}.{type(analyzer).__name__}")
    print(f"Evaluation set: {len(items)} texts ({Path('kizuna/textanalytics/data/eval')})")

    def run() -> list[Analysis]:
        out: list[Analysis] = []
        for start in range(0, len(texts), args.batch):
            out += analyzer.analyze(texts[start : start + args.batch])
        return out

    results = run()  # warm-up, and the answers scored below
    for language in ("en", "ja", "ko"):
        pairs = [
            (item, r) for item, r in zip(items, results, strict=True) if item.language == language
        ]
        figures = report([p[0].label for p in pairs], [(p[1].sentiment, p[1].score) for p in pairs])
        detected = sum(p[1].language == language for p in pairs)
        print(f"\n== {language}: {len(pairs)} texts, language detected right for {detected}")
        print(f"binary accuracy (positive vs negative): {figures['binary_accuracy']:.3f}")
        print(f"3-class macro-F1 (positive, negative, neutral): {figures['macro_f1']:.3f}")
        print(f"mixed texts answered mixed: {figures['mixed_recall']:.3f}")
        print("confusion (rows gold, columns answered):")
        print("            " + "".join(f"{label:>10}" for label in LABELS))
        for gold in LABELS:
            row = figures["confusion"][gold]
            print(f"{gold:>10}  " + "".join(f"{row[p]:>10}" for p in LABELS))
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(args.repeat):
        run()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    done = len(texts) * args.repeat
    print(
        f"\nthroughput: {done / elapsed:.0f} texts/s ({len(texts)} texts x {args.repeat}, "
        f"batches of {args.batch}, {os.cpu_count()} cores); {done / cpu:.0f} texts per CPU "
        f"second; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
