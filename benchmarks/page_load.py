"""Page load: request → widgets usable, for both pages, in headless chromium against real
Voila servers, without and with preheated kernels, and bytes on the wire with and without the
server's gzip (first visit, and a second visit with the browser cache warm). Prints a table and
the machine's load average; asserts nothing.

    .venv/bin/python benchmarks/page_load.py [--runs 5]

"Usable" means: propose — the submit button and the compound outlines are on screen;
live-map — the proposal count is on screen; vote (the ballot page) — the code box and its
button are on screen. Demo database with 240 proposals and an open 8-project round.
"""

from __future__ import annotations

import argparse
import os
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


def open_round(db: str) -> tuple[int, str]:
    """An open knapsack round over eight demo proposals, as the vote page needs: (round id, a code)."""
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
    codes = issue_codes(store, rid, 5)
    store.set_round_status(rid, "open")
    return rid, codes[0]


def _visit(ctx, servers, page_name: str) -> tuple[float, float, int, int]:
    """One visit in ``ctx``: (first byte s, usable s, requests, bytes received on the wire)."""
    audience, ready, drawn, _w, _h = PAGES[page_name]
    page = ctx.new_page()
    wire = {"bytes": 0, "requests": 0}
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")

    def finished(event):
        wire["bytes"] += int(event.get("encodedDataLength", 0))
        wire["requests"] += 1

    cdp.on("Network.loadingFinished", finished)
    t0 = time.perf_counter()
    page.goto(servers[audience].url(page_name), wait_until="commit", timeout=120_000)
    first_byte = time.perf_counter() - t0
    page.wait_for_selector(ready, timeout=120_000)
    page.wait_for_selector(drawn, state="attached", timeout=120_000)
    usable = time.perf_counter() - t0
    page.wait_for_load_state("load", timeout=120_000)
    page.close(run_before_unload=True)  # the page's unload beacon ends its kernel, as a closed tab does
    return first_byte, usable, wire["requests"], wire["bytes"]


def measure(browser, servers, page_name: str, *, revisit: bool = False) -> tuple[float, float, int, int]:
    """A first visit in a fresh browser (cold cache); with ``revisit``, the numbers of a second visit."""
    _a, _r, _d, width, height = PAGES[page_name]
    external: list[str] = []
    if revisit:  # Playwright's routing switches the HTTP cache off: the revisit context has none
        ctx = browser.new_context(viewport={"width": width, "height": height})
    else:
        ctx = offline_context(browser, width=width, height=height, external=external)
    result = _visit(ctx, servers, page_name)
    if revisit:
        result = _visit(ctx, servers, page_name)
    ctx.close()
    if external:
        raise SystemExit(f"{page_name} tried to reach the internet: {external[:3]}")
    return result


def run(pool_size: int, runs: int, db: str, workdir: Path, *, gzip: bool = True) -> dict[str, list]:
    from playwright.sync_api import sync_playwright

    extra = () if gzip else ("--LinliVoila.gzip=False",)
    servers = start_servers(db, workdir, pool_size=pool_size, extra=extra)
    results: dict[str, list] = {p: [] for p in PAGES}
    results["revisit"] = {}
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
            for name in PAGES:
                results["revisit"][name] = measure(browser, servers, name, revisit=True)
            browser.close()
    finally:
        for s in servers.values():
            s.stop()
    return results


CONFIGS = {"on demand": (0, True), "preheated": (1, True), "no gzip": (0, False)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.sqlite")
        build_demo_database(db)
        open_round(db)
        table = {kind: run(pool, args.runs, db, Path(tmp), gzip=gz) for kind, (pool, gz) in CONFIGS.items()}
    load_after = os.getloadavg()
    print(f"\nPage load in headless chromium, {args.runs} runs each after one warm-up (seconds; median [min–max]);"
          f" {os.cpu_count()} cores, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"{'page':<10} {'server':<11} {'first byte':>22} {'widgets usable':>22} {'requests':>9} {'KB on wire':>11} {'KB revisit':>11}")
    for name in PAGES:
        for kind in CONFIGS:
            rows = table[kind][name]
            fb = [r[0] for r in rows]
            us = [r[1] for r in rows]
            kb = statistics.median(r[3] for r in rows) / 1024
            again = table[kind]["revisit"][name][3] / 1024
            print(
                f"{name:<10} {kind:<11} {statistics.median(fb):>8.2f} [{min(fb):.2f}–{max(fb):.2f}]"
                f" {statistics.median(us):>10.2f} [{min(us):.2f}–{max(us):.2f}] {rows[0][2]:>9} {kb:>11.0f} {again:>11.0f}"
            )
        base, heated, plain = (statistics.median(r[1] for r in table[k][name]) for k in CONFIGS)
        print(f"{'':<10} preheating: widgets usable {base / heated:.2f}× sooner; gzip: {plain / base:.2f}× sooner,"
              f" {statistics.median(r[3] for r in table['no gzip'][name]) / max(1, statistics.median(r[3] for r in table['on demand'][name])):.1f}× fewer bytes")


if __name__ == "__main__":
    main()
