"""Personal data patterns: find and scrub personnummer, e-mail addresses, phone numbers and names.

Used to scrub free-text survey answers before they are written anywhere, to reject personal
data from columns that are not meant to hold it (ids, codes, förbund, …), to keep values out
of error messages (``safe_value``), and by the tests that scan everything under
data/processed and reports/ for personal data.

* Personnummer are matched in every written form: 10 or 12 digits, with or without ``-``,
  ``+`` or a space, samordningsnummer (day + 60) included, and regardless of the check digit
  (a mistyped number is still personal data).
* E-mail addresses also in their spelled-out forms: ``namn (at) doman.se``, ``namn [at] doman
  (dot) se``, ``namn at doman punkt se``, ``namn snabel-a doman.se``.
* Phone numbers in Swedish forms: ``070-123 45 67``, ``08-12 34 56``, ``(08) 123 456 78``,
  ``+46 70 123 45 67``, ``+46 (0)70-1234567``, ``0046701234567`` (not with dots: ``08.30-10.00``
  is a time).
* Names: first names and surnames from the Swedish name lists that the Faker package ships
  (``faker.providers.person.sv_SE``: the 500 most common female and male first names and
  the 500 most common surnames, from Statistics Sweden's name statistics). A run of
  capitalised words from the lists with a first name in it (``Anna Svensson``, ``Lars-Erik
  Johansson``) is always a name; a single capitalised list word is a name unless it is also
  an ordinary Swedish word (``COMMON_WORDS``: Per, Bo, Liv, Berg, …), which alone is kept.
  This is a heuristic: a rare name outside the lists, or a name written in lower case,
  survives (docs/assumptions_caveats.md says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
PERSONNUMMER = re.compile(rf"(?<![\d\w])(?:(?:19|20)\d{{2}}|\d{{2}}){_DATE}[-+ ]?\d{{4}}(?![\d\w])")
_AT = r"(?:\s*@\s*|\s*[(\[{<]\s*(?:at|snabel-?a)\s*[)\]}>]\s*|\s+(?:at|snabel-?a)\s+)"
_DOT = r"(?:\.|\s*[(\[{<]\s*(?:dot|punkt)\s*[)\]}>]\s*|\s+(?:dot|punkt)\s+)"
EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[A-Za-z]{{2,12}}(?![\w-])",
                   re.IGNORECASE)
_SEP = r"[\s-]{0,2}"
PHONE = re.compile(
    r"(?<![\w+])(?<!\d[-/.,\s])(?:(?:\+|00)\s?46" + _SEP + r"(?:\(0\)" + _SEP + r")?|\(0\d{1,3}\)\s?|0)"
    r"[1-9](?:" + _SEP + r"\d){6,9}(?![\w])"
)

_BASE64_IMAGE = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")

REPLACEMENTS = {
    "personnummer": (PERSONNUMMER, "[personnummer borttaget]"),
    "e-post": (EMAIL, "[e-postadress borttagen]"),
    "telefon": (PHONE, "[telefonnummer borttaget]"),
}
NAME_MARKER = "[namn borttaget]"
_MAYBE = re.compile(r"[\dA-ZÅÄÖÉÜ@]|(?i:\bat\b|snabel)")  # nothing of the kinds without one of these
KINDS = tuple(REPLACEMENTS) + ("namn",)
HIDDEN = "(personuppgift, visas inte)"

# Swedish words that are also on the name lists: alone they are words, not names.
COMMON_WORDS = frozenset("""
Per Bo Liv Hans Sten Stig Mark Saga Dag Juni Maj Ben Max Love Vide Vilde Viking Berg Lund Holm Dal Ek Björk
Lind Alm Asp Blom Borg Brink Dahl Strand Ström Sand Ros Nord Söder Hed Bäck Falk Lax Hav Ljung Kvist Rask Stål
Sol Ask Gran Hall Stark Frisk Glad Fors Lilja Björn Blixt Del Flink Frid Gren Hjort Hult Hägg Kling Lo Lönn
Malm Modig My Palm Skog Sköld Storm Strid Svärd Tom Urban Wall Kaj Rose Frank Svea Li Ina Vega Mia Moa Roos
""".split())
# A capitalised word, with hyphenated parts (Lars-Erik, Ahlberg-Svensson).
_WORD = re.compile(r"(?<![\w-])[A-ZÅÄÖÉÜ][a-zåäöéüè]+(?:-[A-ZÅÄÖÉÜ][a-zåäöéüè]+)*(?![\w-])")


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames) from Faker's Swedish provider (Statistics Sweden's most common names)."""
    from faker.providers.person.sv_SE import Provider

    first = frozenset(Provider.first_names_female) | frozenset(Provider.first_names_male)
    last = frozenset(Provider.last_names)
    return first, last


def _is_name_part(word: str) -> bool:
    first, last = name_lists()
    return word in first or word in last or all(p in first or p in last for p in word.split("-"))


def find_names(text: str) -> list[tuple[int, int]]:
    """Spans of personal names in ``text`` (see the module's doc for the rule)."""
    first, _ = name_lists()
    words = [m for m in _WORD.finditer(text) if _is_name_part(m.group(0))]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        j = i
        # extend over directly following name words (separated by one space only)
        while j + 1 < len(words) and text[words[j].end():words[j + 1].start()] == " ":
            j += 1
        group = words[i:j + 1]
        if len(group) >= 2 and any(g.group(0).split("-")[0] in first for g in group):
            spans.append((group[0].start(), group[-1].end()))
        else:
            for m in group:
                word = m.group(0)
                if word not in COMMON_WORDS:
                    spans.append((m.start(), m.end()))
        i = j + 1
    return spans


def _scrub_names(text: str) -> tuple[str, int]:
    spans = find_names(text)
    for start, end in reversed(spans):
        text = text[:start] + NAME_MARKER + text[end:]
    return text, len(spans)


def scrub(text: str, names: bool = True) -> tuple[str, dict[str, int]]:
    """``text`` with personal data replaced by a marker, and how many of each kind were removed."""
    counts = {}
    for kind, (pattern, marker) in REPLACEMENTS.items():
        text, n = pattern.subn(marker, text)
        counts[kind] = n
    if names:
        text, counts["namn"] = _scrub_names(text)
    return text, counts


def has_personal_data(value: object, names: bool = True) -> bool:
    """True if ``value`` holds a personnummer, e-mail address, phone number or (optionally) a name."""
    text = "" if value is None else str(value)
    if not text.strip() or not _MAYBE.search(text):
        return False
    if any(pattern.search(text) for pattern, _ in REPLACEMENTS.values()):
        return True
    if names:
        # In a code or id column a lone name is as bad as a full one: no sentence-start exemption.
        return any(_is_name_part(m.group(0)) and m.group(0) not in COMMON_WORDS for m in _WORD.finditer(text)) or \
            bool(find_names(text))
    return False


def safe_value(value: object, limit: int = 40) -> str:
    """``value`` quoted for an error message or a quarantine row, or a placeholder if it could be
    personal data; long values are cut. No message of the project prints a value unchecked."""
    text = "" if value is None else str(value)
    if has_personal_data(text) or re.search(r"\d{6,}", text):  # long digit runs: maybe a mistyped personnummer
        return HIDDEN
    printable = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return repr(printable if len(printable) <= limit else printable[:limit] + "…")


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
