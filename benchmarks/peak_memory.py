"""Benchmark: wall time and peak memory of a whole command, e.g. the cold build.

The build runs two stages at once, each with its own processes (papermill kernels, the warm
kernel pool of the förbund reports, typst, pandoc), so the peak that matters is the **sum** of the
resident memory of every process of the command at the same moment, not the largest single
process that ``/usr/bin/time -v`` reports. This samples the whole process tree with psutil
every ``--every`` seconds and prints the largest sum seen, with the largest single process for
comparison. Samples can miss a peak shorter than the interval; the default 0,2 s is far shorter
than any stage.

    .venv/bin/python benchmarks/peak_memory.py [--every 0.2] -- make build
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time


def _tree_rss(root) -> tuple[int, int, int]:
    """(sum of RSS, largest single RSS, number of processes) of ``root`` and its descendants."""
    import psutil

    total, largest, count = 0, 0, 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0, 0
    for p in processes:
        try:
            rss = p.memory_info().rss
        except psutil.Error:
            continue
        total, largest, count = total + rss, max(largest, rss), count + 1
    return total, largest, count


def main() -> int:
    import psutil

    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to measure after --")
    start = time.perf_counter()
    child = subprocess.Popen(command)
    root = psutil.Process(child.pid)
    peak_sum = peak_single = peak_count = 0
    while child.poll() is None:
        total, largest, count = _tree_rss(root)
        if total > peak_sum:
            peak_sum, peak_count = total, count
        peak_single = max(peak_single, largest)
        time.sleep(args.every)
    wall = time.perf_counter() - start
    mib = 1024 * 1024
    print(f"\n| command | exit | wall s | peak memory, all processes at once (MiB) | processes then | "
          f"largest single process (MiB) |\n|---|---:|---:|---:|---:|---:|\n"
          f"| `{' '.join(command)}` | {child.returncode} | {wall:.1f} | {peak_sum / mib:.0f} | {peak_count} | "
          f"{peak_single / mib:.0f} |")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
