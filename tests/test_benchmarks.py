"""Every benchmark script in benchmarks/ runs here at a tiny scale, so that none can rot unnoticed.

Only that each completes and prints its table is checked (and, for the register benchmark, that
the pipeline and the DuckDB reference agree on kept rows, quarantined export/line/reason and
pseudonyms); the timing runs stay outside the tests (docs/performance.md).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.demo.register_demo import YEARS
from pipeline.sources.register import clean_register_year, save_register_year

from .conftest import REPO

pytestmark = pytest.mark.slow
BENCHMARKS = REPO / "benchmarks"
KEY = bytes.fromhex("6b" * 16 + "00112233445566778899aabbccddeeff")


def _module(name: str):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def _run(script: str, *args: str, timeout: int = 600) -> str:
    proc = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def tiny_raw(tmp_path_factory) -> Path:
    """The synthetic exports at 1 % of the national benefit register."""
    return _module("_timing").demo_raw(tmp_path_factory.mktemp("tiny"), 0.01)


def test_every_benchmark_script_has_a_test_here():
    source = Path(__file__).read_text(encoding="utf-8")
    # bench_indikator.py has its own test file beside this one
    source += "\n".join(f'"{s}"' for s in ("bench_indikator.py",) if (Path(__file__).parent / "test_bench_indikator.py").is_file())
    scripts = sorted(p.name for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))
    assert "register_duckdb.py" in scripts and len(scripts) >= 8
    assert [s for s in scripts if f'"{s}"' not in source and s != "register_duckdb.py"] == []


# ------------------------------------------------------------------ the register benchmark and its reference
def test_bench_register_runs_and_both_sides_agree(tiny_raw):
    out = _run("bench_register.py", "--raw", str(tiny_raw), "--repeat", "2", "--threads", "1")
    assert "| pipeline (`clean_register_year` + `save_register_year`) |" in out and "pipeline / DuckDB: time (medians)" in out
    assert "'deltagare': {" in out and "'dubblett'" in out  # the agreed quarantine is printed


def test_bench_register_generates_its_own_exports():
    out = _run("bench_register.py", "--scale", "0.01", "--repeat", "1")
    assert "generate demo exports" in out and "pipeline / DuckDB: time (medians)" in out


def test_duckdb_reference_gives_the_pipelines_quarantine_and_pseudonyms(tiny_raw, tmp_path):
    reference = _module("register_duckdb")
    register = tiny_raw / "register"
    cleaned = clean_register_year(register, 2022, key=KEY, years=YEARS)
    save_register_year(cleaned, 2022, tmp_path / "pipeline")
    result = reference.clean_year_sql(register, 2022, KEY, tmp_path / "duckdb", threads=1)
    for kind, c in cleaned.items():
        assert result[kind]["rows_in"] == c.rows_in and result[kind]["kept"] == len(c.kept), kind
        assert result[kind]["quarantine"] == c.quarantine["reason"].value_counts().to_dict(), kind
    ours = pd.read_parquet(tmp_path / "pipeline" / "karantan.parquet", columns=["export", "line", "reason", "column"])
    theirs = pd.read_parquet(tmp_path / "duckdb" / "karantan.parquet")
    key = ["export", "line", "reason", "column"]
    pd.testing.assert_frame_equal(ours.sort_values(key).reset_index(drop=True).astype(str),
                                  theirs[key].sort_values(key).reset_index(drop=True).astype(str))
    for kind in ("deltagare", "formaner"):
        p = pd.read_parquet(tmp_path / "pipeline" / f"{kind}.parquet")
        d = pd.read_parquet(tmp_path / "duckdb" / f"{kind}.parquet")
        assert sorted(p["person_id"].dropna()) == sorted(d["person_id"].dropna())
        assert p["kommun"].value_counts().to_dict() == d["kommun"].value_counts().to_dict()  # zero_pad applied
    # The documented dirt of the demo is what both quarantined (not an empty agreement).
    assert {"dubblett", "personnummer_kontrollsiffra", "motstridig_person_mellan_filer"} <= set(ours["reason"])


def test_the_benchmark_refuses_to_print_when_the_sides_disagree(tiny_raw, tmp_path):
    bench = _module("bench_register")
    reference = _module("register_duckdb")
    register = tiny_raw / "register"
    save_register_year(clean_register_year(register, 2022, key=KEY, years=YEARS), 2022, tmp_path / "p")
    result = reference.clean_year_sql(register, 2022, KEY, tmp_path / "d", threads=1)
    summary = {"rows": sum(r["rows_in"] for r in result.values()), "kept": {k: r["kept"] for k, r in result.items()}}
    assert bench.agree(tmp_path / "p", tmp_path / "d", summary, summary)  # agrees as computed
    quarantine = pd.read_parquet(tmp_path / "d" / "karantan.parquet")
    quarantine.loc[0, "reason"] = "tom_rad"  # one quarantined line with another reason
    quarantine.to_parquet(tmp_path / "d" / "karantan.parquet")
    with pytest.raises(SystemExit, match="quarantines differ"):
        bench.agree(tmp_path / "p", tmp_path / "d", summary, summary)
    reference.clean_year_sql(register, 2022, KEY[::-1], tmp_path / "d", threads=1)  # another key
    with pytest.raises(SystemExit, match="pseudonyms"):
        bench.agree(tmp_path / "p", tmp_path / "d", summary, summary)
    with pytest.raises(SystemExit, match="kept rows differ"):
        bench.agree(tmp_path / "p", tmp_path / "d", summary, summary | {"kept": {"deltagare": 1}})


def test_duckdb_reference_reads_code_files_and_zero_pad(tiny_raw, tmp_path):
    """A kommun written without its leading zero is the code (zero_pad); another unknown code stops."""
    reference = _module("register_duckdb")
    shutil.copytree(tiny_raw, tmp_path / "raw")
    raw = tmp_path / "raw" / "register"
    path = raw / "2022" / "formaner_2022.csv"
    lines = path.read_text(encoding="latin-1").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(";")
    k = header.index("kommun")
    row = lines[1].rstrip("\n").split(";")
    row[k] = "114"  # Upplands Väsby as Excel writes 0114
    lines[1] = ";".join(row) + "\n"
    path.write_text("".join(lines), encoding="latin-1")
    result = reference.clean_year_sql(raw, 2022, KEY, tmp_path / "out", threads=1)
    assert "okand_kod" not in result["formaner"]["quarantine"]
    kept = pd.read_parquet(tmp_path / "out" / "formaner.parquet")
    assert "114" not in set(kept["kommun"]) and "0114" in set(kept["kommun"])
    row[k] = "9999"
    lines[1] = ";".join(row) + "\n"
    path.write_text("".join(lines), encoding="latin-1")
    with pytest.raises(reference.StopError, match="line 2, column kommun"):
        reference.clean_year_sql(raw, 2022, KEY, None, threads=1)


# ------------------------------------------------------------------ the other benchmarks, tiny
def test_bench_disclosure_runs():
    out = _run("bench_disclosure.py", "--scale", "0.01", "--forbund", "2")
    assert "| Riket, 2022 |" in out and "| 2 förbund, 2022, one at a time (sum) |" in out


def test_bench_forbund_tables_runs():
    out = _run("bench_forbund_tables.py", "--scale", "0.01", "--years", "2021-2022")
    assert "`forbund.build_forbund_figures`" in out and "× 2 years" in out and "hidden cells" in out


def test_bench_forbund_runs(tmp_path):
    out = _run("bench_forbund.py", "--scale", "0.01", "--years", "2022-2022", "--forbund", "2", "--small", "1",
               "--formats-sample", "1", "--figures", str(tmp_path / "none"), "--register", str(tmp_path / "none"))
    assert "cold batch, html, 2 warm kernels | 2 reports" in out and "rebuild, nothing changed" in out


def test_bench_kernels_runs():
    out = _run("bench_kernels.py", "--tiny", "1", "--bilaga4", "1", "--years", "2022-2022", "--pools", "1")
    assert "| tiny report | warm pool, 1 kernel |" in out and "| Bilaga 4 | cold" in out
    assert "Rendering one executed Bilaga 1 (2022)" in out


def test_bench_build_runs():
    out = _run("bench_build.py", "--stages", "published")
    assert "| finsam build: cold |" in out and "| dvc repro: nothing changed |" in out


def test_peak_memory_measures_a_command():
    out = _run("peak_memory.py", "--every", "0.05", "--", sys.executable, "-c",
               "import time; x = bytearray(200 * 2**20); time.sleep(0.5)")
    row = next(line for line in out.splitlines() if line.startswith("| `"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "0" and int(cells[3]) >= 200  # exit code; at least the 200 MiB the child held
