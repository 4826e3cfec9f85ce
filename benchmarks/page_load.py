"""Page load: request → widgets usable, for both pages, in headless chromium against real
Voila servers, without and with preheated kernels. Prints a table; asserts nothing.

    .venv/bin/python benchmarks/page_load.py [--runs 5]

"Usable" means: propose — the submit button and the compound outlines are on screen;
live-map — the proposal count is on screen; vote (the ballot page) — the code box and its
button are on screen. Demo database with 240 proposals and an open 8-project round.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.harness import launch_browser, offline_context, start_servers  # noqa: E402
from toolkit.demo import build_demo_database  # noqa: E402

PAGES = {
    "propose": ("resident", "button.linli-submit", "path.linli-compound", 1280, 800),
    "live-map": ("staff", "#linli-total", "path.linli-proposal", 1920, 1080),
    "vote": ("resident", "button.linli-start", "input[placeholder]", 1280, 800),
}


def open_round(db: str) -> None:
    """An open knapsack round over eight demo proposals, as the vote page needs."""
    import pandas as pd

    from toolkit.labels import Label
    from toolkit.rounds import Fund, Knapsack, Project, RoundSettings
    from toolkit.store import open_store
    from toolkit.voting import create_round, issue_codes

    store = open_store(db)
    frame = store.proposals_frame().head(8)
    projects = tuple(
        Project(f"P{int(r.id):04d}", Label(r.title, r.title), 5_000_000 if pd.isna(r.cost_fen) or not r.cost_fen else int(r.cost_fen),
                Label(r.suggestion, r.suggestion), None if pd.isna(r.lon) else (float(r.lon), float(r.lat)))
        for r in frame.itertuples()
    )
    rid = create_round(store, RoundSettings("bench", Label("基准投票", "Benchmark vote"), projects, (Fund("f", Label("保障资金", "Fund"), 300_000_00),), Knapsack()), scrypt_n=2**8)
    issue_codes(store, rid, 5)
    store.set_round_status(rid, "open")


def measure(browser, servers, page_name: str) -> tuple[float, float, int]:
    audience, ready, drawn, width, height = PAGES[page_name]
    external: list[str] = []
    ctx = offline_context(browser, width=width, height=height, external=external)
    page = ctx.new_page()
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(int(r.headers.get("content-length", "0") or 0)))
    t0 = time.perf_counter()
    page.goto(servers[audience].url(page_name), wait_until="commit")
    first_byte = time.perf_counter() - t0
    page.wait_for_selector(ready, timeout=120_000)
    page.wait_for_selector(drawn, state="attached", timeout=120_000)
    usable = time.perf_counter() - t0
    ctx.close()
    if external:
        raise SystemExit(f"{page_name} tried to reach the internet: {external[:3]}")
    return first_byte, usable, len(sizes)


def run(pool_size: int, runs: int, db: str, workdir: Path) -> dict[str, list[tuple[float, float, int]]]:
    from playwright.sync_api import sync_playwright

    servers = start_servers(db, workdir, pool_size=pool_size)
    results: dict[str, list] = {p: [] for p in PAGES}
    try:
        with sync_playwright() as pw:
            browser = launch_browser(pw)
            for name in PAGES:  # one warm-up load per page (disk cache of the OS, imports)
                measure(browser, servers, name)
            for _ in range(runs):
                for name in PAGES:
                    if pool_size:
                        time.sleep(8)  # let the pool refill, as between two visitors
                    results[name].append(measure(browser, servers, name))
            browser.close()
    finally:
        for s in servers.values():
            s.stop()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.sqlite")
        build_demo_database(db)
        open_round(db)
        table = {}
        for pool in (0, 1):
            table[pool] = run(pool, args.runs, db, Path(tmp))
    print(f"\nPage load in headless chromium, {args.runs} runs each after one warm-up (seconds; median [min–max])")
    print(f"{'page':<10} {'kernels':<11} {'first byte':>22} {'widgets usable':>22} {'requests':>9}")
    for name in PAGES:
        for pool in (0, 1):
            fb = [r[0] for r in table[pool][name]]
            us = [r[1] for r in table[pool][name]]
            req = table[pool][name][0][2]
            kind = "preheated" if pool else "on demand"
            print(
                f"{name:<10} {kind:<11} {statistics.median(fb):>8.2f} [{min(fb):.2f}–{max(fb):.2f}]"
                f" {statistics.median(us):>10.2f} [{min(us):.2f}–{max(us):.2f}] {req:>9}"
            )
        base, heated = (statistics.median(r[1] for r in table[p][name]) for p in (0, 1))
        print(f"{'':<10} preheating: widgets usable {base / heated:.2f}× sooner")


if __name__ == "__main__":
    main()
