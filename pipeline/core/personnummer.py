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

_FORM = r"^(?:\d{2})?\d{6}[-+]?\d{4}$"  # [CC]YYMMDD[-+]NNNC, after spaces are removed
KEY_ENV = "FINSAM_PSEUDONYM_KEY"
KEY_FILE_ENV = "FINSAM_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path.home() / ".config" / "finsam" / "pseudonym.key"
MIN_KEY_BYTES = 32
MIN_DISTINCT_BYTES = 16  # a random 32-byte key has about 30; fewer than 16 happens by chance almost never
MAX_PATTERN_RUN = 8  # bytes in one constant step (key_weakness)
# The synthetic demo's published key (docs/assumptions_caveats.md): anyone can recompute it, so it
# protects nothing and is refused for real data.
DEMO_KEY = hashlib.sha256(b"finsam demo pseudonym key: synthetic data only, never for real data").digest()
_HOW = ("Create a key with `finsam key init` (a random key in ~/.config/finsam/pseudonym.key, mode 0600, "
        "outside the repository) or set $FINSAM_PSEUDONYM_KEY to 64 random hex digits.")

# Reasons a value is not a usable personnummer (quarantine reason codes).
BAD_FORMAT = "personnummer_format"
BAD_DATE = "personnummer_datum"
BAD_CHECKSUM = "personnummer_kontrollsiffra"


def luhn_check_digit(nine_digits: np.ndarray) -> np.ndarray:
    """Check digit for rows of 9 digits (YYMMDDNNN), the Luhn algorithm with weights 2,1,2,…"""
    digits = np.asarray(nine_digits).astype(np.int16, copy=False)
    weights = np.array([2, 1, 2, 1, 2, 1, 2, 1, 2], dtype=np.int16)
    products = digits * weights
    sums = (products // 10 + products % 10).sum(axis=1)
    return (10 - sums % 10) % 10


def _rows_of_bytes(array) -> tuple[np.ndarray, np.ndarray]:
    """(start of each value, all bytes) of an Arrow string array: the values' own bytes, no Python
    string per value."""
    import pyarrow as pa

    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    if not len(array):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64 if pa.types.is_large_string(array.type)
                            else np.int32)[array.offset: array.offset + len(array) + 1].astype(np.int64)
    return offsets, np.frombuffer(array.buffers()[2], dtype=np.uint8)


def parse_personnummer(values: pd.Series, reference_year: int | pd.Series) -> pd.DataFrame:
    """Normalise personnummer: columns ``normalised`` (YYYYMMDDNNNN or NA), ``problem`` (reason or NA),
    ``samordningsnummer`` (bool), ``birth_year``. The form is matched by one of pyarrow's regular
    expressions (one pass in C++ over all values); a matched value's length says where its parts are
    (10: YYMMDDNNNN, 11: with a separator, 12: with the century, 13: both), so the digits are read
    from the array's bytes by position. No Python object per value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(values)
    text = pa.array(values, type=pa.string(), from_pandas=True)
    clean = pc.utf8_trim_whitespace(pc.replace_substring(text, " ", ""))
    ok = np.asarray(pc.fill_null(pc.match_substring_regex(clean, _FORM), False), dtype=bool)
    at = np.flatnonzero(ok)
    offsets, data = _rows_of_bytes(pc.filter(clean, pa.array(ok)))
    start, length = offsets[:-1], np.diff(offsets)
    with_century, with_sep = length >= 12, (length == 11) | (length == 13)
    base = start + np.where(with_century, 2, 0)  # where YY begins
    # The ten digits YYMMDDNNNC of each matched value, as small integers.
    ten = data[np.concatenate([base[:, None] + np.arange(6), (base + 6 + with_sep)[:, None] + np.arange(4)],
                              axis=1)].astype(np.int16) - 48 if len(at) else np.zeros((0, 10), dtype=np.int16)

    def field(values_at: np.ndarray) -> np.ndarray:
        out = np.full(n, np.nan)
        out[at] = values_at
        return out

    yy, mm, dd = (field(ten[:, i] * 10 + ten[:, i + 1]) for i in (0, 2, 4))
    given = field(np.where(with_century, (data[start] - 48) * 10.0 + (data[start + 1] - 48) if len(at) else 0,
                           np.nan))
    plus = np.zeros(n, dtype=bool)
    plus[at] = with_sep & (data[base + 6 * with_sep] == ord("+")) if len(at) else False
    coordination = dd > 60
    day = np.where(coordination, dd - 60, dd)
    ref = (reference_year.to_numpy(dtype=float) if isinstance(reference_year, pd.Series)
           else np.full(n, float(reference_year)))
    # Ten digits: the latest birth year ≤ reference year ending in yy; '+' adds a century.
    inferred = ref - np.mod(np.mod(ref, 100) - yy, 100)
    inferred = np.where(plus, inferred - 100, inferred)
    year = np.where(~np.isnan(given), given * 100 + yy, inferred)
    leap = (np.mod(year, 4) == 0) & ((np.mod(year, 100) != 0) | (np.mod(year, 400) == 0))
    month_ok = (mm >= 1) & (mm <= 12)
    length_of_month = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)[
        np.where(month_ok, np.nan_to_num(mm, nan=1), 1).astype(int) - 1] + (leap & (mm == 2))
    bad_date = ok & ~(month_ok & (day >= 1) & (day <= length_of_month) & (year >= 1))
    problem = np.full(n, None, dtype=object)
    problem[~ok] = BAD_FORMAT
    problem[bad_date] = BAD_DATE
    dated = ~bad_date[at]  # of the matched values, those with a real date
    wrong = np.zeros(n, dtype=bool)
    wrong[at[dated]] = luhn_check_digit(ten[dated, :9]) != ten[dated, 9]
    problem[wrong] = BAD_CHECKSUM
    good = problem == None  # noqa: E711 (element-wise)
    out = pd.DataFrame(index=values.index)
    out["problem"] = pd.Series(problem, index=values.index, dtype="string")
    normalised = np.full(n, None, dtype=object)
    if good.any():
        # YYYY (as the number's decimal digits) then MMDDNNNC: the digits' bytes, no Python string per value.
        tail = (ten[good[at], 2:] + 48).astype(np.uint8)
        tails = pa.Array.from_buffers(pa.string(), len(tail), [None, pa.py_buffer(
            np.arange(0, tail.size + 1, 8, dtype=np.int32)), pa.py_buffer(np.ascontiguousarray(tail))])
        years = pa.array(year[good].astype(np.int64)).cast(pa.string())
        whole = pc.binary_join_element_wise(years, tails, "")
        normalised = pc.if_else(pa.array(good), pa.chunked_array([whole]).take(
            pa.array(np.maximum(np.cumsum(good) - 1, 0))), pa.scalar(None, pa.string()))
    else:
        normalised = pa.nulls(n, pa.string())
    out["normalised"] = pd.Series(normalised.to_pandas(), dtype="string").set_axis(values.index)
    out["samordningsnummer"] = coordination & good
    out["birth_year"] = pd.Series(np.where(good, year, np.nan), index=values.index).astype("Int64")
    return out


def key_weakness(key: bytes) -> str | None:
    """Why ``key`` is not usable random key material, or None. The rule (docs/assumptions_caveats.md,
    "Pseudonym key"), each test one that a key of 32 random bytes fails with a probability below
    one in a million million:

    1. at least ``MIN_KEY_BYTES`` (32) bytes;
    2. at least ``MIN_DISTINCT_BYTES`` (16) different byte values (``00…``, ``abab…``);
    3. at least 16 different steps between neighbouring bytes (a sequence such as 0, 1, …, 31 or
       0, 7, 14, … has one step, whatever its start);
    4. no run of ``MAX_PATTERN_RUN`` (8) or more bytes in one constant step (a sequence or a repeat
       hidden inside random bytes);
    5. it does not compress: zlib at level 9 makes it no shorter than itself (a repeated block, a
       pattern, text with repeated words; 32 random bytes come out at about 40);
    6. not only printable ASCII (a password or a sentence written as hex: 32 random bytes are all
       printable with a probability of (95/256)^32, about 10^-14).
    """
    import zlib

    if len(key) < MIN_KEY_BYTES:
        return (f"the pseudonym key has {len(key)} bytes; at least {MIN_KEY_BYTES} bytes "
                f"({2 * MIN_KEY_BYTES} hex digits) of random key are needed")
    distinct = len(set(key))
    if distinct < MIN_DISTINCT_BYTES:
        return f"the pseudonym key is not random (only {distinct} different byte values in {len(key)} bytes)"
    steps = [(b - a) % 256 for a, b in zip(key, key[1:])]
    if len(set(steps)) < MIN_DISTINCT_BYTES:
        return (f"the pseudonym key is not random (a sequence: only {len(set(steps))} different steps between "
                "neighbouring bytes)")
    run = longest = 1
    for previous, step in zip(steps, steps[1:]):
        run = run + 1 if step == previous else 1
        longest = max(longest, run)
    if longest + 1 >= MAX_PATTERN_RUN:
        return f"the pseudonym key is not random (a run of {longest + 1} bytes in one constant step)"
    if len(zlib.compress(key, 9)) < len(key):
        return "the pseudonym key is not random (it compresses: repeated blocks or a pattern)"
    if all(32 <= b < 127 for b in key):
        return "the pseudonym key is not random (it is printable text, e.g. a password, not random bytes)"
    return None


def _check_key(key: bytes, source: str) -> bytes:
    """Refuse a key that is short or guessable (``key_weakness``): pseudonyms made with it could be
    reversed by trying every personnummer."""
    weakness = key_weakness(key)
    if weakness:
        raise ConfigError(f"{source}: {weakness}. {_HOW}")
    return key


def _from_hex(text: str, source: str) -> bytes:
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        raise ConfigError(f"{source}: the pseudonym key must be hexadecimal (e.g. 64 hex digits). {_HOW}") from None


def key_file() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def load_key(demo: bool = False) -> bytes:
    """The pseudonymisation key: $FINSAM_PSEUDONYM_KEY (hex), else the key file ($FINSAM_PSEUDONYM_KEY_FILE,
    default ~/.config/finsam/pseudonym.key, written by ``finsam key init``).

    The key must be at least 32 bytes of random key. A key is never made silently: without one,
    the synthetic demo uses the published ``DEMO_KEY`` and real data stop with a message saying
    how to create a key. Real data never accept the demo key.
    """
    env = os.environ.get(KEY_ENV)
    if env is not None:
        key = _check_key(_from_hex(env, f"${KEY_ENV}"), f"${KEY_ENV}")
    else:
        path = key_file()
        if path.is_file():
            if path.stat().st_mode & 0o077:
                raise ConfigError(f"{path}: the key file can be read by other users; run `chmod 600 {path}`")
            key = _check_key(_from_hex(path.read_text(encoding="ascii", errors="replace"), str(path)), str(path))
        elif demo:
            return DEMO_KEY
        else:
            raise ConfigError(f"no pseudonym key: {path} does not exist and ${KEY_ENV} is not set. {_HOW}")
    if key == DEMO_KEY and not demo:
        raise ConfigError("the published demo key may only pseudonymise the synthetic demo data. " + _HOW)
    return key


def fingerprint(key: bytes) -> str:
    """A short, non-reversible fingerprint of ``key`` (recorded with every output; never the key)."""
    return hmac.new(key, b"finsam pseudonym key fingerprint", hashlib.sha256).hexdigest()[:16]


def init_key(path: Path | None = None, force: bool = False, repo: Path | None = None) -> Path:
    """Write a new random 32-byte key (hex) to ``path`` with mode 0600; never inside the repository,
    never over an existing key unless ``force`` (a new key breaks the link to earlier pseudonyms)."""
    path = (path or key_file()).expanduser().resolve()
    if repo is not None and (path == repo.resolve() or repo.resolve() in path.parents):
        raise ConfigError(f"{path}: the key must live outside the repository ({repo})")
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; a new key would change every pseudonym (use --force to replace it)")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(MIN_KEY_BYTES) + "\n")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        from .io import os_reason

        raise ConfigError(f"{path}: cannot write the key ({os_reason(exc)}); no key was written. Choose another "
                          "place with `finsam key init --path FILE` and set $FINSAM_PSEUDONYM_KEY_FILE to it") from None
    return path


def pseudonymise(normalised: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256 of each normalised number with ``key``, as 32 hex digits; NA stays NA (RFC 2104: the
    same digest as ``hmac.new``). Computed by DuckDB's SHA-256 over the key's inner and outer pads, one
    vectorised pass over the column (a Python loop of ``hmac`` objects took 2–3 s on 650 000 values; this
    takes a tenth of that). The pads go in as query parameters, never into the SQL text."""
    import duckdb
    import pyarrow as pa

    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    values = pa.table({"v": pa.array(normalised, type=pa.string(), from_pandas=True)})  # NA: null, hashed to null
    with duckdb.connect() as con:
        try:  # a stage's log gets no progress bar; inside a Jupyter kernel DuckDB refuses to touch the
            # setting without ipywidgets (and then draws none anyway)
            con.execute("SET enable_progress_bar = false")
        except duckdb.InvalidInputException:
            pass
        con.register("values_", values)
        digests = con.sql("SELECT left(sha256($2 || unhex(sha256($1 || encode(v)))), 32) AS d FROM values_",
                          params=[bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)]).to_arrow_table()
    out = digests.column("d").to_pandas().astype("string")
    out.index, out.name = normalised.index, normalised.name
    return out


def generate_personnummer(birth_years: np.ndarray, rng: np.random.Generator,
                          coordination_share: float = 0.0) -> np.ndarray:
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
