"""A small synthetic answer set in the agreed ``svar.parquet`` schema, with shares we choose.

Written for the tests only and sharing no code with pipeline/derive/indikator.py: each förbund ×
year × group × question gets exactly the number of respondents and positive answers asked for,
so the expected shares are known exactly (not drawn at random).
"""

from __future__ import annotations

import pandas as pd

ENKAT = {"deltagare": "deltagare_avslut", "styrelse": "styrelse", "insatspersonal": "insatspersonal"}


def answers(spec: list[tuple[int, str, str, str, str, int, int]], vet_ej: int = 0) -> pd.DataFrame:
    """``spec``: (year, grupp, förbund, indikator, matpunkt, n answering, k positive). One question per
    measurement point (id ``<matpunkt>.q``); respondents ``<förbund>-<grupp>-<i>`` answer every
    measurement point of their year; ``vet_ej`` extra respondents per row answer "vet ej"."""
    rows = []
    for year, grupp, forbund, ind, mp, n, k in spec:
        for i in range(n + vet_ej):
            unknown = i >= n
            rows.append({"year": year, "enkat": ENKAT.get(grupp, grupp), "grupp": grupp, "forbund": forbund,
                         "respondent": f"{forbund}-{grupp}-{i}", "fraga": f"{mp}.q", "indikator": ind,
                         "matpunkt": mp, "varde": pd.NA if unknown else (4 if i < k else 2), "vet_ej": unknown,
                         "positiv": pd.NA if unknown else i < k})
    frame = pd.DataFrame(rows)
    return frame.astype({"year": int, "varde": "Int64", "vet_ej": bool, "positiv": "boolean"})


def respondents(svar: pd.DataFrame) -> pd.DataFrame:
    return svar[["year", "enkat", "grupp", "forbund", "respondent"]].drop_duplicates().reset_index(drop=True)


GROUPS = {"deltagare": (40, ["I12.1", "I13.1"]), "styrelse": (6, ["I01.1", "I04.1"]),
          "chefer": (4, ["I01.2"])}  # answers per förbund and the measurement points each group answers


def survey(seed: int = 1, years=range(2017, 2023), forbund: int = 12, rising: str = "I12.1",
           low: str = "F03") -> tuple[pd.DataFrame, dict]:
    """A several-year survey with random answers from known probabilities: ``rising`` goes from 40 %
    to 70 % over the years, förbund ``low`` is at 20 % on it, every other point is 60 %. About two
    thirds of the förbund answer each year. Returns the answers and the truth."""
    import numpy as np

    rng = np.random.default_rng(seed)
    years = list(years)
    names = [f"F{i:02d}" for i in range(1, forbund + 1)]
    rows = []
    for t, year in enumerate(years):
        present = [f for f in names if f == low or rng.random() < 0.67]
        for f in present:
            for grupp, (size, points) in GROUPS.items():
                n = max(1, int(rng.poisson(size)))
                for i in range(n):
                    for mp in points:
                        p = 0.6
                        if mp == rising:
                            p = 0.2 if f == low else 0.4 + 0.3 * t / max(1, len(years) - 1)
                        unknown = rng.random() < 0.05
                        pos = bool(rng.random() < p)
                        rows.append({"year": year, "enkat": ENKAT.get(grupp, grupp), "grupp": grupp, "forbund": f,
                                     "respondent": f"{f}-{grupp}-{i}", "fraga": f"{mp}.q", "indikator": mp.split(".")[0],
                                     "matpunkt": mp, "varde": pd.NA if unknown else (4 if pos else 2),
                                     "vet_ej": unknown, "positiv": pd.NA if unknown else pos})
    frame = pd.DataFrame(rows).astype({"year": int, "varde": "Int64", "vet_ej": bool, "positiv": "boolean"})
    return frame, {"rising": rising, "low": low}
