"""Attribute values as groups: unknown markers, the bands of binned attributes, and the bound on
how many groups an attribute or an intersection may have (`Grouper`, `check_intersections`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from govgate.analysis.fairness.mapping import attribute_text, number_of, show_token, value_token
from govgate.analysis.fairness.spec import FairnessSpec
from govgate.support.errors import InputError

INTERSECTION_SEPARATOR = "×"


def _edge(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


def band_labels(edges: Sequence[float]) -> list[str]:
    """The group names of the bands cut at `edges`, lowest first (n edges make n+1 bands)."""
    shown = [_edge(float(e)) for e in edges]
    labels = [f"under {shown[0]}"]
    labels += [f"{low} to under {high}" for low, high in itertools.pairwise(shown)]
    labels.append(f"{shown[-1]} and over")
    return labels


def band_of(number: float, edges: Sequence[float], labels: Sequence[str]) -> str:
    """The band a number falls in: [edge_i, edge_i+1), below the first, or from the last on."""
    for index, edge in enumerate(edges):
        if number < edge:
            return labels[index]
    return labels[-1]


def _hint(spec: FairnessSpec, name: str) -> str:
    return spec.option("bin_hint").replace("NAME", name)


class Grouper:
    """Turns each row's attribute values into group names, watching the group limit.

    A value is unknown (None) when missing or one of the unknown markers; a binned attribute's
    value is the band its number falls in, and a value there that is neither a number nor an
    unknown marker is an error naming it. An attribute with more than `max_groups` groups is
    refused as soon as its next group appears, before the whole table is built.
    """

    def __init__(self, spec: FairnessSpec, where: str) -> None:
        self.spec = spec
        self.where = where
        self.unknown = frozenset(v.strip().casefold() for v in spec.unknown_values)
        self.bands: dict[int, tuple[list[float], list[str]]] = {}
        for index, name in enumerate(spec.attributes):
            if name in spec.bins:
                edges = [float(e) for e in spec.bins[name]]
                self.bands[index] = (edges, band_labels(edges))
        self.seen: list[set[str]] = [set() for _ in spec.attributes]
        self.not_numbers: dict[int, dict[str, int]] = {}

    def key(self, values: Sequence[Any], rows: int) -> tuple[str | None, ...]:
        """The group of each attribute (None: unknown) for `rows` rows with these values."""
        key = tuple(self._group(index, value, rows) for index, value in enumerate(values))
        for index, group in enumerate(key):
            if group is not None and group not in self.seen[index]:
                self.seen[index].add(group)
                if len(self.seen[index]) > self.spec.max_groups:
                    self._too_many(self.spec.attributes[index])
        return key

    def _group(self, index: int, value: Any, rows: int) -> str | None:
        band = self.bands.get(index)
        if band is None:
            return attribute_text(value, self.unknown)
        token = value_token(value)
        if token[0] == "null" or show_token(token).strip().casefold() in self.unknown:
            return None
        number = number_of(token)
        if number is None:
            text = show_token(token)
            bad = self.not_numbers.setdefault(index, {})
            bad[text] = bad.get(text, 0) + rows
            return None
        return band_of(number, *band)

    def _too_many(self, name: str) -> None:
        raise InputError(
            self.where,
            None,
            f"attribute {name!r} has more than {self.spec.max_groups:,} groups, the limit "
            f"({self.spec.option('max_groups')}): a column with nearly a value per person "
            f"cannot be compared group by group; bin it ({_hint(self.spec, name)}) or analyse "
            "a coarser column",
        )

    def finish(self) -> None:
        """Refuse text in a binned attribute (nothing is silently counted as unknown)."""
        for index, bad in sorted(self.not_numbers.items()):
            name = self.spec.attributes[index]
            shown = sorted(bad, key=lambda text: (-bad[text], text))
            listed = ", ".join(repr(text) for text in shown[:5])
            more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
            raise InputError(
                self.where,
                None,
                f"attribute {name!r} is binned but holds values that are not numbers: "
                f"{listed}{more} in {sum(bad.values()):,} row(s); fix the data, or list them "
                f"as unknown ({self.spec.option('unknown_values')})",
            )

    def order(self) -> dict[str, list[str]]:
        """Band labels in ascending order, per binned attribute (the groups' natural order)."""
        return {self.spec.attributes[index]: labels for index, (_, labels) in self.bands.items()}


def attribute_subsets(count: int) -> Iterable[tuple[int, ...]]:
    """Every intersection of two or more attributes, in the order the attributes were given."""
    for size in range(2, count + 1):
        yield from itertools.combinations(range(count), size)


def check_intersections(
    keys: Iterable[tuple[str | None, ...]], spec: FairnessSpec, where: str
) -> None:
    """Refuse an intersection with more than `max_groups` known groups.

    `keys` are the distinct combinations of every attribute's group (None: unknown). No
    intersection has more groups than there are combinations, so the intersections are counted
    only when the combinations exceed the limit.
    """
    distinct = list(keys)
    limit = spec.max_groups
    if len(spec.attributes) < 2 or len(distinct) <= limit:
        return
    for subset in attribute_subsets(len(spec.attributes)):
        groups = {
            projected
            for projected in (tuple(key[i] for i in subset) for key in distinct)
            if None not in projected
        }
        if len(groups) > limit:
            name = INTERSECTION_SEPARATOR.join(spec.attributes[i] for i in subset)
            raise InputError(
                where,
                None,
                f"intersection {name} has {len(groups):,} groups, more than the limit of "
                f"{limit:,} ({spec.option('max_groups')}): bin an attribute "
                f"({_hint(spec, spec.attributes[subset[-1]])}), analyse fewer attributes "
                "together, or raise the limit",
            )
