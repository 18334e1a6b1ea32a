"""The one contract every appendix follows (Bilaga 1, 3, 4, the Modellbilaga and the next one).

Every report notebook starts with the same parameter cell::

    year = 2022           # the report year
    inputs = {}           # named input folders, set by the stage
    source = "published"  # where the numbers come from: published, microdata or survey
    synthetic = False     # decided once, by the stage (pipeline.stages.data_source)

and creates its report with ``Family.from_parameters(year, inputs, source, synthetic)``. The
base class below checks those parameters (a missing or unknown input, a source the report
cannot be built from, each gives one clear error), writes the synthetic-data banner in one
wording, and knows the report's title. The stage builds the parameters with
:func:`parameters`; the renderer's colophon reads ``source`` and ``synthetic`` from the same
papermill parameters, so no module decides "synthetic" on its own.

Adding a report family: a subclass with ``family``, ``inputs_needed``, ``sources``, the
banner's explanation and ``_load``; an entry in :data:`APPENDICES`; a notebook with the
parameter cell above; a stage in :mod:`pipeline.stages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Mapping

from ..core.errors import ConfigError
from ..core.fmt import SYNTHETIC

PUBLISHED, MICRODATA, SURVEY = "published", "microdata", "survey"
SOURCES = (PUBLISHED, MICRODATA, SURVEY)


@dataclass(frozen=True)
class AppendixInfo:
    """What the index and the page header say about a report family."""

    title: str
    description: str


# Every report family, in the order the index lists them. The description says nothing about
# synthetic data: the index adds that from the same decision the report itself was given.
APPENDICES: dict[str, AppendixInfo] = {
    "bilaga1": AppendixInfo("Bilaga 1 Tabeller",
                            "Deltagare och insatser i SUS, tabell 1–6, med avstämning mot publicerade uppgifter"),
    "modeller": AppendixInfo("Modellbilaga",
                             "Deltagare jämförda med alla med samma ersättning: sammansättning, deltagandemodell, "
                             "trend och utfall med propensity score-viktning"),
    "bilaga3": AppendixInfo("Bilaga 3 Enkätresultat",
                            "Enkät till förbundschefer, ordförande och vice ordförande: svarsfrekvens och alla "
                            "frågor per grupp"),
    "bilaga4": AppendixInfo("Bilaga 4 Målgruppens storlek",
                            "Hur många som kan behöva samordnad rehabilitering: uppskattning med ändringsbara "
                            "antaganden, känslighetsanalys och avstämning mot förstudien"),
    # Per förbund and year (reports/forbund/<förbund>/<year>/) and all förbund per year (reports/jamforelse/<year>/);
    # the index lists them in a section of their own.
    "forbundsbilaga": AppendixInfo("Förbundsbilaga",
                                   "Deltagare, insatser, psykiatrisk diagnos och täckning i ett samordningsförbund, "
                                   "bredvid riket"),
    "jamforelse": AppendixInfo("Förbunden sida vid sida",
                               "Täckning per förbund mot referensbefolkningens storlek: trattdiagram och tabell"),
    "indikatorrapport": AppendixInfo("Indikatorrapport",
                                     "Indikatorenkäterna: deltagande förbund, alla indikatorer per svarsgrupp med "
                                     "intervall, trend sedan första året och tydliga förändringar"),
    # Per participating förbund and year (reports/indikator/<förbund>/<year>/), listed in a section of its own.
    "indikatorbilaga": AppendixInfo("Indikatorbilaga",
                                    "Ett förbunds indikatorer bredvid riket, dess egen trend, jämförelse med andra "
                                    "förbund och dess öppna svar"),
}
SYNTHETIC_NOTE = " (syntetiska demodata)"  # after a description or subtitle built from synthetic data


def synthetic_banner(synthetic: bool, explanation: str) -> str:
    """The warning box on top of every report built from synthetic data (empty for real data)."""
    return f"::: banner\n{SYNTHETIC}. {explanation}\n:::\n" if synthetic else ""


def header(family: str, year: int, synthetic: bool) -> str:
    """The running header of every PDF page: title, year and, for synthetic data, the warning."""
    return f"{APPENDICES[family].title} – {year}" + (f" · {SYNTHETIC}" if synthetic else "")


def parameters(year: int, inputs: Mapping[str, Path | None], source: str, synthetic: bool) -> dict[str, Any]:
    """The papermill parameters of a report notebook (JSON: absolute paths as text)."""
    if source not in SOURCES:
        raise ConfigError(f"unknown data source {source!r}; sources are: {', '.join(SOURCES)}")
    return {"year": int(year), "inputs": {k: str(Path(v).resolve()) for k, v in inputs.items() if v is not None},
            "source": source, "synthetic": bool(synthetic)}


class Appendix:
    """Base of every report family. Subclasses are dataclasses with at least ``year``,
    ``synthetic`` and ``out_dir`` fields."""

    family: ClassVar[str]
    inputs_needed: ClassVar[tuple[str, ...]]
    inputs_optional: ClassVar[tuple[str, ...]] = ()
    sources: ClassVar[tuple[str, ...]]
    synthetic_explanation: ClassVar[str]

    year: int
    synthetic: bool
    out_dir: Path

    @classmethod
    def from_parameters(cls, year, inputs: Mapping[str, str | Path | None] | None = None,
                        source: str = PUBLISHED, synthetic: bool = False, out_dir: str | Path = "."):
        """Load the report from its notebook's parameters (see the module docstring)."""
        what = f"{APPENDICES[cls.family].title}"
        if source not in cls.sources:
            raise ConfigError(f"{what} cannot be built from {source!r} data; it is built from: "
                              + ", ".join(cls.sources))
        given = {k: Path(v) for k, v in (inputs or {}).items() if v}
        missing = [k for k in cls.inputs_needed if k not in given]
        unknown = sorted(set(given) - set(cls.inputs_needed) - set(cls.inputs_optional))
        if missing or unknown:
            raise ConfigError(f"{what}: " + "; ".join(
                ([f"input(s) missing: {', '.join(missing)}"] if missing else [])
                + ([f"unknown input(s): {', '.join(unknown)}"] if unknown else []))
                + f" (expected: {', '.join(cls.inputs_needed + cls.inputs_optional)})")
        return cls._load(year, given, source, bool(synthetic), Path(out_dir))

    @classmethod
    def _load(cls, year, inputs: dict[str, Path], source: str, synthetic: bool, out_dir: Path):
        raise NotImplementedError

    @property
    def title(self) -> str:
        return APPENDICES[self.family].title

    def banner_markdown(self) -> str:
        """The synthetic-data warning on top of the report (empty for real or published data)."""
        return synthetic_banner(self.synthetic, self.synthetic_explanation)
