"""The reports' one glossary (``ordlista.yaml``): the Ordlista section and the check of reader text.

Every report gets, from the renderer, an "Ordlista" section listing the entries it uses, with the
English term once in parentheses where researchers search for it. :func:`problems` is the check the
tests run over the built reports of every family: English terms outside their one place in
parentheses, variants the glossary rules out, English quotation marks, snake_case identifiers and
unfilled placeholders.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

GLOSSARY_FILE = "ordlista.yaml"
SECTION_TITLE = "Ordlista"
KINDS = ("term", "label", "abbreviation", "number form")

# English (and German) quotation marks; Swedish uses ” … ” (and ’ … ’).
ENGLISH_QUOTES = re.compile(r"[“„‘‚«»]")
SNAKE_CASE = re.compile(r"\b[a-zåäö]+(?:_[a-zåäö0-9]+)+\b", re.IGNORECASE)
PLACEHOLDER = re.compile(r"‹[^›]*›|<år>|<year>|\{[a-z_]+\}|\$\{[^}]*\}|\bTODO\b|\bXXX\b|\bnan\b|\bNaN\b|\bNone\b")


@dataclass(frozen=True)
class Entry:
    term: str
    definition: str
    kind: str
    english: str = ""
    forms: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        """How the Ordlista names the entry: the Swedish term, the English one in parentheses."""
        return f"{self.term} ({self.english})" if self.english else self.term


@dataclass(frozen=True)
class Glossary:
    entries: tuple[Entry, ...]
    english_terms: tuple[str, ...]

    def used_in(self, text: str) -> list[Entry]:
        """The entries whose term or one of its forms occurs in ``text`` (whole words), in glossary order."""
        return [e for e in self.entries if any(_word(w, re.IGNORECASE).search(text) for w in (e.term, *e.forms))]

    def markdown(self, text: str) -> str:
        """The Ordlista section for a report whose text is ``text`` (empty if it uses no entry)."""
        used = self.used_in(text)
        if not used:
            return ""
        lines = [f"## {SECTION_TITLE}", ""]
        for e in sorted(used, key=lambda e: KINDS.index(e.kind)):
            lines.append(f"- **{e.heading}:** {e.definition}")
        return "\n".join(lines) + "\n"

    def problems(self, text: str) -> list[tuple[str, str]]:
        """What a Swedish editor would strike in reader text: (kind, the words)."""
        allowed = [e.heading for e in self.entries if e.english]
        scrubbed = text
        for heading in allowed:  # the one allowed place of an English term: in parentheses after the Swedish
            scrubbed = scrubbed.replace(heading, " ")
        found = [("engelsk term", m.group(0)) for t in self.english_terms for m in _word(t).finditer(scrubbed)]
        found += [("ej ordlistans form", m.group(0)) for e in self.entries for v in e.avoid
                  for m in _word(v).finditer(text)]
        found += [("engelskt citattecken", m.group(0)) for m in ENGLISH_QUOTES.finditer(text)]
        found += [("kodnamn", m.group(0)) for m in SNAKE_CASE.finditer(re.sub(r"https?://\S+", " ", text))]
        found += [("platshållare", m.group(0)) for m in PLACEHOLDER.finditer(text)]
        return found


def _word(words: str, flags: int = 0) -> re.Pattern:
    return re.compile(r"(?<![\wåäöÅÄÖ.-])" + re.escape(words) + r"(?![\wåäöÅÄÖ-])", flags)


@functools.lru_cache(maxsize=1)
def load_glossary() -> Glossary:
    data = yaml.safe_load((resources.files("pipeline.reports") / "templates" / GLOSSARY_FILE).read_text(encoding="utf-8"))
    entries = []
    for raw in data["entries"]:
        if raw.get("kind") not in KINDS:
            raise ValueError(f"{GLOSSARY_FILE}: entry {raw.get('term')!r} has kind {raw.get('kind')!r}; kinds: {KINDS}")
        entries.append(Entry(term=str(raw["term"]), definition=" ".join(str(raw["definition"]).split()),
                             kind=raw["kind"], english=str(raw.get("english") or ""),
                             forms=tuple(raw.get("forms") or ()), avoid=tuple(raw.get("avoid") or ())))
    return Glossary(tuple(entries), tuple(data.get("english_terms") or ()))
