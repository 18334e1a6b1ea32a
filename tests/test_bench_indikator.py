"""benchmarks/bench_indikator.py runs, at a tiny scale (the numbers are in docs/performance.md)."""

from __future__ import annotations

import sys

from tests.conftest import REPO


def test_the_survey_benchmark_runs_every_phase_at_tiny_scale(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_indikator
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    lines: list[str] = []
    seconds = bench_indikator.run(tmp_path, [2021, 2022], ["html"], forbund=2, total=(300, 350), echo=lines.append)
    for phase in ("demo", "cleaning", "tabeller", "indikatorrapport", "indikatorbilagor", "index"):
        assert seconds[phase] > 0, phase
    assert 2 <= seconds["reports"] <= 4  # two förbund, in the years they answered
    assert (tmp_path / "reports" / "2022" / "indikatorrapport" / "indikatorrapport_2022.html").is_file()
    assert lines[-1].startswith("total (cold)")
