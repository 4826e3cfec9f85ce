"""Process start of ``linli pb allocate``, side by side: this checkout against another linli command.

Each repeat starts ``linli pb allocate FILE --rule mes:cost --json`` once per side, alternating, on a small
file (the rule itself takes a few milliseconds), and records the wall time of the whole process and its CPU
time (user + system, from the children's resource usage).  Prints medians, the ratio before / ours and the
1-minute load average.  The machine is shared: compare the CPU columns.

    python benchmarks/cli_start.py --before "sh -c 'cd /tmp/old && exec .venv/bin/python -m toolkit.cli \\"\\$@\\"' linli"
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = next((d for d in (REPO.parent / "shared" / "pabulib", REPO.parents[1] / "shared" / "pabulib") if d.is_dir()),
            REPO.parent / "shared" / "pabulib")


def start_once(cmd: str, path: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``linli pb allocate`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([*shlex.split(cmd), "pb", "allocate", path, "--rule", "mes:cost", "--json"], capture_output=True,
                       text=True)
    wall = time.perf_counter() - t
    if r.returncode:
        raise SystemExit(f"{cmd} failed: {r.stderr.strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", default=str(DATA / "Poland_Swiecie_2023.pb"))
    ap.add_argument("--linli", default=str(REPO / ".venv" / "bin" / "linli"))
    ap.add_argument("--before", required=True, help="the linli command to compare with (e.g. an older checkout)")
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    sides = {"before": args.before, "ours": args.linli}
    runs: dict[str, list[tuple[float, float]]] = {s: [] for s in sides}
    loads = []
    for _ in range(args.repeat):
        for side, cmd in sides.items():
            loads.append(os.getloadavg()[0])
            runs[side].append(start_once(cmd, args.file))
    med = {s: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for s, r in runs.items()}
    print(f"linli pb allocate {Path(args.file).name} --rule mes:cost --json: {args.repeat} fresh processes per side, "
          f"alternating; load (1 min) {min(loads):.1f}-{max(loads):.1f}")
    print(f"{'side':8} {'wall ms':>9} {'cpu ms':>9}")
    for s, (w, c) in med.items():
        print(f"{s:8} {w * 1000:9.0f} {c * 1000:9.0f}")
    print(f"ratio before/ours: wall {med['before'][0] / med['ours'][0]:.2f}x, cpu {med['before'][1] / med['ours'][1]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
