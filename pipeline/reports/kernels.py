"""Warm kernels for papermill: one more report costs the report, not a kernel start.

Every report is still a papermill-parameterised notebook whose executed copy is written with
papermill's metadata and injected ``parameters`` cell. What changes is *where* it runs: instead of
a fresh kernel per notebook (start-up plus pandas, matplotlib, seaborn and statsmodels imports,
about 2,5 s), the notebook runs on a kernel from a :class:`KernelPool` that was started and warmed
once (:func:`pipeline.reports.kernel_state.warm_up`) and is reset after every notebook
(:func:`pipeline.reports.kernel_state.reset`).

Two ways in:

- ``execute_batch([(input, output, parameters, cwd), ...], pool_size=2)`` runs many notebooks on
  one pool (one worker thread per kernel) and reports every failure per notebook.
- The papermill engine :class:`WarmKernelEngine` (defined in ``_papermill_engine``), registered under the name ``finsam-warm``
  through papermill's ``papermill.engine`` entry point (pyproject.toml), so
  ``papermill.execute_notebook(..., engine_name="finsam-warm", pool=pool)`` works from any code;
  without ``pool`` it uses a process-wide pool of one kernel, shut down at exit.

A cell that raises is that notebook's error (papermill saves the notebook with the traceback and
raises); the kernel is then reset as after any notebook. A kernel that died, timed out or could
not be reset is replaced by a new warm kernel before the next notebook. The isolation guarantees
are listed in docs/architecture.md ("Warm kernels").
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import papermill  # noqa: F401 - first: papermill loads the engine entry point while it imports

from ..core.catalogue import FAMILIES
from .render import RenderError, execute_notebook
from ._papermill_engine import WarmKernelEngine, use_default_pool

log = logging.getLogger(__name__)

ENGINE_NAME = "finsam-warm"  # also spelled out in render.execute_notebook and pyproject.toml
KERNEL_STATE = "pipeline.reports.kernel_state"

# Imported once per kernel. The report modules are listed too: imported at warm-up, their module
# state is in the snapshot, so a notebook's monkeypatch of them is undone like any other.
def report_modules() -> tuple[str, ...]:
    """The module of every report family (pipeline/core/catalogue.py: FAMILIES), once each."""
    return tuple(dict.fromkeys(family.module for family in FAMILIES.values()))


DEFAULT_PRELOAD = (
    "numpy", "pandas", "pyarrow", "pyarrow.parquet", "scipy.stats", "matplotlib", "matplotlib.pyplot",
    "seaborn", "statsmodels.api", "statsmodels.formula.api", "IPython.display", "yaml",
    *report_modules(),
)

# Same as nbclient's default for papermill's own kernels: no history database on disk.
_KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]


class KernelPoolError(RenderError):
    """A pooled kernel could not be started, warmed or reset."""


def _kernel_call(function: str, *args: Any) -> str:
    """Code that calls ``kernel_state.<function>(*args)`` without binding a name in the kernel."""
    return f"print(repr(__import__({KERNEL_STATE!r}, fromlist=['_']).{function}(*{list(args)!r})))"


class PooledKernel:
    """One kernel process of a pool, with its manager and a control client for warm-up/reset."""

    def __init__(self, kernel_name: str, preload: Sequence[str], home: str,
                 startup_timeout: float, reset_timeout: float) -> None:
        self.kernel_name = kernel_name
        self.preload = list(preload)
        self.home = home
        self.startup_timeout = startup_timeout
        self.reset_timeout = reset_timeout
        self.km = None
        self.kc = None
        self.starts = 0
        self.notebooks = 0
        self.needs_restart = False

    @property
    def pid(self) -> int | None:
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        return process.pid if process is not None else None

    def start(self) -> None:
        from jupyter_client import BlockingKernelClient, KernelManager

        # nbclient talks to the kernel through an asynchronous client made by ``km.client()``;
        # the manager itself is the synchronous one, usable from whichever worker thread.
        km = KernelManager(kernel_name=self.kernel_name,
                           client_class="jupyter_client.asynchronous.AsyncKernelClient")
        km.start_kernel(cwd=self.home, extra_arguments=list(_KERNEL_ARGS))
        # Its own Session (two clients sharing one see "duplicate signatures"); liveness is asked of
        # the manager (the process), not of a heartbeat that may not beat yet during start-up.
        kc = BlockingKernelClient(parent=km)
        kc.load_connection_info(km.get_connection_info())
        kc.start_channels(hb=False)
        self.km, self.kc = km, kc
        self.starts += 1
        self.needs_restart = False
        try:
            kc.wait_for_ready(timeout=self.startup_timeout)
            missing = self.call("warm_up", self.preload, self.home, timeout=self.startup_timeout)
        except Exception:
            self.stop()
            raise
        if missing and missing != "[]":
            log.warning("warm kernel %s: could not import %s", self.pid, missing)
        log.info("warm kernel %s ready (start %d)", self.pid, self.starts)

    def stop(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            try:
                if self.km.is_alive():
                    self.km.shutdown_kernel(now=True)
                self.km.cleanup_resources()
            except Exception as exc:  # a kernel that is already gone cannot be shut down twice
                log.debug("stopping kernel: %s", exc)
            self.km = None

    def restart(self, reason: str) -> None:
        log.warning("replacing warm kernel %s: %s", self.pid, reason)
        self.stop()
        self.start()

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    def call(self, function: str, *args: Any, timeout: float | None = None) -> str:
        """Run ``kernel_state.<function>(*args)`` in the kernel; returns what it printed."""
        printed: list[str] = []
        errors: list[str] = []

        def hook(msg: dict) -> None:
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                printed.append(msg["content"]["text"])
            elif kind == "error":
                errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

        try:
            reply = self.kc.execute_interactive(
                _kernel_call(function, *args), silent=False, store_history=False, allow_stdin=False,
                timeout=timeout or self.reset_timeout, output_hook=hook)
        except TimeoutError:
            raise KernelPoolError(f"warm kernel {self.pid}: {function} did not finish in "
                                  f"{timeout or self.reset_timeout:.0f} s") from None
        if reply["content"]["status"] != "ok" or errors:
            detail = "; ".join(errors) or f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"
            raise KernelPoolError(f"warm kernel {self.pid}: {function} failed: {detail}")
        return "".join(printed).strip()

    def enter(self, cwd: str) -> None:
        self.call("enter", cwd)

    def reset(self) -> None:
        self.call("reset")


class KernelPool:
    """A fixed number of started, warmed kernels; one notebook at a time per kernel.

    Use as a context manager (or call :meth:`close`) so the kernels are shut down.
    """

    def __init__(self, size: int = 1, kernel_name: str = "python3", preload: Sequence[str] = DEFAULT_PRELOAD,
                 home: str | os.PathLike | None = None, startup_timeout: float = 60, reset_timeout: float = 60) -> None:
        if size < 1:
            raise KernelPoolError(f"a kernel pool needs at least one kernel, got size={size}")
        self.kernel_name = kernel_name
        self.home = str(Path(home or os.getcwd()).resolve())
        self.kernels = [PooledKernel(kernel_name, preload, self.home, startup_timeout, reset_timeout)
                        for _ in range(size)]
        self._free: queue.Queue[PooledKernel] = queue.Queue()
        self._closed = False
        errors: list[BaseException] = []

        def start(kernel: PooledKernel) -> None:
            try:
                kernel.start()
            except BaseException as exc:  # reported below, after every start has finished
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(k,), daemon=True) for k in self.kernels]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.close()
            raise KernelPoolError(f"could not start the warm kernels: {errors[0]}") from errors[0]
        for kernel in self.kernels:
            self._free.put(kernel)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def size(self) -> int:
        return len(self.kernels)

    def pids(self) -> list[int | None]:
        return [k.pid for k in self.kernels]

    @contextmanager
    def acquire(self, kernel_name: str | None = None) -> Iterator[PooledKernel]:
        """A live, reset kernel for one notebook; reset (or replaced) when the notebook is done."""
        if self._closed:
            raise KernelPoolError("the kernel pool is closed")
        if kernel_name not in (None, self.kernel_name):
            raise KernelPoolError(f"this pool runs '{self.kernel_name}' kernels; the notebook asks for '{kernel_name}'")
        kernel = self._free.get()
        try:
            if kernel.needs_restart or not kernel.alive():
                kernel.restart("kernel was not running" if not kernel.needs_restart else "previous reset failed")
            yield kernel
        finally:
            kernel.notebooks += 1
            self._release(kernel)

    def _release(self, kernel: PooledKernel) -> None:
        try:
            if kernel.needs_restart or not kernel.alive():
                kernel.restart("kernel died or timed out during the notebook")
            else:
                kernel.reset()
        except Exception as exc:
            log.warning("warm kernel %s could not be reset or replaced: %s", kernel.pid, exc)
            kernel.needs_restart = True  # the next acquire tries again and reports its own error
        self._free.put(kernel)

    def close(self) -> None:
        self._closed = True
        for kernel in self.kernels:
            kernel.stop()


_default: KernelPool | None = None
_default_lock = threading.Lock()


def default_pool() -> KernelPool:
    """The process-wide pool (one kernel) used when the engine is called without ``pool``."""
    global _default
    with _default_lock:
        if _default is None or _default._closed:
            _default = KernelPool(size=1)
            atexit.register(_default.close)
        return _default


use_default_pool(default_pool)


@dataclass
class BatchResult:
    input: Path
    output: Path
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


Job = tuple[Any, Any, dict[str, Any], Any]


def _run_one(pool: KernelPool, job: Job) -> BatchResult:
    notebook, output, parameters, cwd = job
    start = time.perf_counter()
    error = None
    try:
        execute_notebook(Path(notebook), Path(output), parameters or {}, Path(cwd), pool=pool)
    except KernelPoolError as exc:  # e.g. its working directory does not exist
        error = f"{Path(notebook).name} failed: {exc}"
    except RenderError as exc:  # a failing cell: notebook, cell number and exception
        error = str(exc)
    except Exception as exc:  # dead kernel, timeout, unreadable notebook: still this notebook's error
        error = f"{Path(notebook).name} failed: {type(exc).__name__}: {exc}"
    return BatchResult(Path(notebook), Path(output), time.perf_counter() - start, error)


def execute_batch(jobs: Iterable[Job], pool_size: int = 2, pool: KernelPool | None = None,
                  raise_on_error: bool = True, **pool_options: Any) -> list[BatchResult]:
    """Execute ``(input, output, parameters, cwd)`` notebooks on one pool of warm kernels.

    Results come back in the order of ``jobs``. Every notebook runs even if another fails; with
    ``raise_on_error`` one :class:`RenderError` then names each failed notebook and its error.
    Pass ``pool`` to reuse kernels across batches (``pool_size`` and ``pool_options`` are then
    ignored); otherwise a pool is started for the batch and shut down after it.
    """
    jobs = list(jobs)
    results: list[BatchResult | None] = [None] * len(jobs)
    if not jobs:
        return []
    own = pool is None
    if own:
        pool = KernelPool(size=max(1, min(pool_size, len(jobs))), **pool_options)
    todo: queue.Queue[int] = queue.Queue()
    for index in range(len(jobs)):
        todo.put(index)

    def worker() -> None:
        while True:
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            results[index] = _run_one(pool, jobs[index])

    try:
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(pool.size)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        if own:
            pool.close()
    done = [r for r in results if r is not None]
    failed = [r for r in done if not r.ok]
    if raise_on_error and failed:
        raise RenderError(f"{len(failed)} of {len(done)} notebooks failed:\n" + "\n".join(f"- {r.error}" for r in failed))
    return done
