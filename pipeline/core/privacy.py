"""Personal data patterns: find and scrub personnummer, e-mail addresses and phone numbers.

Used to scrub free-text survey answers before they are written anywhere, and by the tests
that scan everything under data/processed and reports/ for personal data.

Personnummer are matched in every written form: 10 or 12 digits, with or without ``-`` or
``+``, samordningsnummer (day + 60) included, and regardless of the check digit (a mistyped
number is still personal data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
PERSONNUMMER = re.compile(rf"(?<![\d\w])(?:(?:19|20)\d{{2}}|\d{{2}}){_DATE}[-+]?\d{{4}}(?![\d\w])")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\d\w+])(?:\+46|0046|0)[\s-]?\(?\d{1,3}\)?(?:[\s-]?\d){5,8}(?![\d\w])")

_BASE64_IMAGE = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")

REPLACEMENTS = {
    "personnummer": (PERSONNUMMER, "[personnummer borttaget]"),
    "e-post": (EMAIL, "[e-postadress borttagen]"),
    "telefon": (PHONE, "[telefonnummer borttaget]"),
}


def scrub(text: str) -> tuple[str, dict[str, int]]:
    """``text`` with personal data replaced by a marker, and how many of each kind were removed."""
    counts = {}
    for kind, (pattern, marker) in REPLACEMENTS.items():
        text, n = pattern.subn(marker, text)
        counts[kind] = n
    return text, counts


@dataclass(frozen=True)
class Hit:
    path: Path
    kind: str
    text: str


def find_personal_data(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for every personnummer, e-mail address and phone number in ``text``."""
    return [(kind, m.group(0)) for kind, (pattern, _) in REPLACEMENTS.items() for m in pattern.finditer(text)]


def _texts(path: Path) -> list[str]:
    """The text content of a file, however it is stored (Parquet cells, PDF pages, plain text)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pandas as pd

        frame = pd.read_parquet(path)
        cells = [" ".join(map(str, frame.columns))]
        for column in frame.columns:
            cells.extend(str(v) for v in frame[column].dropna().astype(str).unique())
        return cells
    if suffix == ".pdf":
        from pypdf import PdfReader

        return [page.extract_text() or "" for page in PdfReader(path).pages]
    if suffix in {".png", ".jpg", ".jpeg", ".gif"}:
        return []
    text = path.read_bytes().decode("utf-8", errors="replace")
    # Embedded images are base64, not text anyone reads; a digit run inside one is noise.
    return [_BASE64_IMAGE.sub("data:image", text)]


def scan(paths: list[Path], kinds: tuple[str, ...] = ("personnummer",)) -> list[Hit]:
    """Every match of ``kinds`` in the files under ``paths`` (folders are walked)."""
    hits = []
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for file in files:
            for text in _texts(file):
                for kind, match in find_personal_data(text):
                    if kind in kinds:
                        hits.append(Hit(file, kind, match))
    return hits
