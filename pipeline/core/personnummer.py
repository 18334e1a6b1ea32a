"""Swedish personal identity numbers: parse every written form, check, normalise, pseudonymise.

Forms accepted: ``YYYYMMDD-NNNN``, ``YYYYMMDDNNNN``, ``YYMMDD-NNNN``, ``YYMMDDNNNN`` and
``YYMMDD+NNNN`` (``+``: 100 years or older), with stray spaces. Samordningsnummer have the
day of birth plus 60 and are valid identities. Ten-digit forms get their century from the
reference year (the export's year): the latest century that gives an age of 0–99, or 100+
with ``+``. The last digit is a Luhn check digit over the ten-digit form.

Everything works on pandas Series at once (a national-scale register has 600 000+ rows).
Pseudonyms are keyed HMAC-SHA256 of the normalised twelve-digit number: the same person gets
the same pseudonym in every file and year, and nobody without the key can go back.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError

_PATTERN = r"^(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)$"
KEY_ENV = "FINSAM_PSEUDONYM_KEY"
KEY_FILE_ENV = "FINSAM_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path.home() / ".config" / "finsam" / "pseudonym.key"

# Reasons a value is not a usable personnummer (quarantine reason codes).
BAD_FORMAT = "personnummer_format"
BAD_DATE = "personnummer_datum"
BAD_CHECKSUM = "personnummer_kontrollsiffra"


def luhn_check_digit(nine_digits: np.ndarray) -> np.ndarray:
    """Check digit for rows of 9 digits (YYMMDDNNN), the Luhn algorithm with weights 2,1,2,…"""
    weights = np.array([2, 1, 2, 1, 2, 1, 2, 1, 2])
    products = nine_digits * weights
    sums = (products // 10 + products % 10).sum(axis=1)
    return (10 - sums % 10) % 10


def _digits(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    text = frame[columns[0]].astype(str)
    for column in columns[1:]:
        text = text + frame[column].astype(str)
    width = len(text.iloc[0]) if len(text) else 0
    raw = np.frombuffer("".join(text).encode("ascii"), dtype=np.uint8)
    return (raw.astype(np.int64) - 48).reshape(len(frame), width)


def parse(values: pd.Series, reference_year: int | pd.Series) -> pd.DataFrame:
    """Normalise personnummer: columns ``normalised`` (YYYYMMDDNNNN or NA), ``problem`` (reason or NA),
    ``samordningsnummer`` (bool), ``birth_year``."""
    text = values.astype("string").str.replace(" ", "", regex=False).str.strip()
    parts = text.str.extract(_PATTERN)
    out = pd.DataFrame(index=values.index)
    out["problem"] = pd.Series(pd.NA, index=values.index, dtype="string")
    ok = parts["yy"].notna()
    out.loc[~ok, "problem"] = BAD_FORMAT
    mm = pd.to_numeric(parts["mm"], errors="coerce")
    dd = pd.to_numeric(parts["dd"], errors="coerce")
    coordination = dd > 60
    day = dd.where(~coordination, dd - 60)
    yy = pd.to_numeric(parts["yy"], errors="coerce")
    ref = reference_year if isinstance(reference_year, pd.Series) else pd.Series(reference_year, index=values.index)
    given = pd.to_numeric(parts["century"], errors="coerce")
    # Ten digits: the latest birth year ≤ reference year ending in yy; '+' adds a century.
    inferred = ref - ((ref % 100 - yy) % 100)
    inferred = inferred.where(parts["sep"] != "+", inferred - 100)
    year = (given * 100 + yy).where(given.notna(), inferred)
    dates = pd.to_datetime(
        pd.DataFrame({"year": year, "month": mm, "day": day}).where(ok).dropna().astype(int), errors="coerce"
    ).reindex(values.index)
    bad_date = ok & dates.isna()
    out.loc[bad_date, "problem"] = BAD_DATE
    valid_so_far = ok & ~bad_date
    if valid_so_far.any():
        sub = parts[valid_so_far]
        digits = _digits(sub, ["yy", "mm", "dd", "serial"])
        expected = luhn_check_digit(digits)
        wrong = expected != sub["check"].astype(int).to_numpy()
        out.loc[sub.index[wrong], "problem"] = BAD_CHECKSUM
    good = out["problem"].isna()
    normalised = (year.astype("Int64").astype("string") + parts["mm"] + parts["dd"] + parts["serial"] + parts["check"])
    out["normalised"] = normalised.where(good)
    out["samordningsnummer"] = (coordination & good).fillna(False).astype(bool)
    out["birth_year"] = year.where(good).astype("Int64")
    return out


def load_key() -> bytes:
    """The pseudonymisation key: $FINSAM_PSEUDONYM_KEY (hex), else the file $FINSAM_PSEUDONYM_KEY_FILE,
    else ~/.config/finsam/pseudonym.key, created with a random key on first use (never in the repo)."""
    env = os.environ.get(KEY_ENV)
    if env:
        try:
            key = bytes.fromhex(env)
        except ValueError:
            raise ConfigError(f"${KEY_ENV} must be a hexadecimal key (e.g. 64 hex digits)") from None
        if len(key) < 16:
            raise ConfigError(f"${KEY_ENV} is too short: use at least 16 bytes (32 hex digits)")
        return key
    path = Path(os.environ.get(KEY_FILE_ENV, DEFAULT_KEY_FILE))
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
        path.chmod(0o600)
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except ValueError:
        raise ConfigError(f"{path}: not a hexadecimal key") from None


def pseudonymise(normalised: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256 of each normalised number with ``key``, as 32 hex digits; NA stays NA."""
    def one(value) -> object:
        if value is pd.NA or value is None or (isinstance(value, float) and np.isnan(value)):
            return pd.NA
        return hmac.new(key, str(value).encode("ascii"), hashlib.sha256).hexdigest()[:32]
    return normalised.map(one).astype("string")


def generate(birth_years: np.ndarray, rng: np.random.Generator, coordination_share: float = 0.0) -> np.ndarray:
    """One distinct valid twelve-digit personnummer per birth year given (fictitious, random dates)."""
    n = len(birth_years)
    result = np.empty(n, dtype=object)
    seen: set[str] = set()
    pending = np.arange(n)
    while len(pending):
        m = len(pending)
        years = birth_years[pending]
        month = rng.integers(1, 13, m)
        day = rng.integers(1, 29, m)
        day = np.where(rng.random(m) < coordination_share, day + 60, day)
        serial = rng.integers(0, 1000, m)
        yy = years % 100
        nine = np.stack([yy // 10, yy % 10, month // 10, month % 10, day // 10, day % 10,
                         serial // 100, serial // 10 % 10, serial % 10], axis=1)
        check = luhn_check_digit(nine)
        retry = []
        for k, index in enumerate(pending):
            value = f"{years[k]:04d}{month[k]:02d}{day[k]:02d}{serial[k]:03d}{check[k]}"
            if value in seen:
                retry.append(index)
                continue
            seen.add(value)
            result[index] = value
        pending = np.array(retry, dtype=np.int64)
    return result
