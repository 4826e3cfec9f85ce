"""The first visitor after the servers start, with preheated kernels (``LINLI_POOL_SIZE=1``).

    .venv/bin/python benchmarks/cold_start.py [--runs 3] [--before cd732e9]

A meeting laptop starts both servers (as ``make run`` does, with a pool of one kernel per page) and a
resident opens the home page on a tablet (1280×800) as soon as the server answers, then taps the propose
tile. Measured per start, ``--before`` (a ``git worktree``: its toolkit, notebooks and template) and this
checkout taking turns, one side's servers at a time: seconds from "server ready" to home usable (its tiles
on screen), from the tap to the propose form usable, and until every pool of both servers is full
(Voila's "Kernel pool of … is filled", 18 pages). Demo database with 240 proposals and an open round.
Prints medians [min–max], the ratio and the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.page_load import Baseline, checkout_servers, open_round  # noqa: E402
from tests.browser.harness import launch_browser, offline_context  # noqa: E402
from toolkit.demo import build_demo_database  # noqa: E402

NOTEBOOKS = len(list((ROOT / "notebooks" / "resident").glob("*.ipynb"))) + len(list((ROOT / "notebooks" / "staff").glob("*.ipynb")))
FILLED = re.compile(r"Kernel pool of \S+ is filled")


def one_start(browser, checkout: Path, db: str, workdir: Path, side: str) -> tuple[float, float, float]:
    """(home usable, propose usable after the tap, all pools full), seconds after the servers are ready."""
    servers = checkout_servers(checkout, db, workdir, side, pool_size=1)
    t0 = time.perf_counter()
    try:
        external: list[str] = []
        ctx = offline_context(browser, width=1280, height=800, external=external)
        page = ctx.new_page()
        page.goto(servers["resident"].base + "/", timeout=300_000)
        page.wait_for_selector("a.linli-tile[data-page=propose]", state="visible", timeout=300_000)
        home = time.perf_counter() - t0
        t1 = time.perf_counter()
        page.click("a.linli-tile[data-page=propose]")
        page.wait_for_selector("button.linli-submit", state="visible", timeout=300_000)
        page.wait_for_selector("path.linli-compound", state="attached", timeout=300_000)
        propose = time.perf_counter() - t1
        ctx.close()
        if external:
            raise SystemExit(f"the pages tried to reach the internet: {external[:3]}")
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            filled = sum(len(FILLED.findall(s.log.read_text())) for s in servers.values())
            if filled >= NOTEBOOKS:
                break
            time.sleep(0.2)
        full = time.perf_counter() - t0
    finally:
        for s in servers.values():
            s.stop()
    return home, propose, full


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before", default="cd732e9", help="commit to compare with")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="linli-cold-") as tmp:
        workdir = Path(tmp)
        db = str(workdir / "linli.sqlite")
        build_demo_database(db)
        open_round(db)
        results: dict[str, list[tuple[float, float, float]]] = {"before": [], "after": []}
        load_before = os.getloadavg()
        with Baseline(args.before, workdir / "before") as before, sync_playwright() as pw:
            browser = launch_browser(pw)
            checkouts = {"before": before, "after": ROOT}
            for run in range(args.runs):
                for side in ("before", "after") if run % 2 == 0 else ("after", "before"):
                    results[side].append(one_start(browser, checkouts[side], db, workdir, f"{side}{run}"))
                    print(f"run {run + 1} {side}: home {results[side][-1][0]:.2f} s, propose {results[side][-1][1]:.2f} s, "
                          f"pools full {results[side][-1][2]:.1f} s", flush=True)
                    time.sleep(5)  # the last servers' processes are gone
            browser.close()
        load_after = os.getloadavg()
    print(f"\nFirst visitor after the servers start, pool of 1 per page, before ({args.before}) vs after (this checkout); "
          f"median of {args.runs} [min–max], seconds after the servers are ready; {os.cpu_count()} cores, "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"{'':<28} {'before':>20} {'after':>20} {'before/after':>13}")
    for i, label in enumerate(("home usable", "propose usable after tap", f"all {NOTEBOOKS} pools full")):
        b = [r[i] for r in results["before"]]
        a = [r[i] for r in results["after"]]
        print(f"{label:<28} {statistics.median(b):>7.2f} [{min(b):.2f}–{max(b):.2f}] "
              f"{statistics.median(a):>7.2f} [{min(a):.2f}–{max(a):.2f}] {statistics.median(b) / statistics.median(a):>12.2f}×")


if __name__ == "__main__":
    main()
