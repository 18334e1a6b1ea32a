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
