"""`govgate fairness FILE ...`: an ad-hoc bias audit of one prediction file (CSV, JSONL, Parquet).

Prints the per-attribute group tables (text) or the `govgate/fairness/v1` document (json) on
stdout; warnings about rejected rows, unknown attribute values and attributes whose groups could
not be compared go to stderr. Exit 2 for a usage or input problem (a missing column, an unmapped
label value, a row filter that does not parse, an attribute with too many groups).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click


def register(main: click.Group) -> None:
    main.add_command(fairness)


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--prediction", required=True, metavar="COL", help="Column with the decision.")
@click.option("--label", metavar="COL", help="Column with the true outcome (enables TPR, FPR...).")
@click.option("--score", metavar="COL", help="Numeric score column (LL144 scoring rate).")
@click.option(
    "--attr",
    "attributes",
    multiple=True,
    required=True,
    metavar="COL",
    help="Protected attribute column (repeat; every intersection is analysed too).",
)
@click.option(
    "--positive",
    multiple=True,
    metavar="VALUE",
    help="Prediction value meaning selected/favourable (needed for text values; repeatable).",
)
@click.option(
    "--negative", multiple=True, metavar="VALUE", help="Prediction value(s) meaning not selected."
)
@click.option(
    "--label-positive", multiple=True, metavar="VALUE", help="Label value meaning positive."
)
@click.option(
    "--label-negative", multiple=True, metavar="VALUE", help="Label value(s) meaning negative."
)
@click.option(
    "--min-share",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.02,
    show_default=True,
    help="Groups below this share of rows are reported but not compared (LL144 §5-301(d)).",
)
@click.option(
    "--unknown",
    "unknown_values",
    multiple=True,
    metavar="VALUE",
    help="Attribute value meaning unknown (replaces the defaults: empty, ?, NA, N/A, null, "
    "none, unknown).",
)
@click.option(
    "--where",
    "conditions",
    multiple=True,
    metavar="CONDITION",
    help="Analyse only rows where CONDITION holds (repeatable; all must hold): COL = VALUE, "
    "COL != VALUE, COL in (V1, V2), COL not in (...), COL < NUMBER (also <=, >, >=). Values are "
    "compared as written.",
)
@click.option(
    "--bin",
    "bins",
    multiple=True,
    metavar="COL=EDGE,EDGE,...",
    help="Group a numeric attribute into bands cut at the edges, e.g. age=18,25,40,60 "
    "(under 18, 18 to under 25, ..., 60 and over; repeatable).",
)
@click.option(
    "--max-groups",
    type=click.IntRange(min=2),
    default=None,
    metavar="N",
    help="Refuse an attribute or intersection with more than N groups (default 1000).",
)
@click.option(
    "--input-format",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    help="Input format when the file name does not say.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def fairness(
    file: Path,
    prediction: str,
    label: str | None,
    score: str | None,
    attributes: tuple[str, ...],
    positive: tuple[str, ...],
    negative: tuple[str, ...],
    label_positive: tuple[str, ...],
    label_negative: tuple[str, ...],
    min_share: float,
    unknown_values: tuple[str, ...],
    conditions: tuple[str, ...],
    bins: tuple[str, ...],
    max_groups: int | None,
    input_format: str | None,
    fmt: str,
) -> None:
    """Group fairness metrics of FILE per protected attribute and per intersection."""
    from govgate.analysis.fairness import (
        DEFAULT_MAX_GROUPS,
        DEFAULT_UNKNOWN_VALUES,
        FairnessSpec,
        analyse_files,
    )
    from govgate.outputs.fairness_table import render_text_table
    from govgate.support.errors import UsageError
    from govgate.support.masking import mask_document

    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    if (label_positive or label_negative) and not label:
        raise UsageError("--label-positive/--label-negative need --label COL")
    spec = FairnessSpec(
        prediction=prediction,
        attributes=tuple(attributes),
        label=label,
        score=score,
        positive=tuple(positive) or None,
        negative=tuple(negative) or None,
        label_positive=tuple(label_positive) or None,
        label_negative=tuple(label_negative) or None,
        min_share=min_share,
        unknown_values=tuple(unknown_values) or DEFAULT_UNKNOWN_VALUES,
        where=tuple(conditions),
        bins=parse_bins(bins),
        max_groups=max_groups or DEFAULT_MAX_GROUPS,
    )
    # Group names are attribute values: `--attr email` makes addresses the group names.
    doc = mask_document(analyse_files([file], spec, fmt=input_format, display=[str(file)]))
    warn(doc, file)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        click.echo(render_text_table(doc), nl=False)


def parse_bins(values: Sequence[str]) -> Mapping[str, tuple[float, ...]]:
    """`--bin age=18,25,40` options as {column: edges}; a malformed one is a usage error."""
    from govgate.support.errors import UsageError

    bins: dict[str, tuple[float, ...]] = {}
    for value in values:
        name, sep, edges = value.rpartition("=")
        try:
            numbers = tuple(float(edge) for edge in edges.split(","))
        except ValueError:
            numbers = ()
        if not sep or not name.strip() or not numbers:
            raise UsageError(
                f"--bin {value!r}: write COLUMN=EDGE,EDGE,... with numbers, e.g. age=18,25,40,60"
            )
        if name.strip() in bins:
            raise UsageError(f"--bin {value!r}: column {name.strip()!r} is binned twice")
        bins[name.strip()] = numbers
    return bins


def warn(doc: Mapping[str, Any], file: Path) -> None:
    """Rejected rows, filtered rows, unknown values and uncompared attributes, on stderr."""
    if doc["rejected_rows"]:
        first = ", ".join(
            f"line {entry['line']} ({entry['error']})" for entry in doc["rejected_lines"][:5]
        )
        click.echo(
            f"govgate: warning: {file}: {doc['rejected_rows']:,} row(s) rejected by the reader "
            f"and not counted: {first}",
            err=True,
        )
    if doc["where"] is not None and doc["where"]["excluded_rows"]:
        click.echo(
            f"govgate: note: the row filter ({'; '.join(doc['where']['conditions'])}) left out "
            f"{doc['where']['excluded_rows']:,} row(s)",
            err=True,
        )
    for section in doc["attributes"]:
        if section["unknown"]:
            click.echo(
                f"govgate: note: {section['name']}: {section['unknown']:,} row(s) with an "
                "unknown or missing value are not in any group",
                err=True,
            )
    for section in [*doc["attributes"], *doc["intersections"]]:
        if section["not_compared"]:
            click.echo(f"govgate: warning: not compared: {section['not_compared']}", err=True)
