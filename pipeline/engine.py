"""The build engine: the declared stages (:mod:`pipeline.stages`) run through DVC.

- :func:`code_deps` computes each stage's code dependencies as the import closure of its
  function and notebook, so ``dvc.yaml`` can never miss a module (complete by construction).
- :func:`dvc_yaml` writes ``dvc.yaml`` from the declaration; ``finsam sync`` keeps it current and
  a test fails when the committed file differs.
- :func:`build_pipeline` asks DVC which stages are out of date, runs them (two at a time where the data
  flow allows: DVC's own ``repro`` runs one at a time), and records each finished stage in
  ``dvc.lock`` with ``dvc commit``. ``dvc repro`` reads and writes the same record, so
  ``finsam build``, ``finsam stage …`` and ``dvc repro`` always agree on what is up to date.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import logging
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from .core import catalogue
from .core.errors import ConfigError, PipelineError
from .stages import STAGES, Stage

log = logging.getLogger(__name__)

PACKAGE = "pipeline"
PACKAGE_DIR = Path(__file__).resolve().parent
DVC_FILE = "dvc.yaml"
LOCK_FILE = "dvc.lock"
_HEADER = ("# Written by `finsam sync` from the stage list in pipeline/stages.py: do not edit by hand.\n"
           "# Code deps are the import closure of each stage (pipeline/engine.py); years come from params.yaml.\n")
_VAR = re.compile(r"\$\{\s*([A-Za-z0-9_.]+)(\[\*\])?\s*\}")


# --- import closure ---------------------------------------------------------------------------

def _module_file(module: str, pkg: Path = PACKAGE_DIR) -> Path | None:
    """The file of a project module inside the package folder ``pkg`` (a checkout's pipeline/)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = pkg.joinpath(*parts[1:])
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _is_package(module: str, pkg: Path = PACKAGE_DIR) -> bool:
    file = _module_file(module, pkg)
    return file is not None and file.name == "__init__.py"


def _imports_in(tree: ast.AST, module: str, pkg: Path = PACKAGE_DIR) -> set[str]:
    """Project modules named by every import statement in ``tree`` (at any depth)."""
    package = module if _is_package(module, pkg) else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from pkg import module`
    loaded = {m for lib, modules in _plugins().items() if lib in {f.split(".")[0] for f in found} for m in modules}
    return {m for m in found | loaded if _module_file(m, pkg) is not None}


# Libraries that load project modules themselves, through an entry point, when they are imported:
# papermill imports every `papermill.engine` plugin (ours: pipeline.reports._papermill_engine) while
# it imports, so any module importing papermill runs that module too (found by tests/test_audit.py).
_PLUGIN_GROUPS = {"papermill.engine": "papermill"}


@lru_cache(maxsize=None)
def _plugins() -> dict[str, frozenset[str]]:
    """{library: project modules it loads by itself}, from the installed entry points."""
    from importlib.metadata import entry_points

    found: dict[str, set[str]] = {}
    for group, library in _PLUGIN_GROUPS.items():
        for point in entry_points(group=group):
            if point.value.split(":")[0].startswith(PACKAGE + "."):
                found.setdefault(library, set()).add(point.value.split(":")[0])
    return {lib: frozenset(mods) for lib, mods in found.items()}


# Modules that dispatch to stages: only their module-level imports run for every stage; what
# they import inside a function belongs to that function's stage (see _function_imports).
DISPATCH = frozenset({f"{PACKAGE}.cli", f"{PACKAGE}.stages", f"{PACKAGE}.engine"})


def _top_level(tree: ast.Module) -> ast.Module:
    return ast.Module(body=[n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], type_ignores=[])


def _module_imports(module: str, pkg: Path = PACKAGE_DIR) -> frozenset[str]:
    """Imports of a module anywhere in its body (a lazy import may run), or only at the top for DISPATCH."""
    file = _module_file(module, pkg)
    if file is None:
        return frozenset()
    stat = file.stat()
    return _parsed_imports(module, pkg, stat.st_mtime_ns, stat.st_size) | _imported_by_name(module)


def _imported_by_name(module: str) -> frozenset[str]:
    """Modules a module imports by name at run time, not in an import statement: the warm kernels
    (reports/kernels.py) import every report family's module (pipeline/core/catalogue.py: FAMILIES)
    and run reports/kernel_state.py inside each kernel (found by tests/test_audit.py)."""
    if module != f"{PACKAGE}.reports.kernels":
        return frozenset()
    from .core.catalogue import FAMILIES

    return frozenset({f.module for f in FAMILIES.values()} | {f"{PACKAGE}.reports.kernel_state"})


@lru_cache(maxsize=None)
def _parsed_imports(module: str, pkg: Path, _mtime: int, _size: int) -> frozenset[str]:
    tree = ast.parse(_module_file(module, pkg).read_text(encoding="utf-8"))
    return frozenset(_imports_in(_top_level(tree) if module in DISPATCH else tree, module, pkg))


def _with_parents(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def closure(start: set[str], pkg: Path = PACKAGE_DIR) -> set[str]:
    """Every project module that importing ``start`` can execute (parent packages included)."""
    seen: set[str] = set()
    todo = [m for s in start for m in _with_parents(s)]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for dep in _module_imports(module, pkg):
            todo.extend(_with_parents(dep) - seen)
    return seen


def _function_imports(func: Callable, pkg: Path = PACKAGE_DIR) -> set[str]:
    """Modules imported inside ``func`` and the module-level imports of the module defining it."""
    module = func.__module__
    source = (_module_file(module, pkg) or Path(sys.modules[module].__file__)).read_text(encoding="utf-8")
    tree = ast.parse(source)
    found = _imports_in(_top_level(tree), module, pkg) | {module}
    helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    todo, done = [func.__name__], set()
    while todo:  # the function and the module's own helpers it calls
        name = todo.pop()
        if name in done or name not in helpers:
            continue
        done.add(name)
        node = helpers[name]
        found |= _imports_in(node, module, pkg)
        todo.extend(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in helpers)
    return found


def notebook_imports(path: Path, pkg: Path = PACKAGE_DIR) -> set[str]:
    """Project modules imported by a notebook's code cells."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    found: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        found |= _imports_in(ast.parse(code), PACKAGE, pkg)
    return found


def package_dir(root: Path) -> Path:
    """The package folder the stages of ``root`` run (its own pipeline/, else the installed one)."""
    return (root / PACKAGE).resolve() if (root / PACKAGE / "__init__.py").is_file() else PACKAGE_DIR


def entry_modules(stage: Stage, root: Path) -> set[str]:
    """What running the stage imports first: the CLI, the stage's function, its notebook."""
    pkg = package_dir(root)
    start = {f"{PACKAGE}.cli"} | _function_imports(stage.run, pkg)
    for notebook in _notebooks(stage):
        start |= notebook_imports(root / "notebooks" / notebook, pkg)
    return start


def _notebooks(stage: Stage) -> list[str]:
    return ([stage.notebook] if stage.notebook else []) + list(stage.extra_notebooks)


def _data_folders(file: Path) -> set[Path]:
    """Folders of package data beside a module that the module names in a string (e.g. "templates")."""
    names = {n.value for n in ast.walk(ast.parse(file.read_text(encoding="utf-8")))
             if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return {d for d in file.parent.iterdir()
            if d.is_dir() and d.name in names and not (d / "__init__.py").exists() and d.name != "__pycache__"}


def code_deps(stage: Stage, root: Path) -> list[str]:
    """Project files and package-data folders (relative to ``root``) the stage's command uses, sorted."""
    pkg = package_dir(root)
    files = {_module_file(m, pkg) for m in closure(entry_modules(stage, root), pkg)}
    files.discard(None)
    files |= {d for f in list(files) for d in _data_folders(f)}
    rel = sorted(Path(PACKAGE, f.relative_to(pkg)).as_posix() for f in files)
    return [f"notebooks/{nb}" for nb in _notebooks(stage)] + rel


# --- dvc.yaml ---------------------------------------------------------------------------------

_lookup = catalogue.lookup


def stage_body(stage: Stage, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    cmd = f"finsam run {stage.command}" + (" --year ${item}" if stage.foreach else "")
    body: dict[str, Any] = {"cmd": cmd, "deps": code_deps(stage, root)
                            + catalogue.relative_paths(stage.inputs, params, stage.foreach)}
    if stage.settings:
        body["params"] = list(stage.settings)
    body["outs"] = [{out: {"cache": False, "persist": True}}
                    for out in catalogue.relative_paths(stage.outputs, params, stage.foreach)]
    return body


def active(params: dict[str, Any]) -> list[Stage]:
    """The declared stages that are part of the build with these params (see ``Stage.when``)."""
    from .core.config import SettingsSlice, parse_settings

    settings = parse_settings(params)
    return [s for s in STAGES if s.when is None or bool(SettingsSlice(settings, (s.when,), s.name).get(s.when))]


def dvc_yaml(root: Path, params: dict[str, Any]) -> str:
    """The text of dvc.yaml for this checkout's stage list and params.yaml."""
    stages: dict[str, Any] = {}
    for stage in active(params):
        body = stage_body(stage, root, params)
        stages[stage.name] = {"foreach": "${" + stage.foreach + "}", "do": body} if stage.foreach else body
    return _HEADER + yaml.safe_dump({"stages": stages}, sort_keys=False, allow_unicode=True, width=120)


README_BEGIN = "<!-- stage table: written by `finsam sync` from pipeline/stages.py -->"
README_END = "<!-- end of stage table -->"


def _readable(reference: str) -> str:
    """A dataset reference as a path for readers of the README: ``data/raw/register/<year>``."""
    r = catalogue.ref(reference)
    year = str(r.year) if r.year is not None else "<year>"
    return r.dataset.pattern.replace("{year}", year)


def readme_table() -> str:
    """The README's stage table, from the declaration."""
    rows = ["| stage | what it does | reads | writes | example |", "|---|---|---|---|---|"]
    for stage in STAGES:
        each = f" (each of `{stage.foreach}`)" if stage.foreach else ""
        reads = ", ".join([f"`notebooks/{nb}`" for nb in _notebooks(stage)]
                          + list(dict.fromkeys(f"`{_readable(d)}`" for d in stage.inputs)))
        writes = ", ".join(f"`{_readable(o)}`" for o in stage.outputs)
        rows.append(f"| `{stage.name}`{each} | {stage.summary} | {reads or '–'} | {writes} | `{stage.example}` |")
    return "\n".join([README_BEGIN, *rows, README_END])


def _replace_table(readme: str) -> str:
    if README_BEGIN not in readme or README_END not in readme:
        return readme
    head, rest = readme.split(README_BEGIN, 1)
    return head + readme_table() + rest.split(README_END, 1)[1]


def _same_package(root: Path) -> None:
    """Refuse to work on a checkout whose stage list differs from the one that is running (the
    import closures are read from the checkout's own files, but the declaration is imported)."""
    here = package_dir(root)
    if here == PACKAGE_DIR:
        return
    if (here / "stages.py").read_bytes() != (PACKAGE_DIR / "stages.py").read_bytes():
        raise ConfigError(f"{here}/stages.py differs from the installed package's ({PACKAGE_DIR}): "
                          f"run `make install` in {root} (or use its .venv/bin/finsam)")


def sync(root: Path, params: dict[str, Any], check: bool = False) -> bool:
    """Write dvc.yaml (and the README's stage table, where the README has one) from the declaration.

    Returns True if dvc.yaml was (or, with ``check``, would be) changed.
    """
    from .core.io import write_text_atomic

    _same_package(root)
    path = root / DVC_FILE
    text = dvc_yaml(root, params)
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    readme = root / "README.md"
    if not check and readme.is_file():
        old = readme.read_text(encoding="utf-8")
        if _replace_table(old) != old:
            write_text_atomic(readme, _replace_table(old))
    if current == text:
        return False
    if not check:
        write_text_atomic(path, text)
    return True


# --- concrete stages --------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One concrete stage: ``name`` as DVC calls it (``bilaga1@2022``)."""

    name: str
    stage: Stage
    item: Any
    deps: tuple[str, ...]
    outs: tuple[str, ...]
    extra: tuple[str, ...] = ()  # options that narrow the stage (e.g. --forbund): then it is not recorded
    force: bool = False  # `finsam build --force`: a stage with its own cache (--force option) skips nothing

    @property
    def argv(self) -> list[str]:
        forced = ["--force"] if self.force and any(o.flag == "--force" for o in self.stage.options) else []
        return (["run", self.stage.command] + (["--year", str(self.item)] if self.stage.foreach else [])
                + list(self.extra) + forced)


def _interpolate(text: str, params: dict[str, Any], item: Any) -> str:
    return _VAR.sub(lambda m: str(item) if m.group(1) == "item" else str(_lookup(params, m.group(1))), text)


def jobs(root: Path, params: dict[str, Any]) -> list[Job]:
    """Every concrete stage in pipeline order."""
    out: list[Job] = []
    for stage in active(params):
        items = _lookup(params, stage.foreach) if stage.foreach else [None]
        body = stage_body(stage, root, params)
        for item in items:
            deps = tuple(_interpolate(d, params, item) for d in body["deps"])
            outs = tuple(_interpolate(next(iter(o)), params, item) for o in body["outs"])
            out.append(Job(f"{stage.name}@{item}" if stage.foreach else stage.name, stage, item, deps, outs))
    return out


def _overlaps(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def upstream(job: Job, all_jobs: list[Job]) -> list[Job]:
    return [other for other in all_jobs if other is not job
            and any(_overlaps(d, o) for d in job.deps for o in other.outs)]


# --- DVC --------------------------------------------------------------------------------------

@contextlib.contextmanager
def _quiet_dvc() -> Iterator[None]:
    """DVC logs every stage it looks at; the build prints its own lines instead."""
    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _dvc_errors(what: str) -> Iterator[None]:
    """DVC's exceptions (a lock held by another dvc or finsam process, a broken dvc.lock) as one line."""
    from dvc.exceptions import DvcException

    try:
        yield
    except DvcException as exc:
        hint = " (another `finsam build`, `dvc` or editor plugin holds the repository lock: wait and retry)" \
            if "lock" in type(exc).__name__.lower() or "lock" in str(exc).lower() else ""
        raise PipelineError(f"DVC could not {what}: {exc}{hint}") from None


def open_repo(root: Path):
    """The DVC repository at ``root`` (initialised without git if there is none, e.g. a copy)."""
    try:
        from dvc.repo import Repo
    except ImportError as exc:  # pragma: no cover - DVC is a dependency
        raise PipelineError("DVC is not installed: run `make install`") from exc
    with _quiet_dvc(), _dvc_errors("open the repository"):
        if not (root / ".dvc").is_dir():
            Repo.init(str(root), no_scm=not (root / ".git").exists())
        return Repo(str(root))


def _recorded(root: Path) -> set[str]:
    """Stage names dvc.lock has a record of (``bilaga1@2022`` for foreach stages)."""
    stages = lock_summary(root).get("stages") or {}
    names = set()
    for name, body in stages.items():
        names.add(name)
        if isinstance(body, dict) and "cmd" not in body:  # older lock layouts nest foreach items
            names.update(f"{name}@{item}" for item in body)
    return names


NOT_BUILT = "not built yet"  # no record in this checkout's dvc.lock (a fresh clone, or after `make clean`)


def changes(repo, names: list[str]) -> dict[str, list[str]]:
    """Why each of ``names`` is out of date (empty list: up to date), in words.

    DVC's status costs about the same for one stage as for all (it loads the whole index), so
    asking for many stages is one call for the whole pipeline.
    """
    with _quiet_dvc(), _dvc_errors("compute the status"):
        if not names:
            status = {}
        elif len(names) > 3:
            status = repo.status()
        else:
            status = repo.status(targets=[_target(repo, n) for n in names])
    recorded = _recorded(Path(repo.root_dir))
    reasons: dict[str, list[str]] = {name: [] for name in names}
    for key, entries in status.items():
        name = key.split(":")[-1]
        words: list[str] = []
        for entry in entries:
            if isinstance(entry, str):
                words.append(entry)
                continue
            for kind, changed in entry.items():
                if isinstance(changed, dict):
                    for path, how in changed.items():
                        if isinstance(how, dict):  # params: {file: {key: how}}
                            words.extend(f"param {key} {what}" for key, what in how.items())
                        else:
                            words.append(f"{kind.replace('changed ', '')} {path} {how}")
                else:
                    words.append(f"{kind}")
        if name in reasons:
            if name not in recorded:
                words = [NOT_BUILT]
            elif len(words) > 4:
                words = words[:4] + [f"and {len(words) - 4} more"]
            reasons[name] = words or ["changed"]
    return reasons


def _target(repo, name: str) -> str:
    """A stage addressed through its dvc.yaml (DVC resolves bare names against the working directory)."""
    return f"{Path(repo.root_dir) / DVC_FILE}:{name}"


def record(repo, name: str) -> None:
    """Write the stage's current dep, param and out hashes to dvc.lock (``dvc commit``)."""
    with _quiet_dvc(), _dvc_errors(f"record {name} in dvc.lock"):
        repo.commit(_target(repo, name), force=True)


# --- the build --------------------------------------------------------------------------------

def _duration(value: float) -> str:
    """Time left in words the build prints: 40 s, 3 min."""
    return f"{value:.0f} s" if value < 90 else f"{value / 60:.0f} min"


def seconds(value: float) -> str:
    """Seconds with a decimal comma, as the build prints them (6,1 s)."""
    return f"{value:.1f}".replace(".", ",") + " s"


def _stage_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    # Notices that mean nothing to a user (packaging deprecations, the kernel's transport notice).
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning,ignore::FutureWarning,ignore::PendingDeprecationWarning"
    return env


# Lines a stage prints that mean nothing to a user (kept out of the log; nothing else is dropped).
NOISE = ("Kernel is running over TCP without encryption",)


def _useful(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not any(n in line for n in NOISE))


def _inputs_state(job: Job, root: Path) -> list[tuple[str, int, int]]:
    """Size and modification time of every file the stage reads (and params.yaml): cheap to take
    before and after a run, to notice an input edited while the stage was running."""
    state = []
    for rel in (*job.deps, "params.yaml"):
        path = root / rel
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        for f in files:
            stat = f.stat()
            state.append((f.relative_to(root).as_posix(), stat.st_mtime_ns, stat.st_size))
    return state


class InputsChanged(PipelineError):
    """A stage's inputs were edited while it ran: its outputs may be from the old inputs."""


# Where a running stage's progress lines go (set by build_pipeline(); None: nowhere). A stage reports each
# finished item (pipeline/core/progress.py); the build shows it at most every PROGRESS_EVERY seconds.
_progress: Callable[[Job, int, int, float, str], None] | None = None
PROGRESS_EVERY = 10.0


def _stderr_lines(stream, job: Job, kept: list[str]) -> None:
    """Read a stage's standard error: progress lines to the build's console, the rest kept."""
    from .core.progress import parse_progress_line

    shown = 0.0
    for line in stream:
        step = parse_progress_line(line)
        if step is None:
            kept.append(line)
        elif _progress is not None and (time.perf_counter() - shown >= PROGRESS_EVERY or step[0] == step[1]):
            shown = time.perf_counter()
            _progress(job, *step)


def run_job(job: Job, root: Path, logfile) -> float:
    from .core.progress import ENV

    before = _inputs_state(job, root)
    start = time.perf_counter()
    env = _stage_env() | {ENV: "1"}
    with subprocess.Popen([sys.executable, "-m", "pipeline.cli", *job.argv], cwd=root, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        errors: list[str] = []
        reader = threading.Thread(target=_stderr_lines, args=(proc.stderr, job, errors), daemon=True)
        reader.start()
        stdout = proc.stdout.read()
        proc.wait()
        reader.join()
    stderr = "".join(errors)
    with _LOG_LOCK:
        logfile.write(f"--- {job.name}: finsam {' '.join(job.argv)} (exit {proc.returncode})\n")
        logfile.write(_useful(stdout + stderr))
        logfile.flush()
    if proc.returncode != 0:
        detail = (stderr.strip() or stdout.strip())[-3000:]
        raise PipelineError(f"stage {job.name} failed:\n{detail}")
    if _inputs_state(job, root) != before:
        raise InputsChanged(f"stage {job.name}: its inputs changed while it ran, so it was not recorded in "
                            "dvc.lock; run the build again")
    return time.perf_counter() - start


_LOG_LOCK = threading.Lock()


def select(all_jobs: list[Job], only: list[str] | None) -> list[Job]:
    if not only:
        return all_jobs
    chosen = [j for j in all_jobs if any(j.name == o or j.stage.name == o or j.stage.command == o for o in only)]
    if not chosen:
        raise ConfigError("--only matched no stage; stages are: " + ", ".join(j.name for j in all_jobs))
    return chosen


def for_forbund(all_jobs: list[Job], names: list[str]) -> list[Job]:
    """``finsam build --forbund NAMES``: the förbund report stage narrowed to ``names`` and every
    stage it reads from (transitively); nothing else."""
    target = [j for j in all_jobs if j.stage.name == FORBUND_STAGE]
    if not target:
        raise ConfigError("--forbund: the förbund reports are not part of the build (params.yaml forbundsbilagor.build is false)")
    narrowed = dataclasses.replace(target[0], extra=("--forbund", ",".join(names)))
    keep, frontier = {narrowed.name}, [narrowed]
    while frontier:
        for up in upstream(frontier.pop(), all_jobs):
            if up.name not in keep:
                keep.add(up.name)
                frontier.append(up)
    return [narrowed if j.name == narrowed.name else j for j in all_jobs if j.name in keep]


FORBUND_STAGE = "forbundsbilagor"


def build_pipeline(root: Path, params: dict[str, Any], jobs_at_once: int = 2, force: bool = False,
                   dry_run: bool = False, only: list[str] | None = None, echo: Callable[[str], None] = print,
                   log_path: Path | None = None, forbund: list[str] | None = None) -> list[tuple[str, str, float]]:
    """Run every out-of-date stage; returns (stage, 'ran'|'up to date'|'would run', seconds).

    A stage is started once every stage it reads from has finished in this run; finished stages
    are recorded in dvc.lock one at a time. On the first failure no new stage starts, the ones
    running finish, and the error is raised.
    """
    if dry_run and sync(root, params, check=True):
        raise ConfigError("dvc.yaml is older than the stage list or params.yaml: run `finsam sync` (a dry run "
                          "writes nothing)")
    if not dry_run:
        sync(root, params)
    repo = open_repo(root)
    all_jobs = jobs(root, params)
    todo = for_forbund(all_jobs, forbund) if forbund else select(all_jobs, only)
    if force:
        todo = [dataclasses.replace(j, force=True) for j in todo]
    total = len(todo)
    finished = 0  # the counter counts finished work: stages done (run, up to date) so far
    report: list[tuple[str, str, float]] = []
    log_path = log_path or root / ".finsam" / "build.log"
    if dry_run:
        log_path = Path(os.devnull)
    else:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    pending = list(todo)
    running: dict[Future, Job] = {}
    failure: PipelineError | None = None
    slots = max(1, jobs_at_once)
    known = {} if force else changes(repo, [j.name for j in todo])  # one DVC status for the whole plan
    jobs_by = {j.name: j for j in todo}
    ran: set[str] = set()
    global _progress

    def progress(job: Job, done: int, of: int, left: float, what: str) -> None:
        echo(f"[{finished}/{total}] {job.name} … {done} of {of} {what}, about {_duration(left)} left")

    _progress = progress
    with open(log_path, "w", encoding="utf-8") as logfile, ThreadPoolExecutor(slots) as pool:
        while pending or running:
            busy = list(running.values())
            ready = [] if failure else [j for j in pending if not upstream(j, pending + busy)]
            if ready and len(running) < slots:
                # A stage whose inputs were rebuilt in this run is asked again (its inputs may have changed).
                again = [j.name for j in ready if not known.get(j.name)
                         and any(u.name in ran for u in upstream(j, todo))]
                if dry_run:  # nothing was rebuilt: say what the stage waits for instead of asking DVC
                    reasons = known | {n: ["after " + ", ".join(u.name for u in upstream(jobs_by[n], todo)
                                                                if u.name in ran)] for n in again}
                else:
                    reasons = {} if force else known | changes(repo, again)
                for job in ready:
                    if len(running) >= slots:
                        break
                    pending.remove(job)
                    why = "; ".join(_unbuilt(job, root, reasons.get(job.name)) or ["forced"])
                    if job.extra:  # narrowed: it checks its own reports, whatever DVC's record says
                        why = "only " + " ".join(job.extra[1:])
                    if not (job.extra or force or reasons.get(job.name)):
                        finished += 1
                        report.append((job.name, "up to date", 0.0))
                        echo(f"[{finished}/{total}] {job.name} up to date")
                    elif dry_run:
                        finished += 1
                        ran.add(job.name)
                        report.append((job.name, "would run", 0.0))
                        echo(f"[{finished}/{total}] {job.name} would run: {why}")
                    else:
                        echo(f"[{finished}/{total}] {job.name} …")
                        with _LOG_LOCK:
                            logfile.write(f"--- {job.name}: out of date: {why}\n")
                        running[pool.submit(run_job, job, root, logfile)] = job
                continue
            if not running:
                if failure is None:
                    raise ConfigError("the stages' deps and outs form a cycle: " + ", ".join(j.name for j in pending))
                break
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                finished += 1
                tag = f"[{finished}/{total}] {job.name}"
                try:
                    took = future.result()
                    if not job.extra:  # a narrowed stage built part of its outputs: not a record of the whole
                        record(repo, job.name)
                except InputsChanged as exc:
                    failure = failure or exc
                    echo(f"{tag} not recorded: inputs changed while it ran")
                    continue
                except Exception as exc:  # a stage or DVC failed: let the running ones finish, then stop
                    failure = failure or (exc if isinstance(exc, PipelineError) else
                                          PipelineError(f"stage {job.name}: {type(exc).__name__}: {exc}"))
                    echo(f"{tag} failed")
                    continue
                ran.add(job.name)
                report.append((job.name, "ran", took))
                echo(f"{tag} … {seconds(took)}")
    if failure is not None:
        raise PipelineError(f"{failure}\n(the whole log: {log_path})")
    return report


def _unbuilt(job, root: Path, why: list[str] | None) -> list[str] | None:
    """``why`` a stage is out of date, or just "not built yet" when none of its outputs exist here
    (whatever a committed record says: a fresh clone has the code's dvc.lock but no outputs)."""
    if why and not any((root / out).exists() for out in job.outs):
        return [NOT_BUILT]
    return why


def status(root: Path, params: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Each concrete stage in pipeline order with why it is out of date ([] = up to date)."""
    stale_file = sync(root, params, check=True)
    repo = open_repo(root)
    all_jobs = jobs(root, params)
    if stale_file:
        return [(j.name, ["dvc.yaml is older than the stage list or params.yaml (finsam sync)"]) for j in all_jobs]
    reasons = changes(repo, [j.name for j in all_jobs])
    stale: set[str] = set()
    result = []
    for job in all_jobs:  # pipeline order: a stage after a stale one will see new inputs
        why = _unbuilt(job, root, reasons.get(job.name, []))
        if not why:
            before = [u.name for u in upstream(job, all_jobs) if u.name in stale]
            why = [f"after {', '.join(before)} (its inputs will be rebuilt)"] if before else []
        if why:
            stale.add(job.name)
        result.append((job.name, why))
    return result


def lock_summary(root: Path) -> dict[str, Any]:
    """dvc.lock as a dict (empty when nothing was built yet): the build's provenance."""
    path = root / LOCK_FILE
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


