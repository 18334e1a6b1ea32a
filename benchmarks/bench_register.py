"""Benchmark: clean one national-scale year of register exports (2022), time and peak memory.

Generates the synthetic demo exports for 2016–2022 at national scale in a temporary folder (the
reference population of 654 134 people: 36 552 with aktivitetsersättning, 617 582 with
sjukpenning), then cleans them in a fresh process, as `finsam stage register` does without the
notebook. Prints a Markdown table for docs/performance.md.

    .venv/bin/python benchmarks/bench_register.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
from pathlib import Path
from pipeline.sources.register import clean_year, save_year
start = time.perf_counter()
cleaned = clean_year(Path(sys.argv[1]), 2022, key=b"k" * 32)
save_year(cleaned, 2022, Path(sys.argv[2]))
rows = sum(c.rows_in for c in cleaned.values())
quarantine = {k: c.quarantine["reason"].value_counts().to_dict() for k, c in cleaned.items()}
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows, "quarantine": quarantine,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        (raw / "register").mkdir(parents=True)
        (raw / "register" / "exports.yaml").write_bytes((REPO / "data/raw/register/exports.yaml").read_bytes())
        shutil.copytree(REPO / "data/raw/geografi", raw / "geografi")
        start = time.perf_counter()
        sys.path.insert(0, str(REPO))
        from pipeline.demo.register_demo import write_demo

        # every year: 2022's participants are also in insatser of earlier years (okand_insats otherwise)
        write_demo(raw, REPO / "data" / "raw" / "published")
        generate = time.perf_counter() - start
        runs = []
        for i in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", CHILD, str(raw / "register"), str(Path(tmp) / f"out{i}")],
                                 cwd=REPO, capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    seconds = [r["seconds"] for r in runs]
    print(f"machine: {platform.machine()}, python {platform.python_version()}, repeats={args.repeat}")
    print("| step | median s | min s | max s | peak RSS MB | rows |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| generate demo exports 2016–2022 (national scale) | {generate:.1f} | | | | |")
    print(f"| clean 2022 (3 exports) | {statistics.median(seconds):.2f} | {min(seconds):.2f} | {max(seconds):.2f} "
          f"| {max(r['peak_mb'] for r in runs):.0f} | {runs[0]['rows']} |")
    print(f"quarantined (reason → rows): {runs[0]['quarantine']}")


if __name__ == "__main__":
    main()
