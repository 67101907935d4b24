"""What one fairness analysis reads: the columns of each role, the value mappings, the row
filter, the bands of binned attributes and the thresholds, checked before any data is read
(`FairnessSpec`)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from govgate.analysis.fairness.rowfilter import RowCondition, parse_conditions
from govgate.support.errors import UsageError

DEFAULT_MIN_SHARE = 0.02
#: Attribute values that mean "not known" (compared case-insensitively after trimming); NULL
#: and empty cells are always unknown. `?` is how UCI data sets (Adult) write a missing value.
DEFAULT_UNKNOWN_VALUES = ("", "?", "na", "n/a", "null", "none", "unknown")
#: Most groups one attribute (or intersection) may have. A column with a value per person (an
#: id, an exact age in days, an e-mail address) would otherwise produce a table as long as the
#: file, and a bias rule per row; such a column is binned or left out, not tabulated.
DEFAULT_MAX_GROUPS = 1000


@dataclass(frozen=True)
class FairnessSpec:
    """Columns and mappings of one analysis. `option_names` words errors for CLI or config.

    `where` holds row-filter conditions as written (rowfilter.py); `bins` maps an attribute to
    the ascending edges of its bands (docs/fairness.md, Binning).
    """

    prediction: str
    attributes: tuple[str, ...]
    label: str | None = None
    score: str | None = None
    positive: tuple[str, ...] | None = None
    negative: tuple[str, ...] | None = None
    label_positive: tuple[str, ...] | None = None
    label_negative: tuple[str, ...] | None = None
    min_share: float = DEFAULT_MIN_SHARE
    unknown_values: tuple[str, ...] = DEFAULT_UNKNOWN_VALUES
    confidence: float = 0.95
    where: tuple[str, ...] = ()
    bins: Mapping[str, Sequence[float]] = field(default_factory=dict)
    max_groups: int = DEFAULT_MAX_GROUPS
    option_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "positive": "--positive",
            "negative": "--negative",
            "label_positive": "--label-positive",
            "label_negative": "--label-negative",
            "prediction": "--prediction",
            "label": "--label",
            "score": "--score",
            "attributes": "--attr",
            "where": "--where",
            "bins": "--bin",
            "bin_hint": "--bin NAME=EDGE,EDGE,...",
            "max_groups": "--max-groups",
            "unknown_values": "--unknown",
        }
    )

    def option(self, name: str) -> str:
        return self.option_names.get(name, name)

    def conditions(self) -> tuple[RowCondition, ...]:
        """The parsed row filter (a UsageError names a condition that does not parse)."""
        return parse_conditions(self.where, self.option("where"))

    def validate(self, where: str) -> None:
        """Refuse a spec that cannot be analysed, before any data is read.

        One column may serve several roles (prediction and label, prediction and attribute);
        only an attribute given twice is refused, since it would be analysed against itself.
        """
        if not self.attributes:
            raise UsageError(f"{where}: at least one protected attribute is needed")
        twice = sorted({a for a in self.attributes if self.attributes.count(a) > 1})
        if twice:
            raise UsageError(
                f"{where}: attribute {twice[0]!r} is given twice ({self.option('attributes')})"
            )
        if not 0 <= self.min_share < 1:
            raise UsageError(f"{where}: min share {self.min_share} must be in [0, 1)")
        if self.confidence != 0.95:
            raise UsageError(f"{where}: only 95% confidence intervals are supported")
        if isinstance(self.max_groups, bool) or self.max_groups < 2:
            raise UsageError(
                f"{where}: {self.option('max_groups')} {self.max_groups} must be at least 2"
            )
        self.conditions()
        for name, edges in self.bins.items():
            _check_bins(name, edges, self, where)


def _check_bins(name: str, edges: Sequence[float], spec: FairnessSpec, where: str) -> None:
    option = spec.option("bins")
    if name not in spec.attributes:
        raise UsageError(
            f"{where}: {option} names {name!r}, which is not a protected attribute of the "
            f"analysis ({', '.join(spec.attributes)}); add it with {spec.option('attributes')}"
        )
    if not edges:
        raise UsageError(f"{where}: {option} {name}: give at least one edge")
    numbers = [float(edge) for edge in edges]
    if not all(math.isfinite(n) for n in numbers) or any(
        later <= earlier for earlier, later in itertools.pairwise(numbers)
    ):
        raise UsageError(
            f"{where}: {option} {name}: edges must be finite numbers in ascending order "
            f"(got {', '.join(f'{n:g}' for n in numbers)})"
        )
