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
banner's explanation and ``_load``; one entry in ``pipeline.core.catalogue.FAMILIES`` (title,
description, notebook, source, module; :data:`APPENDICES` is that registry); a notebook with the
parameter cell above; a stage in :mod:`pipeline.stages`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Mapping

from ..core.catalogue import FAMILIES, Family
from ..core.errors import ConfigError
from ..core.fmt import SYNTHETIC

PUBLISHED, MICRODATA, SURVEY = "published", "microdata", "survey"
SOURCES = (PUBLISHED, MICRODATA, SURVEY)


# Every report family (title, description, notebook, data source, module) is listed once, in
# pipeline/core/catalogue.py (FAMILIES); APPENDICES is that registry under the name the reports use.
AppendixInfo = Family
APPENDICES: dict[str, Family] = FAMILIES


def family_class(family: str) -> type["Appendix"]:
    """The ``Appendix`` subclass of a family, found in the module the registry names for it."""
    import importlib

    module = importlib.import_module(APPENDICES[family].module)
    found = [c for c in vars(module).values()
             if isinstance(c, type) and issubclass(c, Appendix) and getattr(c, "family", None) == family]
    if len(found) != 1:
        raise ConfigError(f"report family {family!r}: {APPENDICES[family].module} must define exactly one "
                          f"contract.Appendix subclass with family = {family!r}, found {len(found)}")
    return found[0]


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
