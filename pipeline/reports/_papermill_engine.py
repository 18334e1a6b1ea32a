"""The papermill engine ``finsam-warm`` (entry point in pyproject.toml; see :mod:`.kernels`).

papermill loads this module through its ``papermill.engine`` entry point *while papermill itself
is being imported*, so it imports only papermill's own modules. It never imports the pool module:
:mod:`pipeline.reports.kernels` imports this one and registers its process-wide pool here
(:func:`use_default_pool`), so the two do not import each other. Import
:mod:`pipeline.reports.kernels` (which imports papermill first), not this module.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

_default_pool: Callable[[], Any] | None = None  # set by pipeline.reports.kernels when it is imported


def use_default_pool(factory: Callable[[], Any]) -> None:
    """Where the engine gets a pool when called without ``pool`` (the kernels module's own)."""
    global _default_pool
    _default_pool = factory


class WarmKernelEngine(NBClientEngine):
    """papermill engine ``finsam-warm``: nbclient execution on a kernel from a :class:`KernelPool`.

    Extra engine keyword arguments (passed through ``papermill.execute_notebook``): ``pool`` (the
    pool; default: one process-wide kernel) and ``kernel_cwd`` (the notebook's working directory;
    default: the process's, which papermill's ``cwd=`` has set). Passing ``kernel_cwd`` instead of
    ``cwd`` keeps papermill from changing the process's directory, which threads share.
    ``save_each_cell=False`` writes the executed notebook once at the end (papermill writes it when
    each cell starts and ends, which for a small report costs more than running it; the end result,
    also after a failing cell, is the same).
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, pool=None,
                                 kernel_cwd: str | os.PathLike | None = None, save_each_cell: bool = True,
                                 **kwargs):
        if pool is None:
            if _default_pool is None:
                raise RuntimeError("the finsam-warm engine needs a kernel pool: import pipeline.reports.kernels "
                                   "or pass pool=")
            pool = _default_pool()
        cwd = str(Path(kernel_cwd).resolve()) if kernel_cwd is not None else os.getcwd()
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
            log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
        )
        output_path = nb_man.output_path
        if not save_each_cell:
            nb_man.output_path = None  # papermill's save() then only notes the time
        try:
            with pool.acquire(kernel_name) as kernel:
                kernel.enter(cwd)
                client = PapermillNotebookClient(nb_man, km=kernel.km, **final_kwargs)
                try:
                    return client.execute()
                except BaseException:
                    # Timeout, dead kernel, interrupt: the kernel may still be busy; do not reuse it.
                    kernel.needs_restart = True
                    raise
                finally:
                    if client.kc is not None:
                        client.kc.stop_channels()
        finally:
            nb_man.output_path = output_path  # papermill's notebook_complete() writes the result
