"""What one fairness analysis reads: the columns of each role, the value mappings and the
thresholds, checked before any data is read (`FairnessSpec`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from govgate.support.errors import UsageError

DEFAULT_MIN_SHARE = 0.02
#: Attribute values that mean "not known" (compared case-insensitively after trimming); NULL
#: and empty cells are always unknown. `?` is how UCI data sets (Adult) write a missing value.
DEFAULT_UNKNOWN_VALUES = ("", "?", "na", "n/a", "null", "none", "unknown")


@dataclass(frozen=True)
class FairnessSpec:
    """Columns and mappings of one analysis. `option_names` words errors for CLI or config."""

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
        }
    )

    def validate(self, where: str) -> None:
        if not self.attributes:
            raise UsageError(f"{where}: at least one protected attribute is needed")
        names = [self.prediction, *self.attributes]
        names += [c for c in (self.label, self.score) if c]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise UsageError(f"{where}: column {duplicates[0]!r} is given for two roles")
        if not 0 <= self.min_share < 1:
            raise UsageError(f"{where}: min share {self.min_share} must be in [0, 1)")
        if self.confidence != 0.95:
            raise UsageError(f"{where}: only 95% confidence intervals are supported")
