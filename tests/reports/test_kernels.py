"""Warm kernel pool (pipeline/reports/kernels.py): isolation between notebooks, papermill output,
errors per notebook, dead kernels replaced. Tiny notebooks made here; one small pool per module."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from pipeline.reports.render import RenderError, execute_notebook
from pipeline.reports.kernels import ENGINE_NAME, KernelPool, WarmKernelEngine, execute_batch

PRELOAD = ("textwrap", "numpy", "pandas", "matplotlib", "matplotlib.pyplot")


def make_notebook(path: Path, *cells: str, parameters: str = "x = 0") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def printed(path: Path) -> dict:
    """The JSON object the last code cell of an executed notebook printed."""
    nb = nbformat.read(path, as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


# Notebook A changes everything a notebook can reasonably change and reports what it sees.
LEAKY = """
import builtins, json, os, sys, textwrap
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import colorsys  # first imported here, not at warm-up
secret = 42
textwrap.shorten = lambda *a, **k: "patched"
pd.set_option("display.max_rows", 3)
os.environ["FINSAM_LEAK"] = "1"
sys.path.insert(0, "/leak")
builtins.leaked_builtin = 1
os.chdir(elsewhere)
np.random.seed(1)
first_draw = np.random.rand()
plt.figure()
print(json.dumps({"pid": os.getpid(), "cwd": os.getcwd(), "shorten": textwrap.shorten("a b", 10),
                  "max_rows": pd.get_option("display.max_rows"), "figures": len(plt.get_fignums())}))
"""

# Notebook B looks for every trace of A.
LOOKS = """
import builtins, json, os, sys, textwrap
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
print(json.dumps({
    "pid": os.getpid(), "cwd": os.getcwd(), "x": x,
    "secret_defined": "secret" in globals(), "first_draw_defined": "first_draw" in globals(),
    "colorsys_in_namespace": "colorsys" in globals(),
    "shorten": textwrap.shorten("a b", 10), "max_rows": pd.get_option("display.max_rows"),
    "env": os.environ.get("FINSAM_LEAK"), "leak_on_path": "/leak" in sys.path,
    "builtin": hasattr(builtins, "leaked_builtin"), "figures": len(plt.get_fignums()),
    "draw": float(np.random.rand()),
}))
"""


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    with KernelPool(size=1, preload=PRELOAD, home=tmp_path_factory.mktemp("home")) as p:
        yield p


def test_two_notebooks_in_one_kernel_do_not_see_each_other(pool, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    b_cwd = tmp_path / "b"
    b_cwd.mkdir()
    a = make_notebook(tmp_path / "a.ipynb", LEAKY, parameters="x = 0\nelsewhere = None")
    b = make_notebook(tmp_path / "b.ipynb", LOOKS)
    results = execute_batch([(a, tmp_path / "a_out.ipynb", {"x": 1, "elsewhere": str(elsewhere)}, tmp_path),
                             (b, tmp_path / "b_out.ipynb", {"x": 2}, b_cwd)], pool=pool)
    assert [r.ok for r in results] == [True, True]
    seen_a, seen_b = printed(tmp_path / "a_out.ipynb"), printed(tmp_path / "b_out.ipynb")
    # A's changes were real inside A ...
    assert seen_a == {"pid": seen_a["pid"], "cwd": str(elsewhere), "shorten": "patched", "max_rows": 3, "figures": 1}
    # ... and B ran in the very same kernel process, without any of them.
    assert seen_b["pid"] == seen_a["pid"] == pool.pids()[0]
    assert seen_b["x"] == 2 and seen_b["cwd"] == str(b_cwd)
    assert not seen_b["secret_defined"] and not seen_b["first_draw_defined"] and not seen_b["colorsys_in_namespace"]
    assert seen_b["shorten"] == "a b"
    assert seen_b["max_rows"] == 60  # pandas' default
    assert seen_b["env"] is None and not seen_b["leak_on_path"] and not seen_b["builtin"]
    assert seen_b["figures"] == 0
    # A seeded numpy with 1: B's first draw would be that stream's second value if the seed carried over.
    assert seen_b["draw"] != pytest.approx(np.random.RandomState(1).rand(2)[1])


def test_variable_of_first_notebook_is_undefined_in_second(pool, tmp_path):
    first = make_notebook(tmp_path / "first.ipynb", "shared_name = 'from the first report'")
    second = make_notebook(tmp_path / "second.ipynb", "print(shared_name)")
    results = execute_batch([(first, tmp_path / "o1.ipynb", {}, tmp_path), (second, tmp_path / "o2.ipynb", {}, tmp_path)],
                            pool=pool, raise_on_error=False)
    assert results[0].ok
    assert results[1].error == "second.ipynb failed in cell 2: NameError: name 'shared_name' is not defined"


def _comparable(path: Path) -> list[tuple]:
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.metadata.get("tags"), c.source, c.get("execution_count"),
             [(o.output_type, o.get("text")) for o in c.get("outputs", [])]) for c in nb.cells]


def test_executed_notebook_is_papermills_normal_output(pool, tmp_path):
    nb = make_notebook(tmp_path / "p.ipynb", "y = x * 2", "print(y)", parameters="x = 1")
    execute_notebook(nb, tmp_path / "cold.ipynb", {"x": 21}, tmp_path)  # a fresh kernel, as today
    execute_notebook(nb, tmp_path / "warm.ipynb", {"x": 21}, tmp_path, pool=pool)
    warm = nbformat.read(tmp_path / "warm.ipynb", as_version=4)
    assert warm.metadata.papermill["parameters"] == {"x": 21}
    injected = [c for c in warm.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "x = 21" in injected[0].source
    assert warm.cells[-1].outputs[0].text == "42\n"
    # Same cells, tags, sources, execution counts (from 1, as in a fresh kernel) and outputs.
    assert _comparable(tmp_path / "warm.ipynb") == _comparable(tmp_path / "cold.ipynb")
    assert [c.execution_count for c in warm.cells if c.cell_type == "code"] == [1, 2, 3, 4]


def test_error_is_reported_for_its_notebook_and_the_next_one_runs(pool, tmp_path):
    bad = make_notebook(tmp_path / "bad.ipynb", "leftover = 1", "raise ValueError('trasig indata')")
    good = make_notebook(tmp_path / "good.ipynb", "import json\nprint(json.dumps({'leftover': 'leftover' in globals()}))")
    jobs = [(bad, tmp_path / "bad_out.ipynb", {}, tmp_path), (good, tmp_path / "good_out.ipynb", {}, tmp_path)]
    with pytest.raises(RenderError) as err:
        execute_batch(jobs, pool=pool)
    assert str(err.value) == "1 of 2 notebooks failed:\n- bad.ipynb failed in cell 3: ValueError: trasig indata"
    assert printed(tmp_path / "good_out.ipynb") == {"leftover": False}
    saved = nbformat.read(tmp_path / "bad_out.ipynb", as_version=4)  # papermill keeps the traceback
    assert saved.metadata.papermill["exception"] is True


def test_missing_working_directory_is_that_notebooks_error(pool, tmp_path):
    nb = make_notebook(tmp_path / "n.ipynb", "import json\nprint(json.dumps({'ok': True}))")
    missing = tmp_path / "finns_inte"
    results = execute_batch([(nb, tmp_path / "o1.ipynb", {}, missing), (nb, tmp_path / "o2.ipynb", {}, tmp_path)],
                            pool=pool, raise_on_error=False)
    assert results[0].error.startswith("n.ipynb failed: warm kernel ")
    assert f"enter failed: FileNotFoundError: [Errno 2] No such file or directory: '{missing}'" in results[0].error
    assert results[1].ok and printed(tmp_path / "o2.ipynb") == {"ok": True}


def test_killed_kernel_is_restarted(tmp_path):
    with KernelPool(size=1, preload=("json",), home=tmp_path) as pool:  # light: it starts three kernels
        _kill_and_check(pool, tmp_path)


def _kill_and_check(pool: KernelPool, tmp_path: Path) -> None:
    probe = make_notebook(tmp_path / "probe.ipynb", "import json, os\nprint(json.dumps({'pid': os.getpid()}))")
    execute_batch([(probe, tmp_path / "p1.ipynb", {}, tmp_path)], pool=pool)
    old_pid, starts = printed(tmp_path / "p1.ipynb")["pid"], pool.kernels[0].starts
    os.kill(old_pid, signal.SIGKILL)  # killed from outside, between two notebooks
    for _ in range(50):
        if not pool.kernels[0].alive():
            break
        time.sleep(0.1)
    execute_batch([(probe, tmp_path / "p2.ipynb", {}, tmp_path)], pool=pool)
    new_pid = printed(tmp_path / "p2.ipynb")["pid"]
    assert new_pid != old_pid and new_pid == pool.pids()[0]
    assert pool.kernels[0].starts == starts + 1
    # A kernel that dies inside a notebook: that notebook fails, the next one gets a new kernel.
    dies = make_notebook(tmp_path / "dies.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    results = execute_batch([(dies, tmp_path / "d.ipynb", {}, tmp_path), (probe, tmp_path / "p3.ipynb", {}, tmp_path)],
                            pool=pool, raise_on_error=False)
    assert results[0].error.startswith("dies.ipynb failed: DeadKernelError")
    assert results[1].ok and printed(tmp_path / "p3.ipynb")["pid"] not in (old_pid, new_pid)


def test_batch_on_two_kernels_through_the_registered_engine(tmp_path):
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine(ENGINE_NAME) is WarmKernelEngine  # found via the entry point
    nb = make_notebook(tmp_path / "n.ipynb", "import json, os\nprint(json.dumps({'x': x, 'pid': os.getpid(), 'cwd': os.getcwd()}))")
    dirs = [tmp_path / f"d{i}" for i in range(4)]
    for d in dirs:
        d.mkdir()
    results = execute_batch([(nb, d / "out.ipynb", {"x": i}, d) for i, d in enumerate(dirs)],
                            pool_size=2, preload=("json",), home=tmp_path)
    assert [r.ok for r in results] == [True] * 4
    seen = [printed(d / "out.ipynb") for d in dirs]
    assert [s["x"] for s in seen] == [0, 1, 2, 3]
    assert [s["cwd"] for s in seen] == [str(d) for d in dirs]
    assert len({s["pid"] for s in seen}) <= 2


@pytest.mark.parametrize("first", ["pass", "import papermill"])
def test_engine_module_imports_in_any_order(first):
    # papermill loads the entry point while it is itself being imported: no circular import.
    code = f"{first}\nimport pipeline.reports.kernels\nimport papermill.engines as e\nprint(e.papermill_engines.get_engine('{ENGINE_NAME}').__name__)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "WarmKernelEngine"


def test_pool_refuses_another_kernel_name(pool):
    with pytest.raises(RenderError, match="runs 'python3' kernels; the notebook asks for 'ir'"):
        with pool.acquire("ir"):
            pass


def test_kernels_talk_over_private_unix_sockets_and_print_no_tcp_warning(pool, tmp_path):
    """Hand-run stages (papermill's own kernel) and the warm pool: ZeroMQ ipc in a folder only this
    user can enter, so ipykernel's "running over TCP without encryption" warning never reaches the
    console. Run in a child process: the kernels' stderr is the console's."""
    kernel = pool.kernels[0]
    info = kernel.km.get_connection_info()
    assert info["transport"] == "ipc"
    assert os.stat(os.path.dirname(info["ip"])).st_mode & 0o077 == 0
    nb = make_notebook(tmp_path / "tiny.ipynb", "print(x + 1)")
    code = ("import sys; from pathlib import Path; from pipeline.reports.render import execute_notebook; "
            "from pipeline.reports.kernels import KernelPool\n"
            f"execute_notebook(Path({str(nb)!r}), Path({str(tmp_path / 'a.ipynb')!r}), {{'x': 1}}, Path({str(tmp_path)!r}))\n"
            f"with KernelPool(1) as p:\n"
            f"    execute_notebook(Path({str(nb)!r}), Path({str(tmp_path / 'b.ipynb')!r}), {{'x': 2}}, "
            f"Path({str(tmp_path)!r}), pool=p)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "TCP" not in proc.stderr and "WARNING" not in proc.stderr, proc.stderr
    assert [printed_text(tmp_path / n) for n in ("a.ipynb", "b.ipynb")] == ["2", "3"]


def printed_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream").strip()
