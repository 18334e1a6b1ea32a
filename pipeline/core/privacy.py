"""Personal data patterns: find and scrub personnummer, e-mail addresses, phone numbers and names.

Used to scrub free-text survey answers before they are written anywhere (``scrub``; the 2016
enkät and the annual indicator surveys call it), to reject personal data from columns that are
not meant to hold it (ids, codes, förbund, …), to keep values out of error messages
(``safe_value``), and by the tests that scan everything under data/processed and reports/.

**Normalisation first.** Every pattern runs on a normalised copy of the text (``normalise``):
Unicode NFKC (full-width digits, ligatures, composed letters), every space variant (no-break,
narrow, thin, figure, ideographic, tabs) read as a space, every hyphen and dash variant
(U+2010 hyphen, U+2011 non-breaking hyphen, figure dash, en and em dash, minus sign, full-width
hyphen) read as ``-``, typographic apostrophes as ``'``, and invisible characters (soft hyphen,
zero-width space and joiners, word joiner, BOM) dropped. What is removed is located in the
original text, which is otherwise kept as written.

* **Personnummer** in every written form: 10 or 12 digits, with or without ``-``, ``+`` or a
  space (also `` - ``), samordningsnummer (day + 60) included, and regardless of the check digit
  (a mistyped number is still personal data).
* **E-mail addresses** also spelled out: ``namn (at) doman.se``, ``namn [at] doman (dot) se``,
  ``namn at doman punkt se``, ``namn snabel-a doman.se``.
* **Phone numbers** in the common Swedish writings: a trunk ``0``, ``+46``, ``0046`` or ``+46 (0)``,
  an area code in brackets or not, and the digits grouped by spaces, hyphens, slashes or dots
  (``070-123 45 67``, ``070/123 45 67``, ``070.123.45.67``, ``08-12 34 56``, ``(08) 123 456 78``,
  ``+46 70 123 45 67``, ``+46 (0)70-1234567``, ``0046701234567``). Times and dates written with
  dots or slashes (``08.30-10.00``, ``01.02.2022``) are not numbers to remove.
* **Names**, without relying on capital letters or on a closed list alone (``find_names``):
  1. the name lists: Faker's Swedish first names and surnames (Statistics Sweden's most common)
     in any case, and the first names and surnames of Faker's other Latin-script locales (names
     of many origins) when capitalised or next to another name; a list word that is also an
     ordinary Swedish word (``COMMON_WORDS``: per, bo, hans, inga, mina, berg, lund, …) is a name
     only next to another name;
  2. ordinary words against the rest: a capitalised word in the middle of a sentence that is
     not an ordinary word, by Swedish (and English) word frequencies from the ``wordfreq``
     package (Zipf frequency below ``RARE_ZIPF``; the data ship inside the wheel), and not a
     Swedish place or country name nor a word of the field (``FIELD_WORDS``) – ``Ödmark``,
     ``Wahlgren-Ytterbom``;
  3. letters that Swedish words do not have (``ć``, ``š``, ``ł``, ``ğ``, …) in a word that is not
     an ordinary Swedish word, in any case: ``ibrahimović``;
  4. the words next to a removed name: a surname after a first name, a first name before a
     surname, in any case, when they are on a list, capitalised and not frequent, or not ordinary
     words (``anna ödmark``, ``Fatima Al-Hassan``, ``Zlatan Ibrahimović``), repeated along the run;
  5. after a title or a word that introduces a name (``dr``, ``handläggaren``, ``kuratorn``,
     ``heter``, …, ``TITLES``): the next word when it is on a list, capitalised, or not an
     ordinary word (``handläggaren ödmark``).
  A run of removed words becomes one marker.

**Texts that cannot be made safe** (``scrub(..., withhold=True)``): after scrubbing, a text that
still holds six digits in a row (an identifier in a form not recognised), letters of another
script (names written in Arabic, Cyrillic, … script cannot be checked), or anything any pattern
finds in the result is withheld whole, and counted (``WITHHELD``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import visible

_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
PERSONNUMMER = re.compile(rf"(?<![\d\w])(?:(?:19|20)\d{{2}}|\d{{2}}){_DATE}(?:\s?[-+]\s?|\s)?\d{{4}}(?![\d\w])")
_AT = r"(?:\s*@\s*|\s*[(\[{<]\s*(?:at|snabel-?a)\s*[)\]}>]\s*|\s+(?:at|snabel-?a)\s+)"
_DOT = r"(?:\.|\s*[(\[{<]\s*(?:dot|punkt)\s*[)\]}>]\s*|\s+(?:dot|punkt)\s+)"
EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[A-Za-z]{{2,12}}(?![\w-])",
                   re.IGNORECASE)
_SEP = r"(?:\s?[-/.]\s?|\s)?"  # one grouping mark between digits: a space, or - / . with optional spaces
PHONE = re.compile(
    r"(?<![\w+])(?<!\d[-/.,:\s])(?:(?:\+|00)\s?46" + _SEP + r"(?:\(0\)" + _SEP + r")?|\(0\d{1,3}\)\s?|0)"
    r"[1-9](?:" + _SEP + r"\d){6,9}(?![\w])"
)
# Written with dots or slashes, these are times and dates, not phone numbers.
_NOT_PHONE = re.compile(r"\d{1,2}[.:]\d{2}(?:\s?-\s?\d{1,2}[.:]\d{2})?|\d{1,2}[./]\d{1,2}[./](?:\d{2}|\d{4})")

_BASE64_IMAGE = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")

REPLACEMENTS = {
    "personnummer": (PERSONNUMMER, "[personnummer borttaget]"),
    "e-post": (EMAIL, "[e-postadress borttagen]"),
    "telefon": (PHONE, "[telefonnummer borttaget]"),
}
NAME_MARKER = "[namn borttaget]"
KINDS = tuple(REPLACEMENTS) + ("namn",)
WITHHELD = "utelämnad"  # the count ``scrub(..., withhold=True)`` adds: texts that could not be made safe
HIDDEN = "(personuppgift, visas inte)"

# --------------------------------------------------------------------------- normalisation
_SPACES = {ord(c): " " for c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                                 "\u200a\u202f\u205f\u3000\t\x0b\x0c"}
_HYPHENS = {ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2043"}
_APOSTROPHES = {ord(c): "'" for c in "\u2018\u2019\u02bc\u00b4\u2032`"}
_INVISIBLE = {ord(c): None for c in "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"}
_TABLE = {**_SPACES, **_HYPHENS, **_APOSTROPHES, **_INVISIBLE}
_NEEDS_WORK = re.compile(r"[^\x20-\x5f\x61-\x7e\n\r]")  # printable ASCII (but `) and line breaks are left as they are


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` normalised for the patterns (see the module's doc), and for each character of the
    result the index in ``text`` where the character it came from starts (plus one entry for the
    end). A base letter with its combining marks is normalised together (``o`` + U+0308 → ``ö``)."""
    if not _NEEDS_WORK.search(text):
        return text, list(range(len(text) + 1))
    out: list[str] = []
    origin: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        piece = unicodedata.normalize("NFKC", text[i:j]).translate(_TABLE)
        out.append(piece)
        origin.extend([i] * len(piece))
        i = j
    origin.append(n)
    return "".join(out), origin


def _replace(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each (start, end, marker) replaced; overlapping spans are merged."""
    merged: list[list] = []
    for start, end, marker in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, marker])
    for start, end, marker in reversed(merged):
        text = text[:start] + marker + text[end:]
    return text


# --------------------------------------------------------------------------- names
# Swedish words that are also on the name lists: alone they are words, not names (lower case).
COMMON_WORDS = frozenset(w.lower() for w in """
Per Bo Liv Hans Sten Stig Mark Saga Dag Juni Maj Ben Max Love Vide Vilde Viking Berg Lund Holm Dal Ek Björk
Lind Alm Asp Blom Borg Brink Dahl Strand Ström Sand Ros Nord Söder Hed Bäck Falk Lax Hav Ljung Kvist Rask Stål
Sol Ask Gran Hall Stark Frisk Glad Fors Lilja Björn Blixt Del Flink Frid Gren Hjort Hult Hägg Kling Lo Lönn
Malm Modig My Palm Skog Sköld Storm Strid Svärd Tom Urban Wall Kaj Rose Frank Svea Li Ina Vega Mia Moa Roos
Mina Inga Ville Klara Bror Fred Lova Sanna Tim Sam Rosa Ann Lisa Vera Signe Kim Bill Juli Ella Elin Ali
Mars April Augusti Sommar Vinter Vår Höst Ung Gammal Ny Nya Jan Feb Mar Apr Jun Jul Aug Sep Sept Okt Nov Dec
""".split())
# Words of the field, not names, although rare or capitalised in answers.
FIELD_WORDS = frozenset("""
finsam sus samordningsförbund samordningsförbundet samordningsförbunden försäkringskassan arbetsförmedlingen
samhall skl skr socialstyrelsen isf nns esf region regionen kommunen kommun landsting landstinget
vårdcentralen primärvården psykiatrin ips supported employment individual placement support nationella
nätverket sfi komvux lss daglig verksamhet ekonomiskt bistånd aktivitetsersättning sjukpenning sjukersättning
arbetsmarknadsenheten socialtjänsten migrationsverket skolverket inspektionen socialförsäkringen covid corona
""".split())
TITLES = frozenset("""
dr dr. doktor doktorn läkare läkaren prof prof. professor fru herr hr hr. fröken syster handläggare
handläggaren handläggarna kurator kuratorn psykolog psykologen coach coachen jobbcoach jobbcoachen
samordnare samordnaren arbetsterapeut arbetsterapeuten fysioterapeut fysioterapeuten sjukgymnast
sjukgymnasten sjuksköterska sjuksköterskan chef chefen förbundschef förbundschefen ordförande ordföranden
kontaktperson kontaktpersonen kollega kollegan kollegor kollegorna handledare handledaren rektor rektorn
präst prästen
""".split())
# Words that often stand right before a name, capitalised at the start of a sentence: never part of it.
BEFORE_NAMES = frozenset("""
kontakta kontakt fråga ring ringde ringer mejla mejlade maila mailade hälsa hälsningar tacka tack hej hejsan
prata pratade träffa träffade enligt hos till med från och eller men att som när där mvh vänliga via
""".split())
INTRODUCERS = frozenset("heter hette kallas kallades".split())  # the next word is a name unless a frequent word
RARE_ZIPF = 3.5  # a word less frequent than this (Zipf scale; 3 = once per million words) is not an ordinary word
FREQUENT_ZIPF = 5.0  # a word at least this frequent is never taken for a name by its neighbours
NEIGHBOUR_ZIPF = 4.5  # a lower-case word next to a name, or after "heter", less frequent than this is part of it
_LETTER = r"[^\W\d_]"
_TOKEN = re.compile(rf"{_LETTER}+(?:['-]{_LETTER}+)*")
# Latin letters that Swedish words (and the loan words in Swedish text) do not have.
_FOREIGN_LOWER = "ćčđšžłńśźżğşıřůőűťďľĺŕąęėįųūēīāģķļņõœßãñ"
_FOREIGN_UPPER = "".join(c.upper() for c in _FOREIGN_LOWER if len(c.upper()) == 1 and not c.upper().isascii())
_FOREIGN = re.compile(f"[{_FOREIGN_LOWER}{_FOREIGN_UPPER}İ]")  # no IGNORECASE: ı and i would match each other
_OTHER_SCRIPT = re.compile(r"[\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u0590-\u05ff\u0600-\u06ff\u0700-\u08ff"
                           r"\u0900-\u0dff\u0e00-\u0fff\u10a0-\u10ff\u1100-\u11ff\u3040-\u30ff\u3400-\u9fff"
                           r"\uac00-\ud7af]")
_SENTENCE_MARKS = ".!?:;\n\"'([–•*#>|"


def _starts_sentence(text: str, position: int) -> bool:
    """Whether the word at ``position`` starts a sentence (or a list item, a heading, a quotation)."""
    before = text[max(0, position - 12):position].rstrip(" \t")
    if position <= 12 and not before:
        return True
    return bool(before) and (before[-1] in _SENTENCE_MARKS or before.endswith(" -") or before == "-")


# The locales whose name lists are read (Latin script; names of many origins living in Sweden).
FOREIGN_LOCALES = ("fi_FI", "no_NO", "da_DK", "de_DE", "pl_PL", "tr_TR", "hr_HR", "sl_SI", "cs_CZ", "sk_SK",
                   "hu_HU", "ro_RO", "et_EE", "lt_LT", "lv_LV", "az_AZ", "uz_UZ", "en_PK", "en_IN", "en_US",
                   "en_GB", "en_NG", "en_KE", "yo_NG", "ha_NG", "ig_NG", "sw", "id_ID", "es_ES", "fr_FR",
                   "it_IT", "pt_PT", "nl_NL", "is_IS")


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames) from Faker's Swedish provider (Statistics Sweden's most common names)."""
    from faker.providers.person.sv_SE import Provider

    first = frozenset(Provider.first_names_female) | frozenset(Provider.first_names_male)
    last = frozenset(Provider.last_names)
    return first, last


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """Lower case: (Swedish first names, Swedish surnames, other first names, other surnames)."""
    import importlib

    first, last = name_lists()
    other_first: set[str] = set()
    other_last: set[str] = set()
    for locale in FOREIGN_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute, target in (("first_names", other_first), ("first_names_female", other_first),
                                  ("first_names_male", other_first), ("last_names", other_last)):
            names = getattr(provider, attribute, None) or ()
            target.update(n.lower() for n in (names.keys() if isinstance(names, dict) else names)
                          if " " not in n and len(n) > 2)
    low = lambda names: frozenset(n.lower() for n in names)  # noqa: E731
    return low(first), low(last), frozenset(other_first), frozenset(other_last)


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    """Swedish cities, län and countries (Faker's sv_SE address provider), lower case, word by word."""
    from faker.providers.address.sv_SE import Provider

    words = set()
    for name in (*Provider.cities, *Provider.states, *Provider.countries):
        tokens = [w.lower() for w in _TOKEN.findall(name)]
        if len(tokens) == 1 or tokens[-1] == "län":  # Saint Lucia's "Lucia" is a name too: whole names only
            words.add(tokens[0])
    return frozenset(words)


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How ordinary ``word`` is: the larger of its Swedish and English Zipf frequencies (wordfreq)."""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, "sv"), zipf_frequency(word, "en"))


@lru_cache(maxsize=65536)
def _swedish_zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "sv")


def _parts(low: str) -> list[str]:
    if "-" not in low and "'" not in low:
        return [low]
    return [p for p in re.split(r"['-]", low) if p]


def _on_list(low: str, names: frozenset[str], other: frozenset[str] = frozenset()) -> bool:
    if low in names or low in other:
        return True
    parts = _parts(low)
    return len(parts) > 1 and all(p in names or p in other for p in parts)


@dataclass
class _Word:
    start: int
    end: int
    low: str
    capital: bool  # first letter upper case (or all upper case and on a name list)
    sentence_start: bool
    swedish_first: bool  # on the Swedish first-name list
    swedish_listed: bool  # on a Swedish list (first name or surname)
    other_first: bool  # on another locale's first-name list, and not a frequent Swedish word
    other_listed: bool  # on another locale's list, and not a frequent Swedish word
    common: bool  # on a list but also an ordinary Swedish word (COMMON_WORDS)
    known: bool  # a place, country or word of the field
    frequency: float  # Zipf frequency (Swedish or English, the larger; a hyphenated word: its rarest part)
    foreign: bool  # letters Swedish words do not have, and not a Swedish word

    @property
    def listed(self) -> bool:
        return self.swedish_listed or self.other_listed

    @property
    def rare(self) -> bool:
        return not self.known and self.frequency < RARE_ZIPF


def _frequency(word: str) -> float:
    """How ordinary a word is (Zipf): a hyphenated word counts as its rarest part, an all-capital part
    (an abbreviation: ESF-projekt) as ordinary, and a genitive -s as the word without it."""
    parts = [p for p in re.split(r"['-]", word) if p]
    if len(parts) > 1:
        return min(_frequency(p) for p in parts)
    if len(word) > 1 and word.isupper():
        return 9.0
    low = word.lower()
    value = zipf(low)
    if low.endswith("s") and len(low) > 3:
        value = max(value, zipf(low[:-1]))
    if value < RARE_ZIPF and _compound(low):
        return RARE_ZIPF
    return value


@lru_cache(maxsize=65536)
def _compound(low: str) -> bool:
    """Whether ``low`` ends in an ordinary Swedish word of at least five letters that is no name
    (``regeringskansliet``, ``arbetsmarknadsdepartementet``): a compound noun, not a surname. Surname
    endings are short or names themselves (-berg, -gren, -qvist, -ström), so they do not count."""
    first, last, other_first, other_last = _lists()
    for cut in range(3, len(low) - 4):
        head = low[cut:]
        if _swedish_zipf(head) >= RARE_ZIPF and head not in COMMON_WORDS and not any(
                head in names for names in (first, last, other_first, other_last)):
            return True
    return False


@lru_cache(maxsize=1)
def _union() -> tuple[frozenset[str], frozenset[str]]:
    """Lower case: (every Swedish name, every name of the other locales)."""
    first, last, other_first, other_last = _lists()
    return first | last, other_first | other_last


def _words(text: str) -> list[_Word]:
    first, last, other_first, other_last = _lists()
    swedish, other = _union()
    places = _places()
    out = []
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        low = word.lower()
        letters = [c for c in word if c.isalpha()]
        upper = len(letters) > 1 and all(c.isupper() for c in letters)
        parts = _parts(low)
        stem = low[:-1] if low.endswith("s") else low
        known = any(x in FIELD_WORDS or x in places for x in (low, stem)) or all(
            p in FIELD_WORDS or p in places for p in parts) or upper and not _on_list(low, swedish)
        listed_sv = _on_list(low, swedish)
        not_swedish = _swedish_zipf(low) < FREQUENT_ZIPF
        out.append(_Word(
            m.start(), m.end(), low,
            capital=word[0].isupper() and (not upper or listed_sv),
            sentence_start=_starts_sentence(text, m.start()),
            swedish_first=_on_list(low, first),
            swedish_listed=listed_sv,
            other_first=not listed_sv and not_swedish and _on_list(low, other_first),
            other_listed=not listed_sv and not_swedish and _on_list(low, other, swedish),
            common=low in COMMON_WORDS,
            known=known,
            frequency=9.0 if known else _frequency(word),
            foreign=bool(_FOREIGN.search(word)) and _swedish_zipf(low) < RARE_ZIPF,
        ))
    return out


def _joined(text: str, words: list[_Word], k: int) -> bool:
    """Whether word k and word k + 1 are joined by one space (or a hyphen)."""
    return 0 <= k and k + 1 < len(words) and text[words[k].end:words[k + 1].start] in (" ", "-")


def _alone(w: _Word) -> bool:
    """Rules 1–3: the word is a name by itself."""
    if w.foreign:
        return True
    if w.swedish_listed and not w.common and not w.known:
        return True
    # capitalised in the middle of a sentence: on another list, or not an ordinary word
    return w.capital and not w.sentence_start and (w.other_listed and not w.common or w.rare)


def _pair(a: _Word, b: _Word) -> bool:
    """Rule 1: two list words side by side, a first name and a name, are a name even if each alone is
    an ordinary word (``Bo Lund``, ``anna svensson``, ``jukka virtanen``)."""
    if a.swedish_first and (b.swedish_listed or b.other_listed and b.capital):
        return (a.capital or not a.common and a.frequency < FREQUENT_ZIPF) and (b.capital or not b.common)
    if a.other_first and b.other_listed:
        return a.capital and b.capital or a.frequency < RARE_ZIPF and b.frequency < RARE_ZIPF
    return False


def _joins(w: _Word, left_of_name: bool) -> bool:
    """Rule 4: may this neighbour of a removed name be part of the name?"""
    if w.low in TITLES or w.low in BEFORE_NAMES or w.low in INTRODUCERS:
        return False
    if left_of_name and w.swedish_first:
        return True  # a first name before a surname, even one that is also a word (per andersson)
    if w.listed and (w.capital or not w.common):
        return True
    if w.capital:
        return w.frequency < FREQUENT_ZIPF
    return w.rare or w.foreign or w.frequency < NEIGHBOUR_ZIPF


def _after_title(title: _Word, w: _Word) -> bool:
    """Rule 5: the word after a title (or after "heter") is a name."""
    if w.low in TITLES or w.low in BEFORE_NAMES:
        return False
    if title.low in INTRODUCERS:
        return w.listed or w.frequency < NEIGHBOUR_ZIPF
    return w.listed and (w.capital or not w.common) or w.rare or w.foreign or w.capital and w.frequency < \
        FREQUENT_ZIPF


def find_names(text: str) -> list[tuple[int, int]]:
    """Spans of personal names in ``text`` (already normalised; see the module's doc for the rules)."""
    words = _words(text)
    name = [_alone(w) for w in words]
    for k in range(len(words) - 1):
        if _joined(text, words, k):
            a, b = words[k], words[k + 1]
            if _pair(a, b):
                name[k] = name[k + 1] = True
            if (a.low in TITLES or a.low in INTRODUCERS) and _after_title(a, b):
                name[k + 1] = True
    changed = True
    while changed:  # rule 4, repeated along the run
        changed = False
        for k in range(len(words)):
            if not name[k]:
                continue
            if _joined(text, words, k - 1) and not name[k - 1] and _joins(words[k - 1], left_of_name=True):
                name[k - 1] = changed = True
            if _joined(text, words, k) and not name[k + 1] and _joins(words[k + 1], left_of_name=False):
                name[k + 1] = changed = True
    spans: list[tuple[int, int]] = []
    for k, w in enumerate(words):
        if name[k]:
            if spans and name[k - 1] and _joined(text, words, k - 1):
                spans[-1] = (spans[-1][0], w.end)
            else:
                spans.append((w.start, w.end))
    return spans


def _matches(norm: str) -> list[tuple[str, re.Match]]:
    """(kind, match) of every personnummer, e-mail address and phone number in normalised text, the
    first kind to claim characters keeping them (times and dates are not phone numbers)."""
    taken = [False] * len(norm)
    found = []
    for kind, (pattern, _) in REPLACEMENTS.items():
        for m in pattern.finditer(norm):
            if any(taken[m.start():m.end()]) or kind == "telefon" and _NOT_PHONE.fullmatch(m.group(0)):
                continue
            taken[m.start():m.end()] = [True] * (m.end() - m.start())
            found.append((kind, m))
    return found


def _unsafe(text: str) -> bool:
    """Whether a scrubbed text still holds something that may identify a person (withheld then)."""
    norm, _ = normalise(text)
    return bool(re.search(r"\d{6,}", norm) or _OTHER_SCRIPT.search(norm) or _matches(norm))


def scrub(text: str, names: bool = True, withhold: bool = False) -> tuple[str | None, dict[str, int]]:
    """``text`` with personal data replaced by a marker, and how many of each kind were removed.

    Patterns run on the normalised text (``normalise``); the markers replace the original
    characters. With ``withhold=True`` a text that cannot be made safe (see the module's doc) comes
    back as ``None`` and the counts get ``WITHHELD``: 1 (else 0)."""
    norm, origin = normalise(text)
    counts = dict.fromkeys(REPLACEMENTS, 0)
    spans: list[tuple[int, int, str]] = []
    taken = [False] * len(norm)
    for kind, m in _matches(norm):
        spans.append((origin[m.start()], origin[m.end()], REPLACEMENTS[kind][1]))
        taken[m.start():m.end()] = [True] * (m.end() - m.start())
        counts[kind] += 1
    if names:
        # Names are looked for where nothing else was removed (an e-mail's local part is not a name).
        masked = "".join(" " if t else c for c, t in zip(norm, taken))
        found_names = find_names(masked)
        spans += [(origin[a], origin[b], NAME_MARKER) for a, b in found_names]
        counts["namn"] = len(found_names)
    result = _replace(text, spans)
    if withhold:
        unsafe = bool(_OTHER_SCRIPT.search(norm)) or _unsafe(result)
        counts[WITHHELD] = int(unsafe)
        return (None if unsafe else result), counts
    return result, counts


def _glued_to_digit(text: str, start: int, end: int) -> bool:
    return (start > 0 and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit())


def has_personal_data(value: object, names: bool = True) -> bool:
    """True if ``value`` holds a personnummer, e-mail address, phone number or (optionally) a name.
    For columns that are not meant to hold personal data (codes, ids): the patterns on the
    normalised value, and a name-list word (not an ordinary word) or a word with letters Swedish
    does not have, in any case and any position (in a code or id column a lone name is as bad as
    a full one). The frequency rules of free text are not used here: code values are not prose."""
    text = "" if value is None else str(value)
    if not text.strip():
        return False
    norm = text if text.isascii() and "\t" not in text else normalise(text)[0]
    if any(pattern.search(norm) for pattern, _ in REPLACEMENTS.values()):
        return True
    if names:
        swedish = _union()[0]
        for match in _TOKEN.finditer(norm):
            token = match.group()
            if token.isupper() and _glued_to_digit(norm, match.start(), match.end()):
                continue  # a stretch of a generated code such as 'JX5ELSA9', not a word
            low = token.lower()
            if low not in COMMON_WORDS and _on_list(low, swedish) or _FOREIGN.search(token):
                return True
    return False


def safe_value(value: object, limit: int = 40) -> str:
    """``value`` quoted for an error message or a quarantine row, or a placeholder if it could be
    personal data; long values are cut. No message of the project prints a value unchecked."""
    text = "" if value is None else str(value)
    if has_personal_data(text) or re.search(r"\d{6,}", text):  # long digit runs: maybe a mistyped personnummer
        return HIDDEN
    printable = visible(text)
    return "'" + (printable if len(printable) <= limit else printable[:limit] + "…") + "'"


@dataclass(frozen=True)
class Hit:
    path: Path
    kind: str
    text: str


def find_personal_data(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for every personnummer, e-mail address and phone number in ``text``."""
    norm, origin = normalise(text)
    return [(kind, text[origin[m.start()]:origin[m.end()]]) for kind, m in _matches(norm)]


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
