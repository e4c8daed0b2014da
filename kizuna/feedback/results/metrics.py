"""Metrics from sufficient statistics: for each element of the current definition that has
results, its score, count, interval, breakdown, comparison with the previous span and series
by period, built from the grouped counts that `queries` returns (no database here)."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kizuna.feedback.results import statistics as st
from kizuna.feedback.results.queries import SentimentCount, ValueCount

# The metric `type` of each element type that has results.
METRIC_TYPES = {
    "nps": "nps",
    "csat": "csat",
    "ces": "ces",
    "rating": "rating",
    "single_choice": "choice",
    "dropdown": "choice",
    "multiple_choice": "choice",
    "ranking": "ranking",
    "matrix": "matrix",
    "boolean": "boolean",
    "consent": "boolean",
}
# Elements with several answer rows per response: their respondents are counted apart.
MULTI_ROW = frozenset({"multiple_choice", "ranking", "matrix"})
CSAT_SATISFIED = 4  # CSAT is the share of 4 and 5 on the 1..5 scale

PREVIOUS = None  # the key of the previous span's counts


@dataclass
class Counts:
    """An element's counts per period (PREVIOUS for the previous span)."""

    values: dict[date | None, list[ValueCount]] = field(default_factory=lambda: defaultdict(list))
    respondents: dict[date | None, int] = field(default_factory=dict)

    def total(self, periods: Iterable[date]) -> list[ValueCount]:
        return [row for period in periods for row in self.values.get(period, [])]


def collect(
    rows: Iterable[ValueCount], respondents: Mapping[tuple[date | None, str], int]
) -> dict[str, Counts]:
    counts: dict[str, Counts] = defaultdict(Counts)
    for row in rows:
        counts[row.element_id].values[row.period].append(row)
    for (period, element_id), n in respondents.items():
        counts[element_id].respondents[period] = n
    return counts


def _interval(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [ci[0], ci[1]]


def _by_value(rows: Iterable[ValueCount]) -> Counter[float]:
    tally: Counter[float] = Counter()
    for row in rows:
        if row.value is not None:
            tally[row.value] += row.count
    return tally


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


# ------------------------------------------------------------------ scored elements


def _estimate(kind: str, tally: Mapping[float, int]) -> st.Estimate:
    if kind == "nps":
        return st.nps(*st.nps_categories({int(v): n for v, n in tally.items()}))
    if kind in ("csat", "boolean"):
        threshold = CSAT_SATISFIED if kind == "csat" else 1
        hits = sum(n for value, n in tally.items() if value >= threshold)
        return st.proportion(hits, sum(tally.values()))
    return st.mean(tally)


def _compare(kind: str, now: Mapping[float, int], before: Mapping[float, int]) -> st.Comparison:
    previous = _estimate(kind, before)
    if kind == "nps":
        return st.z_test(_estimate(kind, now), previous)
    if kind in ("csat", "boolean"):
        threshold = CSAT_SATISFIED if kind == "csat" else 1

        def hits(tally: Mapping[float, int]) -> tuple[int, int]:
            return sum(n for v, n in tally.items() if v >= threshold), sum(tally.values())

        return st.two_proportion_test(hits(now), hits(before), previous.score)
    return st.welch_test(st.moments(now), st.moments(before))


def _scored_breakdown(kind: str, tally: Mapping[float, int], scale: Sequence[int]) -> Any:
    n = sum(tally.values())
    if kind == "nps":
        categories = st.nps_categories({int(v): k for v, k in tally.items()})
        names = ("promoters", "passives", "detractors")
        breakdown: dict[str, Any] = {
            name: {"count": k, "share": _share(k, n)}
            for name, k in zip(names, categories, strict=True)
        }
    elif kind == "boolean":
        breakdown = {
            name: {"count": tally.get(value, 0), "share": _share(tally.get(value, 0), n)}
            for name, value in (("true", 1), ("false", 0))
        }
        return breakdown
    else:
        breakdown = {}
    seen = sorted(set(scale) | {v for v in tally if tally[v]})
    breakdown["values"] = [
        {"value": v, "count": tally.get(v, 0), "share": _share(tally.get(v, 0), n)} for v in seen
    ]
    return breakdown


def scored_metric(
    element: Mapping[str, Any], counts: Counts, periods: Sequence[date]
) -> dict[str, Any]:
    kind = METRIC_TYPES[element["type"]]
    scale = _scale(element)
    current = _by_value(counts.total(periods))
    before = _by_value(counts.values.get(PREVIOUS, []))
    estimate = _estimate(kind, current)
    comparison = _compare(kind, current, before)
    series = []
    for period in periods:
        part = _estimate(kind, _by_value(counts.values.get(period, [])))
        series.append(
            {
                "period": period,
                "score": part.score,
                "count": part.count,
                "ci95": _interval(part.ci95),
            }
        )
    return {
        "element_id": element["id"],
        "type": kind,
        "element_type": element["type"],
        "score": estimate.score,
        "count": estimate.count,
        "ci95": _interval(estimate.ci95),
        "breakdown": _scored_breakdown(kind, current, scale),
        "previous": {
            "score": comparison.score,
            "p_value": comparison.p_value,
            "significant": comparison.significant,
            "count": sum(before.values()),
        },
        "series": series,
    }


def _scale(element: Mapping[str, Any]) -> list[int]:
    match element["type"]:
        case "nps":
            return list(range(11))
        case "csat":
            return list(range(1, 6))
        case "ces":
            return list(range(1, 8))
        case "rating":
            return list(range(1, int(element.get("points", 5)) + 1))
    return []


# ------------------------------------------------------------------ choices, ranking, matrix


def _ids(defined: Iterable[str], seen: Iterable[str]) -> list[str]:
    """The defined ids in order, then any others answered (a choice since removed)."""
    ordered = list(dict.fromkeys(defined))
    return ordered + sorted(set(seen) - set(ordered))


def _defined_choices(element: Mapping[str, Any]) -> list[str]:
    choices = [c["id"] for c in element.get("choices", [])]
    return [*choices, "other"] if element.get("other") else choices


def _respondents(element: Mapping[str, Any], counts: Counts, period: date | None) -> int:
    if element["type"] in MULTI_ROW:
        return counts.respondents.get(period, 0)
    return sum(row.count for row in counts.values.get(period, []))


def _proportion_item(key: str, name: str, hits: int, n: int) -> dict[str, Any]:
    estimate = st.proportion(hits, n)
    return {key: name, "count": hits, "share": estimate.score, "ci95": _interval(estimate.ci95)}


def _choice_breakdown(element: Mapping[str, Any], rows: list[ValueCount], n: int) -> Any:
    if element["type"] == "matrix":
        return {"rows": _matrix_rows(element, rows)}
    per_choice: dict[str, list[ValueCount]] = defaultdict(list)
    for row in rows:
        per_choice[row.choice].append(row)
    ids = _ids(_defined_choices(element), per_choice)
    if element["type"] == "ranking":
        items = []
        for choice in ids:
            estimate = st.mean(_by_value(per_choice.get(choice, [])))
            items.append(
                {
                    "choice_id": choice,
                    "count": estimate.count,
                    "mean_rank": estimate.score,
                    "ci95": _interval(estimate.ci95),
                }
            )
        return {"choices": items}
    hits = {choice: sum(r.count for r in per_choice.get(choice, [])) for choice in ids}
    return {"choices": [_proportion_item("choice_id", c, hits[c], n) for c in ids]}


def _matrix_rows(element: Mapping[str, Any], rows: list[ValueCount]) -> list[dict[str, Any]]:
    cells: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        cells[row.row][row.choice] += row.count
    columns = _ids(_defined_choices(element), {c for cell in cells.values() for c in cell})
    result = []
    for row_id in _ids([r["id"] for r in element.get("rows", [])], cells):
        answered = sum(cells[row_id].values())
        result.append(
            {
                "row_id": row_id,
                "count": answered,
                "columns": [
                    _proportion_item("column_id", c, cells[row_id][c], answered) for c in columns
                ],
            }
        )
    return result


def choice_metric(
    element: Mapping[str, Any], counts: Counts, periods: Sequence[date]
) -> dict[str, Any]:
    """Choices, rankings and matrices: no single score; the breakdown is the result. Shares
    are of the responses that answered the element (a multiple choice's add up past 100)."""
    n = sum(_respondents(element, counts, period) for period in periods)
    previous_n = _respondents(element, counts, PREVIOUS)
    return {
        "element_id": element["id"],
        "type": METRIC_TYPES[element["type"]],
        "element_type": element["type"],
        "score": None,
        "count": n,
        "ci95": None,
        "breakdown": _choice_breakdown(element, counts.total(periods), n),
        "previous": {"score": None, "p_value": None, "significant": False, "count": previous_n},
        "series": [
            {
                "period": period,
                "score": None,
                "count": _respondents(element, counts, period),
                "ci95": None,
            }
            for period in periods
        ],
    }


# ------------------------------------------------------------------ open texts


def is_open_text(element: Mapping[str, Any]) -> bool:
    return element.get("type") == "text" and not element.get("validation", {}).get("format")


def _net(tally: Mapping[str, int]) -> st.Estimate:
    """Net sentiment: the share of positive answers minus the share of negative ones, in
    points (-100..100), with the interval of a difference of two multinomial shares (the
    method of NPS: neutral and mixed answers count in the whole as passives do)."""
    neutral = tally.get("neutral", 0) + tally.get("mixed", 0)
    return st.nps(tally.get("positive", 0), neutral, tally.get("negative", 0))


def sentiment_metric(
    element: Mapping[str, Any], rows: Iterable[SentimentCount], periods: Sequence[date]
) -> dict[str, Any]:
    """An open text's answers by sentiment: counts, shares, and the net sentiment with its
    interval, compared with the previous range; answers waiting for analysis are counted
    apart and left out of the score."""
    per_period: dict[date | None, Counter[str]] = defaultdict(Counter)
    for row in rows:
        per_period[row.period][row.sentiment or "waiting"] += row.count
    current: Counter[str] = Counter()
    for period in periods:
        current.update(per_period.get(period, Counter()))
    before = per_period.get(PREVIOUS, Counter())
    estimate = _net(current)
    comparison = st.z_test(estimate, _net(before))
    analysed = estimate.count
    breakdown: dict[str, Any] = {
        name: {"count": current.get(name, 0), "share": _share(current.get(name, 0), analysed)}
        for name in ("positive", "negative", "neutral", "mixed")
    }
    breakdown["waiting"] = {"count": current.get("waiting", 0), "share": None}
    series = []
    for period in periods:
        part = _net(per_period.get(period, Counter()))
        series.append(
            {
                "period": period,
                "score": part.score,
                "count": part.count,
                "ci95": _interval(part.ci95),
            }
        )
    return {
        "element_id": element["id"],
        "type": "sentiment",
        "element_type": element["type"],
        "score": estimate.score,
        "count": analysed,
        "ci95": _interval(estimate.ci95),
        "breakdown": breakdown,
        "previous": {
            "score": comparison.score,
            "p_value": comparison.p_value,
            "significant": comparison.significant,
            "count": _net(before).count,
        },
        "series": series,
    }


def metric(element: Mapping[str, Any], counts: Counts, periods: Sequence[date]) -> Any:
    if element["type"] in ("single_choice", "dropdown", "multiple_choice", "ranking", "matrix"):
        return choice_metric(element, counts, periods)
    return scored_metric(element, counts, periods)
