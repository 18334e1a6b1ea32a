"""Kernel side of the warm-kernel pool (:mod:`pipeline.reports.kernels`).

This module is imported *inside* a pooled IPython kernel. :func:`warm_up` imports the heavy
modules once and takes a snapshot of the interpreter state; :func:`enter` moves the kernel into a
notebook's working directory; :func:`reset` brings the kernel back to the snapshot after each
notebook, so the next notebook starts as it would in a fresh kernel, minus the start-up cost.

What :func:`reset` restores (and what it deliberately keeps) is listed in docs/architecture.md,
"Warm kernels". In short: the user namespace, the IPython session and execution counter, module
attributes rebound since the snapshot (monkeypatches) in every module loaded at warm-up, names
added to ``builtins``, ``sys.path``, ``sys.argv``, ``os.environ``, the warnings filters,
matplotlib's rcParams and open figures, pandas options, the working directory, and the random
generators (reseeded from the OS, so no seed carries over). Kept warm: ``sys.modules`` (the
import cache, the point of the pool), including modules a notebook imported after warm-up, whose
own state is not rolled back.
"""

from __future__ import annotations

import builtins
import gc
import importlib
import io
import os
import sys
import warnings
from types import ModuleType
from typing import Any

# Modules whose globals belong to the kernel machinery itself (or are restored by a dedicated
# step below); rolling them back would break the running kernel, not isolate notebooks.
_MACHINERY = (
    "__main__", "sys", "builtins", "_frozen_importlib", "_frozen_importlib_external", "importlib",
    "zipimport", "_imp", "IPython", "ipykernel", "jupyter_client", "jupyter_core", "zmq", "tornado",
    "asyncio", "traitlets", "comm", "debugpy", "threading", "_thread", "matplotlib_inline",
    "prompt_toolkit", "pygments", "warnings", "getpass", __name__,
)


def _is_machinery(name: str, module: object) -> bool:
    if module is sys.modules.get("__main__") or name == "__mp_main__":  # the user namespace
        return True
    return any(name == m or name.startswith(m + ".") for m in _MACHINERY)


def _ids(namespace: dict[str, Any]) -> dict[str, int]:
    """Name → object identity, built at C speed: equal maps mean nothing was rebound."""
    return dict(zip(namespace.keys(), map(id, namespace.values())))


class _Snapshot:
    """Shallow copies of the interpreter state taken right after warm-up."""

    def __init__(self, home: str) -> None:
        self.home = home
        # The saved dicts keep every snapshot object alive, so their ids cannot be reused.
        self.modules: dict[str, tuple[ModuleType, dict[str, Any], dict[str, int]]] = {
            name: (mod, dict(vars(mod)), _ids(vars(mod)))
            for name, mod in list(sys.modules.items())
            if isinstance(mod, ModuleType) and not _is_machinery(name, mod)
        }
        self.builtins = dict(vars(builtins))
        self.sys_path = list(sys.path)
        self.sys_argv = list(sys.argv)
        self.environ = dict(os.environ)
        self.warning_filters = list(warnings.filters)
        self.rc_params = None
        if "matplotlib" in sys.modules:
            self.rc_params = dict(sys.modules["matplotlib"].rcParams)


_snapshot: _Snapshot | None = None


def warm_up(preload: list[str], home: str) -> list[str]:
    """Import ``preload`` once, exercise the plotting path, then snapshot the state.

    Returns the modules that could not be imported (the pool logs them; a missing optional
    library must not keep the kernel from serving notebooks that do not need it).
    """
    global _snapshot
    missing = []
    for name in preload:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if "matplotlib.pyplot" in sys.modules:
        # Resolve the inline backend, the font cache and the PNG writer now, not in a report.
        plt = sys.modules["matplotlib.pyplot"]
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        fig.savefig(io.BytesIO(), format="png")
        plt.close("all")
    os.chdir(home)
    gc.collect()
    _snapshot = _Snapshot(home)
    # Everything alive now (modules, the snapshot) lives as long as the kernel: keep it out of
    # the collector's scans, so the full collection in reset() only walks what a notebook made.
    gc.freeze()
    return missing


def enter(cwd: str) -> None:
    """Make ``cwd`` the working directory of the next notebook (as papermill's ``cwd`` does)."""
    os.chdir(cwd)


def _restore_dict(target: dict[str, Any], saved: dict[str, Any], keep_new_modules: bool) -> int:
    """Put ``target`` back to ``saved``; returns how many names were changed back.

    Names added since the snapshot are removed, except (for modules) submodules that the import
    system bound on their parent package: those stay, as the submodule stays in ``sys.modules``.
    """
    changed = 0
    for key in [k for k in target if k not in saved]:
        if keep_new_modules and isinstance(target[key], ModuleType):
            continue
        del target[key]
        changed += 1
    for key, value in saved.items():
        if key not in target or target[key] is not value:
            target[key] = value
            changed += 1
    return changed


def _restore_modules(snap: _Snapshot) -> int:
    changed = 0
    for name, (module, saved, ids) in snap.modules.items():
        if sys.modules.get(name) is not module:  # a notebook replaced or removed a module
            sys.modules[name] = module
            changed += 1
        if _ids(vars(module)) != ids:
            changed += _restore_dict(vars(module), saved, keep_new_modules=True)
    return changed


def _restore_libraries(snap: _Snapshot) -> None:
    warnings.filters[:] = snap.warning_filters
    warnings._filters_mutated()  # drop the "already warned" caches keyed on the filter version
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if snap.rc_params is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.modules["matplotlib"].rcParams.update(snap.rc_params)
    if "pandas" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.modules["pandas"].reset_option("all")
    import random

    random.seed()  # fresh entropy from the OS: a seed set by one notebook does not carry over
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


def reset() -> int:
    """Bring the kernel back to its warm-up state; returns the number of names restored."""
    if _snapshot is None:
        raise RuntimeError("kernel_state.reset() before warm_up()")
    snap = _snapshot
    from IPython import get_ipython

    ip = get_ipython()
    # The user namespace, In/Out, the history session and the execution counter (back to 1, so
    # the next notebook's cells are numbered as in a fresh kernel). Same as `%reset -f`.
    ip.reset(new_session=True)
    ip.clear_main_mod_cache()
    _restore_libraries(snap)
    changed = _restore_modules(snap)
    changed += _restore_dict(vars(builtins), snap.builtins, keep_new_modules=False)
    sys.path[:] = snap.sys_path
    sys.argv[:] = snap.sys_argv
    for key in [k for k in os.environ if k not in snap.environ]:
        del os.environ[key]
    for key, value in snap.environ.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    os.chdir(snap.home)
    gc.collect()  # figures and frames of the last notebook hold reference cycles
    return changed
