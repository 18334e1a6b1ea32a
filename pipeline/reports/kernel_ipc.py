"""Kernels that talk over Unix domain sockets in a private folder, for the warm pool
(:mod:`pipeline.reports.kernels`) and for papermill's own kernel (:func:`pipeline.reports.render.execute_notebook`).

Its own module so that the renderer and the kernel pool both use it without importing each other.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
import threading
from typing import Any

_SOCKET_DIR: str | None = None
_SOCKET_LOCK = threading.Lock()
_SOCKET_IDS = itertools.count()


def _socket_dir() -> str:
    """A folder only this user can enter (mode 0700), removed at exit, for the kernels' sockets."""
    global _SOCKET_DIR
    with _SOCKET_LOCK:
        if _SOCKET_DIR is None:
            _SOCKET_DIR = tempfile.mkdtemp(prefix="finsam-k-")
            atexit.register(shutil.rmtree, _SOCKET_DIR, True)
        return _SOCKET_DIR


def kernel_manager(kernel_name: str = "python3", **kwargs: Any):
    """A ``KernelManager`` whose kernel talks over Unix domain sockets (ZeroMQ ``ipc``) in a private
    folder instead of TCP on localhost: no port another local user could connect to or listen on,
    and so no "Kernel is running over TCP without encryption" warning from ipykernel on the console.
    Used for the warm kernels and for papermill's own kernel (``render.execute_notebook``)."""
    from jupyter_client import KernelManager

    # ZeroMQ names an ipc socket "<ip>-<port>"; each manager gets its own prefix in the private folder.
    prefix = os.path.join(_socket_dir(), f"k{next(_SOCKET_IDS)}")
    return KernelManager(kernel_name=kernel_name, transport="ipc", ip=prefix, **kwargs)
