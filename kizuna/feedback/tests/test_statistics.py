"""The statistics of survey results against an independent computation with scipy (a dev
dependency only): distributions to about 1e-12, every interval and p-value to 1e-9."""

import math
import warnings
from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy import special, stats  # type: ignore[import-untyped]

from kizuna.feedback.results import statistics as st

DFS = [1, 2, 3, 4.5, 7, 10, 29, 30, 31, 100, 999, 5000, 9999, 10_000, 123_456, 1_000_000]
PROBABILITIES = [1e-12, 1e-6, 0.001, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.999, 1 - 1e-9]
Z = stats.norm.ppf(0.975)
getcontext().prec = 40
PI = Decimal("3.141592653589793238462643383279502884197")


def close(a: float | None, b: float, tolerance: float = 1e-9) -> bool:
    return a is not None and abs(a - b) <= tolerance * max(1.0, abs(b))


@pytest.mark.parametrize("df", DFS)
def test_the_t_quantile_agrees_with_scipy(df: float) -> None:
    for p in PROBABILITIES:
        expected = stats.t.ppf(p, df)
        assert abs(st.t_ppf(p, df) - expected) <= 1e-12 * max(1.0, abs(expected)), (df, p)


@pytest.mark.parametrize("df", DFS)
def test_the_t_distribution_agrees_with_scipy(df: float) -> None:
    # The continued fraction loses digits to cancellation as df grows: 1e-12 relative up
    # to 10,000 degrees of freedom, 1e-10 to a million (docs/survey-results.md).
    tolerance = 1e-12 if df <= 10_000 else 1e-10
    for t in [-60.0, -7.5, -3.0, -1.96, -0.4, -1e-5, 0.0, 1e-5, 0.4, 1.96, 3.0, 7.5, 60.0]:
        expected_sf = stats.t.sf(t, df)
        assert abs(st.t_sf(t, df) - expected_sf) <= tolerance * expected_sf, (df, t)
        expected_cdf = stats.t.cdf(t, df)
        assert abs(st.t_cdf(t, df) - expected_cdf) <= tolerance * expected_cdf, (df, t)
    if df <= 1000:  # beyond, scipy's density loses digits to its log-gamma differences
        assert math.isclose(st.t_pdf(1.3, df), stats.t.pdf(1.3, df), rel_tol=1e-12)


def decimal_log_gamma_ratio(a: Decimal) -> Decimal:
    """ln(Gamma(a + 1/2) / Gamma(a)) for a large a, by its asymptotic series in 40 digits."""
    series = 1 - 1 / (8 * a) + 1 / (128 * a**2) + Decimal(5) / (1024 * a**3)
    return (a.sqrt() * (series - Decimal(21) / (32768 * a**4))).ln()


@pytest.mark.parametrize("df", [5000, 10_000, 123_456, 1_000_000])
def test_the_t_density_of_many_degrees_of_freedom_is_exact(df: int) -> None:
    nu, t = Decimal(df), Decimal("1.3")
    log_pdf = (
        decimal_log_gamma_ratio(nu / 2) - (nu * PI).ln() / 2 - (1 + t * t / nu).ln() * (nu + 1) / 2
    )
    assert math.isclose(st.t_pdf(1.3, df), float(log_pdf.exp()), rel_tol=1e-14)


def test_the_incomplete_beta_agrees_with_scipy() -> None:
    for a in [0.5, 1, 2.5, 10, 55.5, 400]:
        for b in [0.5, 1, 3, 20, 300]:
            for x in [0.0, 1e-8, 0.01, 0.2, 0.5, 0.77, 0.99, 1.0]:
                expected = special.betainc(a, b, x)
                got = st.incomplete_beta(a, b, x)
                assert (
                    abs(got - expected) <= 1e-12 * max(expected, 1e-300)
                    or abs(got - expected) <= 1e-15
                ), (a, b, x)
    with pytest.raises(ValueError):
        st.incomplete_beta(1, 1, 1.5)


def test_the_incomplete_beta_near_one_has_its_closed_forms() -> None:
    # Near x = 1 scipy itself is off by 1e-12; the arcsine law and I_x(1, b) are exact.
    for x in [1 - 1e-9, 1 - 1e-6, 0.999]:
        arcsine = 1 - 2 / math.pi * math.asin(math.sqrt(1 - x))
        assert math.isclose(st.incomplete_beta(0.5, 0.5, x), arcsine, rel_tol=1e-14)
        assert math.isclose(st.incomplete_beta(1, 3.5, x), 1 - (1 - x) ** 3.5, rel_tol=1e-14)


def test_the_log_beta_of_large_arguments_keeps_its_digits() -> None:
    for a, b in [(10, 0.5), (12.5, 3), (300, 20), (0.5, 11)]:
        assert math.isclose(st.log_beta(a, b), special.betaln(a, b), rel_tol=1e-13)
    # scipy's betaln loses digits for large arguments; the asymptotic series does not
    for a in [1e4, 1e6, 5e7]:
        exact = Decimal("0.5723649429247000870717136756012478164") - decimal_log_gamma_ratio(
            Decimal(a)
        )
        assert math.isclose(st.log_beta(a, 0.5), float(exact), rel_tol=1e-14)
        assert math.isclose(st.log_beta(0.5, a), float(exact), rel_tol=1e-14)


def test_the_normal_distribution_agrees_with_scipy() -> None:
    for p in PROBABILITIES:
        assert close(st.normal_ppf(p), stats.norm.ppf(p), 1e-12)
    for x in [-8, -2.5, -1, 0, 0.3, 1.96, 4, 9]:
        assert math.isclose(st.normal_cdf(x), stats.norm.cdf(x), rel_tol=1e-13)
        assert math.isclose(st.normal_sf(x), stats.norm.sf(x), rel_tol=1e-13)


def test_bad_arguments_are_refused() -> None:
    for call in (
        lambda: st.t_ppf(0.0, 3),
        lambda: st.t_ppf(1.0, 3),
        lambda: st.t_ppf(0.5, 0),
        lambda: st.t_sf(1.0, -1),
    ):
        with pytest.raises(ValueError):
            call()
    assert st.t_ppf(0.5, 7) == 0.0
    assert (st.t_sf(math.inf, 3), st.t_sf(-math.inf, 3)) == (0.0, 1.0)


# ------------------------------------------------------------------ estimates


def expected_wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize(("x", "n"), [(0, 1), (1, 1), (0, 7), (3, 7), (7, 7), (412, 1000)])
def test_a_proportion_has_its_wilson_interval(x: int, n: int) -> None:
    estimate = st.proportion(x, n)
    low, high = expected_wilson(x, n)
    assert close(estimate.score, 100 * x / n, 1e-14) and estimate.count == n
    assert estimate.ci95 is not None
    assert close(estimate.ci95[0], 100 * max(low, 0.0)) and close(estimate.ci95[1], 100 * high)
    if x == 0:
        assert estimate.ci95[0] == 0.0
    if x == n:
        assert estimate.ci95[1] == 100.0
    # scipy's own Wilson interval (binomtest) agrees
    scipy_ci = stats.binomtest(x, n).proportion_ci(0.95, method="wilson")
    assert close(estimate.ci95[0] / 100, scipy_ci.low) and close(
        estimate.ci95[1] / 100, scipy_ci.high
    )


def test_nothing_to_estimate_is_null() -> None:
    assert st.nps(0, 0, 0) == st.EMPTY
    assert st.proportion(0, 0) == st.EMPTY
    assert st.mean({}) == st.EMPTY
    assert st.wilson(0, 0) is None


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors"),
    [(50, 30, 20), (1, 0, 0), (0, 0, 1), (0, 5, 0), (3, 1, 2), (9000, 2500, 1200), (10, 0, 0)],
)
def test_nps_has_the_adjusted_wald_interval(promoters: int, passives: int, detractors: int) -> None:
    n = promoters + passives + detractors
    scores = np.array([1.0] * promoters + [0.0] * passives + [-1.0] * detractors)
    estimate = st.nps(promoters, passives, detractors)
    assert close(estimate.score, 100 * scores.mean(), 1e-12)
    assert estimate.count == n
    # the plain variance is that of the +1/0/-1 scores' mean
    assert close(estimate.variance, 1e4 * scores.var(ddof=0) / n)
    n_adj = n + 3
    pp, pd = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    half = Z * math.sqrt((pp + pd - (pp - pd) ** 2) / n_adj)
    low = max(-1.0, pp - pd - half) * 100
    high = min(1.0, pp - pd + half) * 100
    assert estimate.ci95 is not None and estimate.score is not None
    assert close(estimate.ci95[0], min(low, estimate.score))
    assert close(estimate.ci95[1], max(high, estimate.score))
    assert estimate.ci95[0] <= estimate.score <= estimate.ci95[1]


def test_nps_categories_follow_the_scale() -> None:
    counts = {0: 1, 6: 2, 7: 3, 8: 4, 9: 5, 10: 6}
    assert st.nps_categories(counts) == (11, 7, 3)


@pytest.mark.parametrize(
    "counts", [{1: 3, 5: 2}, {4: 10}, {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7}, {3: 2}]
)
def test_a_mean_has_its_student_t_interval(counts: dict[float, int]) -> None:
    values = np.repeat(list(counts), list(counts.values())).astype(float)
    estimate = st.mean(counts)
    assert close(estimate.score, values.mean(), 1e-12)
    assert estimate.ci95 is not None
    if values.var() == 0:
        assert estimate.ci95 == (values.mean(), values.mean())
    else:
        sem = stats.sem(values)
        low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=sem)
        assert close(estimate.ci95[0], low) and close(estimate.ci95[1], high)


def test_one_answer_has_a_mean_and_no_interval() -> None:
    estimate = st.mean({4: 1})
    assert (estimate.score, estimate.count, estimate.ci95) == (4, 1, None)


# ------------------------------------------------------------------ comparisons


def test_welch_agrees_with_scipy() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        a = rng.integers(1, 8, size=int(rng.integers(2, 300)))
        b = rng.integers(1, 8, size=int(rng.integers(2, 300)))
        a_counts = dict(zip(*np.unique(a, return_counts=True), strict=True))
        b_counts = dict(zip(*np.unique(b, return_counts=True), strict=True))
        comparison = st.welch_test(st.moments(a_counts), st.moments(b_counts))
        expected = stats.ttest_ind(a, b, equal_var=False).pvalue
        if np.isnan(expected):
            assert comparison.p_value is None
        else:
            assert close(comparison.p_value, float(expected))
        assert comparison.score == pytest.approx(b.mean(), rel=1e-12)
        assert comparison.significant == (comparison.p_value is not None and expected < 0.05)


def test_welch_without_variance_or_answers_is_undefined() -> None:
    assert st.welch_test(st.moments({3: 5}), st.moments({3: 9})).p_value is None
    assert st.welch_test(st.moments({3: 1}), st.moments({1: 2, 5: 2})).p_value is None
    one_sided = st.welch_test(st.moments({3: 5}), st.moments({1: 2, 5: 1, 6: 1}))
    with warnings.catch_warnings():  # scipy warns of the constant sample; its answer holds
        warnings.simplefilter("ignore")
        expected = stats.ttest_ind([3] * 5, [1, 1, 5, 6], equal_var=False).pvalue
    assert close(one_sided.p_value, float(expected))


@pytest.mark.parametrize(
    ("current", "previous"), [((40, 100), (55, 100)), ((3, 10), (3, 10)), ((900, 1000), (20, 30))]
)
def test_two_proportions_are_compared_with_the_pooled_z_test(
    current: tuple[int, int], previous: tuple[int, int]
) -> None:
    (x1, n1), (x2, n2) = current, previous
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    expected = 2 * stats.norm.sf(abs(z))
    comparison = st.two_proportion_test(current, previous, 100 * x2 / n2)
    assert close(comparison.p_value, expected)
    assert comparison.score == 100 * x2 / n2
    assert comparison.significant == (expected < 0.05)


def test_two_proportions_without_variance_are_undefined() -> None:
    assert st.two_proportion_test((5, 5), (7, 7), 100.0).p_value is None
    assert st.two_proportion_test((0, 0), (7, 7), 100.0).p_value is None


def test_two_net_promoter_scores_are_compared_with_a_z_test() -> None:
    a = np.array([1.0] * 60 + [0.0] * 25 + [-1.0] * 15)
    b = np.array([1.0] * 40 + [0.0] * 30 + [-1.0] * 40)
    z = (a.mean() - b.mean()) / math.sqrt(a.var() / len(a) + b.var() / len(b))
    comparison = st.z_test(st.nps(60, 25, 15), st.nps(40, 30, 40))
    assert close(comparison.p_value, 2 * stats.norm.sf(abs(z)))
    assert comparison.score == 0.0 and comparison.significant
    same = st.z_test(st.nps(60, 25, 15), st.nps(60, 25, 15))
    assert same.p_value == 1.0 and not same.significant
    assert st.z_test(st.nps(5, 0, 0), st.nps(3, 0, 0)).p_value is None
    assert st.z_test(st.nps(5, 0, 0), st.EMPTY).p_value is None
