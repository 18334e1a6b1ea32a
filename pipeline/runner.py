"""Run the stages of dvc.yaml without DVC installed.

Reads the same dvc.yaml as ``dvc repro`` (``foreach`` over a params list, ``${item}`` and
``${params.key}`` interpolation, deps, params, outs) and runs each stage's command when its
command, dependencies or parameters changed since the last successful run, or an output is
missing. The fingerprint of each run is kept in ``.finsam/stamps/``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, PipelineError

log = logging.getLogger(__name__)
_VAR = re.compile(r"\$\{\s*([A-Za-z0-9_.]+)\s*\}")


@dataclass
class Stage:
    name: str
    cmd: str
    deps: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    outs: list[str] = field(default_factory=list)


def _lookup(context: dict[str, Any], dotted: str) -> Any:
    value: Any = context
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ConfigError(f"dvc.yaml: ${{{dotted}}} is not defined in params.yaml")
        value = value[part]
    return value


def _interpolate(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _VAR.fullmatch(value.strip())
        if whole:
            return _lookup(context, whole.group(1))
        return _VAR.sub(lambda m: str(_lookup(context, m.group(1))), value)
    if isinstance(value, list):
        return [_interpolate(v, context) for v in value]
    if isinstance(value, dict):
        return {k: _interpolate(v, context) for k, v in value.items()}
    return value


def _as_stage(name: str, spec: dict[str, Any]) -> Stage:
    params = []
    for p in spec.get("params", []) or []:
        params.extend(p if isinstance(p, list) else [p] if isinstance(p, str) else list(p.get("params.yaml", [])))
    return Stage(name=name, cmd=str(spec["cmd"]), deps=[str(d) for d in spec.get("deps", []) or []],
                 params=[str(p) for p in params], outs=[str(o) for o in spec.get("outs", []) or []])


def load_stages(root: Path, params: dict[str, Any]) -> list[Stage]:
    """Expand dvc.yaml into concrete stages in file order (``name@item`` for foreach)."""
    path = root / "dvc.yaml"
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    stages: list[Stage] = []
    for name, body in (spec.get("stages") or {}).items():
        if "foreach" in body:
            items = _interpolate(body["foreach"], params)
            if not isinstance(items, list):
                raise ConfigError(f"{path}: stage {name}: foreach must give a list, got {items!r}")
            for item in items:
                stages.append(_as_stage(f"{name}@{item}", _interpolate(body["do"], params | {"item": item})))
        else:
            stages.append(_as_stage(name, _interpolate(body, params)))
    return stages


def _overlaps(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def levels(stages: list[Stage]) -> list[list[Stage]]:
    """Group stages so that each depends only on stages of earlier groups."""
    done: list[Stage] = []
    result: list[list[Stage]] = []
    pending = list(stages)
    while pending:
        ready = [s for s in pending
                 if not any(_overlaps(d, o) for d in s.deps for other in pending if other is not s for o in other.outs)]
        if not ready:
            raise ConfigError("dvc.yaml: the stages' deps and outs form a cycle: " + ", ".join(s.name for s in pending))
        result.append(ready)
        done.extend(ready)
        pending = [s for s in pending if s not in ready]
    return result


def _hash_path(h, root: Path, rel: str) -> None:
    path = root / rel
    h.update(rel.encode())
    if path.is_file():
        h.update(path.read_bytes())
    elif path.is_dir():
        for sub in sorted(path.rglob("*")):
            parts = sub.relative_to(path).parts
            if sub.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in parts):
                h.update(sub.relative_to(root).as_posix().encode())
                h.update(sub.read_bytes())
    else:
        h.update(b"<missing>")


def fingerprint(stage: Stage, root: Path, params: dict[str, Any]) -> str:
    h = hashlib.sha256(stage.cmd.encode())
    for dep in stage.deps:
        _hash_path(h, root, dep)
    for key in stage.params:
        h.update(key.encode() + json.dumps(_lookup(params, key), sort_keys=True, default=str).encode())
    return h.hexdigest()


def _stamp_path(root: Path, stage: Stage) -> Path:
    return root / ".finsam" / "stamps" / f"{stage.name.replace('/', '_')}.json"


def is_up_to_date(stage: Stage, root: Path, params: dict[str, Any]) -> bool:
    stamp = _stamp_path(root, stage)
    if not stamp.is_file() or not all((root / o).exists() for o in stage.outs):
        return False
    return json.loads(stamp.read_text()).get("fingerprint") == fingerprint(stage, root, params)


def _run_stage(stage: Stage, root: Path, params: dict[str, Any]) -> float:
    start = time.perf_counter()
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(stage.cmd, shell=True, cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip())[-3000:]
        raise PipelineError(f"stage {stage.name} failed ({stage.cmd}):\n{detail}")
    stamp = _stamp_path(root, stage)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    # Fingerprint after the run: a stage's outputs may be another stage's deps, never its own.
    stamp.write_text(json.dumps({"cmd": stage.cmd, "fingerprint": fingerprint(stage, root, params)}))
    return time.perf_counter() - start


def build(root: Path, params: dict[str, Any], jobs: int = 1, force: bool = False, dry_run: bool = False,
          only: list[str] | None = None) -> list[tuple[str, str, float]]:
    """Run every stage that is out of date; returns (stage, 'ran'|'up to date'|'would run', seconds)."""
    stages = load_stages(root, params)
    if only:
        stages = [s for s in stages if any(s.name == o or s.name.split("@")[0] == o for o in only)]
    report: list[tuple[str, str, float]] = []
    for group in levels(stages):
        todo = [s for s in group if force or not is_up_to_date(s, root, params)]
        report.extend((s.name, "up to date", 0.0) for s in group if s not in todo)
        if dry_run:
            report.extend((s.name, "would run", 0.0) for s in todo)
            continue
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for stage, seconds in zip(todo, pool.map(lambda s: _run_stage(s, root, params), todo)):
                log.info("%s: %.1f s", stage.name, seconds)
                report.append((stage.name, "ran", seconds))
    return report
