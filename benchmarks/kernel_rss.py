"""Memory of one page's kernel: resident set size (RSS) and unique memory (USS) of the kernel process
Voila starts for each page, baseline checkout vs this checkout, side by side in one run.

    .venv/bin/python benchmarks/kernel_rss.py [--base 50123e6] [--runs 3]

Both sides are served by real Voila servers (``toolkit.voila_app``, the command ``linli serve``
runs) on one demo database (``linli demo``: 240 proposals through the loop, plus an open round of 8
located projects with codes). The baseline is a ``git worktree`` of ``--base`` in a temporary folder;
its servers and kernels run with ``PYTHONPATH`` pointing at it. For each page, alternately on
either side, a plain GET renders the page (the kernel runs the page's notebook to the end), the new
kernel is found among the server's children, its ``/proc/<pid>/status`` (VmRSS) and
``smaps_rollup`` (Private_*) read, and the kernel ended. Prints the medians, the ratio and the load.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from page_load import Baseline, checkout_servers, open_round  # noqa: E402
from tests.browser.harness import RunningServer, kernels  # noqa: E402
from toolkit.demo import build_demo_database  # noqa: E402

RESIDENT = ("home", "propose", "vote", "scoring", "status", "notice")
STAFF = ("home", "live-map", "screening", "results", "round-desk")


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, USS) of a process in MB."""
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS:"))
    uss = sum(int(line.split()[1]) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
              if line.startswith(("Private_Clean:", "Private_Dirty:")))
    return rss / 1024, uss / 1024


def measure(server: RunningServer, page: str, query: str) -> tuple[float, float, float]:
    """Render ``page`` once with a plain GET (cookies kept: staff ?token= logins redirect); returns
    (RSS MB, USS MB, seconds) of the kernel it started, which is then ended."""
    before = set(kernels(server))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    url = server.url(page, query=query)  # home too: the server root only sends the browser on to home.ipynb
    t0 = time.perf_counter()
    with opener.open(url, timeout=300) as response:
        response.read()
    seconds = time.perf_counter() - t0
    fresh = set(kernels(server)) - before
    if len(fresh) != 1:
        raise SystemExit(f"{page}: expected one new kernel, found {sorted(fresh)}")
    pid = fresh.pop()
    time.sleep(0.5)
    rss, uss = memory_mb(pid)
    os.kill(pid, signal.SIGTERM)
    return rss, uss, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="50123e6", help="baseline commit (default: main before issue 13 items 2-3)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        sides: dict[str, dict[str, RunningServer]] = {}
        with Baseline(args.base, tmp_path / "base") as base:
            db = str(tmp_path / "db" / "linli.sqlite")
            Path(db).parent.mkdir()
            build_demo_database(db, loop=True)
            rid, code = open_round(db)
            from toolkit.store import open_store

            receipt = open_store(db).proposals_frame().receipt_code.iloc[0]
            queries = {"vote": f"round={rid}&code={code}", "status": f"code={receipt}", "notice": "notice=1", "results": f"round={rid}"}
            load_before = os.getloadavg()
            # measured kernels are ended with SIGTERM: no automatic restart of them
            extra = ("--KernelManager.autorestart=False",)
            sides = {"baseline": checkout_servers(base, db, tmp_path, "baseline", extra=extra),
                     "new": checkout_servers(ROOT, db, tmp_path, "new", extra=extra)}
            try:
                pages = [("resident", p) for p in RESIDENT] + [("staff", p) for p in STAFF]
                results: dict[tuple[str, str, str], list] = {}
                for audience, page in pages:  # one warm-up each (disk cache), then alternate sides
                    for side in sides:
                        measure(sides[side][audience], page, queries.get(page, ""))
                    for _ in range(args.runs):
                        for side in sides:
                            results.setdefault((side, audience, page), []).append(measure(sides[side][audience], page, queries.get(page, "")))
                load_after = os.getloadavg()
            finally:
                for running in sides.values():
                    for s in running.values():
                        s.stop()
    print(f"\nKernel memory per page (MB, median of {args.runs}; RSS = resident set, USS = unique to the kernel), "
          f"baseline {args.base} vs this checkout; {os.cpu_count()} cores, load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after")
    print(f"{'page':<22} {'RSS base':>9} {'RSS new':>8} {'ratio':>6}   {'USS base':>9} {'USS new':>8} {'ratio':>6}   {'GET base s':>10} {'GET new s':>9}")
    for audience, page in pages:
        b = [statistics.median(v[i] for v in results[("baseline", audience, page)]) for i in range(3)]
        n = [statistics.median(v[i] for v in results[("new", audience, page)]) for i in range(3)]
        print(f"{audience + ' ' + page:<22} {b[0]:>9.0f} {n[0]:>8.0f} {b[0] / n[0]:>5.2f}×   {b[1]:>9.0f} {n[1]:>8.0f} {b[1] / n[1]:>5.2f}×"
              f"   {b[2]:>10.2f} {n[2]:>9.2f}")


if __name__ == "__main__":
    main()
