"""Prediction files for the fairness tests, generated deterministically: Yes/No text in the
shape of the Toronto arrests data, and ages in whole years (73 small groups)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def arrests_csv(path: Path) -> Path:
    """A stand-in for the Toronto arrests data (carData `Arrests`: 5,226 arrests for marijuana
    possession, released / colour / year / age / sex / employed / citizen / checks, Yes/No
    text), which is not available offline: same columns and codes, an unnamed row-number
    column as R writes it, generated deterministically with release less likely for Black,
    unemployed and non-citizen arrestees, plus what real exports carry: a few `Yes ` cells with
    a trailing space and blank cells in employed and citizen."""
    rng = np.random.default_rng(1997)
    rows = ['"","released","colour","year","age","sex","employed","citizen","checks"']
    for number in range(1, 5227):
        colour = "Black" if rng.random() < 0.27 else "White"
        employed = "Yes" if rng.random() < 0.78 else "No"
        citizen = "Yes" if rng.random() < 0.85 else "No"
        p = 0.9 - 0.08 * (colour == "Black") - 0.12 * (employed == "No") - 0.06 * (citizen == "No")
        released = "Yes" if rng.random() < p else "No"
        if number % 401 == 0:
            employed = "Yes "
        if number % 613 == 0:
            citizen = ""
        sex = "Female" if rng.random() < 0.08 else "Male"
        age, year, checks = rng.integers(12, 67), rng.integers(1997, 2003), rng.integers(0, 7)
        rows.append(
            f'"{number}","{released}","{colour}",{year},{age},"{sex}","{employed}","{citizen}",'
            f"{checks}"
        )
    path.write_text("\n".join(rows) + "\n")
    return path


def arrests_frame(path: Path) -> pd.DataFrame:
    """The arrests file as pandas reads it as text, trimmed, blanks missing (govgate's rules)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("released", "colour", "sex", "employed", "citizen"):
        frame[column] = frame[column].str.strip().replace("", np.nan)
    frame["_p"] = (frame["released"] == "Yes").astype(int)
    frame["_y"] = frame["_p"]
    return frame


def ages_csv(path: Path, rows: int = 10_000) -> Path:
    """Age in whole years 18-90 (73 groups, each about 1.4% of rows); 18-39 are selected
    about 4% of the time, 40 and over about 80% (the shape of an age-screening model)."""
    rng = np.random.default_rng(40)
    lines = ["age,sex,selected"]
    for i in range(rows):
        age = 18 + i % 73
        chance = 0.04 if age < 40 else 0.8
        lines.append(f"{age},{'FM'[i // 73 % 2]},{int(rng.random() < chance)}")
    path.write_text("\n".join(lines) + "\n")
    return path
