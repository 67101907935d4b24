"""Statistics and aggregate metrics on confusion counts: Wilson intervals, the two-proportion
z-test, and fairlearn's `between_groups` / `to_overall` differences and ratios."""

from __future__ import annotations

import math
from collections.abc import Sequence

from govgate.analysis.fairness.counts import Counts

#: Two-sided 95 % normal quantile, for the Wilson intervals.
Z_95 = 1.959963984540054

AGGREGATE_KEYS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equalized_odds_difference_mean",
    "equalized_odds_ratio_mean",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "false_positive_rate_difference",
    "predictive_parity_difference",
    "scoring_rate_difference",
    "scoring_rate_ratio",
)
RATE_KEYS = ("selection_rate", "tpr", "fpr", "fnr", "ppv", "scoring_rate")
#: A comparison needs two groups; an aggregate over fewer is null.
MIN_COMPARED = 2
#: Which count of `groups_compared` each aggregate is computed over.
AGGREGATE_BASIS = {
    "demographic_parity_difference": "selection_rate",
    "demographic_parity_ratio": "selection_rate",
    "equalized_odds_difference": "equalized_odds",
    "equalized_odds_ratio": "equalized_odds",
    "equalized_odds_difference_mean": "equalized_odds",
    "equalized_odds_ratio_mean": "equalized_odds",
    "equal_opportunity_difference": "true_positive_rate",
    "equal_opportunity_ratio": "true_positive_rate",
    "false_positive_rate_difference": "false_positive_rate",
    "predictive_parity_difference": "predictive_parity",
    "scoring_rate_difference": "selection_rate",
    "scoring_rate_ratio": "selection_rate",
}


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> list[float] | None:
    """Wilson score interval of a proportion, or None when there are no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return [max(0.0, centre - half), min(1.0, centre + half)]


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; None when it is undefined."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return None  # both groups all-selected or all-rejected: no spread to test against
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


# Aggregates: fairlearn's MetricFrame.difference / .ratio semantics (see docs/fairness.md).


def eligible(groups: Sequence[Counts], metrics: Sequence[str]) -> list[Counts]:
    """Groups on which every rate the aggregate needs is defined."""
    return [g for g in groups if all(g.fraction(m)[1] > 0 for m in metrics)]


def _overall(groups: Sequence[Counts], metric: str) -> float | None:
    numerator = sum(g.fraction(metric)[0] for g in groups)
    denominator = sum(g.fraction(metric)[1] for g in groups)
    return numerator / denominator if denominator else None


def _difference(values: list[float], overall: float | None, method: str) -> float | None:
    if not values:
        return None
    if method == "between_groups":
        return max(values) - min(values)
    assert overall is not None
    return max(abs(v - overall) for v in values)


def _ratio(values: list[float], overall: float | None, method: str) -> float | None:
    if not values:
        return None
    if method == "between_groups":
        top = max(values)
        return min(values) / top if top else None
    if not overall:
        return None
    ratios = [v / overall for v in values]
    return min(1 / r if r > 1 else r for r in ratios)


def _metric_pair(
    groups: Sequence[Counts], metric: str, method: str
) -> tuple[float | None, float | None]:
    """(difference, ratio) of one rate over the groups where it is defined.

    Fewer than two such groups is no comparison: null, where fairlearn reports a difference of
    0 and a ratio of 1 (a gap that was never measured must not read as no gap).
    """
    defined = eligible(groups, [metric])
    if len(defined) < MIN_COMPARED:
        return None, None
    values = [g.rate(metric) for g in defined]
    numbers = [v for v in values if v is not None]
    overall = _overall(defined, metric)
    return _difference(numbers, overall, method), _ratio(numbers, overall, method)


def aggregate_metrics(
    groups: Sequence[Counts], *, method: str, has_label: bool, has_score: bool
) -> dict[str, float | None]:
    """Every aggregate of AGGREGATE_KEYS for the compared groups, as fairlearn defines them.

    Each aggregate uses only the groups on which its rates are defined (for equalized odds,
    both TPR and FPR), and `to_overall` compares with the rate over those same groups' rows:
    exactly what fairlearn returns when the undefined groups are filtered out first, except
    that an aggregate over fewer than two groups is null.
    """
    out: dict[str, float | None] = dict.fromkeys(AGGREGATE_KEYS)
    dpd, dpr = _metric_pair(groups, "selection_rate", method)
    out["demographic_parity_difference"] = dpd
    out["demographic_parity_ratio"] = dpr
    if has_label:
        eo_groups = eligible(groups, ["tpr", "fpr"])
        tpr_d, tpr_r = _metric_pair(eo_groups, "tpr", method)
        fpr_d, fpr_r = _metric_pair(eo_groups, "fpr", method)
        if tpr_d is not None and fpr_d is not None:
            out["equalized_odds_difference"] = max(tpr_d, fpr_d)
            out["equalized_odds_difference_mean"] = (tpr_d + fpr_d) / 2
        if tpr_r is not None and fpr_r is not None:
            out["equalized_odds_ratio"] = min(tpr_r, fpr_r)
            out["equalized_odds_ratio_mean"] = (tpr_r + fpr_r) / 2
        eop_d, eop_r = _metric_pair(groups, "tpr", method)
        out["equal_opportunity_difference"] = eop_d
        out["equal_opportunity_ratio"] = eop_r
        out["false_positive_rate_difference"] = _metric_pair(groups, "fpr", method)[0]
        out["predictive_parity_difference"] = _metric_pair(groups, "ppv", method)[0]
    if has_score:
        srd, srr = _metric_pair(groups, "scoring_rate", method)
        out["scoring_rate_difference"] = srd
        out["scoring_rate_ratio"] = srr
    return out
