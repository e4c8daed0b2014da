"""The statistics of survey results: pure functions of sufficient statistics (counts per value),
no database. The methods, and why these, are in ADR 0027; the formulas in
docs/survey-results.md.

Distributions: the standard normal's CDF is `math.erfc`; its quantile is the standard
library's `NormalDist.inv_cdf` (Wichura's AS 241, full double precision). Student's t is
computed here, from the regularized incomplete beta function (its continued fraction,
evaluated by the modified Lentz method), so that the product needs no statistics package.

Scores are returned on the scale the API presents: NPS -100..100, proportions (CSAT, a
choice's share) as percentages 0..100, means on the answer's own scale."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

ALPHA = 0.05
_STANDARD_NORMAL = NormalDist()
_EPSILON = 1e-16
_TINY = 1e-300
_MAX_TERMS = 100_000


# ------------------------------------------------------------------ distributions


def normal_cdf(x: float) -> float:
    """P(Z <= x) for a standard normal Z."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def normal_sf(x: float) -> float:
    """P(Z > x), exact in the upper tail (no cancellation)."""
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def normal_ppf(p: float) -> float:
    """The standard normal quantile: x with P(Z <= x) = p, for 0 < p < 1."""
    return _STANDARD_NORMAL.inv_cdf(p)


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (without its prefactor), by modified Lentz."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_TERMS):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            step = d * c
            h *= step
        if abs(step - 1.0) < _EPSILON:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def _stirling_tail(z: float) -> float:
    """lgamma(z) - ((z - 1/2) ln z - z + ln(2 pi) / 2), for z >= 10, by Stirling's series
    (eight terms: the first one left out is below 2e-18 there)."""
    w = 1.0 / (z * z)
    series = 1.0 / 12.0 - w * (
        1.0 / 360.0
        - w
        * (
            1.0 / 1260.0
            - w
            * (
                1.0 / 1680.0
                - w
                * (
                    1.0 / 1188.0
                    - w * (691.0 / 360360.0 - w * (1.0 / 156.0 - w * 3617.0 / 122400.0))
                )
            )
        )
    )
    return series / z


def log_beta(a: float, b: float) -> float:
    """ln B(a, b). For a large argument, lgamma(L + s) - lgamma(L) is a difference of two
    numbers near L ln L that cancel; Stirling's series gives it directly instead."""
    small, large = min(a, b), max(a, b)
    if large < 10.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    rise = (
        (large - 0.5) * math.log1p(small / large)
        + small * math.log(large + small)
        - small
        + _stirling_tail(large + small)
        - _stirling_tail(large)
    )  # lgamma(large + small) - lgamma(large)
    return math.lgamma(small) - rise


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1."""
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must lie in [0, 1]")
    if x in (0.0, 1.0):
        return x
    return _incomplete_beta(a, b, x, 1.0 - x, math.log(x), math.log1p(-x))


def _incomplete_beta(a: float, b: float, x: float, y: float, log_x: float, log_y: float) -> float:
    """I_x(a, b) given y = 1 - x and the logarithms of both, which the caller may know more
    precisely than x rounds to: with a large `a`, a * ln x magnifies x's rounding error."""
    log_front = a * log_x + b * log_y - log_beta(a, b)
    # The fraction converges quickly for x below (a + 1) / (a + b + 2); above, use the
    # symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, y) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with `df` degrees of freedom (df > 0)."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    # P(|T| > |t|) = I_x(df/2, 1/2) with x = df / (df + t^2); x, 1 - x and their logarithms
    # are all formed from the ratio r = t^2 / df, so that none loses digits.
    if t == 0:
        return 0.5
    r = t * t / df
    log_x = -math.log1p(r)
    two_tailed = _incomplete_beta(
        df / 2.0, 0.5, 1.0 / (1.0 + r), r / (1.0 + r), log_x, math.log(r) + log_x
    )
    return 0.5 * two_tailed if t > 0 else 1.0 - 0.5 * two_tailed


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    return t_sf(-t, df)


def t_pdf(t: float, df: float) -> float:
    log_density = (
        -log_beta(df / 2.0, 0.5) - 0.5 * math.log(df) - (df + 1.0) / 2.0 * math.log1p(t * t / df)
    )
    return math.exp(log_density)


def t_ppf(p: float, df: float) -> float:
    """Student's t quantile: t with P(T <= t) = p, for 0 < p < 1 and df > 0."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must lie in (0, 1)")
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if p == 0.5:
        return 0.0
    # Solve in the smaller tail, whose probability is exact (1 - p is exact for p >= 1/2).
    return _t_upper(1.0 - p, df) if p > 0.5 else -_t_upper(p, df)


# From this many degrees of freedom the quantile is the Cornish-Fisher series (its first
# neglected term is below 1e-17 there), and the CDF, whose continued fraction loses digits
# to cancellation as df grows, is still good to about 1e-10 relative at df = 1e6.
LARGE_DF = 10_000.0


def _cornish_fisher(z: float, df: float) -> float:
    """The t quantile from the normal one, to the fourth power of 1/df (Abramowitz and
    Stegun 26.7.5)."""
    z2 = z * z
    g1 = z * (z2 + 1.0) / 4.0
    g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0
    g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0
    g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df


def _t_upper(q: float, df: float) -> float:
    """t > 0 with P(T > t) = q < 1/2. Exact forms for 1 and 2 degrees of freedom;
    the Cornish-Fisher series for many degrees of freedom; otherwise Newton's method on
    `t_sf` from that series, kept inside a shrinking bracket (bisection when a Newton step would
    leave it)."""
    if df == 1:
        return 1.0 / math.tan(math.pi * q)
    if df == 2:
        return (1.0 - 2.0 * q) / math.sqrt(2.0 * q * (1.0 - q))
    z = -normal_ppf(q)
    guess = _cornish_fisher(z, df)
    if df >= LARGE_DF:
        return guess
    low, high = 0.0, max(2.0 * guess, 1.0)
    while t_sf(high, df) > q:
        low, high = high, high * 2.0
    t = min(max(guess, low), high)
    for _ in range(200):
        excess = t_sf(t, df) - q  # > 0: t is too small
        if excess > 0:
            low = t
        else:
            high = t
        candidate = t + excess / t_pdf(t, df)
        if not low < candidate < high:
            candidate = (low + high) / 2.0
        if abs(candidate - t) <= 1e-15 * t:
            return candidate
        t = candidate
    return t


# ------------------------------------------------------------------ estimates


@dataclass(frozen=True)
class Estimate:
    """A score with its 95% interval, on the presented scale; `variance` is the squared
    standard error of `score`, on the same scale (what a comparison needs)."""

    score: float | None
    count: int
    ci95: tuple[float, float] | None
    variance: float | None = None


EMPTY = Estimate(None, 0, None, None)
Z95 = normal_ppf(1.0 - ALPHA / 2.0)


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def nps_categories(counts: Mapping[int, int]) -> tuple[int, int, int]:
    """(promoters, passives, detractors) from counts per answer 0..10."""
    promoters = sum(n for value, n in counts.items() if value >= 9)
    passives = sum(n for value, n in counts.items() if 7 <= value <= 8)
    detractors = sum(n for value, n in counts.items() if value <= 6)
    return promoters, passives, detractors


def nps(promoters: int, passives: int, detractors: int) -> Estimate:
    """The Net Promoter Score, 100 (p_p - p_d), with the adjusted-Wald interval (Rocks,
    2016): three pseudo-respondents, 3/4 a promoter, 3/4 a detractor and 3/2 a passive,
    are added for the interval only, whose standard error is that of the difference of two
    proportions of one multinomial sample, sqrt((p_p + p_d - (p_p - p_d)^2) / n), clipped
    to [-100, 100] and widened, if need be, to hold the observed score. The adjustment
    keeps the interval honest where the plain Wald interval collapses to a point (every
    answer a promoter, or n = 1). `variance` is the plain
    (unadjusted) one, which the period comparison uses."""
    n = promoters + passives + detractors
    if n == 0:
        return EMPTY
    p_p, p_d = promoters / n, detractors / n
    score = 100.0 * (p_p - p_d)
    variance = 1e4 * (p_p + p_d - (p_p - p_d) ** 2) / n
    n_adj = n + 3.0
    a_p, a_d = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    centre = a_p - a_d
    half = Z95 * math.sqrt(max(a_p + a_d - centre**2, 0.0) / n_adj)
    low = _clip(100.0 * (centre - half), -100.0, 100.0)
    high = _clip(100.0 * (centre + half), -100.0, 100.0)
    # Pulled towards 0 by the pseudo-respondents, the interval of a tiny sample all at one
    # extreme (one promoter: [-48.5, 98.5]) can miss the observed score: widened to hold it.
    return Estimate(score, n, (min(low, score), max(high, score)), max(variance, 0.0))


def wilson(successes: int, n: int) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion, as fractions 0..1."""
    if n == 0:
        return None
    p = successes / n
    z2 = Z95 * Z95
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = Z95 * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
    # At p = 0 (or 1) the bound is exactly 0 (or 1); say so rather than round near it.
    low = 0.0 if successes == 0 else max(centre - half, 0.0)
    high = 1.0 if successes == n else min(centre + half, 1.0)
    return low, high


def proportion(successes: int, n: int) -> Estimate:
    """A share as a percentage with its Wilson interval; `variance` is p (1 - p) / n."""
    interval = wilson(successes, n)
    if interval is None:
        return EMPTY
    p = successes / n
    return Estimate(
        100.0 * p, n, (100.0 * interval[0], 100.0 * interval[1]), 1e4 * p * (1.0 - p) / n
    )


@dataclass(frozen=True)
class Moments:
    """Count, mean and unbiased sample variance (None below two answers)."""

    n: int
    mean: float | None
    variance: float | None


def moments(counts: Mapping[float, int]) -> Moments:
    """From counts per value, two passes (mean first) so that the variance is exact to
    rounding, not a difference of two large sums."""
    n = sum(counts.values())
    if n == 0:
        return Moments(0, None, None)
    mean = sum(value * k for value, k in counts.items()) / n
    if n < 2:
        return Moments(n, mean, None)
    squares = sum(k * (value - mean) ** 2 for value, k in counts.items())
    return Moments(n, mean, squares / (n - 1))


def mean(counts: Mapping[float, int]) -> Estimate:
    """A mean with its Student-t interval, mean +- t(0.975, n - 1) s / sqrt(n). One answer
    has a mean and no interval; answers all alike have a zero-width interval."""
    m = moments(counts)
    if m.mean is None:
        return EMPTY
    if m.variance is None:
        return Estimate(m.mean, m.n, None, None)
    standard_error = math.sqrt(m.variance / m.n)
    half = t_ppf(1.0 - ALPHA / 2.0, m.n - 1) * standard_error
    return Estimate(m.mean, m.n, (m.mean - half, m.mean + half), standard_error**2)


# ------------------------------------------------------------------ comparisons


@dataclass(frozen=True)
class Comparison:
    """The previous period's score and the two-sided p-value of the difference (None when
    the test is undefined: a period without answers, or no variance on either side)."""

    score: float | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


def z_test(current: Estimate, previous: Estimate) -> Comparison:
    """Two independent estimates, each asymptotically normal: z = (a - b) / sqrt(v_a + v_b),
    p = 2 P(Z > |z|). For NPS this is the test of two independent net scores."""
    if current.score is None or previous.score is None:
        return Comparison(previous.score, None)
    spread = (current.variance or 0.0) + (previous.variance or 0.0)
    if spread <= 0.0:
        return Comparison(previous.score, None)
    z = (current.score - previous.score) / math.sqrt(spread)
    return Comparison(previous.score, min(1.0, 2.0 * normal_sf(abs(z))))


def two_proportion_test(
    current: tuple[int, int], previous: tuple[int, int], previous_score: float | None
) -> Comparison:
    """The pooled two-proportion z-test of (successes, n) against (successes, n)."""
    (x1, n1), (x2, n2) = current, previous
    if n1 == 0 or n2 == 0:
        return Comparison(previous_score, None)
    pooled = (x1 + x2) / (n1 + n2)
    spread = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if spread <= 0.0:
        return Comparison(previous_score, None)
    z = (x1 / n1 - x2 / n2) / math.sqrt(spread)
    return Comparison(previous_score, min(1.0, 2.0 * normal_sf(abs(z))))


def welch_test(current: Moments, previous: Moments) -> Comparison:
    """Welch's unequal-variances t-test, with the Welch-Satterthwaite degrees of freedom."""
    if current.variance is None or previous.variance is None:
        return Comparison(previous.mean, None)
    assert current.mean is not None and previous.mean is not None
    v1, v2 = current.variance / current.n, previous.variance / previous.n
    if v1 + v2 <= 0.0:
        return Comparison(previous.mean, None)
    t = (current.mean - previous.mean) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (current.n - 1) + v2**2 / (previous.n - 1))
    return Comparison(previous.mean, min(1.0, 2.0 * t_sf(abs(t), df)))
